// backprop playground — drawing: colours, quantised grids, heatmaps, curves and charts.
// Pure drawing from what the server sent; app.js owns the state and the socket.
"use strict";

const NEG = [232, 113, 10];   // orange: negative / class 0
const MID = [246, 246, 244];  // near white: zero
const POS = [26, 115, 184];   // blue: positive / class 1
const CLASS_COLORS = [[232, 113, 10], [26, 115, 184], [46, 157, 91], [156, 77, 204], [214, 51, 108]];
const LAYER_COLORS = ["#1a73b8", "#2e9d5b", "#e8710a", "#9c4dcc", "#d6336c", "#00897b", "#795548", "#546e7a", "#c0ca33"];

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

function short(x) {  // a compact magnitude for small labels: 0.12, 3e-4
  if (x === null || x === undefined) return "–";
  if (x === 0) return "0";
  return Math.abs(x) >= 0.01 ? x.toFixed(2) : x.toExponential(0).replace("e", "e");
}

// ------------------------------------------------------------------- charts
function drawCurve(h) {
  const c = $("curve"), ctx = c.getContext("2d");
  fitCanvas(c);
  const W = c.width, H = c.height, dpr = devicePixelRatio;
  ctx.clearRect(0, 0, W, H);
  const all = [...h.train, ...h.test].filter((v) => v !== null && Number.isFinite(v));
  if (!all.length || h.epochs.length < 1) return;
  const top = Math.max(...all), bottom = Math.min(...all);
  const log = bottom > 0 && top / bottom > 30;  // losses that fall by orders of magnitude
  const f = log ? Math.log10 : (v) => v;
  const span = top - bottom || Math.abs(top) || 1;  // linear: zoom onto the range seen
  const hi = log ? f(top) + 0.05 : top + 0.08 * span;
  const lo = log ? f(bottom) - 0.05 : Math.max(0, bottom - 0.08 * span);
  const x0 = h.epochs[0], x1 = Math.max(h.epochs[h.epochs.length - 1], x0 + 1);
  const X = (e) => 2 + (e - x0) / (x1 - x0) * (W - 4);
  const Y = (v) => H - 2 - (f(v) - lo) / (hi - lo) * (H - 6);
  const line = (vals, color, width) => {
    ctx.strokeStyle = color; ctx.lineWidth = width * dpr; ctx.beginPath();
    let started = false;
    vals.forEach((v, i) => {
      if (v === null || (log && v <= 0)) return;
      if (!started) { ctx.moveTo(X(h.epochs[i]), Y(v)); started = true; } else ctx.lineTo(X(h.epochs[i]), Y(v));
    });
    ctx.stroke();
  };
  line(h.test, "#b0b0aa", 1.3);
  line(h.train, "#222", 1.3);
  ctx.fillStyle = "#888"; ctx.font = `${10 * dpr}px system-ui, sans-serif`;
  ctx.fillText(fmt(top, 2) + (log ? "  (log scale)" : ""), 4, 11 * dpr);
  if (h.epochs.length > 1) ctx.fillText(fmt(bottom, 2), 4, H - 4);
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
  ctx.fillStyle = "rgba(60,60,60,0.8)";
  ctx.font = `${10 * devicePixelRatio}px system-ui, sans-serif`;
  const base = H - 13 * devicePixelRatio;  // above the kink markers
  ctx.fillText(`x = ${fmt(x0, 1)}`, 3, base);
  const right = `${fmt(x1, 1)}`;
  ctx.fillText(right, W - ctx.measureText(right).width - 3, base);
  ctx.fillText(`y = ${fmt(hi, 1)}`, 3, 12 * devicePixelRatio);
  ctx.fillText(`${fmt(lo, 1)}`, 3, base - 13 * devicePixelRatio);
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
