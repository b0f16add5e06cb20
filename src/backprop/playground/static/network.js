// backprop playground — the network view: features, neurons, links by weight or ∂E/∂w,
// chosen by keyboard, scrolled on a phone. The editor and the hover card are editor.js's.
// Uses app.js, draw.js and editor.js.
"use strict";

// --------------------------------------------------------------------------- network
function nodeSize(maxNeurons) {
  return maxNeurons <= 6 ? 40 : maxNeurons <= 10 ? 30 : 22;
}

function buildNetwork(s) {
  const cols = $("net-columns");
  hideHover();  // the hovered neuron may be gone (fewer classes, a smaller layer)
  hideLinkTip();
  cols.innerHTML = "";
  const d = app.data, st = app.state;
  const maxN = Math.max(d.features.length, ...s.sizes.slice(1));
  const size = nodeSize(maxN);
  cols.style.setProperty("--node", size + "px");
  cols.classList.toggle("grad", st.view === "gradients");
  document.querySelector(".net-hint").classList.toggle("grad", st.view === "gradients");  // its legend
  // features column
  const fc = column("features");
  for (const f of d.features) {
    const on = st.features.includes(f.name);
    const node = document.createElement("button");
    node.className = "node feature" + (on ? " on" : "");
    node.dataset.feature = f.name;
    node.setAttribute("aria-pressed", on ? "true" : "false");
    // an uploaded CSV's inputs are named by its columns too (the drawn label stays short)
    const named = f.column ? `${f.label} = ${f.column_full || f.column}` : f.label;
    node.setAttribute("aria-label", `Feature ${named}`);
    node.title = `${named}: click to ${on ? "remove" : "add"}`;
    const c = document.createElement("canvas"); c.width = size * 2; c.height = size * 2;
    node.appendChild(c);
    // drawn as the CSV's column (area, area², sin area), cut to fit the column: the whole
    // name is in the accessible name and the tooltip (a projector or a phone has no tooltip)
    const lab = document.createElement("span"); lab.className = "flabel";
    lab.textContent = f.column || f.label;  // a CSV's: fitted below (fitColumnLabels)
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
  if (d.features.some((f) => f.column)) fitColumnLabels(fc.el, d.features, $("network").clientWidth);
  // the labels stand left of their nodes: the column makes room for the widest (a CSV's
  // column names are wider than X₁; a phone's scrolling panel cut them off at its edge)
  const widest = Math.max(0, ...[...fc.el.querySelectorAll(".flabel")].map((lab) => lab.offsetWidth));
  fc.el.style.paddingLeft = widest + 8 > 50 ? `${widest + 8}px` : "";
  // hidden layers and output
  const L = s.layers.length;
  for (let l = 1; l <= L; l++) {
    const isOut = l === L;
    const col = column(isOut ? "output" : "hidden");
    if (!isOut) {
      const head = document.createElement("div"); head.className = "layer-head";
      const add = tinyButton("+", `Add neuron to layer ${l}`, () => changeNeurons(l - 1, +1));
      const rem = tinyButton("−", `Remove neuron from layer ${l}`, () => changeNeurons(l - 1, -1));
      const cnt = document.createElement("span"); cnt.className = "count";
      const many = `${s.sizes[l]} neuron${s.sizes[l] === 1 ? "" : "s"}`;
      cnt.textContent = L > 6 ? String(s.sizes[l]) : many;  // narrow columns: the number alone
      cnt.title = many;
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
      bias.tabIndex = -1;  // one Tab stop per neuron: the neuron's keys reach its bias (Enter)
      bias.onclick = (e) => {
        e.stopPropagation();
        // a refused tap (typing locked) answers beside the bias: no enlarged card over it (a
        // touch screen's tap also sends mouseenter, which enlarges the neuron)
        if (app.pointer === "touch" && typingShut()) { app.tapped = null; hideHover(); }
        openEditor(e, {kind: "bias", layer: l, row: j});
      };
      node.appendChild(bias);
      const dl = document.createElement("span"); dl.className = "delta"; node.appendChild(dl);
      node.tabIndex = 0;  // keyboard users enlarge a neuron by focusing it
      node.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight Enter");
      node.onmouseenter = node.onfocus = () => showHover(node, l, j);
      // a tap shows the card until the next tap elsewhere (a touch screen sends mouseleave
      // right after the tap, and no focus when the network scrolls sideways)
      node.onpointerdown = (e) => {
        app.pointer = e.pointerType;
        if (e.pointerType !== "touch" || (typingShut() && e.target === bias)) return;
        app.tapped = node; showHover(node, l, j);
      };
      // its picture is a tap target of its own (a click handler): without one, a touch
      // screen's tap adjustment moves a tap on the neuron's middle to the bias square, the
      // one tappable thing inside it
      c.onclick = () => { if (app.tapped === node) showHover(node, l, j); };
      node.onmouseleave = node.onblur = () => { if (app.tapped !== node) hideHover(); };
      node.onkeydown = (e) => neuronKey(e, node, l, j);
      col.body.appendChild(node);
    }
    cols.appendChild(col.el);
  }
  shortActs(cols);
}

// A layer's activation menu narrower than its names (8 layers, a phone) shows short ones
// (σ, tanh, ReLU …), the full name in each choice's tooltip and accessible name.
const SHORT_ACTS = {relu: "ReLU", tanh: "tanh", sigmoid: "σ", linear: "lin", leaky_relu: "leaky",
  elu: "ELU", gelu: "GELU", softplus: "soft+", step: "sgn"};
function shortActs(cols) {
  const ctx = document.createElement("canvas").getContext("2d");
  for (const sel of cols.querySelectorAll(".layer-act")) {
    const cs = getComputedStyle(sel);
    ctx.font = cs.font;
    const room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 18;  // the arrow
    if (Math.max(...[...sel.options].map((o) => ctx.measureText(o.text).width)) <= room) continue;
    for (const o of sel.options) {
      const full = ACT_LABELS[o.value] || o.value;
      o.text = SHORT_ACTS[o.value] || full; o.title = full; o.setAttribute("aria-label", full);
    }
  }
}

// the hints name the input last used ("Tap" after a touch, "Click" after a mouse: style.css)
document.addEventListener("pointerdown", (e) => {
  if (e.pointerType === "pen") return;
  document.body.classList.toggle("by-touch", e.pointerType === "touch");
  document.body.classList.toggle("by-mouse", e.pointerType === "mouse");
}, true);
document.addEventListener("pointerdown", (e) => {  // a tap elsewhere puts the card away
  if (app.tapped && !app.tapped.contains(e.target)) { app.tapped = null; hideHover(); }
}, true);

// at most `max` characters as drawn (grapheme clusters: an emoji family or a letter with
// its marks is one, never split), the last of them "…" when the text is longer
function clipText(text, max) {
  const parts = typeof Intl.Segmenter === "function" ?
    [...new Intl.Segmenter(undefined, {granularity: "grapheme"}).segment(text)].map((g) => g.segment) : [...text];
  return parts.length <= max ? text : parts.slice(0, max - 1).join("").trimEnd() + "…";
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
  if (shape !== app.shape) {
    buildNetwork(s); app.shape = shape; drawFeatureThumbs();
    if (fitPresent()) { drawAll(s); return; }  // a taller network: the zoom keeps the charts in view
  }
  const d = app.data;
  const backward = backwardShown();
  // neurons
  for (const node of document.querySelectorAll(".node.neuron")) {
    const l = Number(node.dataset.layer), j = Number(node.dataset.neuron);
    const c = node.querySelector("canvas");
    if (d.dims === 2) paintGrid(c, decode(s.heatmap.neurons[l - 1][j]), s.heatmap.neuron_size, neuronPaint(s, l, j));
    else drawMiniCurve(c, s.curve.neurons[l - 1][j]);
    const lay = s.layers[l - 1];
    const b = node.querySelector(".bias");
    const bv = lay.b ? lay.b[j] : 0;
    const grad = app.state.view === "gradients";
    const shown = grad ? (lay.gb ? lay.gb[j] : 0) : bv;
    b.style.background = rgb(diverging(Math.max(-1, Math.min(1, grad ? Math.sign(shown) * Math.min(1, Math.abs(shown) * 20) : shown))));
    // a lesson that locks typing takes the action, not the looking: the square keeps its
    // tooltip and says the lock; one that hides the backward view hides its numbers
    b.title = `bias ${weightName({kind: "bias", layer: l, row: j})} = ${fmt(bv, 4)}` + (lay.gb && backward ? `, ∂E/∂b = ${fmt(lay.gb[j], 4)}` : "") + changeHint("click");
    if (typingShut()) b.setAttribute("aria-disabled", "true"); else b.removeAttribute("aria-disabled");
    const dl = node.querySelector(".delta");
    dl.textContent = grad ? `|δ| ${short(lay.delta[j])}` : "";  // the mean over the points
    dl.title = grad ? `mean |δ| over the training points = ${fmt(lay.delta[j], 4)}` : "";
    node.title = backward ? `layer ${l}, neuron ${j + 1}: mean |δ| = ${fmt(lay.delta[j], 4)}` : `layer ${l}, neuron ${j + 1}`;
  }
  drawLinks(s);
  const h = app.hovered;
  if (h && h.node.isConnected) showHover(h.node, h.l, h.j);
  else if (h) hideHover();
}

// an output neuron of a set of 3+ classes is its class's logit: drawn in that class's colour
// (the heatmap's and the points'), not in the two-class orange/blue
function neuronPaint(s, l, j) {
  const classes = app.data.kind === "classes" && l === s.layers.length;
  return classes ? {tint: CLASS_COLORS[j % CLASS_COLORS.length]} : {};
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

// Presentation size zooms the page (CSS zoom): element rectangles come in zoomed pixels,
// lengths we set come out zoomed, so positions set from rectangles are divided by it.
function zoom() { return Number(document.documentElement.style.zoom) || 1; }

// box: the network's rectangle, moved by how far the network is scrolled (a phone scrolls a
// wide network inside its panel)
function center(el, box, side) {
  const r = el.getBoundingClientRect();
  return {x: (side === "right" ? r.right : side === "left" ? r.left : r.left + r.width / 2) - box.left,
    y: r.top + r.height / 2 - box.top};
}

function drawLinks(s) {
  const svg = $("links");
  const net = $("network");
  const r = net.getBoundingClientRect(), z = zoom();
  const box = {left: r.left - net.scrollLeft * z, top: r.top - net.scrollTop * z,
    width: Math.max(r.width, $("net-columns").scrollWidth * z), height: r.height};  // not the svg's own size
  svg.setAttribute("width", box.width / z); svg.setAttribute("height", box.height / z);
  svg.setAttribute("viewBox", `0 0 ${box.width} ${box.height}`);
  const grad = app.state.view === "gradients", backward = backwardShown();
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
        const title = `${weightName({kind: "weight", layer: l + 1, row: j, col: i})} = ${fmt(s.layers[l].w[j][i], 4)}` +
          (backward ? `; ∂E/∂w = ${fmt(s.layers[l].gw[j][i], 4)}` : "") + changeHint("click");
        parts.push(`<path class="link${v === 0 && !grad ? " dead" : ""}" d="${path}" stroke="${color}" stroke-width="${width.toFixed(2)}" data-layer="${l + 1}" data-row="${j}" data-col="${i}"><title>${title}</title></path>`);
        parts.push(`<path class="hit" d="${path}" data-layer="${l + 1}" data-row="${j}" data-col="${i}" aria-label="Weight w[${l + 1}] from ${i + 1} to ${j + 1}"><title>${title}</title></path>`);
      }
    }
  }
  svg.innerHTML = parts.join("");
  scrollCue(net);
  for (const p of svg.querySelectorAll("path.hit")) {
    const t = {kind: "weight", layer: Number(p.dataset.layer), row: Number(p.dataset.row), col: Number(p.dataset.col)};
    p.onclick = (e) => openEditor(e, t);
    p.onmouseenter = (e) => showLinkTip(t, e.clientX, e.clientY);
    p.onmousemove = (e) => showLinkTip(t, e.clientX, e.clientY);
    p.onmouseleave = () => hideLinkTip();
  }
  if (app.keyLink) markLink(app.keyLink);
}

// A network wider than its panel scrolls sideways inside it (a phone): a fading edge on the
// side with more and a line saying so, gone once the right end is in view. Only a panel
// that scrolls (style.css: a phone's overflow-x: auto) has more to show: on a wide screen
// the panel does not scroll, and a δ label a few pixels past its edge (scrollWidth 558 vs
// 554 at 1280 px, presentation size) put up the cue and the shadow over that label
function scrollCue(net) {
  const scrolls = /auto|scroll/.test(getComputedStyle(net).overflowX);
  const more = scrolls && net.scrollWidth - net.clientWidth > 2;
  const atEnd = net.scrollLeft + net.clientWidth >= net.scrollWidth - 2;
  net.classList.toggle("more-right", more && !atEnd);
  net.classList.toggle("more-left", more && net.scrollLeft > 2);
  let cue = $("net-scroll-cue");
  if (!cue) {
    cue = document.createElement("p"); cue.id = "net-scroll-cue"; cue.className = "hint small scroll-cue";
    net.after(cue);
    net.addEventListener("scroll", () => scrollCue(net), {passive: true});
  }
  const hidden = app.snap ? app.snap.layers.length - 1 : 0;  // as the panel's head counts them
  cue.textContent = more ? `Swipe or scroll sideways: the network has ${hidden} hidden layer${hidden === 1 ? "" : "s"} ` +
    `and is wider than ${innerWidth > 1000 ? "its panel" : "the screen"} →` : "";
  cue.hidden = !more || atEnd;
}

// A link's tooltip: its weight (and ∂E/∂w unless a lesson hides the backward view), where
// the pointer is.
function linkText(t) {
  const lay = app.snap.layers[t.layer - 1];
  return `${targetText(t)} · w = ${fmt(lay.w[t.row][t.col], 4)}` +
    (backwardShown() ? ` · ∂E/∂w = ${fmt(lay.gw[t.row][t.col], 4)}` : "");
}
function featureLabel(i) {
  const on = app.state.features;
  const f = app.data.features.find((x) => x.name === on[i]);
  return f ? (f.column ? `${f.label} (${f.column_full || f.column})` : f.label) : `input ${i + 1}`;
}
function showLinkTip(t, x, y) {
  const tip = $("link-tip");
  if (!tip || !app.snap || app.editing) return;  // the editor is open: its label says it
  tip.textContent = linkText(t) + changeHint("click");
  const host = tip.parentElement.getBoundingClientRect();
  tip.hidden = false;
  const w = tip.offsetWidth;
  const z = zoom();
  tip.style.left = Math.max(0, Math.min((x - host.left) / z + 12, host.width / z - w)) + "px";
  tip.style.top = ((y - host.top) / z + 16) + "px";
}
function hideLinkTip() { const tip = $("link-tip"); if (tip) tip.hidden = true; }

// Keyboard: a focused neuron's ←/→ choose its bias or one of its incoming links, Enter
// (or Space) types a new value for it. One Tab stop per neuron.
function neuronKey(e, node, l, j) {
  const n = app.snap.layers[l - 1].w[j].length;  // incoming links
  const cur = app.keyLink && app.keyLink.layer === l && app.keyLink.row === j ? app.keyLink.col : -1;
  if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
    const next = ((cur + 1 + (e.key === "ArrowRight" ? 1 : -1)) % (n + 1) + n + 1) % (n + 1) - 1;
    app.keyLink = {kind: next < 0 ? "bias" : "weight", layer: l, row: j, col: next};
    markLink(app.keyLink);
    showHover(node, l, j);
    sayKeyLink(node, l, j);
    e.preventDefault();
  } else if (e.key === "Enter" || e.key === " ") {
    const t = cur < 0 ? {kind: "bias", layer: l, row: j} : {kind: "weight", layer: l, row: j, col: cur};
    const r = node.getBoundingClientRect();
    app.editReturn = node;
    openEditor({clientX: r.left, clientY: r.bottom}, t);
    e.preventDefault();
  }
}
// what the neuron's ←/→ chose and its value now (after an edit too: the new value)
function sayKeyLink(node, l, j) {
  const k = app.keyLink, b = app.snap.layers[l - 1].b;
  const hint = typingShut() ? `; typing it is ${typingShut()} by this lesson` : ", Enter to change";
  const gb = app.snap.layers[l - 1].gb;  // ∂E/∂b as a weight's ∂E/∂w (linkText)
  const grad = backwardShown() && gb ? ` · ∂E/∂b = ${fmt(gb[j], 4)}` : "";
  announce(node, k.kind === "bias" ? `${targetText(k)} = ${fmt(b ? b[j] : 0, 4)}${grad}${hint}` : `${linkText(k)}${hint}`);
}
function markLink(t) {
  for (const p of document.querySelectorAll("#links path.keyed")) p.classList.remove("keyed");
  if (!t || t.kind !== "weight") return;
  const p = document.querySelector(`#links path.link[data-layer="${t.layer}"][data-row="${t.row}"][data-col="${t.col}"]`);
  if (p) p.classList.add("keyed");
}
