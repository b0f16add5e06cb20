// backprop playground — the page. It draws what the server sends and sends what the user
// does; all training happens on the server (backprop's δ engine). No build step.
"use strict";

const V = 1;
const NEG = [232, 113, 10];   // orange: negative / class 0
const MID = [246, 246, 244];  // near white: zero
const POS = [26, 115, 184];   // blue: positive / class 1
const CLASS_COLORS = [[232, 113, 10], [26, 115, 184], [46, 157, 91], [156, 77, 204], [214, 51, 108]];
const LAYER_COLORS = ["#1a73b8", "#2e9d5b", "#e8710a", "#9c4dcc", "#d6336c", "#00897b", "#795548", "#546e7a", "#c0ca33"];
const ACT_LABELS = {relu: "ReLU", tanh: "Tanh", sigmoid: "Sigmoid", linear: "Linear",
  leaky_relu: "Leaky ReLU", elu: "ELU", gelu: "GELU", softplus: "Softplus"};
const DATASET_LABELS = {circle: "Circle", xor: "Exclusive or", gauss: "Gaussian", spiral: "Spiral",
  plane: "Plane", multigauss: "Multi Gaussian", square: "y = x² (lecture)", abs: "y = |x − 1| (lecture)",
  sine: "y = sin x", csv: "Uploaded CSV"};
const CLASS_SETS = ["circle", "xor", "gauss", "spiral"];
const REG_SETS = ["plane", "multigauss", "square", "abs", "sine"];

const $ = (id) => document.getElementById(id);
const app = {
  ws: null, state: null, data: null, snap: null, choices: null, previews: null,
  pendingSnap: null, drawing: false, shape: "", lastHash: "", closedByServer: false,
};
window.playground = app;  // for the curious (and for tests): the last state and snapshot

// ---------------------------------------------------------------- colours and decoding
function mix(a, b, t) {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}
function diverging(t) {  // t in [-1, 1]
  return t < 0 ? mix(MID, NEG, Math.min(1, -t)) : mix(MID, POS, Math.min(1, t));
}
function rgb(c, a) {
  const s = `${Math.round(c[0])},${Math.round(c[1])},${Math.round(c[2])}`;
  return a === undefined ? `rgb(${s})` : `rgba(${s},${a})`;
}
function decode(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
const toUnit = (q) => q / 127.5 - 1;  // byte 0..255 back to [-1, 1]

function pointColor(label, kind) {
  if (kind === "classes") return CLASS_COLORS[label % CLASS_COLORS.length];
  if (kind === "binary") return label > 0.5 ? POS : NEG;
  const [lo, hi] = app.data.range;
  return diverging(2 * (label - lo) / (hi - lo) - 1);
}

// Paint a size×size grid of bytes into a canvas (scaled, smoothed unless discrete).
function paintGrid(canvas, bytes, size, opts = {}) {
  const off = document.createElement("canvas");
  off.width = size; off.height = size;
  const octx = off.getContext("2d");
  const img = octx.createImageData(size, size);
  const discrete = !!opts.discrete;
  for (let i = 0; i < size * size; i++) {
    let c;
    let t = toUnit(bytes[i]);
    if (opts.cls) {
      const base = CLASS_COLORS[opts.cls[i] % CLASS_COLORS.length];
      c = discrete ? mix(MID, base, 0.75) : mix(MID, base, 0.2 + 0.6 * (t + 1) / 2);
    } else {
      if (discrete) t = t >= 0 ? 0.75 : -0.75;
      c = diverging(t);
    }
    img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2];
    img.data[4 * i + 3] = 255;
  }
  octx.putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = !discrete;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4)) return x.toExponential(2);
  return x.toFixed(digits);
}

// ---------------------------------------------------------------------------- socket
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/ws`);
  app.ws = ws;
  ws.onopen = () => {
    hideBanner();
    send("hello", {url: parseHash()});
  };
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    onMessage(msg);
  };
  ws.onclose = (ev) => {
    setPlaying(false);
    if (ev.code === 1009) showBanner("The server closed the connection: a message was too large (the CSV file?). ", true);
    else if (!app.closedByServer) showBanner("Disconnected from the playground server. Is it still running? ", true);
  };
}
function send(type, fields = {}) {
  if (app.ws && app.ws.readyState === WebSocket.OPEN) app.ws.send(JSON.stringify({v: V, type, ...fields}));
}
function parseHash() {
  const out = {};
  const h = location.hash.replace(/^#/, "");
  if (!h) return out;
  for (const part of h.split("&")) {
    const i = part.indexOf("=");
    if (i > 0) out[decodeURIComponent(part.slice(0, i))] = part.slice(i + 1);
  }
  return out;
}
function setHash(hash) {
  if (hash && hash !== app.lastHash) {
    app.lastHash = hash;
    history.replaceState(null, "", "#" + hash);
  }
}
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

function onMessage(msg) {
  switch (msg.type) {
    case "ready":
      app.choices = msg.choices; app.previews = msg.previews;
      buildChoices(); buildDatasets();
      applyState(msg.state, msg.hash, msg.notes);
      break;
    case "state": applyState(msg.state, msg.hash, msg.notes); break;
    case "data": app.data = msg; onData(); break;
    case "snapshot": queueSnapshot(msg); break;
    case "export": download(msg); break;
    case "error":
      showError(msg.message, msg.field);
      if (msg.fatal) { app.closedByServer = true; showBanner(msg.message, false); }
      break;
    default: break;
  }
}

function showError(text, field) {
  const dataFields = ["dataset", "noise", "train_ratio", "classes", "n", "seed", "batch_size"];
  const isData = /^upload|csv/i.test(text) || dataFields.includes(field);
  if (isData) $("data-error").textContent = text;
  else setStatus(text, "error");
}
function setStatus(text, kind) {
  const s = $("status");
  s.textContent = text || "";
  s.className = "status" + (kind ? " " + kind : "");
}

// ----------------------------------------------------------------------------- controls
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
      const changes = {dataset: name};
      const preset = PRESETS[name];
      if (preset && app.state.dataset !== name) Object.assign(changes, preset);
      send("set", {changes});
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

function bindControls() {
  $("play").onclick = () => send(app.snap && app.snap.running ? "pause" : "play");
  $("step").onclick = () => send("step", {unit: "epoch"});
  $("step-batch").onclick = () => send("step", {unit: "batch"});
  $("reset").onclick = () => send("reset");
  $("regenerate").onclick = () => { $("data-error").textContent = ""; send("regenerate"); };
  $("lr").onchange = (e) => send("set", {changes: {lr: Number(e.target.value)}});
  $("reg_rate").onchange = (e) => send("set", {changes: {reg_rate: Number(e.target.value)}});
  $("regularization").onchange = (e) => send("set", {changes: {regularization: e.target.value}});
  $("problem").onchange = (e) => send("set", {changes: {problem: e.target.value}});
  $("optimizer").onchange = (e) => send("set", {changes: {optimizer: e.target.value}});
  $("loss").onchange = (e) => send("set", {changes: {loss: e.target.value}});
  $("speed").onchange = (e) => send("set", {changes: {speed: e.target.value}});
  $("activation-all").onchange = (e) => {
    const n = app.state.hidden.length;
    send("set", {changes: {activation: Array(Math.max(1, n)).fill(e.target.value)}});
  };
  for (const id of ["train_ratio", "noise", "classes", "batch_size"]) {
    const el = $(id);
    el.oninput = () => showSlider(id, Number(el.value));
    el.onchange = () => {
      let v = Number(el.value);
      if (id === "batch_size" && v > 100) v = 2000;
      send("set", {changes: {[id]: v}});
    };
  }
  for (const id of ["show_test", "discretize"]) {
    $(id).onchange = (e) => send("set", {changes: {[id]: e.target.checked}});
  }
  $("view-gradients").onchange = (e) => send("set", {changes: {view: e.target.checked ? "gradients" : "weights"}});
  const num = (id, parse) => {
    $(id).onchange = (e) => {
      const raw = e.target.value.trim();
      const v = raw === "" ? 0 : parse(raw);
      if (Number.isNaN(v)) { setStatus(`${id}: not a number`, "error"); return; }
      send("set", {changes: {[id]: v}});
    };
  };
  num("stop_epochs", (s) => parseInt(s, 10));
  num("stop_loss", Number);
  num("seed", (s) => parseInt(s, 10));
  $("add-layer").onclick = () => {
    const h = app.state.hidden;
    if (h.length >= app.choices.max_layers) return;
    const acts = app.state.activation;
    send("set", {changes: {hidden: [...h, 2], activation: [...acts, acts.length ? acts[acts.length - 1] : "tanh"]}});
  };
  $("remove-layer").onclick = () => {
    const h = app.state.hidden;
    if (!h.length) return;
    send("set", {changes: {hidden: h.slice(0, -1), activation: app.state.activation.slice(0, -1)}});
  };
  $("csv").onchange = uploadCsv;
  $("export-model").onclick = () => send("export", {what: "model"});
  $("export-spec").onclick = () => send("export", {what: "spec"});
  $("editor-ok").onclick = commitEdit;
  $("editor-input").onkeydown = (e) => {
    if (e.key === "Enter") commitEdit();
    if (e.key === "Escape") closeEditor();
  };
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeEditor(); });
  window.addEventListener("resize", () => { app.shape = ""; if (app.snap) drawAll(app.snap); });
}

function showSlider(id, v) {
  if (id === "train_ratio") $("train_ratio-out").textContent = v + "%";
  else if (id === "batch_size") {
    const n = app.data ? app.data.n_train : 0;
    $("batch_size-out").textContent = v > 100 || (n && v >= n) ? `all (${n})` : String(v);
  } else $(id + "-out").textContent = String(v);
}

function applyState(state, hash, notes) {
  app.state = state;
  setHash(hash);
  $("lr").value = String(state.lr);
  if ($("lr").value !== String(state.lr)) { $("lr").add(new Option(String(state.lr), String(state.lr))); $("lr").value = String(state.lr); }
  $("reg_rate").value = String(state.reg_rate);
  if ($("reg_rate").value !== String(state.reg_rate)) { $("reg_rate").add(new Option(String(state.reg_rate), String(state.reg_rate))); $("reg_rate").value = String(state.reg_rate); }
  $("regularization").value = state.regularization;
  $("problem").value = state.problem;
  $("optimizer").value = state.optimizer;
  $("speed").value = state.speed;
  const acts = new Set(state.activation);
  $("activation-all").value = acts.size === 1 ? state.activation[0] : (acts.size === 0 ? "tanh" : "mixed");
  for (const id of ["train_ratio", "noise", "classes"]) { $(id).value = state[id]; showSlider(id, state[id]); }
  $("batch_size").value = state.batch_size > 100 ? 101 : state.batch_size;
  showSlider("batch_size", Number($("batch_size").value));
  $("show_test").checked = state.show_test;
  $("discretize").checked = state.discretize;
  $("view-gradients").checked = state.view === "gradients";
  $("stop_epochs").value = state.stop_epochs || "";
  $("stop_loss").value = state.stop_loss || "";
  $("seed").value = state.seed;
  $("classes-row").hidden = !["gauss", "spiral"].includes(state.dataset);
  $("layer-count").textContent = state.hidden.length;
  $("layer-count").parentElement.lastChild.textContent = state.hidden.length === 1 ? " hidden layer" : " hidden layers";
  for (const b of document.querySelectorAll(".dataset")) {
    const name = b.dataset.name;
    const on = name === state.dataset;
    b.classList.toggle("selected", on);
    b.setAttribute("aria-pressed", on ? "true" : "false");
    const ofProblem = name === "csv" ? on : (state.problem === "classification" ? CLASS_SETS : REG_SETS).includes(name);
    b.hidden = !ofProblem;
  }
  if (notes && notes.length) setStatus(notes.join(" "), "note");
  app.shape = "";
  if (app.snap) drawAll(app.snap);
}

function buildLossOptions() {
  const sel = $("loss");
  sel.innerHTML = "";
  const d = app.data;
  const options = d.task === "regression" ? ["mse", "half_mse", "l1", "huber"]
    : (d.classes === 2 ? ["bce_with_logits", "cross_entropy"] : ["cross_entropy"]);
  const names = {mse: "MSE (mean, no ½)", half_mse: "½·MSE (the lecture's E)", l1: "L1 (mean |ŷ − y|)", huber: "Huber",
    bce_with_logits: "Binary cross-entropy", cross_entropy: "Cross-entropy (softmax)"};
  sel.add(new Option(`auto (${names[d.loss]})`, "auto"));
  for (const o of options) sel.add(new Option(names[o], o));
  sel.value = options.includes(app.state.loss) ? app.state.loss : "auto";
  $("loss-note").textContent = (app.choices.loss_labels[d.loss] || "") +
    (d.kind === "binary" ? "; one output unit (the logit) for 2 classes."
      : d.kind === "classes" ? `; ${d.classes} output units, one per class.` : ".");
}

function onData() {
  const d = app.data;
  buildLossOptions();
  const csvBtn = document.querySelector(".dataset.csv");
  if (csvBtn) { csvBtn.hidden = d.name === undefined || app.state.dataset !== "csv"; }
  const parts = [`${d.n_train} training and ${d.n_test} test points`];
  if (d.task === "classification") parts.push(`${d.classes} classes`);
  if (app.state.dataset === "csv") parts.unshift(`${d.name}.csv: ${d.feature_names.join(", ")}`);
  $("data-info").textContent = parts.join(" · ");
  $("metric-name").textContent = d.task === "classification" ? "Test accuracy" : "Test RMSE";
  drawColorbar();
  app.shape = "";
  if (app.snap) drawAll(app.snap);
}

// ------------------------------------------------------------------------- snapshots
function queueSnapshot(msg) {
  app.pendingSnap = msg;
  if (!app.drawing) {
    app.drawing = true;
    requestAnimationFrame(() => {
      app.drawing = false;
      const s = app.pendingSnap;
      app.pendingSnap = null;
      if (!s) return;
      app.snap = s;
      if (app.state && app.data) drawAll(s);
      send("ack", {seq: s.seq});
    });
  }
}

function setPlaying(on) {
  const b = $("play");
  b.classList.toggle("playing", on);
  b.setAttribute("aria-label", on ? "Pause" : "Play");
}

function drawAll(s) {
  setPlaying(s.running);
  const e = $("epoch");
  e.textContent = String(s.epoch).padStart(6, "0").replace(/(\d{3})(\d{3})$/, "$1,$2");
  e.dataset.value = s.epoch;
  $("steps-line").textContent = `step ${s.steps.toLocaleString("en")} · batch ${s.batch_size}`;
  const m = s.metrics;
  setOut("train-loss", m.loss);
  setOut("test-loss", m.test_loss !== undefined ? m.test_loss : null);
  const metric = app.data.task === "classification" ? (m.test_accuracy ?? m.accuracy) : (m.test_rmse ?? m.rmse);
  setOut("test-metric", metric, app.data.task === "classification");
  if (s.stopped) setStatus(s.stopped, s.diverged ? "error" : "note");
  else if ($("status").classList.contains("error") || $("status").classList.contains("diverged")) setStatus("");
  drawCurve(s.history);
  drawGradnorm(s.grad_history, s.layers.length);
  drawNetwork(s);
  if (app.data.dims === 2) drawHeatmap(s); else drawFunction(s);
}

function setOut(id, v, percent) {
  const el = $(id);
  el.dataset.value = v === null || v === undefined ? "" : String(v);
  el.textContent = v === null || v === undefined ? "–" : (percent ? (100 * v).toFixed(1) + "%" : fmt(v));
}

function drawCurve(h) {
  const c = $("curve"), ctx = c.getContext("2d");
  fitCanvas(c);
  const W = c.width, H = c.height;
  ctx.clearRect(0, 0, W, H);
  const all = [...h.train, ...h.test].filter((v) => v !== null && Number.isFinite(v));
  if (!all.length || h.epochs.length < 1) return;
  const top = Math.max(...all) * 1.05 || 1;
  const x0 = h.epochs[0], x1 = Math.max(h.epochs[h.epochs.length - 1], x0 + 1);
  const X = (e) => 2 + (e - x0) / (x1 - x0) * (W - 4);
  const Y = (v) => H - 2 - v / top * (H - 6);
  const line = (vals, color, width) => {
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.beginPath();
    let started = false;
    vals.forEach((v, i) => {
      if (v === null) return;
      if (!started) { ctx.moveTo(X(h.epochs[i]), Y(v)); started = true; } else ctx.lineTo(X(h.epochs[i]), Y(v));
    });
    ctx.stroke();
  };
  ctx.strokeStyle = "#e3e3e0"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(0, H - 1.5); ctx.lineTo(W, H - 1.5); ctx.stroke();
  line(h.test, "#b0b0aa", 1.5);
  line(h.train, "#222", 1.5);
  ctx.fillStyle = "#888"; ctx.font = `${10 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.fillText(fmt(top, 2), 4, 11 * devicePixelRatio);
}

function drawGradnorm(g, nLayers) {
  const c = $("gradnorm"), ctx = c.getContext("2d");
  fitCanvas(c);
  const W = c.width, H = c.height;
  ctx.clearRect(0, 0, W, H);
  const legend = $("gradnorm-legend");
  const stamp = String(nLayers);
  if (legend.dataset.key !== stamp) {
    legend.dataset.key = stamp;
    legend.innerHTML = "";
    for (let l = 0; l < nLayers; l++) {
      legend.appendChild(key(LAYER_COLORS[l % LAYER_COLORS.length], l + 1 === nLayers ? "output" : "layer " + (l + 1), "swatch"));
    }
  }
  const vals = g.norms.flat().filter((v) => v !== null && v > 0);
  if (!vals.length) return;
  let lo = Math.log10(Math.min(...vals)), hi = Math.log10(Math.max(...vals));
  if (hi - lo < 1) { lo -= 0.5; hi += 0.5; }
  const x0 = g.epochs[0], x1 = Math.max(g.epochs[g.epochs.length - 1], x0 + 1);
  const X = (e) => 30 * devicePixelRatio + (e - x0) / (x1 - x0) * (W - 34 * devicePixelRatio);
  const Y = (v) => H - 4 - (Math.log10(v) - lo) / (hi - lo) * (H - 10);
  ctx.fillStyle = "#999"; ctx.font = `${9 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.fillText("1e" + Math.round(hi), 2, 10 * devicePixelRatio);
  ctx.fillText("1e" + Math.round(lo), 2, H - 4);
  for (let l = 0; l < nLayers; l++) {
    ctx.strokeStyle = LAYER_COLORS[l % LAYER_COLORS.length]; ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.beginPath();
    let started = false;
    g.norms.forEach((row, i) => {
      const v = row[l];
      if (v === null || v === undefined || v <= 0) return;
      if (g.epochs.length === 1) { ctx.fillStyle = ctx.strokeStyle; ctx.fillRect(X(g.epochs[i]) - 2, Y(v) - 2, 4, 4); }
      if (!started) { ctx.moveTo(X(g.epochs[i]), Y(v)); started = true; } else ctx.lineTo(X(g.epochs[i]), Y(v));
    });
    ctx.stroke();
  }
}

function fitCanvas(c) {
  const r = c.getBoundingClientRect();
  const w = Math.max(10, Math.round(r.width * devicePixelRatio)), h = Math.max(10, Math.round(r.height * devicePixelRatio));
  if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
}

// -------------------------------------------------------------------- output drawing
function drawHeatmap(s) {
  const c = $("heatmap");
  fitCanvas(c);
  const hm = s.heatmap;
  paintGrid(c, decode(hm.values), hm.size, {discrete: app.state.discretize, cls: hm.cls ? decode(hm.cls) : null});
  const ctx = c.getContext("2d");
  const [x0, x1, y0, y1] = app.data.domain;
  const W = c.width, H = c.height, r = 2.6 * devicePixelRatio;
  const X = (a) => (a - x0) / (x1 - x0) * W, Y = (b) => (y1 - b) / (y1 - y0) * H;
  const dot = (p, test) => {
    ctx.beginPath(); ctx.arc(X(p[0]), Y(p[1]), r, 0, 2 * Math.PI);
    ctx.fillStyle = rgb(pointColor(p[2], app.data.kind));
    ctx.fill();
    ctx.lineWidth = devicePixelRatio;
    ctx.strokeStyle = test ? "#111" : "#fff";
    ctx.stroke();
  };
  for (const p of app.data.train) dot(p, false);
  if (app.state.show_test) for (const p of app.data.test) dot(p, true);
  axes(ctx, W, H, x0, x1, y0, y1);
}

function axes(ctx, W, H, x0, x1, y0, y1) {
  ctx.fillStyle = "rgba(60,60,60,0.75)";
  ctx.font = `${10 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.fillText(fmt(x0, 1), 3, H - 4);
  const t = fmt(x1, 1);
  ctx.fillText(t, W - ctx.measureText(t).width - 3, H - 4);
  if (y1 !== y0) ctx.fillText(fmt(y1, 1), 3, 12 * devicePixelRatio);
}

function drawFunction(s) {
  const c = $("heatmap");
  fitCanvas(c);
  const ctx = c.getContext("2d");
  const W = c.width, H = c.height, d = app.data, cv = s.curve;
  ctx.fillStyle = "#fbfbfa"; ctx.fillRect(0, 0, W, H);
  const ys = [...d.train.map((p) => p[1]), ...d.test.map((p) => p[1])];
  let lo = Math.min(...ys), hi = Math.max(...ys);
  const pad = (hi - lo) * 0.08 || 1; lo -= pad; hi += pad;
  const [x0, x1] = d.domain;
  const X = (a) => (a - x0) / (x1 - x0) * W, Y = (b) => H - (b - lo) / (hi - lo) * H;
  // grid line at y = 0 and x = 0
  ctx.strokeStyle = "#e4e4e0"; ctx.lineWidth = devicePixelRatio;
  if (lo < 0 && hi > 0) { ctx.beginPath(); ctx.moveTo(0, Y(0)); ctx.lineTo(W, Y(0)); ctx.stroke(); }
  if (x0 < 0 && x1 > 0) { ctx.beginPath(); ctx.moveTo(X(0), 0); ctx.lineTo(X(0), H); ctx.stroke(); }
  const r = 2.4 * devicePixelRatio;
  const dot = (p, color, stroke) => {
    ctx.beginPath(); ctx.arc(X(p[0]), Y(p[1]), r, 0, 2 * Math.PI);
    ctx.fillStyle = color; ctx.fill();
    if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = devicePixelRatio; ctx.stroke(); }
  };
  for (const p of d.train) dot(p, rgb(POS, 0.55));
  if (app.state.show_test) for (const p of d.test) dot(p, rgb(NEG, 0.6));
  if (d.target_curve) {
    ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.strokeStyle = "#777"; ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.beginPath();
    d.target_curve.forEach((p, i) => (i ? ctx.lineTo(X(p[0]), Y(p[1])) : ctx.moveTo(X(p[0]), Y(p[1]))));
    ctx.stroke(); ctx.setLineDash([]);
  }
  ctx.strokeStyle = "#111"; ctx.lineWidth = 2.2 * devicePixelRatio;
  ctx.beginPath();
  cv.x.forEach((a, i) => {
    const b = Math.max(lo - (hi - lo), Math.min(hi + (hi - lo), cv.y[i]));
    i ? ctx.lineTo(X(a), Y(b)) : ctx.moveTo(X(a), Y(b));
  });
  ctx.stroke();
  for (const k of cv.kinks) {  // each ReLU's kink: where its input f crosses zero
    if (k.x === null) continue;
    const px = X(k.x);
    ctx.fillStyle = LAYER_COLORS[(k.layer - 1) % LAYER_COLORS.length];
    ctx.beginPath(); ctx.moveTo(px, H - 1); ctx.lineTo(px - 5 * devicePixelRatio, H - 9 * devicePixelRatio);
    ctx.lineTo(px + 5 * devicePixelRatio, H - 9 * devicePixelRatio); ctx.closePath(); ctx.fill();
    ctx.strokeStyle = rgb([0, 0, 0], 0.12); ctx.lineWidth = devicePixelRatio;
    ctx.beginPath(); ctx.moveTo(px, 0); ctx.lineTo(px, H - 9 * devicePixelRatio); ctx.stroke();
  }
  axes(ctx, W, H, x0, x1, hi, hi);
  ctx.fillStyle = "rgba(60,60,60,0.75)";
  ctx.fillText(`${fmt(hi, 1)}`, 3, 12 * devicePixelRatio);
  ctx.fillText(`${fmt(lo, 1)}`, 3, H - 16 * devicePixelRatio);
}

function key(color, text, cls = "dot") {
  const s = document.createElement("span");
  s.className = "key";
  const i = document.createElement("i");
  i.className = cls;
  if (color) i.style.background = color;
  s.append(i, document.createTextNode(text));
  return s;
}

function drawColorbar() {
  const bar = $("colorbar"), d = app.data;
  bar.innerHTML = "";
  if (d.dims === 1) {
    bar.append(key(rgb(POS), "training"), key(rgb(NEG), "test"), key(null, "target", "dash"),
      key(null, "network", "line"), key(null, "ReLU kinks", "tri"));
    return;
  }
  if (d.kind === "classes" || d.kind === "binary") {
    const n = d.kind === "binary" ? 2 : d.classes;
    for (let k = 0; k < n; k++) {
      const c = d.kind === "binary" ? (k ? POS : NEG) : CLASS_COLORS[k];
      bar.appendChild(key(rgb(c), `class ${d.class_names[k] ?? k}`));
    }
    return;
  }
  const [lo, hi] = d.range;
  const a = document.createElement("span"); a.textContent = fmt(lo, 1);
  const r = document.createElement("span"); r.className = "ramp";
  const b = document.createElement("span"); b.textContent = fmt(hi, 1);
  bar.append(a, r, b);
}

// --------------------------------------------------------------------------- network
function nodeSize(maxNeurons) {
  return maxNeurons <= 6 ? 40 : maxNeurons <= 10 ? 30 : 22;
}

function buildNetwork(s) {
  const cols = $("net-columns");
  cols.innerHTML = "";
  const d = app.data, st = app.state;
  const maxN = Math.max(d.features.length, ...s.sizes.slice(1));
  const size = nodeSize(maxN);
  cols.style.setProperty("--node", size + "px");
  cols.classList.toggle("grad", st.view === "gradients");
  // features column
  const fc = column("features");
  for (const f of d.features) {
    const on = st.features.includes(f.name);
    const node = document.createElement("button");
    node.className = "node feature" + (on ? " on" : "");
    node.dataset.feature = f.name;
    node.setAttribute("aria-pressed", on ? "true" : "false");
    node.setAttribute("aria-label", `Feature ${f.label}`);
    node.title = `${f.label}: click to ${on ? "remove" : "add"}`;
    const c = document.createElement("canvas"); c.width = size * 2; c.height = size * 2;
    node.appendChild(c);
    const lab = document.createElement("span"); lab.className = "flabel"; lab.textContent = f.label;
    node.appendChild(lab);
    node.onclick = () => {
      const next = on ? st.features.filter((x) => x !== f.name) : [...st.features, f.name];
      if (!next.length) { setStatus("Keep at least one input feature switched on.", "error"); return; }
      const order = d.features.map((x) => x.name).filter((x) => next.includes(x));
      send("set", {changes: {features: order}});
    };
    fc.body.appendChild(node);
  }
  cols.appendChild(fc.el);
  // hidden layers and output
  const L = s.layers.length;
  for (let l = 1; l <= L; l++) {
    const isOut = l === L;
    const col = column(isOut ? "output" : "hidden");
    if (!isOut) {
      const head = document.createElement("div"); head.className = "layer-head";
      const add = tinyButton("+", `Add neuron to layer ${l}`, () => changeNeurons(l - 1, +1));
      const rem = tinyButton("−", `Remove neuron from layer ${l}`, () => changeNeurons(l - 1, -1));
      const cnt = document.createElement("span"); cnt.className = "count"; cnt.textContent = `${s.sizes[l]} neuron${s.sizes[l] === 1 ? "" : "s"}`;
      const sel = document.createElement("select"); sel.className = "layer-act";
      sel.setAttribute("aria-label", `Activation of layer ${l}`);
      for (const a of app.choices.activation) sel.add(new Option(ACT_LABELS[a] || a, a));
      sel.value = st.activation[l - 1];
      sel.onchange = () => {
        const acts = [...st.activation]; acts[l - 1] = sel.value;
        send("set", {changes: {activation: acts}});
      };
      head.append(add, rem, cnt, sel);
      col.head.appendChild(head);
    } else {
      const head = document.createElement("div"); head.className = "layer-head";
      head.innerHTML = `<span class="count">output</span>`;
      col.head.appendChild(head);
    }
    for (let j = 0; j < s.sizes[l]; j++) {
      const node = document.createElement("div");
      node.className = "node neuron" + (isOut ? " out" : "");
      node.dataset.layer = l; node.dataset.neuron = j;
      node.setAttribute("aria-label", isOut ? `Output ${j + 1}` : `Neuron ${j + 1} of layer ${l}`);
      const c = document.createElement("canvas"); c.width = size * 2; c.height = size * 2;
      node.appendChild(c);
      const bias = document.createElement("button");
      bias.className = "bias"; bias.setAttribute("aria-label", `Bias of neuron ${j + 1} in layer ${l}`);
      bias.onclick = (e) => { e.stopPropagation(); openEditor(e, {kind: "bias", layer: l, row: j}); };
      node.appendChild(bias);
      const dl = document.createElement("span"); dl.className = "delta"; node.appendChild(dl);
      node.onmouseenter = () => showHover(node, l, j);
      node.onmouseleave = () => { $("hover").hidden = true; };
      col.body.appendChild(node);
    }
    cols.appendChild(col.el);
  }
}

function column(kind) {
  const el = document.createElement("div"); el.className = "net-col-" + kind + " layer";
  const head = document.createElement("div"); head.className = "layer-top";
  const body = document.createElement("div"); body.className = "layer-body";
  el.append(head, body);
  return {el, head, body};
}
function tinyButton(text, label, fn) {
  const b = document.createElement("button");
  b.className = "round tiny"; b.textContent = text; b.setAttribute("aria-label", label); b.title = label;
  b.onclick = fn;
  return b;
}
function changeNeurons(i, delta) {
  const h = [...app.state.hidden];
  const v = h[i] + delta;
  if (v < 1 || v > app.choices.max_neurons) return;
  h[i] = v;
  send("set", {changes: {hidden: h}});
}

function drawNetwork(s) {
  const shape = JSON.stringify([s.sizes, app.state.features, app.state.activation, app.state.view, app.data.dims, app.data.features.length]);
  if (shape !== app.shape) { buildNetwork(s); app.shape = shape; drawFeatureThumbs(); }
  const d = app.data;
  // neurons
  for (const node of document.querySelectorAll(".node.neuron")) {
    const l = Number(node.dataset.layer), j = Number(node.dataset.neuron);
    const c = node.querySelector("canvas");
    if (d.dims === 2) paintGrid(c, decode(s.heatmap.neurons[l - 1][j]), s.heatmap.neuron_size, {discrete: false});
    else drawMiniCurve(c, s.curve.neurons[l - 1][j]);
    const lay = s.layers[l - 1];
    const b = node.querySelector(".bias");
    const bv = lay.b ? lay.b[j] : 0;
    const grad = app.state.view === "gradients";
    const shown = grad ? (lay.gb ? lay.gb[j] : 0) : bv;
    b.style.background = rgb(diverging(Math.max(-1, Math.min(1, grad ? Math.sign(shown) * Math.min(1, Math.abs(shown) * 20) : shown))));
    b.title = `bias b = ${fmt(bv, 4)}` + (lay.gb ? `, ∂E/∂b = ${fmt(lay.gb[j], 4)}` : "") + " (click to change)";
    const dl = node.querySelector(".delta");
    dl.textContent = grad ? `δ ${fmt(lay.delta[j], 2)}` : "";
    node.title = `layer ${l}, neuron ${j + 1}: mean |δ| = ${fmt(lay.delta[j], 4)}`;
  }
  drawLinks(s);
}

function drawFeatureThumbs() {
  const d = app.data;
  for (const node of document.querySelectorAll(".node.feature")) {
    const c = node.querySelector("canvas");
    const f = node.dataset.feature;
    if (d.dims === 2) paintGrid(c, decode(d.feature_thumbs[f]), d.thumb_size, {});
    else drawMiniCurve(c, d.feature_curves[f]);
  }
}

function drawMiniCurve(c, ys) {
  const ctx = c.getContext("2d"), W = c.width, H = c.height;
  ctx.fillStyle = "#fbfbfa"; ctx.fillRect(0, 0, W, H);
  const v = ys.filter((y) => y !== null);
  if (!v.length) return;
  let lo = Math.min(...v), hi = Math.max(...v);
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  ctx.strokeStyle = rgb(POS); ctx.lineWidth = 2;
  ctx.beginPath();
  ys.forEach((y, i) => {
    const px = 2 + i / (ys.length - 1) * (W - 4), py = H - 3 - (y - lo) / (hi - lo) * (H - 6);
    i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
  });
  ctx.stroke();
}

function center(el, box, side) {
  const r = el.getBoundingClientRect();
  return {x: (side === "right" ? r.right : side === "left" ? r.left : r.left + r.width / 2) - box.left,
    y: r.top + r.height / 2 - box.top};
}

function drawLinks(s) {
  const svg = $("links");
  const net = $("network");
  const box = net.getBoundingClientRect();
  svg.setAttribute("width", box.width); svg.setAttribute("height", box.height);
  svg.setAttribute("viewBox", `0 0 ${box.width} ${box.height}`);
  const grad = app.state.view === "gradients";
  const inputs = [...document.querySelectorAll(".node.feature.on")];
  const layers = [];
  for (let l = 1; l <= s.layers.length; l++) layers.push([...document.querySelectorAll(`.node.neuron[data-layer="${l}"]`)]);
  let scale = 1;
  if (grad) {
    let m = 0;
    for (const lay of s.layers) for (const row of lay.gw) for (const v of row) if (v !== null) m = Math.max(m, Math.abs(v));
    scale = m > 0 ? 1 / m : 1;
  }
  const parts = [];
  for (let l = 0; l < s.layers.length; l++) {
    const from = l === 0 ? inputs : layers[l - 1];
    const to = layers[l];
    const W = grad ? s.layers[l].gw : s.layers[l].w;
    for (let j = 0; j < to.length; j++) {
      const b = center(to[j], box, "left");
      for (let i = 0; i < from.length; i++) {
        const a = center(from[i], box, "right");
        const v = W[j][i];
        if (v === null) continue;
        const t = grad ? v * scale : v;
        const width = grad ? 0.6 + 5 * Math.abs(t) : Math.min(7, 0.5 + 2.2 * Math.abs(v));
        const color = rgb(t >= 0 ? POS : NEG, grad ? 0.25 + 0.75 * Math.abs(t) : Math.min(1, 0.35 + 0.5 * Math.abs(v)));
        const mx = (a.x + b.x) / 2;
        const path = `M${a.x.toFixed(1)},${a.y.toFixed(1)} C${mx.toFixed(1)},${a.y.toFixed(1)} ${mx.toFixed(1)},${b.y.toFixed(1)} ${b.x.toFixed(1)},${b.y.toFixed(1)}`;
        const title = `w[${l + 1}] from ${i + 1} to ${j + 1}: ${fmt(s.layers[l].w[j][i], 4)}; ∂E/∂w = ${fmt(s.layers[l].gw[j][i], 4)} (click to change)`;
        parts.push(`<path class="link${v === 0 && !grad ? " dead" : ""}" d="${path}" stroke="${color}" stroke-width="${width.toFixed(2)}" data-layer="${l + 1}" data-row="${j}" data-col="${i}"><title>${title}</title></path>`);
        parts.push(`<path class="hit" d="${path}" data-layer="${l + 1}" data-row="${j}" data-col="${i}" aria-label="Weight from ${i + 1} to ${j + 1} in layer ${l + 1}"><title>${title}</title></path>`);
      }
    }
  }
  svg.innerHTML = parts.join("");
  for (const p of svg.querySelectorAll("path.hit")) {
    p.onclick = (e) => openEditor(e, {kind: "weight", layer: Number(p.dataset.layer), row: Number(p.dataset.row), col: Number(p.dataset.col)});
  }
}

// ------------------------------------------------------------- editor and hover card
function openEditor(ev, target) {
  const ed = $("editor");
  app.editing = target;
  const lay = app.snap.layers[target.layer - 1];
  const value = target.kind === "bias" ? (lay.b ? lay.b[target.row] : 0) : lay.w[target.row][target.col];
  $("editor-label").textContent = target.kind === "bias"
    ? `Bias of neuron ${target.row + 1}, layer ${target.layer}`
    : `Weight ${target.col + 1} → ${target.row + 1}, layer ${target.layer}`;
  const inp = $("editor-input");
  inp.value = String(value);
  const host = ed.parentElement.getBoundingClientRect();
  ed.style.left = Math.min(ev.clientX - host.left, host.width - 220) + "px";
  ed.style.top = (ev.clientY - host.top + 10) + "px";
  ed.hidden = false;
  inp.focus(); inp.select();
}
function closeEditor() { $("editor").hidden = true; app.editing = null; }
function commitEdit() {
  const t = app.editing;
  if (!t) return;
  const v = Number($("editor-input").value.replace(",", "."));
  if (!Number.isFinite(v)) { setStatus("Type a number, e.g. 0.5 or -1.2.", "error"); return; }
  send("edit", {...t, value: v});
  closeEditor();
}

function showHover(node, l, j) {
  const s = app.snap, d = app.data;
  if (!s) return;
  const card = $("hover"), c = $("hover-canvas");
  if (d.dims === 2) paintGrid(c, decode(s.heatmap.neurons[l - 1][j]), s.heatmap.neuron_size, {});
  else drawMiniCurve(c, s.curve.neurons[l - 1][j]);
  const lay = s.layers[l - 1];
  const isOut = l === s.layers.length;
  $("hover-text").textContent = `${isOut ? "output " + (j + 1) : `layer ${l}, neuron ${j + 1}`} · ` +
    `${lay.activation} · b = ${fmt(lay.b ? lay.b[j] : 0, 3)} · mean |δ| = ${fmt(lay.delta[j], 3)}`;
  const host = card.parentElement.getBoundingClientRect(), r = node.getBoundingClientRect();
  let left = r.right - host.left + 12;
  if (left + 180 > host.width) left = r.left - host.left - 190;
  card.style.left = left + "px";
  card.style.top = Math.max(0, r.top - host.top - 40) + "px";
  card.hidden = false;
}

// --------------------------------------------------------------------- files in/out
function uploadCsv(ev) {
  const file = ev.target.files[0];
  ev.target.value = "";
  if (!file) return;
  $("data-error").textContent = "";
  const max = app.choices ? app.choices.max_csv_chars : 1000000;
  if (file.size > max * 4) {
    $("data-error").textContent = `upload ${file.name}: the file is too large (${file.size.toLocaleString("en")} bytes; the playground takes up to ${max.toLocaleString("en")} characters).`;
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    const text = String(reader.result);
    if (text.length > max) {
      $("data-error").textContent = `upload ${file.name}: the file is too large (${text.length.toLocaleString("en")} characters; the playground takes up to ${max.toLocaleString("en")}).`;
      return;
    }
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
    ? `Saved ${msg.filename}: backprop predict ${msg.filename} --x 1,2`
    : `Saved ${msg.filename}: backprop train ${msg.filename} reproduces this run.`;
  $("export-note").textContent = how + (msg.gaps && msg.gaps.length ? ` Not in the spec: ${msg.gaps.join("; ")}.` : "");
}

// ----------------------------------------------------------------------------- start
document.addEventListener("DOMContentLoaded", () => {
  bindControls();
  connect();
});
