// backprop playground — what the page says back: the status line, the data panel's error,
// the banner of a lost connection, and the notice beside the control a refusal answers
// (a phone's status line can be 2,000 px below the button that was tapped). Uses app.js's
// `$` and `app`; loads before it.
"use strict";

function showBanner(text, reconnect) {
  const b = $("banner");
  b.textContent = text;
  if (reconnect) {
    const btn = document.createElement("button");
    btn.className = "pill"; btn.textContent = "Reconnect"; btn.setAttribute("aria-label", "Reconnect");
    btn.onclick = () => { hideBanner(); connect(); };
    b.appendChild(btn);
  }
  b.hidden = false;
}
function hideBanner() { $("banner").hidden = true; }

// A server's refusal: in the status line (or the data panel's line) as before, and beside
// the control the user just used, where it is seen on every screen size.
function showError(text, field) {
  const dataFields = ["dataset", "noise", "train_ratio", "classes", "n", "seed", "batch_size"];
  const isData = /^upload|csv/i.test(text) || dataFields.includes(field);
  if (isData) $("data-error").textContent = text;
  else setStatus(text, "error");
  notice(text, recentControl(), "error");
}
function setStatus(text, kind) {
  const s = $("status");
  s.textContent = text || "";
  s.className = "status" + (kind ? " " + kind : "");
  echoed();
}
// A refusal is drawn once: while the notice beside the control says it, the status line's
// copy is not drawn (the tenth teacher saw one twice, below the network and in Output); it
// is drawn again when the notice goes (the status line keeps it for the record)
function echoed() {
  const box = $("notice"), s = $("status");
  s.classList.toggle("echo", !!box && !box.hidden && s.textContent !== "" && box.textContent === s.textContent);
}

// The control the user last clicked, changed or pressed Enter on (a refusal from the server
// follows it within a moment), if it is still on the page.
const ANSWER_MS = 5000;
function remember(e) {
  const el = e.target instanceof Element && e.target.closest("button, select, input, label, .node, path, [aria-disabled]");
  if (el) app.lastControl = {el, at: Date.now()};
}
document.addEventListener("click", remember, true);
document.addEventListener("change", remember, true);
document.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") remember(e); }, true);
function recentControl() {
  const c = app.lastControl;
  return c && c.el.isConnected && Date.now() - c.at < ANSWER_MS ? c.el : null;
}

// A notice answers the control at `anchor` in the page's flow, never over it: right after
// the row the control sits in (the top bar, the exercises bar, a slider, a row of buttons),
// or right below the network for a feature, neuron, link or layer head inside it; without a
// control, below the top bar. What is below it moves down while it is up; the control used
// never moves: it covers no control and no tooltip, and a click lands where it is aimed (a notice laid over the page covered the
// exercises for 10 s and let clicks through it). It is scrolled into view, and goes after
// the next click has landed, at Escape or Tab, or when the state it is about is replaced
// (another network: a new exercise, Reset, a new dataset; a stop notice also when training
// goes on): `noticeStale`.
const NOTICE_ROWS = "header.bar, .lesson-bar, .net-head, .editor, .control, .row, .checks, .datasets";
function notice(text, anchor, kind = "note", about = "") {
  let box = $("notice");
  if (!box) {
    box = document.createElement("div");
    box.id = "notice"; box.className = "notice"; box.setAttribute("role", "alert");
    const away = (e) => {
      if (box.hidden || Date.now() - Number(box.dataset.at) < 300) return;  // the click that made it
      if (e.type === "keydown" && e.key !== "Escape" && e.key !== "Tab") return;
      box.hidden = true; echoed();
    };
    document.addEventListener("click", away);  // bubbling: after the click's own work
    document.addEventListener("keydown", away, true);
  }
  const el = anchor && anchor.isConnected ? anchor : null;
  const net = el && el.closest(".network");
  const row = !net && el && el.closest(NOTICE_ROWS);
  if (net) net.after(box);
  else (row || document.querySelector("header.bar")).after(box);
  box.textContent = text;
  box.className = "notice " + kind;
  box.dataset.at = String(Date.now());
  box.dataset.net = app.snap ? String(app.snap.net) : "";
  box.dataset.about = about;
  box.hidden = false; echoed();
  box.scrollIntoView({block: "nearest"});
}
// a notice about a network that is no longer the page's, or a stop that no longer holds
function noticeStale(s) {
  const box = $("notice");
  if (!box || box.hidden) return;
  const stop = box.dataset.about === "stop" && (s.running || (s.stopped || "") !== box.dataset.why);
  if (stop || (box.dataset.net && box.dataset.net !== String(s.net))) { box.hidden = true; echoed(); }
}

// Training that stopped on its own (the epochs set, the stop loss, a notebook spec's epoch
// count, a divergence) says why below the top bar, once, and ▶'s tooltip keeps it: the status line
// may be out of view (a phone, a notebook's frame).
function stopNotice(s) {
  noticeStale(s);
  const why = s.stopped || "";
  $("play").title = why ? `${why} Press to go on.` : "Play / pause";
  if (why && why !== app.lastStopped && !s.running) {
    // a stop the lesson locks or hides holds (locks.hold_stop): only Reset goes on
    const held = window.lessons && lessons.shut("stop");
    const next = held ? "Reset starts again from epoch 0." : "▶ trains on from here; Reset starts again from epoch 0.";
    notice(s.diverged ? why : `${why} ${next}`, $("play"), s.diverged ? "error" : "note", "stop");
    $("notice").dataset.why = why;
  }
  app.lastStopped = why;
}

// A regression's training loss that is not 0 only by float32's rounding (typed exact
// weights: |x − 1|'s 5.40e-15) says so in the status line, however the weights came.
const ROUNDING = "The training loss is zero up to float32 rounding: the network computes in float32 " +
  "(about 7 significant digits), so even exact weights leave errors of about 1e-7 per point.";
function roundingNote(s) {
  const d = app.data, m = s.metrics, st = $("status");
  if (d.yMax === undefined) d.yMax = Math.max(1, ...d.train.map((p) => Math.abs(p[p.length - 1])));
  const tiny = d.task === "regression" && m.loss > 0 && typeof m.rmse === "number" && m.rmse < 1e-6 * d.yMax;
  const text = st.textContent, has = text.includes(ROUNDING);
  if (tiny && !has && !st.classList.contains("error")) setStatus(text ? `${text} ${ROUNDING}` : ROUNDING, "note");
  else if (!tiny && has) {
    const rest = text.replace(ROUNDING, "").trim();
    setStatus(rest, rest ? "note" : "");
  }
}

// What clears a note (docs/playground.md, notes.py): a note about the weights (the |x − 1|
// solution's measured loss, what the next Step does) goes when a snapshot shows other weights
// (a Step, training, an edit, Reset, a new network); a note about the data (a CSV's
// standardised target) when a data message brings other data (an upload, another dataset).
// Others stay until the next note replaces them. `held`: the state message's, as shown.
function holdNotes(msg) {
  if (!(msg.notes && msg.notes.length)) return;  // the status line kept what it said
  const text = $("status").textContent;
  app.held = (msg.held || []).filter((h) => text.includes(h.text));
}
function endHeld(ends, at) {
  const gone = (app.held || []).filter((h) => h.ends === ends && String(h.at) !== String(at));
  if (!gone.length) return;
  app.held = app.held.filter((h) => !gone.includes(h));
  const st = $("status");
  let text = st.textContent;
  for (const h of gone) text = text.replace(h.text, "");
  text = text.replace(/\s{2,}/g, " ").trim();
  if (text !== st.textContent) setStatus(text, text ? (st.classList.contains("error") ? "error" : "note") : "");
}
