// backprop playground — the page. It draws what the server sends and sends what the user
// does; all training happens on the server (backprop's δ engine). No build step. The
// socket, the controls, the state and the snapshots are here; what the page says back is
// notices.js's, files in and out files.js's.
"use strict";

const V = 1;
const ACT_LABELS = {relu: "ReLU", tanh: "Tanh", sigmoid: "Sigmoid", linear: "Linear",
  leaky_relu: "Leaky ReLU", elu: "ELU", gelu: "GELU", softplus: "Softplus", step: "Step (sgn)"};
const DATASET_LABELS = {circle: "Circle", xor: "Exclusive or", gauss: "Gaussian", spiral: "Spiral",
  plane: "Plane", multigauss: "Multi Gaussian", square: "y = x² (lecture)", abs: "y = |x − 1| (lecture)",
  sine: "y = sin x", csv: "Uploaded CSV"};
const CLASS_SETS = ["circle", "xor", "gauss", "spiral"];
const REG_SETS = ["plane", "multigauss", "square", "abs", "sine"];

const $ = (id) => document.getElementById(id);
// a setting's text as printed anywhere on the page, or the lesson's word for it when the
// lesson hides its control (lessons.setting; a page without lessons prints it)
const setting = (control, text, alt) => (window.lessons ? lessons.setting(control, text, alt) : text);
const app = {
  ws: null, state: null, data: null, snap: null, choices: null, previews: null,
  pendingSnap: null, drawing: false, shape: "", lastHash: "", closedByServer: false,
  curves: {}, resyncing: false,
};
window.playground = app;  // for the curious (and for tests): the last state and snapshot

// ---------------------------------------------------------------------------- socket
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // in a notebook widget the kernel answers through bridge.js instead of a server
  const ws = window.playgroundBridge ? playgroundBridge.socket() : new WebSocket(`${scheme}://${location.host}/ws`);
  app.ws = ws;
  ws.onopen = () => {
    hideBanner();
    app.curves = {}; app.resyncing = false;
    send("hello", {url: parseHash()});
    if (document.hidden) send("visibility", {hidden: true});
  };
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    onMessage(msg);
  };
  ws.onclose = (ev) => {
    setPlaying(false);
    if (ev.code === 1009) showBanner("The server closed the connection: a message was too large (the CSV file?). ", true);
    else if (ev.code === 1008 && ev.reason) showBanner(`The server closed the connection: ${ev.reason}. `, true);
    else if (ev.code === 1012) showBanner("The playground server stopped. ", true);
    else if (!app.closedByServer) showBanner("Disconnected from the playground server. Is it still running? ", true);
  };
}
function send(type, fields = {}) {
  // lists made from the state shown (a + button adds to them) name that state: the server
  // refuses them if another change came first (an exercise clicked just before)
  if (type === "set" && app.rev !== undefined && ["hidden", "activation", "features"].some((k) => k in fields.changes)) {
    fields = {...fields, base: app.rev};
  }
  // a change may start the network again: what it was doing is said then (drawAll, restarted)
  if (type === "set" && app.snap) {
    app.setFrom = {epoch: app.snap.epoch, running: app.snap.running, rev: app.rev, keys: Object.keys(fields.changes)};
  }
  // readyState 1 is WebSocket.OPEN (bridge.js's socket too)
  if (app.ws && app.ws.readyState === 1) app.ws.send(JSON.stringify({v: V, type, ...fields}));
}

// The first snapshot after the server answered a change: if the change built a new network
// (epoch 0 again) while it had trained or was playing, the status line says so, and that it
// is paused (it was silent: the student saw the counter at 000,000 and ▶, nothing else).
// A new loss has its own line (applyState).
function restarted(s) {
  const sf = app.setFrom;
  if (!sf || app.rev === sf.rev) return;  // the server has not answered the change yet
  app.setFrom = null;
  if (s.epoch !== 0 || !(sf.epoch > 0 || sf.running) || sf.keys.includes("loss")) return;
  const label = (k) => {
    const el = document.querySelector(`label[for="${k}"]`) || document.querySelector(`label[for="${k}-all"]`);
    const name = el ? el.textContent.trim() : k.replace(/_/g, " ");
    return name.charAt(0).toUpperCase() + name.slice(1);
  };
  const what = [...new Set(sf.keys.map(label))].join(", ");
  const paused = sf.running && !s.running ? " It is paused: ▶ trains it." : "";
  setStatus(`${what} changed: the network starts again at epoch 0 (it was at epoch ${sf.epoch}), ` +
    `from its initial weights.${paused}`, "note");
}
function parseHash() {
  // no prototype: every key is the link's own, "__proto__" too (on {} its assignment set
  // the prototype and the key vanished, where the server names it), one rule for all keys
  const out = Object.create(null);
  const h = location.hash.replace(/^#/, "");
  if (!h) return out;
  for (const part of h.split("&")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    // a key that is not valid percent-encoding goes to the server as written: it refuses
    // it with a note (the page never stops on a hand-edited link)
    let key = part.slice(0, i);
    try { key = decodeURIComponent(key); } catch (e) { /* kept as written */ }
    // a key given twice goes as a list of its texts: the server merges hide/lock and names
    // the others (lock=lr&lock=network kept only "network" before)
    const text = part.slice(i + 1);
    out[key] = Object.hasOwn(out, key) ? [].concat(out[key], text) : text;
  }
  return out;
}
function setHash(hash) {
  if (typeof hash !== "string" || !hash) return;  // a redraw with no new hash keeps the link
  if (window.lessons) hash = lessons.fullHash(hash);  // the link's lesson part stays (lessons.js)
  if (hash && hash !== app.lastHash && !window.playgroundBridge) {  // a widget has no address bar
    app.lastHash = hash;
    history.replaceState(null, "", "#" + hash);
  }
}

function onMessage(msg) {
  switch (msg.type) {
    case "ready":  // a new session (page opened, reconnected, a new link in this tab)
      app.state = null; app.kept2d = null; app.shape = ""; app.curves = {}; app.resyncing = false;
      // the old session's data and network go too: nothing (a lesson's hidden boxes moving,
      // a resize) may draw them against the new state, which is null until applyState
      app.data = null; app.snap = null; app.pendingSnap = null; app.curveBreak = null; app.lastEdits = null;
      app.choices = msg.choices; app.previews = msg.previews;
      setStatus("");  // the old session's notes and errors go with it
      editorGone();  // an editor open on the old network closes (editor.js)
      buildChoices(); buildDatasets();
      app.rev = msg.rev;
      if (window.lessons) lessons.onReady(msg);  // presets, task, hidden and locked controls
      applyState(msg.state, msg.hash, msg.notes);
      if (window.lessons && lessons.table) lessons.markPreset();  // what the locks refuse, on this state
      break;
    case "state":  // the lesson as the server runs it comes with it (lessons.js)
      app.rev = msg.rev;
      if (window.lessons) lessons.onState(msg);
      applyState(msg.state, msg.hash, msg.notes); holdNotes(msg);  // notices.js
      if (window.lessons && msg.lesson) lessons.markPreset();
      break;
    case "data": app.data = msg; endHeld("data", msg.id); onData(); break;
    case "snapshot": if (mergeCurves(msg)) queueSnapshot(msg); break;
    case "export": download(msg); break;
    case "edited": editAccepted(); break;  // editor.js: closes after the next snapshot
    case "error":
      if (app.editing && /^edit\b/.test(msg.message)) { editorMessage(msg.message.replace(/^edit:\s*/, "")); break; }
      // a refused change puts every control back to the server's state (a slider moved by
      // the keyboard showed a noise the server refused)
      app.moving = null; app.lossFrom = null;
      if (app.state) applyState(app.state);
      showError(msg.message, msg.field);
      if (msg.fatal) { app.closedByServer = true; showBanner(msg.message, false); }
      break;
    default: break;
  }
}

// ----------------------------------------------------------------------------- controls
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
  $("loss").onchange = (e) => {
    app.lossFrom = {loss: e.target.value, epoch: app.snap ? app.snap.epoch : 0};  // said when it runs
    send("set", {changes: {loss: e.target.value}});
  };
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
      app.moving = {id, v};  // a state answering an earlier step must not move it back
      send("set", {changes: {[id]: v}});
    };
    el.onblur = () => { app.moving = null; if (app.state) applyState(app.state); };
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
  $("export-model").onclick = () => exportAsked("model");  // files.js: says what a lesson hides
  $("export-spec").onclick = () => exportAsked("spec");
  $("editor-ok").onclick = commitEdit;
  $("editor-input").onkeydown = (e) => {
    if (e.key === "Enter") commitEdit();
    if (e.key === "Escape") closeEditor();
  };
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeEditor(); });
  $("present").onclick = () => {
    const on = $("present").getAttribute("aria-pressed") !== "true";
    $("present").setAttribute("aria-pressed", String(on));
    present();
  };
  window.addEventListener("resize", () => { present(); app.shape = ""; if (app.snap) drawAll(app.snap); });
  // a hidden tab gets no snapshots (training goes on); shown again, it gets a whole one
  document.addEventListener("visibilitychange", () => send("visibility", {hidden: document.hidden}));
}

function applyState(state, hash, notes) {
  const preset = keep2d(app.state, state);  // panels.js: a 1-D dataset's preset, said
  if (preset) notes = [...(notes || []), preset];
  app.state = state;
  setHash(hash);
  showChoice($("lr"), state.lr);  // a value not in the list is labelled (controls.js)
  showChoice($("reg_rate"), state.reg_rate);
  $("regularization").value = state.regularization;
  $("problem").value = state.problem;
  $("optimizer").value = state.optimizer;
  $("speed").value = state.speed;
  const acts = new Set(state.activation);
  $("activation-all").value = acts.size === 1 ? state.activation[0] : (acts.size === 0 ? "tanh" : "mixed");
  const moving = app.moving && document.activeElement === $(app.moving.id) ? app.moving : null;
  if (moving && state[moving.id] === moving.v) app.moving = null;
  for (const id of ["train_ratio", "noise", "classes"]) {
    if (moving && moving.id === id) continue;  // still on its way: keep what the user chose
    $(id).value = state[id]; showSlider(id, state[id]);
  }
  if (!(moving && moving.id === "batch_size")) {
    $("batch_size").value = state.batch_size > 100 ? 101 : state.batch_size;
    showSlider("batch_size", Number($("batch_size").value));
  }
  const loss = $("loss");
  if (loss.options.length) loss.value = [...loss.options].some((o) => o.value === state.loss) ? state.loss : "auto";
  notApplied(state);
  $("show_test").checked = state.show_test;
  if ($("key-test")) $("key-test").hidden = !state.show_test;  // the plot's legend follows the points
  $("discretize").checked = state.discretize;
  $("view-gradients").checked = state.view === "gradients";
  // a lesson that hides the backward view hides its chart too (editor.js backwardShown)
  document.querySelector(".grad-panel").classList.toggle("lesson-hidden", !backwardShown());
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
  // a new loss builds a new network: the run starts again at epoch 0, said (not silently)
  const lf = app.lossFrom;
  if (lf && state.loss === lf.loss) {
    app.lossFrom = null;
    if (lf.epoch > 0) {
      const said = $("loss").selectedOptions[0] ? $("loss").selectedOptions[0].textContent : lf.loss;
      const text = `Loss ${said}: the network starts again at epoch 0 (it was at epoch ${lf.epoch}), ` +
        "from the same initial weights; the loss chart is of one loss.";
      setStatus([...(notes || []), text].join(" "), "note");
    }
  }
  // the snapshot that follows every state message redraws (rebuilding the network's
  // elements only when its shape changed)
}

function buildLossOptions() {
  const sel = $("loss");
  sel.innerHTML = "";
  const d = app.data;
  const options = d.task === "regression" ? ["mse", "half_mse", "l1", "huber"]
    : (d.classes === 2 ? ["bce_with_logits", "cross_entropy"] : ["cross_entropy"]);
  // short names (half the panel's width); the note below says the chosen one in full
  const names = {mse: "MSE", half_mse: "½·MSE (E)", l1: "L1", huber: "Huber",
    bce_with_logits: "BCE", cross_entropy: "softmax CE"};
  sel.add(new Option(`auto (${names[d.loss]})`, "auto"));
  for (const o of options) sel.add(new Option(names[o], o));
  sel.value = options.includes(app.state.loss) ? app.state.loss : "auto";
  $("loss-note").textContent = (app.choices.loss_labels[d.loss] || "") +
    (d.kind === "binary" ? `; one output unit (the logit)${setting("classes", " for 2 classes", "")}.`
      : d.kind === "classes" ? `; ${setting("classes", `${d.classes} output units`, "one output unit")}, one per class.` : ".");
}

function onData() {
  const d = app.data;
  $("export-note").textContent = "";  // it named the file of the data before
  buildLossOptions();
  const csvBtn = document.querySelector(".dataset.csv");
  if (csvBtn) { csvBtn.hidden = d.name === undefined || app.state.dataset !== "csv"; }
  const parts = [setting("train_ratio", `${d.n_train} training and ${d.n_test} test points`,
    `${d.n_train + d.n_test} points (the training/test split is hidden by this lesson)`)];
  if (d.task === "classification") parts.push(setting("classes", `${d.classes} classes`, "classes hidden by this lesson"));
  if (app.state.dataset === "csv") parts.unshift(`${d.name}.csv: ${d.feature_names.join(", ")}`);
  $("data-info").textContent = parts.join(" · ");
  $("metric-name").textContent = d.task === "classification" ? "Test accuracy" : "Test RMSE";
  if (app.state) notApplied(app.state);  // Discretize: for the 2-D heatmap (panels.js)
  drawColorbar(); plotAxisNames();  // panels.js
  showSlider("batch_size", Number($("batch_size").value));
  app.shape = "";  // the snapshot that follows redraws
}

// ------------------------------------------------------------------------- snapshots
// The loss and gradient-norm curves come whole (full) or as the points added since the
// last snapshot: keep ours thinned to the server's stride, check we hold `at` points,
// append. On every snapshot as it arrives (a snapshot replaced before drawing still counts).
const CURVE_COLUMNS = {history: ["train", "test"], grad_history: ["norms"]};
function mergeCurves(msg) {
  for (const [name, cols] of Object.entries(CURVE_COLUMNS)) {
    const part = msg[name];
    let have = app.curves[name];
    if (part.full) {
      have = {stride: part.stride, epochs: part.epochs};
      for (const c of cols) have[c] = part[c];
      app.curves[name] = have;
      if (name === "history") app.resyncing = false;
    } else if (app.resyncing) {
      return false;  // a whole snapshot is on its way
    } else {
      if (have && part.stride !== have.stride) {
        const keep = have.epochs.map((e, i) => (e % part.stride === 0 ? i : -1)).filter((i) => i >= 0);
        have.epochs = keep.map((i) => have.epochs[i]);
        for (const c of cols) have[c] = keep.map((i) => have[c][i]);
        have.stride = part.stride;
      }
      if (!have || have.epochs.length !== part.at) {
        app.resyncing = true;
        send("resync");
        return false;
      }
      have.epochs.push(...part.epochs);
      for (const c of cols) have[c].push(...part[c]);
    }
    msg[name] = have;
  }
  return true;
}

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
  const e = $("epoch");  // 000,042 as TF Playground; past 999,999 grouped (1,000,000)
  e.textContent = s.epoch > 999999 ? s.epoch.toLocaleString("en") : String(s.epoch).padStart(6, "0").replace(/(\d{3})(\d{3})$/, "$1,$2");
  e.dataset.value = s.epoch;
  $("steps-line").textContent = `step ${s.steps.toLocaleString("en")}`;
  // "all" is the training points' count: not said while the lesson hides the split
  const all = app.data && s.batch_size >= app.data.n_train;
  const size = all ? setting("train_ratio", String(s.batch_size), "all") : String(s.batch_size);
  $("batch-line").textContent = setting("batch_size", `batch size ${size}`, "batch size hidden");
  $("steps-line").title = s.engine ? `engine: ${s.engine}` : "";
  const m = s.metrics;
  setOut("train-loss", m.loss);
  setOut("test-loss", m.test_loss !== undefined ? m.test_loss : null);
  const metric = app.data.task === "classification" ? (m.test_accuracy ?? m.accuracy) : (m.test_rmse ?? m.rmse);
  setOut("test-metric", metric, app.data.task === "classification");
  if (s.stopped) setStatus(s.stopped, s.diverged ? "error" : "note");
  else if ($("status").classList.contains("error") || $("status").classList.contains("diverged")) setStatus("");
  restarted(s);
  stopNotice(s); endHeld("weights", `${s.net}/${s.edits}/${s.steps}`); roundingNote(s);  // notices.js
  curveBreak(s);  // weights set by hand: the charts start anew there (draw.js)
  drawCurve(s.history);
  drawGradnorm(s.grad_history, s.layers.length);
  drawNetwork(s);
  if (app.data.dims === 2) drawHeatmap(s); else drawFunction(s);
  editAnswered();  // an edit the server set: the editor closes on its value (editor.js)
  lockedFollow(s);  // a locked value's notice says its value now (editor.js)
}

function setOut(id, v, percent) {
  const el = $(id);
  el.dataset.value = v === null || v === undefined ? "" : String(v);
  el.textContent = v === null || v === undefined ? "–" : (percent ? (100 * v).toFixed(1) + "%" : fmt(v));
}

// ----------------------------------------------------------------------------- start
document.addEventListener("DOMContentLoaded", () => {
  bindControls();
  connect();
});
