// backprop playground — drawing: colours, quantised grids, heatmaps, curves and charts.
// Pure drawing from what the server sent; app.js owns the state and the socket, keys.js the
// output's key.
"use strict";

const NEG = [232, 113, 10];   // orange: negative / class 0
const MID = [246, 246, 244];  // near white: zero
const POS = [26, 115, 184];   // blue: positive / class 1
const CLASS_COLORS = [[232, 113, 10], [26, 115, 184], [46, 157, 91], [156, 77, 204], [214, 51, 108]];
// layers 1-9 of the gradient chart and the kink marks: any two of the first seven at least
// ΔE 54 apart (CIE L*a*b*), so they stay apart on a projector (a teal 6 read as green 2)
const LAYER_COLORS = ["#1a73b8", "#2e9d5b", "#e8710a", "#9c4dcc", "#d6336c", "#bcbd22", "#1f2328", "#6d4c2f", "#8a8f95"];

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
    } else if (opts.tint) {  // one class's output: from near white (low) to its colour (high)
      c = mix(MID, opts.tint, (t + 1) / 2);
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
  ctx.imageSmoothingQuality = "high";  // enlarged thumbnails stay smooth, not blocky
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

// Numbers as text: fixed decimals where they show the value, scientific notation where
// they would not (1.23e-7, never 0.000): only a true zero reads 0.
function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (x === 0) return "0";
  if (Math.abs(x) < 10 ** -Math.min(digits, 3) || Math.abs(x) >= 1e4) return x.toExponential(2);
  return x.toFixed(digits);
}

function short(x) {  // a compact magnitude for small labels, 2 significant digits: 0.12, 0.0023, 1.4e-4
  if (x === null || x === undefined) return "–";
  if (x === 0) return "0";
  // fixed where fmt is (a label "δ 2e-3" beside the card's 0.002 read as two); "δ 2e-9" was too coarse
  const a = Math.abs(x);
  if (a >= 0.001 && a < 1e4) return a < 100 ? x.toPrecision(2) : x.toFixed(0);  // 0.0020, 34, 340
  return x.toExponential(1).replace("e+", "e");
}

// ------------------------------------------------------------------- charts
// Charts are a canvas holding the plot only; their tick labels are HTML beside it (never on
// the curve, legible at any size, their contrast checkable), placed by setAxis.
const PAD = 4;  // CSS pixels above and below the curve inside its canvas

// a label with enough significant digits: 0.002, 0.0023, 1.5, 340, 1e-6, 2.5e-7: the one
// number format of every chart's axis (the loss chart's "1.0e-6" stood beside the gradient
// chart's "1e-7"); no trailing zeros, no "+" in the exponent
function sig(v, digits = 2) {
  if (v === 0) return "0";
  if (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-4) {
    return v.toExponential(digits - 1).replace(/\.?0+e/, "e").replace("e+", "e");
  }
  return String(Number(v.toPrecision(digits)));
}
// labels for evenly spaced ticks: as many decimals as their step needs (0.6949, 0.6951)
function tickLabels(ticks) {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 0;
  if (!step || step >= 1e5 || step < 1e-6) return ticks.map((v) => sig(v, 3));
  const e = Math.floor(Math.log10(step) + 1e-9), m = step / 10 ** e;  // step = m·10^e, m in 1, 2, 2.5, 5
  const dec = Math.max(0, -e + (Math.abs(m - Math.round(m)) > 1e-6 ? 1 : 0));
  return ticks.map((v) => v.toFixed(dec));
}
function niceTicks(lo, hi, n = 5) {  // round numbers covering [lo, hi]
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}
// ticks: [{at: 0…1 from the top (y) or the left (x), text}]; pad: the plot's inner margin
function setAxis(el, ticks, vertical, pad = 0) {
  const key = JSON.stringify(ticks);
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  el.innerHTML = "";
  for (const t of ticks) {
    const span = document.createElement("span");
    span.className = "tick" + (!vertical && t.at > 0.97 ? " end" : "");
    span.textContent = t.text;
    span.style[vertical ? "top" : "left"] = `calc(${pad}px + ${t.at} * (100% - ${2 * pad}px))`;
    el.appendChild(span);
  }
}
function axesOf(canvas) {
  const box = canvas.closest(".chart");
  return {y: box.querySelector(".y-axis"), x: box.querySelector(".x-axis")};
}
function epochTicks(x0, x1) {
  const ticks = niceTicks(x0, x1, 4).filter((e) => e === Math.round(e));
  return ticks.map((e) => ({at: (e - x0) / (x1 - x0), text: e.toLocaleString("en")}));
}
// y ticks of a log axis from lo to hi (log10 units): the decades inside, else the ends
function logTicks(lo, hi, ends) {
  let decades = [];
  for (let k = Math.ceil(lo); k <= Math.floor(hi); k++) decades.push(k);
  while (decades.length > 5) decades = decades.filter((_, i) => i % 2 === 0);
  const at = (k) => (hi - k) / (hi - lo);
  const ticks = decades.map((k) => ({at: at(k), text: sig(10 ** k)}));
  if (ends) {  // the curve's own top and bottom, where no decade is near them
    for (const v of ends) {
      const a = at(Math.log10(v));
      if (ticks.every((t) => Math.abs(t.at - a) > 0.18)) ticks.push({at: a, text: sig(v)});
    }
  }
  return ticks;
}

// Weights set by hand (typed, Show solution) at epoch E: the curves before E belong to other
// weights, so the charts start anew at E from the numbers measured on the new weights (the
// snapshot's `edits` counts the changes to this network; a new network or Reset clears it).
function curveBreak(s) {
  const b = app.curveBreak, last = app.lastEdits;
  if (b && (b.net !== s.net || s.epoch < b.epoch)) app.curveBreak = null;
  if (last && last.net === s.net && s.edits > last.edits) {
    app.curveBreak = {net: s.net, epoch: s.epoch, loss: [s.metrics.loss, s.metrics.test_loss ?? null],
      norms: s.layers.map((lay) => lay.norm)};
  }
  app.lastEdits = {net: s.net, edits: s.edits};
}
// a curve's points from the break on, its first the numbers measured at the break
function sinceBreak(h, cols, first) {
  const b = app.curveBreak;
  if (!b) return h;
  const out = {epochs: [b.epoch]};
  cols.forEach((c, k) => { out[c] = [first[k]]; });
  h.epochs.forEach((e, i) => {
    if (e <= b.epoch) return;
    out.epochs.push(e);
    for (const c of cols) out[c].push(h[c][i]);
  });
  return out;
}
function breakNote() {
  const b = app.curveBreak;
  return b ? `from epoch ${b.epoch.toLocaleString("en")}: weights set by hand` : "";
}

function drawCurve(h) {
  const b = app.curveBreak;
  if (b) h = sinceBreak(h, ["train", "test"], b.loss);
  const c = $("curve"), ctx = c.getContext("2d");
  fitCanvas(c);
  const W = c.width, H = c.height, dpr = devicePixelRatio;
  ctx.clearRect(0, 0, W, H);
  const axis = axesOf(c);
  const all = [...h.train, ...h.test].filter((v) => v !== null && Number.isFinite(v));
  if (!all.length || h.epochs.length < 1) { setAxis(axis.y, [], true); setAxis(axis.x, [], false); return; }
  const top = Math.max(...all), bottom = Math.min(...all);
  const log = bottom > 0 && top / bottom > 30;  // losses that fall by orders of magnitude
  const f = log ? Math.log10 : (v) => v;
  // linear: zoom onto the range seen, but never closer than 2 % of the loss (at epoch 0 a
  // nearly flat curve would get ticks 0.698225, 0.698250)
  const mid = (top + bottom) / 2, span = Math.max(top - bottom, 0.02 * Math.abs(mid)) || 1;
  const hi = log ? f(top) + 0.05 : mid + 0.58 * span;
  const lo = log ? f(bottom) - 0.05 : Math.max(0, mid - 0.58 * span);
  const x0 = h.epochs[0], x1 = Math.max(h.epochs[h.epochs.length - 1], x0 + 1);
  const X = (e) => 2 + (e - x0) / (x1 - x0) * (W - 4);
  const Y = (v) => PAD * dpr + (hi - f(v)) / (hi - lo) * (H - 2 * PAD * dpr);
  const line = (vals, color, width) => {
    ctx.strokeStyle = color; ctx.lineWidth = width * dpr; ctx.beginPath();
    let started = false;
    vals.forEach((v, i) => {
      if (v === null || (log && v <= 0)) return;
      if (!started) { ctx.moveTo(X(h.epochs[i]), Y(v)); started = true; } else ctx.lineTo(X(h.epochs[i]), Y(v));
    });
    ctx.stroke();
    if (h.epochs.length === 1 && vals[0] !== null) {  // one point (a start, a break): a dot
      ctx.fillStyle = color; ctx.fillRect(X(h.epochs[0]) - 2 * dpr, Y(vals[0]) - 2 * dpr, 4 * dpr, 4 * dpr);
    }
  };
  line(h.test, "#9a9a94", 1.6);
  line(h.train, "#222", 1.6);
  const lin = log ? [] : niceTicks(lo, hi, 3), names = tickLabels(lin);
  const ticks = log ? logTicks(lo, hi, [top, bottom]) : lin.map((v, i) => ({at: (hi - v) / (hi - lo), text: names[i]}));
  setAxis(axis.y, ticks, true, PAD);
  setAxis(axis.x, epochTicks(x0, x1), false, 2 / dpr);
  c.closest(".chart-box").querySelector("figcaption").textContent = "Loss over the epochs" + (log ? " (log scale)" : "");
  $("curve-break").textContent = breakNote();
}

function drawGradnorm(g, nLayers) {
  if (app.curveBreak) g = sinceBreak(g, ["norms"], [app.curveBreak.norms]);
  const c = $("gradnorm"), ctx = c.getContext("2d");
  fitCanvas(c);
  const W = c.width, H = c.height;
  ctx.clearRect(0, 0, W, H);
  const legend = $("gradnorm-legend");
  // a layer whose last norm is 0 has no point on a log scale: the legend says "= 0"
  const last = g.norms.length ? g.norms[g.norms.length - 1] : [];
  const zero = [...Array(nLayers).keys()].map((l) => last[l] === 0);
  const stamp = `${nLayers} ${zero.join()}`;
  if (legend.dataset.key !== stamp) {
    legend.dataset.key = stamp;
    legend.innerHTML = "";
    // many layers: "layer" once ("layer 1, 2, 3 … output"), so the key stays one line under
    // the chart (at 1920 × 1080 presentation "output" wrapped below the fold); a layer whose
    // norm is 0 is named whole
    const short = nLayers > 4;
    for (let l = 0; l < nLayers; l++) {
      const name = l + 1 === nLayers ? "output" : (short && l && !zero[l] ? "" : "layer ") + (l + 1);
      const k = key(LAYER_COLORS[l % LAYER_COLORS.length], zero[l] ? `${name} = 0 (not on a log scale)` : name, "swatch");
      if (zero[l]) k.classList.add("zero");
      legend.appendChild(k);
    }
    // a key of another height (a layer's "= 0"): presentation's zoom fits the charts again
    requestAnimationFrame(() => { if (fitPresent() && app.snap) drawAll(app.snap); });
  }
  const vals = g.norms.flat().filter((v) => v !== null && v > 0);
  if (!vals.length) return;
  let lo = Math.log10(Math.min(...vals)), hi = Math.log10(Math.max(...vals));
  if (hi - lo < 1) { lo -= 0.5; hi += 0.5; }
  lo = Math.floor(lo * 2) / 2; hi = Math.ceil(hi * 2) / 2;  // a decade tick stays in sight
  const x0 = g.epochs[0], x1 = Math.max(g.epochs[g.epochs.length - 1], x0 + 1);
  const dpr = devicePixelRatio;
  const X = (e) => 2 + (e - x0) / (x1 - x0) * (W - 4);
  const Y = (v) => PAD * dpr + (hi - Math.log10(v)) / (hi - lo) * (H - 2 * PAD * dpr);
  const axis = axesOf(c);
  setAxis(axis.y, logTicks(lo, hi, null), true, PAD);
  setAxis(axis.x, epochTicks(x0, x1), false, 2 / dpr);
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
  plotAxes(c, x0, x1, y0, y1);
}

// tick labels outside the plot: x below, y on the left (data units)
function plotAxes(c, x0, x1, y0, y1) {
  const axis = axesOf(c);
  const xs = niceTicks(x0, x1, 4), ys = niceTicks(y0, y1, 4), xn = tickLabels(xs), yn = tickLabels(ys);
  setAxis(axis.x, xs.map((v, i) => ({at: (v - x0) / (x1 - x0), text: xn[i]})), false);
  setAxis(axis.y, ys.map((v, i) => ({at: (y1 - v) / (y1 - y0), text: yn[i]})), true);
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
  // the kinks say the units are ReLUs: not drawn nor keyed while a lesson hides the activation
  const kinks = setting("activation", cv.kinks, []);
  const kinkLayers = [...new Set(kinks.filter((k) => k.x !== null).map((k) => k.layer))].sort((a, b) => a - b);
  kinkLegend(kinkLayers);
  for (const k of kinks) {  // each ReLU's kink: where its input f crosses zero
    if (k.x === null) continue;
    const px = X(k.x);
    ctx.fillStyle = LAYER_COLORS[(k.layer - 1) % LAYER_COLORS.length];
    ctx.beginPath(); ctx.moveTo(px, H - 1); ctx.lineTo(px - 5 * devicePixelRatio, H - 9 * devicePixelRatio);
    ctx.lineTo(px + 5 * devicePixelRatio, H - 9 * devicePixelRatio); ctx.closePath(); ctx.fill();
    ctx.strokeStyle = rgb([0, 0, 0], 0.12); ctx.lineWidth = devicePixelRatio;
    ctx.beginPath(); ctx.moveTo(px, 0); ctx.lineTo(px, H - 9 * devicePixelRatio); ctx.stroke();
  }
  plotAxes(c, x0, x1, lo, hi);
}

// A CSV's feature labels (area, area², sin area, area·rooms) drawn as long as the features
// column has room for: up to a fifth of the network panel, at most the 120 px of the
// column's title (it cut every name to 8 characters, "size·roo…", on a 1,280 px page with
// room for the whole). Each column name is cut alike (features.column_label's shapes), the
// whole name stays in the accessible name and the tooltip. Fitted once per name and room.
const fittedLabels = new Map();
function fitColumnLabels(col, features, panelWidth) {
  const full = (n) => (features.find((f) => f.name === n) || {}).column_full || "";
  const cols = [full("x1"), full("x2")];
  const room = Math.round(Math.min(120, Math.max(50, panelWidth * 0.2)));
  const shape = (name, n) => {
    const c = name.includes("2") && name !== "x1x2" ? cols[1] : cols[0];
    if (name === "x1x2") {  // a short name whole, the rest of the room to the other
      const [la, lb] = cols.map((t) => [...t].length);
      const kb = lb <= n - 4 ? lb : Math.max(Math.ceil(n / 2), n - la);
      return `${clipText(cols[0], Math.max(4, n - Math.min(lb, kb)))}·${clipText(cols[1], kb)}`;
    }
    if (name.startsWith("sin")) return `sin ${clipText(c, Math.max(3, n - 3))}`;
    return name.endsWith("sq") ? `${clipText(c, n)}²` : clipText(c, n);
  };
  for (const node of col.querySelectorAll(".node.feature")) {
    const lab = node.querySelector(".flabel"), name = node.dataset.feature;
    const key = `${name}|${cols.join("|")}|${room}`;
    if (fittedLabels.has(key)) { lab.textContent = fittedLabels.get(key); continue; }
    // from a length where every shape is whole (the longest name + 1 cut "hours·sleep" to "hou…·sl…")
    for (let n = cols.reduce((a, c) => a + [...c].length, 0) + 5; n >= 4; n--) {
      lab.textContent = shape(name, n);
      if (lab.offsetWidth <= room) break;
    }
    fittedLabels.set(key, lab.textContent);
  }
}
