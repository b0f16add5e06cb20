// backprop playground — the "Copy lesson link" dialog: the task, the exercise, every
// control shown, locked or hidden, and the link they make (a page opened from a lesson link
// keeps its own locks). The task is counted and cleaned as the server will keep it
// (lessons.py's _task). Adds its methods to lessons.js's `lessons`; loads after it.
"use strict";

Object.assign(lessons, {
  openDialog() {
    let dlg = $("lesson-dialog");
    if (!dlg) dlg = lessons.buildDialog();
    const l = lessons.lesson;
    lessons.dialogExercises();
    // a page opened from a lesson link keeps its locks: a row it hides stays hidden, a row it
    // locks can be hidden but not shown (a student's copy does not undo the lesson)
    for (const sel of dlg.querySelectorAll("select[data-control]")) {
      const name = sel.dataset.control;
      sel.value = l.hide.includes(name) ? "hide" : l.lock.includes(name) ? "lock" : "show";
      sel.disabled = l.hide.includes(name);
      sel.options[0].disabled = l.hide.includes(name) || l.lock.includes(name);
      sel.closest(".lesson-row").classList.toggle("kept", l.hide.includes(name) || l.lock.includes(name));
    }
    const kept = l.hide.length + l.lock.length;
    const why = $("lesson-dialog-kept");
    why.hidden = !kept;
    // never the way out of the lesson (the playground's address without the lesson part): a
    // student reads this dialog too; teachers build lessons from the plain page (docs/playground.md)
    why.textContent = kept ? `This page was opened from a lesson link that hides or locks ${kept} ` +
      `control${kept === 1 ? "" : "s"} (marked ✕ below): links made here keep them hidden or locked.` : "";
    $("lesson-dialog-cut").textContent = lessons.cutNote || "";
    // an uploaded CSV is not part of any link: said before the link is copied, with what the
    // students get instead
    const csv = $("lesson-dialog-csv"), onCsv = app.state && app.state.dataset === "csv";
    // the server's own rule (settings.CSV_INSTEAD, by problem), not the page's default set
    const insteadOf = onCsv && (lessons.table.csv_instead || {})[app.state.problem];
    const instead = insteadOf && (DATASET_LABELS[insteadOf] || insteadOf);
    csv.hidden = !onCsv;
    csv.textContent = onCsv ? `This page trains on the uploaded file ${app.data && app.data.name ? app.data.name + ".csv" : "(CSV)"}: ` +
      `the data is not in the link (a link cannot carry a file), so students who open it get the ${instead || "default"} ` +
      "dataset instead, with this page's other settings. Give them the file to upload, or choose one of the " +
      "built-in datasets before copying the link." : "";
    $("lesson-dialog-task").value = l.task;
    lessons.updateLink();
    $("lesson-dialog-copied").textContent = "";
    dlg.showModal();
  },

  // whether this page is set up as exercise `name` (its data and network: lessons.py's
  // EXERCISE_NETWORK): only then may the link name it
  setUpAs(name) {
    const p = lessons.table.presets[name], st = app.state;
    return !!(p && st && ["dataset", "hidden", "activation"].every((k) =>
      !(k in p.settings) || JSON.stringify(st[k]) === JSON.stringify(p.settings[k])));
  },

  // the Exercise menu names only what the link will set up: the exercise this page is set
  // up as; the others are offered on the page (their button sets them up), and none while
  // the lesson locks or hides the exercises (a student's copy cannot start one)
  dialogExercises() {
    const sel = $("lesson-dialog-preset"), shut = lessons.shut("presets");
    for (const o of sel.options) {
      if (!o.value) continue;
      const ok = !shut && lessons.setUpAs(o.value);
      o.disabled = !ok;
      o.textContent = lessons.table.presets[o.value].title + (ok || shut ? "" : " (start it on the page first)");
    }
    // the page's own exercise, kept (as its locks are) when the lesson shuts the menu
    sel.value = lessons.current && lessons.setUpAs(lessons.current) ? lessons.current : "";
    sel.disabled = !!shut;
    $("lesson-dialog-preset-why").textContent = shut ? `The exercises are ${shut} by this lesson link: links made ` +
      "here keep this page's exercise." :
      "A link names an exercise only while this page is set up as it: to link another one, close this " +
      "dialog, start it with its button (and change what you like), then copy the link.";
  },

  buildDialog() {
    const dlg = document.createElement("dialog");
    dlg.id = "lesson-dialog"; dlg.className = "lesson-dialog";
    dlg.setAttribute("aria-labelledby", "lesson-dialog-h");
    const h = document.createElement("h2"); h.id = "lesson-dialog-h"; h.textContent = "Copy lesson link";
    const hint = document.createElement("p"); hint.className = "hint small";
    hint.textContent = "The link opens this page's settings (seed included) with the controls below shown, " +
      "locked or hidden, and your task above the page. A student who uses a locked control is told " +
      "that you set it; to unlock it, hand out a new link with it shown.";
    const taskLabel = document.createElement("label"); taskLabel.className = "field wide";
    taskLabel.htmlFor = "lesson-dialog-task";
    const tl = document.createElement("span"); tl.className = "label"; tl.textContent = "Task (one line)";
    const task = document.createElement("input"); task.id = "lesson-dialog-task"; task.type = "text";
    task.placeholder = "e.g. Find weights with zero loss";  // its length: taskLength (no maxLength: UTF-16 units)
    const count = document.createElement("span"); count.id = "lesson-dialog-count"; count.className = "hint small";
    count.setAttribute("aria-live", "polite");
    const cut = document.createElement("span"); cut.id = "lesson-dialog-cut"; cut.className = "hint small";
    taskLabel.append(tl, task, count, cut);
    const kept = document.createElement("p"); kept.id = "lesson-dialog-kept"; kept.className = "lesson-kept"; kept.hidden = true;
    const csv = document.createElement("p"); csv.id = "lesson-dialog-csv"; csv.className = "lesson-kept"; csv.hidden = true;
    const presetLabel = document.createElement("label"); presetLabel.className = "field wide";
    const pl = document.createElement("span"); pl.className = "label"; pl.textContent = "Exercise";
    const preset = document.createElement("select"); preset.id = "lesson-dialog-preset";
    preset.setAttribute("aria-label", "Exercise");
    preset.add(new Option("none (this page's settings only)", ""));
    for (const [name, p] of Object.entries(lessons.table.presets)) preset.add(new Option(p.title, name));
    const presetWhy = document.createElement("span"); presetWhy.id = "lesson-dialog-preset-why";
    presetWhy.className = "hint small";
    presetLabel.append(pl, preset, presetWhy);
    const grid = document.createElement("div"); grid.className = "lesson-grid";
    for (const [name, label] of Object.entries(lessons.table.controls)) {
      const row = document.createElement("label"); row.className = "lesson-row";
      const span = document.createElement("span"); span.textContent = label;
      const sel = document.createElement("select"); sel.dataset.control = name;
      sel.setAttribute("aria-label", `${label}: shown, locked or hidden`);
      for (const [v, t] of [["show", "shown"], ["lock", "locked"], ["hide", "hidden"]]) sel.add(new Option(t, v));
      row.append(span, sel);
      grid.appendChild(row);
    }
    const out = document.createElement("input"); out.id = "lesson-dialog-url"; out.type = "text";
    out.readOnly = true; out.setAttribute("aria-label", "Lesson link");
    const copy = document.createElement("button"); copy.className = "pill"; copy.textContent = "Copy link";
    copy.id = "lesson-dialog-copy";
    const close = document.createElement("button"); close.className = "pill"; close.textContent = "Close";
    close.id = "lesson-dialog-close";
    const copied = document.createElement("span"); copied.id = "lesson-dialog-copied"; copied.className = "hint small";
    copied.setAttribute("role", "status");
    const row = document.createElement("div"); row.className = "row"; row.append(copy, close, copied);
    const useless = document.createElement("p"); useless.id = "lesson-dialog-useless"; useless.className = "lesson-kept";
    useless.hidden = true; useless.setAttribute("aria-live", "polite");
    dlg.append(h, hint, kept, csv, useless, taskLabel, presetLabel, out, row, grid);  // the link first: phones scroll
    document.body.appendChild(dlg);
    dlg.addEventListener("input", lessons.updateLink);
    dlg.addEventListener("change", lessons.updateLink);
    copy.onclick = lessons.copyLink;
    close.onclick = () => dlg.close();
    return dlg;
  },

  // a lesson's part of a link, as lessons.py's to_url writes it
  part(l) {
    const parts = [];
    if (l.preset) parts.push(`lesson=${l.preset}`);
    if (l.hide.length) parts.push(`hide=${l.hide.join(",")}`);
    if (l.lock.length) parts.push(`lock=${l.lock.join(",")}`);
    if (l.task) parts.push(`task=${encodeURIComponent(l.task)}`);
    return parts.join("&");
  },

  linkFromDialog() {
    const hide = [], lock = [], l = lessons.lesson;
    for (const sel of document.querySelectorAll("#lesson-dialog select[data-control]")) {
      const name = sel.dataset.control;
      // the page's own lesson is kept whatever a row says (openDialog disables those choices)
      if (sel.value === "hide" || l.hide.includes(name)) hide.push(name);
      else if (sel.value === "lock" || l.lock.includes(name)) lock.push(name);
    }
    // as the server will keep it (taskClean): what the students see, within the link's bound
    const task = taskClean($("lesson-dialog-task").value, lessons.table.max_marks);
    const chosen = $("lesson-dialog-preset").value;  // never one the page is not set up as
    const mine = !lessons.shut("presets") || chosen === lessons.current;
    const preset = chosen && mine && lessons.setUpAs(chosen) ? chosen : "";
    if (chosen !== preset) $("lesson-dialog-preset").value = preset;  // shows what the link says
    const part = lessons.part({preset, hide, lock, task});
    const base = lessons.baseHash || location.hash.replace(/^#/, "");
    return `${location.origin}${location.pathname}#${[base, part].filter(Boolean).join("&")}`;
  },

  updateLink() {
    $("lesson-dialog-url").value = lessons.linkFromDialog();
    lessons.solutionRow();
    // a control left shown that another one's lock makes useless (locks.py's REFUSED_WITH:
    // every upload is refused while the dataset is locked): said before the link is copied
    const how = (name) => document.querySelector(`#lesson-dialog select[data-control="${name}"]`)?.value;
    const label = (n) => lessons.table.controls[n] || n;
    const said = [];
    for (const [name, others] of Object.entries(lessons.table.refused_with || {})) {
      const by = how(name) === "show" && others.find((o) => how(o) !== "show");
      if (by) said.push(`“${label(name)}” is shown but does nothing: every use of it is refused while ` +
        `“${label(by)}” is ${how(by) === "hide" ? "hidden" : "locked"}. Students see it disabled; lock or hide it too.`);
    }
    $("lesson-dialog-useless").textContent = said.join(" ");
    $("lesson-dialog-useless").hidden = !said.length;
    // the task counted as the server counts it (lessons.py's _task, its task_rule): characters
    // (code points) after NFC, with invisible characters removed and spaces collapsed
    const n = taskLength($("lesson-dialog-task").value, lessons.table.max_marks), max = lessons.table.max_task;
    const over = n > max;
    const count = $("lesson-dialog-count");
    count.textContent = over ? `${n} characters: the task may have at most ${max} (counted after Unicode NFC ` +
      `normalisation, invisible characters not counted); shorten it by ${n - max} to copy the link.` : `${n} / ${max} characters`;
    count.classList.toggle("error", over);
    $("lesson-dialog-copy").disabled = over;
  },

  // Show solution exists where the exercise has the lecture's exact weights (ŷ = |x − 1|
  // only: no other exercise has weights a student could check as exact); elsewhere its row
  // says there is none, not "shown" for a button students never get (tenth teacher, on XOR)
  solutionRow() {
    const sel = document.querySelector('#lesson-dialog select[data-control="solution"]');
    if (!sel) return;
    const p = lessons.table.presets[$("lesson-dialog-preset").value];
    const none = !(p && p.solution), label = lessons.table.controls.solution;
    const said = none ? `${label}: none in this link (only the ŷ = |x − 1| exercise has a solution)` : label;
    sel.previousElementSibling.textContent = said;
    sel.setAttribute("aria-label", `${said}: shown, locked or hidden`);
    sel.closest(".lesson-row").classList.toggle("no-solution", none);
  },

  copyLink() {
    const out = $("lesson-dialog-url");
    const said = $("lesson-dialog-copied");
    const done = () => { said.textContent = "Copied."; };
    const fallback = () => {
      out.focus(); out.select();
      said.textContent = document.execCommand && document.execCommand("copy") ? "Copied." : "Select the link and copy it (Ctrl+C).";
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(out.value).then(done, fallback);
    else fallback();
  }
});

// A task as the server keeps it (lessons.py's _task, task_rule "nfc_code_points"): format
// characters (Cf) other than the zero-width joiners and the blanks (Hangul fillers, Braille
// blank) removed, control characters made spaces (not unassigned ones: Python may not know
// a newer emoji), Unicode NFC, runs of white space one space, trimmed, combining marks past
// `maxMarks` in a row removed. The dialog puts this text in the link, so that the link
// carries at most 12 encoded characters per counted one (the server's MAX_ENCODED).
function taskClean(text, maxMarks = 4) {
  const kept = text.replace(/[\p{Cf}\u115f\u1160\u3164\uffa0\u2800]/gu, (c) => (c === "\u200c" || c === "\u200d" ? c : ""))
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\p{Co}]/gu, " ");
  let out = "", run = 0;
  for (const c of kept.normalize("NFC").replace(/\s+/gu, " ").trim()) {
    run = /[\p{Mn}\p{Me}]/u.test(c) ? run + 1 : 0;
    if (run <= maxMarks) out += c;
  }
  return out;
}
// its length, counted in characters (code points), not in UTF-16 units (an emoji is 1, not
// 2; NFC can make a text longer: U+0958 is 2)
function taskLength(text, maxMarks = 4) { return [...taskClean(text, maxMarks)].length; }
