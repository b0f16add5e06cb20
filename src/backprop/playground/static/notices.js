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

// A notice at `anchor` (below it, or above it when the screen ends first), or at the foot of
// the screen without one: always in view. It lets the pointer through, and goes at the next
// click or key, or after a while.
function notice(text, anchor, kind = "note") {
  let box = $("notice");
  if (!box) {
    box = document.createElement("div");
    box.id = "notice"; box.className = "notice"; box.setAttribute("role", "alert");
    document.body.appendChild(box);
    const away = (e) => {
      if (box.hidden || Date.now() - Number(box.dataset.at) < 300) return;  // the click that made it
      if (e.type === "keydown" && e.key !== "Escape" && e.key !== "Tab") return;
      box.hidden = true;
    };
    document.addEventListener("pointerdown", away, true);
    document.addEventListener("keydown", away, true);
  }
  clearTimeout(app.noticeTimer);
  box.textContent = text;
  box.className = "notice " + kind;
  box.dataset.at = String(Date.now());
  box.hidden = false;
  const z = Number(document.documentElement.style.zoom) || 1;
  const vw = innerWidth / z, vh = innerHeight / z, w = box.offsetWidth, h = box.offsetHeight;
  let left = (vw - w) / 2, top = vh - h - 12;
  const r = anchor && anchor.getBoundingClientRect();
  if (r && r.bottom > 0 && r.top < innerHeight && (r.width || r.height)) {
    const a = {left: r.left / z, top: r.top / z, bottom: r.bottom / z};
    left = Math.max(8, Math.min(a.left, vw - w - 8));
    top = a.bottom + 6 + h <= vh - 4 ? a.bottom + 6 : Math.max(4, a.top - h - 6);
  }
  box.style.left = left + "px"; box.style.top = top + "px";
  app.noticeTimer = setTimeout(() => { box.hidden = true; }, 10000);
}

// Training that stopped on its own (the epochs set, the stop loss, a notebook spec's epoch
// count, a divergence) says why beside ▶, once, and ▶'s tooltip keeps it: the status line
// may be out of view (a phone, a notebook's frame).
function stopNotice(s) {
  const why = s.stopped || "";
  $("play").title = why ? `${why} Press to go on.` : "Play / pause";
  if (why && why !== app.lastStopped && !s.running) {
    notice(s.diverged ? why : `${why} ▶ trains on from here; Reset starts again from epoch 0.`, $("play"), s.diverged ? "error" : "note");
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
