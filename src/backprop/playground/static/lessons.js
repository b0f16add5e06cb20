// backprop playground — lessons: the lecture's exercises as one-click presets, the
// |x − 1| solution, and lesson links (controls hidden or locked, a one-line task).
// The server checks a link's lesson part (lessons.py) and sends it in `ready`; this file
// only shows it. Text from a link is set with textContent, never as HTML. Uses app.js.
"use strict";

// control name -> the elements it covers (`els`: locked, each looks and reads disabled and
// answers a click or a key with the refusal beside it, locked.js) and, when hidden, the
// boxes that go (`box`: a selector, or the element's closest wrapper). A control is locked
// by its own lock and by those of the server's `refused_with` (locks.py: an upload is
// refused while the dataset is locked)
const LESSON_CONTROLS = {
  presets: {els: "#lesson-presets button", box: "#lesson-presets"},
  solution: {els: "#lesson-solution", box: "#lesson-solution"},
  dataset: {els: "#datasets button, #problem", box: "#datasets, #problem"},
  features: {els: ".node.feature", box: ".node.feature:not(.on)"},
  network: {els: "#add-layer, #remove-layer, .layer-head .round.tiny", box: "#add-layer, #remove-layer, .layer-head .round.tiny"},
  activation: {els: "#activation-all, .layer-act", box: "#activation-all, .layer-act"},
  lr: {els: "#lr", box: "#lr"},
  optimizer: {els: "#optimizer", box: "#optimizer"},
  regularization: {els: "#regularization, #reg_rate", box: "#regularization, #reg_rate"},
  loss: {els: "#loss", box: "#loss, #loss-note"},
  noise: {els: "#noise", box: "#noise"},
  train_ratio: {els: "#train_ratio", box: "#train_ratio"},
  batch_size: {els: "#batch_size", box: "#batch_size"},
  classes: {els: "#classes", box: "#classes"},
  seed: {els: "#seed, #regenerate", box: "#seed, #regenerate"},
  upload: {els: "#csv", box: "#csv"},
  // typing a value is refused beside the link or bias clicked (editor.js); hovering stays
  weights: {els: "#editor-input, #editor-ok", box: ""},
  view: {els: "#view-gradients", box: "#view-gradients"},
  show_test: {els: "#show_test", box: "#show_test"},
  discretize: {els: "#discretize", box: "#discretize"},
  speed: {els: "#speed", box: "#speed"},
  stop: {els: "#stop_epochs, #stop_loss", box: "#stop_epochs, #stop_loss"},
  export: {els: "#export-model, #export-spec", box: "#export-model, #export-spec, #export-note"},
  lesson_link: {els: "#lesson-link", box: "#lesson-link"},
};
// what gives away a hidden setting without printing it -> the controls whose hiding hides
// it: the step count (steps per epoch = ⌈training points / batch size⌉: "Epoch 187 · step
// 187" said the batch was all of them) and "1 batch" (its presses to the next epoch count
// those steps); the header then shows the epoch only
const LESSON_DERIVED = {
  "#steps-line": ["batch_size", "train_ratio"],
  "#step-batch": ["batch_size", "train_ratio"],
  "#batch-line": ["batch_size"],
};
// the wrapper an input sits in (its label and value go with it)
const LESSON_WRAPS = "label.field, .control, .checks > label, label.pill.file";
// server notes an exercise's own text already says (the step exercise is the Caution)
const COVERED = {step: (n) => /^Caution: layer 1 uses the step function/.test(n)};

const lessons = {
  table: null, lesson: null, current: "", baseHash: "", observer: null, built: false,

  onReady(msg) {
    lessons.table = msg.lessons || null;
    lessons.lesson = msg.lesson || {preset: "", hide: [], lock: [], task: "", hash: ""};
    lessons.current = lessons.lesson.preset;
    if (!lessons.table) return;
    if (!lessons.built) lessons.build();
    const task = $("lesson-task");
    task.textContent = lessons.lesson.task;  // plain text, whatever the link said
    task.hidden = !lessons.lesson.task;
    // how the link's task was stored (cut to the limit, ending '…'; marks or invisible
    // characters removed) is for whoever made the link, in the dialog, not for the students
    // A task that lost text it does not show (read from the start of an overlong entry,
    // unreadable) is said on the page too: the students must not lose it without a word
    // (a task cut to the limit ends in '…')
    const cut = (msg.notes || []).filter((n) => /^link:.*\btask\b/.test(n) && !/read from|ignored/.test(n));
    lessons.cutNote = cut.join(" ");
    msg.notes = lessons.ownNotes((msg.notes || []).filter((n) => !cut.includes(n)));
    lessons.markPreset();
    lessons.apply();
  },

  // the address bar keeps the lesson part after the settings the server writes
  fullHash(hash) {
    if (typeof hash !== "string") return hash;  // (never "undefined&lesson=…")
    lessons.baseHash = hash;
    const extra = lessons.lesson && lessons.lesson.hash;
    return extra ? `${hash}&${extra}` : hash;
  },

  build() {
    lessons.built = true;
    const box = $("lesson-presets");
    box.textContent = "";
    const head = document.createElement("span");
    head.className = "lesson-head"; head.textContent = "Lecture exercises:";
    box.appendChild(head);
    for (const [name, p] of Object.entries(lessons.table.presets)) {
      const b = document.createElement("button");
      b.className = "pill preset"; b.dataset.preset = name;
      b.textContent = p.title; b.title = p.text;
      b.setAttribute("aria-label", `Exercise: ${p.title}`);
      b.onclick = () => lessons.choose(name);
      box.appendChild(b);
    }
    $("lesson-solution").onclick = lessons.showSolution;
    $("lesson-link").onclick = lessons.openDialog;
    lessons.observer = new MutationObserver(() => lessons.apply());
    for (const id of ["net-columns", "datasets"]) {
      lessons.observer.observe($(id), {childList: true, subtree: true});
    }
  },

  // An exercise is one server action ("preset"): the page changes nothing before the
  // answer; the state that comes back names the exercise (onState), a refusal sends the
  // state and lesson that run, so nothing is left half-chosen.
  choose(name) {
    $("data-error").textContent = "";
    const why = lessons.blocked(name);
    if (why) {  // said where the button is (a phone's status line is far below it)
      setStatus(why, "error");
      notice(why, document.querySelector(`#lesson-presets [data-preset="${name}"]`), "error");
      return;
    }
    lessons.choosing = true;  // its answer clears the status line (onState)
    send("preset", {name});
  },

  // every state message carries the lesson as the server runs it (app.js calls this
  // before applyState)
  onState(msg) {
    if (!msg.lesson || !lessons.table) return;
    msg.notes = lessons.ownNotes(msg.notes || [], msg.lesson.preset);
    // an exercise is a new start: the notes said before it go, even when it brings none of
    // its own (its text is filtered out above: a loss note stayed over three exercises)
    if (lessons.choosing) { lessons.choosing = false; setStatus(""); }
    const started = msg.lesson.preset && msg.lesson.preset !== lessons.current;
    lessons.lesson = msg.lesson;
    lessons.current = msg.lesson.preset;
    // the address bar names the exercise too (a reload keeps its Show solution), in an
    // entry of its own: the browser's Back returns to what was there before
    if (started && !window.playgroundBridge) history.pushState(null, "", location.href);
    // an exercise is a whole start: app.js's keep2d must not bring back the user's 2-D
    // network when it leaves a 1-D set (its "before" is what the exercise replaces)
    const oneD = (ds) => ["square", "abs", "sine"].includes(ds);
    if (started && app.state && !oneD(msg.state.dataset)) {
      app.kept2d = null;
      if (oneD(app.state.dataset)) app.state = {...app.state, dataset: msg.state.dataset};
    }
  },

  // The exercise's text has a line of its own in the bar (lessons.showNote): a run's stop
  // or another note in the status line does not replace it, and it is not said twice
  ownNotes(notes, preset = lessons.current) {
    const p = preset && lessons.table && lessons.table.presets[preset];
    if (!p) return notes;
    const covered = COVERED[preset] || (() => false);
    return notes.filter((n) => n !== p.text && !covered(n));
  },

  // how a refusal ends (locks.py's BY_TEACHER): who chose the lock, never how to remove it
  // (that is for the teacher: docs/playground.md, the lesson dialog)
  byTeacher() { return (lessons.table && lessons.table.by_teacher) || ""; },

  // "hidden", "locked" or "" for a control of lessons.py's CONTROLS
  shut(control) {
    const l = lessons.lesson;
    return !l ? "" : l.hide.includes(control) ? "hidden" : l.lock.includes(control) ? "locked" : "";
  },

  // A hidden control's setting is hidden wherever the page prints it (header, notes, keys,
  // tooltips, the neuron card, accessible names): each such print goes through here, the
  // value's text when shown, `alt` when the lesson hides `control`
  setting(control, text, alt = "hidden by this lesson") {
    return lessons.shut(control) === "hidden" ? alt : text;
  },

  // whether exercise `name`'s text may be shown: not while it describes a setting of a
  // control the lesson hides ("1-8-8-1 ReLU, Adam η = 0.1" with the optimizer hidden)
  tells(name) {
    const p = lessons.table && lessons.table.presets[name];
    if (!p || lessons.shut("presets") === "hidden") return false;
    return !Object.entries(lessons.table.settings || {}).some(([control, keys]) =>
      lessons.shut(control) === "hidden" && keys.some((k) => k in p.settings));
  },

  // why exercise `name` cannot start under this lesson's locks ("" if it can): the first
  // locked or hidden setting it would change, in the server's words
  blocked(name) {
    const p = lessons.table && lessons.table.presets[name], st = app.state;
    if (!p || !st || name === lessons.current) return "";
    // the settings each control owns come from the server's table (lessons.py's CONTROLS): an
    // exercise that would move one of a locked or hidden control is refused by the server
    // (locks.guard), so its button says so before it is clicked
    for (const [control, keys] of Object.entries(lessons.table.settings || {})) {
      const how = lessons.shut(control);
      const moved = how && keys.find((k) => k in p.settings && JSON.stringify(p.settings[k]) !== JSON.stringify(st[k]));
      if (moved) {
        const t = lessons.titleOf(name);
        return `${t === p.title ? `Exercise ${t}` : t} not started: it would change “${lessons.table.controls[control]}”, ` +
          `${how} by this lesson link. ${lessons.byTeacher()}`;
      }
    }
    return "";
  },

  // why dataset button `b` is refused whatever the click ("" if not, or not such a button):
  // as an exercise's (blocked), on what its click sends (panels.js's 1-D PRESETS) and the
  // input features a switch between 1-D and 2-D data swaps
  datasetBlocked(b) {
    const st = app.state, name = b.classList.contains("dataset") && b.dataset.name;
    if (!st || !name || name === "csv" || name === st.dataset || !lessons.table) return "";
    const oneD = (d) => ["square", "abs", "sine"].includes(d);
    const changes = datasetChanges(name, st);  // panels.js: what the click sends
    if (oneD(name) !== oneD(st.dataset)) changes.features = [];  // swapped by the server
    for (const [control, keys] of Object.entries(lessons.table.settings || {})) {
      const how = lessons.shut(control);
      if (how && keys.some((k) => k in changes && JSON.stringify(changes[k]) !== JSON.stringify(st[k]))) {
        return `Dataset ${DATASET_LABELS[name] || name} not chosen: it would change “${lessons.table.controls[control]}”, ` +
          `${how} by this lesson link. ${lessons.byTeacher()}`;
      }
    }
    return "";
  },

  // an exercise's name, or its place when the name states a setting of a control this
  // lesson hides (exercises.py's `names`: "Sigmoid × 6" says the activation and the depth)
  titleOf(name) {
    const p = lessons.table.presets[name];
    const hides = (p.names || []).some((c) => lessons.shut(c) === "hidden");
    return hides ? `Exercise ${Object.keys(lessons.table.presets).indexOf(name) + 1}` : p.title;
  },

  // the current exercise's text, while the page still has the exercise's network
  showNote() {
    const note = $("lesson-note") || lessons.noteLine();
    const p = lessons.current && lessons.table && lessons.table.presets[lessons.current];
    // not when the lesson hides the exercises or a setting the note names (it may give away the answer)
    const on = lessons.stillSet() && lessons.tells(lessons.current);
    note.textContent = on ? p.text : "";
    note.hidden = !on;
    // the exercise's chip is lit while the page still shows the exercise, as its note is
    for (const b of document.querySelectorAll("#lesson-presets .preset")) {
      const lit = b.dataset.preset === lessons.current && lessons.stillSet();
      b.classList.toggle("selected", lit);
      b.setAttribute("aria-pressed", lit ? "true" : "false");
    }
  },

  // whether the page still shows the current exercise: its data, layers and activations
  stillSet() {
    const p = lessons.current && lessons.table && lessons.table.presets[lessons.current];
    const st = app.state;
    const same = (k) => st && JSON.stringify(st[k]) === JSON.stringify(p.settings[k]);
    return !!(p && ["dataset", "hidden", "activation"].every(same));
  },

  noteLine() {
    const p = document.createElement("p");
    p.id = "lesson-note"; p.className = "lesson-note"; p.hidden = true;
    p.setAttribute("aria-live", "polite");
    $("lesson-bar").appendChild(p);  // below the exercises and the tools
    return p;
  },

  // whether the current exercise sets control `id` to `value` (the list says where it came from)
  setsValue(id, value) {
    const p = lessons.current && lessons.table && lessons.table.presets[lessons.current];
    return !!(p && p.settings[id] === value);
  },

  markPreset() {
    for (const b of document.querySelectorAll("#lesson-presets .preset")) {
      const on = b.dataset.preset === lessons.current;
      b.classList.toggle("selected", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
      // an exercise the lesson's locks refuse looks disabled and says why (a click says it
      // beside the button); it stays focusable, so the reason can be read
      const p = lessons.table.presets[b.dataset.preset], title = lessons.titleOf(b.dataset.preset);
      b.textContent = title;
      b.setAttribute("aria-label", title === p.title ? `Exercise: ${title}` : title);
      if (b.dataset.lessonRefusal !== undefined) continue;  // the exercises are locked (locked.js)
      const why = lessons.blocked(b.dataset.preset);
      b.classList.toggle("blocked", !!why);
      if (why) b.setAttribute("aria-disabled", "true"); else b.removeAttribute("aria-disabled");
      b.title = why || (lessons.tells(b.dataset.preset) ? p.text : title === p.title ? title :
        `${title}: its name would show a setting hidden by this lesson`);
    }
    if (!lessons.shut("dataset")) {  // the datasets a lock refuses, on this state
      for (const b of document.querySelectorAll("#datasets button")) lockedControls.mark(b, lessons.datasetBlocked(b));
    }
    lessons.showSolutionButton();
    lessons.showNote();
  },

  // the solution fits the preset's network: offered while the page still has that shape
  showSolutionButton() {
    const p = lessons.current && lessons.table && lessons.table.presets[lessons.current];
    const st = app.state;
    const l = lessons.lesson;
    const same = (k) => JSON.stringify(st[k]) === JSON.stringify(p.settings[k]);
    // the server checks it again (lessons.solution_misfit). Locked (itself, or typing weights:
    // locks.REFUSED_WITH) it is drawn disabled and answers with the refusal (locked.js's one
    // rule, apply marks it); hidden (itself: LESSON_CONTROLS' box, or the weights) it is not drawn
    const fits = !!(p && p.solution && st && ["dataset", "features", "hidden", "activation"].every(same) &&
      !(l && l.hide.includes("weights")));
    $("lesson-solution").classList.toggle("absent", !fits);
  },

  // the server sets the weights when they fit this network and says the loss it measures
  showSolution() { send("solution"); },

  // hide and lock what the lesson says (again after the network or datasets are redrawn)
  apply() {
    const l = lessons.lesson;
    if (!l) return;
    lessons.showSolutionButton();
    lessons.showNote();
    let moved = false;
    for (const [name, c] of Object.entries(LESSON_CONTROLS)) {
      const hidden = l.hide.includes(name), locked = hidden || l.lock.includes(name);
      document.body.classList.toggle("lock-" + name, locked);
      const shut = lessons.refusalOf(name, null);
      for (const el of document.querySelectorAll(c.els)) lockedControls.mark(el, shut ? lessons.refusalOf(name, el) : lessons.datasetBlocked(el));
      if (!c.box) continue;
      for (const el of document.querySelectorAll(c.box)) {
        const box = el.closest(LESSON_WRAPS) || el;
        if (box.classList.contains("lesson-hidden") !== hidden) moved = true;
        box.classList.toggle("lesson-hidden", hidden);
      }
    }
    for (const [sel, controls] of Object.entries(LESSON_DERIVED)) {
      const gone = controls.some((c) => l.hide.includes(c));
      for (const el of document.querySelectorAll(sel)) el.classList.toggle("lesson-hidden", gone);
    }
    // hiding or showing boxes moves the network's nodes: the links drawn before follow
    // them now (not at the next snapshot)
    if (moved && app.state && app.snap && app.data) drawLinks(app.snap);
    // what is locked, said on the page (a phone has no tooltips)
    const locks = $("lesson-locks") || lessons.locksLine();
    const names = l.lock.map((n) => lessons.table.controls[n]).filter(Boolean);
    locks.textContent = names.length ? `${names.join(", ")} (by this lesson).` : "";
    locks.hidden = !names.length;
    // the bar goes when a lesson hides everything in it
    const shown = (id) => { const el = $(id); return !el.hidden && el.offsetParent !== null; };
    $("lesson-bar").classList.toggle("lesson-hidden", !l.task && !names.length &&
      ["presets", "lesson_link"].every((n) => l.hide.includes(n)) && !shown("lesson-solution"));
  },

  // the refusal a click on `el` of control `name` gets ("" while nothing locks it): its own
  // lock, or one of the server's `refused_with` (Upload CSV with the dataset locked)
  refusalOf(name, el) {
    const by = [name, ...((lessons.table.refused_with || {})[name] || [])].find((n) => lessons.shut(n));
    if (!by) return "";
    const how = lessons.shut(by), label = (n) => lessons.table.controls[n] || n;
    const tail = `by this lesson link. ${lessons.byTeacher()}`;
    if (by !== name) return `“${label(name)}” cannot be used: “${label(by)}” is ${how} ${tail}`;
    const on = !!el && el.getAttribute("aria-pressed") === "true";
    const what = el && el.dataset.feature ? `Feature ${el.querySelector(".flabel")?.textContent || el.dataset.feature} ` +
      `not switched ${on ? "off" : "on"}: ` : "";
    return `${what}“${label(name)}” is ${how} ${tail}`;
  },

  locksLine() {
    const p = document.createElement("p");
    p.id = "lesson-locks"; p.className = "lesson-locks"; p.hidden = true;
    $("lesson-task").after(p);
    return p;
  },
};
window.lessons = lessons;

// A link opened in a tab that already shows the playground (pasted into the address bar, a
// lesson link clicked, Back or Forward over the exercises): the page starts over from it,
// settings, exercise, task and locks, as a new tab would. The page's own address updates
// (replaceState) fire no hashchange.
window.addEventListener("hashchange", () => {
  if (window.playgroundBridge) return;
  const h = location.hash.replace(/^#/, "");
  if (!h || h === app.lastHash) return;
  app.lastHash = h;
  $("data-error").textContent = "";
  send("hello", {url: parseHash()});
});
