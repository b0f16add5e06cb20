// backprop playground — files in and out: a CSV read in the browser and sent (refused here
// when larger than the server takes), and a model or spec the server exported, saved by the
// browser with a note on how to use it. Uses app.js; loads before it.
"use strict";

function uploadCsv(ev) {
  const file = ev.target.files[0];
  ev.target.value = "";
  if (!file) return;
  $("data-error").textContent = "";
  // the server's limit is in bytes of the message (protocol.MAX_CSV_BYTES): a larger one
  // would close the connection, so it is refused here, before it is sent
  const max = app.choices ? app.choices.max_csv_bytes : 1000000;
  const tooLarge = (bytes, what) => {
    $("data-error").textContent = `upload ${file.name}: the file is too large (${bytes.toLocaleString("en")} bytes${what}; ` +
      `the playground takes up to ${max.toLocaleString("en")}). Use a sample of it, or train it with 'backprop train'.`;
  };
  if (file.size > max) { tooLarge(file.size, ""); return; }
  const reader = new FileReader();
  reader.onload = () => {
    const text = String(reader.result);
    const body = JSON.stringify({v: V, type: "upload", name: file.name, text});
    const bytes = new TextEncoder().encode(body).length;
    if (bytes > max) { tooLarge(bytes, " as sent"); return; }
    send("upload", {name: file.name, text});
  };
  reader.onerror = () => { $("data-error").textContent = `upload ${file.name}: the browser could not read the file.`; };
  reader.readAsText(file);
}

function download(msg) {
  const bytes = decode(msg.data);
  const blob = new Blob([bytes], {type: msg.mime});
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = msg.filename;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  const how = msg.what === "model"
    ? `Saved ${msg.filename}: backprop predict ${msg.filename} --x ${msg.predict.x}` +
      ` (one sample: ${msg.predict.inputs.join(", ")}${msg.predict.inputs.length === 1 ? " is the model's input" : " are the model's inputs"}).`
    : msg.gaps && msg.gaps.length ? `Saved ${msg.filename}: backprop train ${msg.filename} runs these settings, but not this run exactly.`
      : `Saved ${msg.filename}: backprop train ${msg.filename} reproduces this run.`;
  $("export-note").textContent = how + (msg.gaps && msg.gaps.length ? ` Not in the spec: ${msg.gaps.join("; ")}.` : "");
}

// Export under a lesson that hides settings. A spec or model file names every setting (the
// spec must, for `backprop train` to run these settings; the model keeps them in its
// metadata), so a file left out the hidden ones would train something else. The teacher
// who wants them kept from students locks Export (the lesson dialog's Lock); otherwise the
// student is told, before the file is made, that it shows what the page hides.
function exportAsked(what) {
  const t = lessons.table, note = $("export-note");
  const hidden = t ? Object.entries(t.settings || {})
    .filter(([c, keys]) => keys.length && lessons.shut(c) === "hidden").map(([c]) => t.controls[c]) : [];
  if (!hidden.length) { send("export", {what}); return; }
  const file = what === "model" ? "model file" : "spec file";
  note.textContent = `This ${file} names every setting, also those this lesson hides ` +
    `(${hidden.join(", ")}): opening it shows them. `;
  const go = document.createElement("button"), no = document.createElement("button");
  go.className = no.className = "pill";
  go.textContent = `Export ${what} anyway`; no.textContent = "Cancel";
  go.onclick = () => { note.textContent = ""; send("export", {what}); };
  no.onclick = () => { note.textContent = ""; $(`export-${what}`).focus(); };
  note.append(go, " ", no);
  go.focus();
}
