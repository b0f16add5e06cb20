// backprop playground — the weight/bias editor (opened by a click on a link or a bias, or
// by a neuron's Enter), the enlarged neuron on hover or focus, and the lecture's names for
// weights and biases (w[l]ᵢⱼ, b[l]ⱼ). Uses app.js, draw.js and network.js.
"use strict";

// The lecture's notation: W[l] maps layer l−1 to layer l, w[l]ᵢⱼ from neuron i to neuron j
// (1-based), b[l]ⱼ; indices past 9 are separated by a comma (w[1]₁₀,₃).
const SUB = "₀₁₂₃₄₅₆₇₈₉";
function sub(...ns) {
  const parts = ns.map((n) => String(n).split("").map((c) => SUB[Number(c)]).join(""));
  return parts.join(ns.some((n) => n > 9) ? "," : "");
}
function weightName(t) {
  return t.kind === "bias" ? `b[${t.layer}]${sub(t.row + 1)}` : `w[${t.layer}]${sub(t.col + 1, t.row + 1)}`;
}
function targetText(t) {
  const L = app.snap.layers.length;
  const to = t.layer === L ? `output ${t.row + 1}` : `neuron ${t.row + 1} of layer ${t.layer}`;
  if (t.kind === "bias") return `bias ${weightName(t)} of ${to}`;
  const from = t.layer === 1 ? featureLabel(t.col) : `neuron ${t.col + 1} of layer ${t.layer - 1}`;
  return `weight ${weightName(t)}: ${from} → ${to}`;
}

// What a lesson link leaves: typing weights ("" when it may be typed, else "locked" or
// "hidden"), and the backward view's numbers (∂E/∂w, mean |δ|, the ‖∂E/∂W[l]‖ chart), gone
// with its checkbox unless the link turned the view on.
function typingShut() { return window.lessons && lessons.shut ? lessons.shut("weights") : ""; }
function backwardShown() {
  return !(window.lessons && lessons.shut && lessons.shut("view") === "hidden") || (app.state && app.state.view === "gradients");
}
// the words a tooltip ends with: how to change the value, or that the lesson locks it
function changeHint(how) {
  const shut = typingShut();
  return shut ? ` (typing values is ${shut} by this lesson)` : ` (${how} to change)`;
}

// the refusal of a locked value says the value: as it is now, on every snapshot
function lockedText(target, shut) {
  const lay = app.snap.layers[target.layer - 1];
  const held = target.kind === "bias" ? (lay.b ? lay.b[target.row] : 0) : lay.w[target.row][target.col];
  return `${weightName(target)} = ${fmt(held, 4)}. Typing weights and biases is ${shut} by this lesson link. ` +
    lessons.byTeacher();
}
// A notice about a value follows the value: the status line and the notice (while up) say
// the value the snapshot holds, not the one at the click (training moves it: b[1]₁ said
// 0.2742 while the tooltip said −0.9766); another network, or another status, ends it.
function lockedFollow(s) {
  const n = app.lockedNote, shut = typingShut();
  if (!n) return;
  const status = $("status"), box = $("notice");
  const target = n.target, lay = s.layers[target.layer - 1];
  const fits = shut && lay && target.row < lay.w.length && (target.kind === "bias" || target.col < lay.w[0].length);
  if (!fits || status.textContent !== n.text) {  // the status said something else since
    if (box && !box.hidden && box.textContent === n.text) { box.hidden = true; echoed(); }
    app.lockedNote = null;
    return;
  }
  const text = lockedText(target, shut);
  if (text === n.text) return;
  setStatus(text, "note");
  if (box && !box.hidden && box.textContent === n.text) { box.textContent = text; echoed(); }
  n.text = text;
}

// ------------------------------------------------------------- editor and hover card
function openEditor(ev, target) {
  // every way in (a link's click, a bias, a neuron's Enter) stops here when a lesson link
  // locks or hides typing weights: said beside what was clicked and in the status line, no
  // editor that cannot be used
  const shut = typingShut();
  if (shut) {  // the value is still shown (a phone has no hover: its tap is the looking)
    const text = lockedText(target, shut);
    setStatus(text, "note");
    notice(text, (ev.target instanceof Element && ev.target) || app.editReturn, "note");
    app.lockedNote = {target, text};  // followed as training moves the value (lockedFollow)
    app.editReturn = null;
    return;
  }
  const ed = $("editor");
  // the editor takes the enlarged neuron's place and the link's tooltip goes with it
  hideHover(); hideLinkTip(); app.tapped = null;
  app.editing = {...target, net: app.snap.net};  // the network it is typed on
  // training waits while a value is typed (the value shown would be old when Set) and goes
  // on when the editor closes; the snapshot after the pause puts the value it stopped at
  if (app.snap.running) { send("pause"); app.editing.resume = true; }
  const lay = app.snap.layers[target.layer - 1];
  const value = target.kind === "bias" ? (lay.b ? lay.b[target.row] : 0) : lay.w[target.row][target.col];
  const name = targetText(target);
  $("editor-label").textContent = name[0].toUpperCase() + name.slice(1);
  editorMessage("");
  const inp = $("editor-input");
  // its accessible name says which value (it was only "Value"); the label above says the rest
  inp.setAttribute("aria-label", `${weightName(target)} value`);
  inp.setAttribute("aria-describedby", "editor-label");
  inp.value = String(value);
  app.editing.shown = inp.value;  // Enter on it unchanged sends nothing (it is rounded)
  const host = ed.parentElement.getBoundingClientRect();
  const z = zoom();
  ed.style.left = Math.max(0, Math.min((ev.clientX - host.left) / z, host.width / z - 220)) + "px";
  ed.style.top = ((ev.clientY - host.top) / z + 10) + "px";
  ed.hidden = false;
  inp.focus(); inp.select();
}
function closeEditor() {
  const back = app.editReturn;
  if (app.editing && app.editing.resume) send("play");  // paused for the editor (openEditor)
  $("editor").hidden = true; app.editing = null; app.editReturn = null;
  if (back && back.isConnected) back.focus();
}
// a value the server would refuse stays in the open editor with the reason beside it
const EDIT_LIMIT = 10000;  // protocol.py's range for a typed weight or bias
function commitEdit() {
  const t = app.editing;
  if (!t) return;
  const raw = $("editor-input").value.trim();
  if (raw === t.shown) { closeEditor(); return; }  // not typed: the network keeps its value
  // a decimal number (a decimal comma too: 0,5), no hex (0x1F) and no thousands
  // separators: "1,000" could be one thousand or one, so it is refused, not guessed
  const plain = /^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/.test(raw) && !/^[+-]?\d{1,3},\d{3}$/.test(raw);
  const v = plain ? Number(raw.replace(",", ".")) : NaN;
  const what = t.kind === "bias" ? "A bias" : "A weight";
  if (raw === "" || !Number.isFinite(v)) {
    editorMessage(`Type a decimal number, e.g. 0.5, -1.2 or 1e-3 (no thousands separators, no hex); got “${raw.slice(0, 20)}”.`);
    return;
  }
  // judged on the text: a nonzero value that reads as 0 (1e-400) is not typed as 0
  if (v === 0 && /[1-9]/.test(raw.split(/[eE]/)[0])) {
    editorMessage(`${raw.slice(0, 20)} is not 0 but too small for the network's numbers (it would be stored as 0); type 0 for zero, or a value of at least 1.1754944e-38 in size.`);
    return;
  }
  if (Math.abs(v) > EDIT_LIMIT) {
    editorMessage(`${what} must be between −${EDIT_LIMIT} and ${EDIT_LIMIT}; ${raw.slice(0, 20)} is outside. Type a smaller value.`);
    return;
  }
  const {shown, waiting, resume, ...target} = t;  // eslint-disable-line no-unused-vars
  editorMessage("");
  // open until the server answers: a refusal ("edit: …") is shown in it, beside the value,
  // even while training (the status line is cleared by the next snapshot); "edited" and
  // the snapshot after it close it (editAnswered)
  t.waiting = {accepted: false};
  send("edit", {...target, value: v});
}
// the server set the value ("edited"); the next snapshot drawn shows it
function editAccepted() {
  if (app.editing && app.editing.waiting) app.editing.waiting.accepted = true;
}
// after a snapshot is drawn: an accepted edit closes the editor, and a neuron that opened
// it from the keyboard says the new value (its name and the live region)
function editAnswered() {
  const t = app.editing;
  if (t && (!app.snap || app.snap.net !== t.net)) { editorGone(); return; }
  const inp = $("editor-input");
  if (t && !t.waiting && inp.value === t.shown) {  // untyped: the value the network holds now
    const lay = app.snap.layers[t.layer - 1];
    const now = String(t.kind === "bias" ? (lay.b ? lay.b[t.row] : 0) : lay.w[t.row][t.col]);
    const all = inp.selectionStart === 0 && inp.selectionEnd === inp.value.length;
    if (now !== t.shown) { inp.value = t.shown = now; if (all) inp.select(); }
  }
  if (!t || !t.waiting || !t.waiting.accepted) return;
  const back = app.editReturn;
  closeEditor();
  const k = app.keyLink;
  if (back && back.isConnected && k && k.layer === t.layer && k.row === t.row && back === document.activeElement) {
    sayKeyLink(back, t.layer, t.row);
  }
}
// the network the editor was opened on is gone (a new link, shape, exercise, Reset): the
// editor closes and says so; a value typed there is never set on another network (P1)
function editorGone() {
  if (!app.editing) return;
  const name = weightName(app.editing);
  app.editing.resume = false;  // a new network starts paused
  closeEditor();
  setStatus(`The editor for ${name} closed: the network changed (a new link, shape, exercise or Reset), so nothing typed was set. Open it again on the network shown now.`, "note");
}
function editorMessage(text) {
  if (app.editing) app.editing.waiting = null;  // answered (refused), or typed again
  const m = $("editor-msg");
  m.textContent = text;
  m.hidden = !text;
  if (text) $("editor-input").focus();
}

function hideHover() { $("hover").hidden = true; app.hovered = null; }

function showHover(node, l, j) {
  const s = app.snap, d = app.data;
  if (!s || app.editing) return;  // no card over (or beside) the open editor
  app.hovered = {node, l, j};
  const card = $("hover"), c = $("hover-canvas");
  card.hidden = false;
  fitCanvas(c);  // as many pixels as the screen shows: smooth when enlarged
  if (d.dims === 2) paintGrid(c, decode(s.heatmap.neurons[l - 1][j]), s.heatmap.neuron_size, neuronPaint(s, l, j));
  else drawMiniCurve(c, s.curve.neurons[l - 1][j]);
  const lay = s.layers[l - 1];
  const isOut = l === s.layers.length;
  const k = app.keyLink && app.keyLink.layer === l && app.keyLink.row === j ? app.keyLink : null;
  const shut = typingShut();
  const chosen = !k ? "" : (k.kind === "bias" ? " · chosen: bias" : ` · chosen: ${linkText(k)}`) + changeHint("Enter");
  const how = shut ? (node.matches(":focus-visible") ? " · ←/→ choose the bias or a link to read it" : "")
    : matchMedia("(hover: none)").matches ? " · tap a link or the small square (the bias) to change it"
      : node.matches(":focus-visible") ? " · ←/→ choose the bias or a link, Enter to change it" : "";
  $("hover-text").textContent = `${isOut ? "output " + (j + 1) : `layer ${l}, neuron ${j + 1}`} · ` +
    setting("activation", `${lay.activation} · `, "") + `${weightName({kind: "bias", layer: l, row: j})} = ${fmt(lay.b ? lay.b[j] : 0, 3)}` +
    (backwardShown() ? ` · mean |δ| = ${fmt(lay.delta[j], 4)}` : "") + (chosen || how);
  const host = card.parentElement.getBoundingClientRect(), r = node.getBoundingClientRect(), z = zoom();
  let left = (r.right - host.left) / z + 12, top = Math.max(0, (r.top - host.top) / z - 40);
  if (left + 180 > host.width / z) {  // no room on the right: below the neuron, off its links
    left = Math.max(0, Math.min((r.left - host.left) / z - 40, host.width / z - 180));
    top = (r.bottom - host.top) / z + 10;
  }
  card.style.left = left + "px";
  card.style.top = top + "px";
  card.hidden = false;
}
