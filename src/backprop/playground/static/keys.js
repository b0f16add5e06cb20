// backprop playground — the output's key under the plot: the classes' colours, a
// regression's colour ramp, or for 1-D data the marks (training, test while drawn, target,
// network) and the ReLU kinks per layer. Uses draw.js's colours and app.js's `app`.
"use strict";

function key(color, text, cls = "dot") {
  const s = document.createElement("span");
  s.className = "key";
  const i = document.createElement("i");
  i.className = cls;
  if (color) i.style.background = color;
  s.append(i, document.createTextNode(text));
  return s;
}

// the kink marks' key: one triangle per layer that has kinks in view, in that layer's colour
function kinkLegend(layers) {
  const box = $("kink-legend");
  if (!box || box.dataset.key === layers.join()) return;
  box.dataset.key = layers.join();
  box.innerHTML = "";
  const many = layers.length > 1;
  layers.forEach((l, i) => {
    const k = key(null, many ? `layer ${l}` : `ReLU kinks of layer ${l}`, "tri");
    k.firstChild.style.borderBottomColor = LAYER_COLORS[(l - 1) % LAYER_COLORS.length];
    if (many && i === 0) k.prepend(document.createTextNode("ReLU kinks: "));
    box.appendChild(k);
  });
}

function drawColorbar() {
  const bar = $("colorbar"), d = app.data;
  bar.innerHTML = "";
  if (d.dims === 1) {
    const test = Object.assign(key(rgb(NEG), "test"), {id: "key-test", hidden: !app.state.show_test});  // while drawn
    bar.append(key(rgb(POS), "training"), test);
    if (d.target_curve) bar.append(key(null, "target", "dash"));  // drawn: a CSV has none
    bar.append(key(null, "network", "line"));
    const kinks = document.createElement("span"); kinks.id = "kink-legend"; kinks.className = "key-group";
    bar.appendChild(kinks);
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
