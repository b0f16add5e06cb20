// The playground page: the dataset buttons and their previews, the choice lists, the
// presentation size, the sliders' texts, and the 1-D presets kept apart from the 2-D
// settings. Plain functions on the page's globals (app, $ from app.js, which loads after
// this file and calls them).
"use strict";

function buildChoices() {
  const lr = $("lr"); lr.innerHTML = "";
  for (const v of app.choices.lr) lr.add(new Option(String(v), String(v)));
  const rr = $("reg_rate"); rr.innerHTML = "";
  for (const v of app.choices.reg_rate) rr.add(new Option(String(v), String(v)));
}

function buildDatasets() {
  const box = $("datasets");
  box.innerHTML = "";
  const names = [...CLASS_SETS, ...REG_SETS, "csv"];
  for (const name of names) {
    const b = document.createElement("button");
    b.className = "dataset";
    b.dataset.name = name;
    b.setAttribute("aria-label", "Dataset " + (DATASET_LABELS[name] || name));
    b.title = DATASET_LABELS[name] || name;
    const c = document.createElement("canvas");
    c.width = 48; c.height = 48;
    b.appendChild(c);
    if (name !== "csv") drawPreview(c, app.previews[name], name);
    else { b.classList.add("csv"); b.hidden = true; }
    b.onclick = () => {
      if (name === "csv") return;
      $("data-error").textContent = "";
      app.datasetClicked = name;  // its preset, if any, is said when the state comes (keep2d)
      send("set", {changes: datasetChanges(name, app.state)});
    };
    box.appendChild(b);
  }
}
// sensible starting points for the lecture's 1-D sets (the 2-D sets keep the user's network)
const PRESETS = {
  square: {hidden: [8, 8], activation: ["relu", "relu"], optimizer: "adam", lr: 0.1, batch_size: 2000, noise: 10},
  abs: {hidden: [2], activation: ["relu"], optimizer: "adam", lr: 0.03, batch_size: 2000},
  sine: {hidden: [8], activation: ["tanh"], optimizer: "adam", lr: 0.03, batch_size: 2000, noise: 10},
};

function drawPreview(canvas, prev, name) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width;
  ctx.fillStyle = "#fbfbfa"; ctx.fillRect(0, 0, W, W);
  if (!prev) return;
  const pts = prev.points;
  if (prev.dims === 2) {
    const reg = REG_SETS.includes(name);
    for (const [a, b, y] of pts) {
      const px = (a + 6) / 12 * W, py = (6 - b) / 12 * W;
      const c = reg ? diverging(Math.max(-1, Math.min(1, y))) : CLASS_COLORS[y % 5];
      ctx.fillStyle = rgb(c); ctx.fillRect(px - 1.2, py - 1.2, 2.4, 2.4);
    }
  } else {
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
    ctx.fillStyle = rgb(POS);
    for (const [a, b] of pts) {
      ctx.fillRect(3 + (a - x0) / (x1 - x0) * (W - 6) - 1, W - 3 - (b - y0) / (y1 - y0 || 1) * (W - 6) - 1, 2, 2);
    }
  }
}

// Presentation size: the whole page zoomed so the 1280 × 800 layout fills the screen (a
// 1920 × 1080 projector: 1.35×), never below 1×, and no more than keeps the network's
// charts (loss, ‖∂E/∂W[l]‖ and its legend) on the screen without scrolling.
// It is this browser's choice for its screen, kept across reloads (localStorage), never
// in a link: a link carries the experiment, and students open it on laptops and phones.
const PRESENT_KEY = "backprop-playground-present";
function present() {
  const on = $("present").getAttribute("aria-pressed") === "true";
  try { if (on) localStorage.setItem(PRESENT_KEY, "1"); else localStorage.removeItem(PRESENT_KEY); } catch (e) { /* storage off */ }
  document.body.classList.toggle("present", on);
  setZoom(on ? Math.max(1, Math.min(innerWidth / 1280, innerHeight / 800)) : 1);
  if (on) fitPresent();
  app.shape = "";
  if (app.snap && app.data) drawAll(app.snap);
}
// a reload keeps the size chosen on this browser (the notebook's widget has no such button)
document.addEventListener("DOMContentLoaded", () => {
  let kept = false;
  try { kept = localStorage.getItem(PRESENT_KEY) === "1"; } catch (e) { /* storage off */ }
  if (kept && $("present")) { $("present").setAttribute("aria-pressed", "true"); present(); }
});
function setZoom(z) { document.documentElement.style.zoom = z === 1 ? "" : z.toFixed(3); }
// the zoom that keeps the charts in view (rectangles are in zoomed pixels); true if changed
function fitPresent() {
  if (!document.body.classList.contains("present")) return false;
  let changed = false;
  // a new zoom re-wraps the text above the charts: fitted again until it holds (3 rounds)
  for (let round = 0; round < 3; round++) {
    const z = Number(document.documentElement.style.zoom) || 1;
    // the lower of the two charts' legends (a lesson may hide the gradient chart)
    // and every line under them (the loss chart's note wraps to a second line with 6 layers
    // at 1920: it was left past the bottom edge, the page scrolled 79 px)
    // and the network's card's edge below them
    const legends = [...document.querySelectorAll(".net-col .charts .legend-line, .net-col .charts > *, .net-col")]
      .filter((e) => e.offsetParent);
    if (!legends.length) return changed;
    const bottom = Math.max(...legends.map((e) => e.getBoundingClientRect().bottom)) + scrollY + 6;
    const best = Math.max(1, Math.min(innerWidth / 1280, innerHeight / 800, z * innerHeight / bottom));
    if (Math.abs(best - z) < 0.01) return changed;
    setZoom(best);
    changed = true;
  }
  return changed;
}

// A control that does not apply to the data looks disabled and says why on its wrapper
// (a lesson's lock is another thing: locked.js marks it with aria-disabled, never disabled).
function offFor(el, why) {
  const box = el.closest(".control, .checks > label") || el;
  if (why && !el.dataset.offWhy) {
    el.dataset.offWhy = el.disabled ? "kept" : "1";
    el.disabled = true;
    box.classList.add("not-applied");
  } else if (!why && el.dataset.offWhy) {
    if (el.dataset.offWhy === "1") el.disabled = false;
    delete el.dataset.offWhy;
    box.classList.remove("not-applied");
  }
  if (why) box.title = why; else if (box.title && !el.dataset.offWhy) box.title = "";
}
// Settings of the built-in sets only (the server's CSV_IGNORES: noise; classes' row is not
// shown for a CSV) look disabled with an uploaded CSV; Discretize is for the 2-D heatmap.
function notApplied(state) {
  offFor($("noise"), state.dataset === "csv" ? "Noise is for the built-in sets: an uploaded CSV's points are the file's." : "");
  const d = app.data, oneD = d && d.dims === 1;
  offFor($("discretize"), oneD ? "Discretize output colours the 2-D heatmap by class or sign; a 1-D set is drawn as a curve, so it changes nothing here." : "");
}

function showSlider(id, v) {
  if (id === "train_ratio") $("train_ratio-out").textContent = v + "%";
  else if (id === "batch_size") {
    const n = app.data ? app.data.n_train : 0;
    $("batch_size-out").textContent = v > 100 || (n && v >= n) ? setting("train_ratio", `all (${n})`, "all") : String(v);
  } else if (id === "noise") $("noise-out").textContent = noiseText(v);
  else $(id + "-out").textContent = String(v);
}
// The noise slider in its unit: for the lecture's 1-D sets a percentage of the set's scale,
// the standard deviation added to y (y = x²: 10 % is σ = 1, the lecture's randn); for the
// 2-D sets TF Playground's percentage of the points' spread.
function noiseText(v) {
  const ds = app.state && app.state.dataset;
  const scale = app.choices && app.choices.noise_scale && app.choices.noise_scale[ds];
  return scale ? `${v} % (σ = ${Number((v * scale / 100).toPrecision(3))} added to y)` : `${v} %`;
}

// The 1-D presets (network, features, optimizer, batch, noise) stay with the 1-D sets:
// entering one keeps the user's 2-D settings, leaving it (by a dataset button, the problem
// type or a link) brings them back, or the defaults when the page opened on a 1-D set.
const KEPT_2D = ["hidden", "activation", "features", "optimizer", "lr", "batch_size", "noise"];
const ONE_D = (st) => ["square", "abs", "sine"].includes(st.dataset);
// Returns the note a 1-D dataset button's preset gets (it replaced the user's settings:
// said, not silent), or "".
function keep2d(before, state) {
  if (!before || !app.choices) return "";
  const clicked = app.datasetClicked === state.dataset;
  app.datasetClicked = "";
  if (!ONE_D(before) && ONE_D(state)) {
    app.kept2d = Object.fromEntries(KEPT_2D.map((k) => [k, before[k]]));
    return clicked ? presetNote(before, state) : "";
  } else if (ONE_D(before) && !ONE_D(state) && state.dataset !== "csv") {
    const changes = kept2dChanges(state);  // none after a dataset button: it sent them
    app.kept2d = null;
    if (Object.keys(changes).length) send("set", {changes});
  }
  return "";
}
// "y = sin x set its own settings: network 8 Tanh, optimizer Adam, …; your settings come back
// with a 2-D dataset." Only what changed, and no setting a lesson hides (lessons.setting).
function presetNote(before, state) {
  const hides = (c) => window.lessons && lessons.shut && lessons.shut(c) === "hidden";
  const said = [];
  const moved = (k) => JSON.stringify(before[k]) !== JSON.stringify(state[k]);
  if ((moved("hidden") || moved("activation")) && !hides("network") && !hides("activation")) {
    const acts = [...new Set(state.activation)].map((a) => ACT_LABELS[a] || a).join("/");
    said.push(`network ${state.hidden.join("-")} ${acts}`);
  }
  if (moved("optimizer") && !hides("optimizer")) said.push(`optimizer ${[...$("optimizer").options].find((o) => o.value === state.optimizer)?.textContent || state.optimizer}`);
  if (moved("lr") && !hides("lr")) said.push(`learning rate ${state.lr}`);
  if (moved("batch_size") && !hides("batch_size")) said.push(`batch size ${state.batch_size > 100 ? "all" : state.batch_size}`);
  if (moved("noise") && !hides("noise")) said.push(`noise ${state.noise} %`);
  if (!said.length) return "";
  return `${DATASET_LABELS[state.dataset] || state.dataset} set its own starting settings: ${said.join(", ")}. ` +
    "Your previous settings come back when you choose a 2-D dataset.";
}
// the user's 2-D settings that differ from `state` (the defaults if the page opened on 1-D)
function kept2dChanges(state) {
  const kept = app.kept2d || Object.fromEntries(KEPT_2D.map((k) => [k, app.choices.defaults[k]]));
  return Object.fromEntries(KEPT_2D.filter((k) => JSON.stringify(kept[k]) !== JSON.stringify(state[k])).map((k) => [k, kept[k]]));
}
// What dataset button `name` sends from state `st`, as ONE change the server takes or refuses
// whole: entering a 1-D set brings its preset, leaving one for a 2-D set brings back the
// user's 2-D settings. They went as a second message after the dataset, so with the network
// locked the data changed and the network was refused (half a change). lessons.js's
// datasetBlocked judges the same changes.
function datasetChanges(name, st) {
  const changes = {dataset: name};
  if (PRESETS[name] && st.dataset !== name) Object.assign(changes, PRESETS[name]);
  else if (!PRESETS[name] && ONE_D(st) && name !== "csv" && app.choices) Object.assign(changes, kept2dChanges(st));
  return changes;
}

// An uploaded CSV's plot names its axes by the file's columns (the 1-D plot had none: which
// was temperature, which yield?): → the first feature column, ↑ the second one on the 2-D
// heatmap, or the target a regression's curve draws.
function plotAxisNames() {
  const d = app.data, el = $("plot-axes");
  const cols = d.feature_names || [];
  const up = d.dims === 2 ? cols[1] : (d.task === "regression" ? d.target_name : "");
  const said = app.state.dataset === "csv" && cols.length ? `→ ${cols[0]}` + (up ? ` · ↑ ${up}` : "") : "";
  el.textContent = said;
  el.hidden = !said;
}
