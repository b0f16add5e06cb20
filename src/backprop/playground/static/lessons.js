// backprop playground — lessons: the lecture's exercises as one-click presets, the
// |x − 1| solution, and lesson links (controls hidden or locked, a one-line task).
// The server checks a link's lesson part (lessons.py) and sends it in `ready`; this file
// only shows it. Text from a link is set with textContent, never as HTML. Uses app.js.
"use strict";

// control name -> the elements it covers (`els`; buttons and inputs are disabled when
// locked) and, when hidden, the boxes that go (`box`: a selector, or the element's
// closest wrapper)
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
  weights: {els: ".node .bias, #editor-input, #editor-ok", box: ""},
  view: {els: "#view-gradients", box: "#view-gradients"},
  show_test: {els: "#show_test", box: "#show_test"},
  discretize: {els: "#discretize", box: "#discretize"},
  speed: {els: "#speed", box: "#speed"},
  stop: {els: "#stop_epochs, #stop_loss", box: "#stop_epochs, #stop_loss"},
  export: {els: "#export-model, #export-spec", box: "#export-model, #export-spec, #export-note"},
  lesson_link: {els: "#lesson-link", box: "#lesson-link"},
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

  // the current exercise's text, while the page still has the exercise's network
  showNote() {
    const note = $("lesson-note") || lessons.noteLine();
    const p = lessons.current && lessons.table && lessons.table.presets[lessons.current];
    const st = app.state;
    const same = (k) => st && JSON.stringify(st[k]) === JSON.stringify(p.settings[k]);
    const on = !!(p && ["dataset", "hidden", "activation"].every(same));
    note.textContent = on ? p.text : "";
    note.hidden = !on;
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
    // the server checks it again (lessons.solution_misfit); typing weights locked: no button
    const fits = !!(p && p.solution && st && ["dataset", "features", "hidden", "activation"].every(same) &&
      !(l && [...l.lock, ...l.hide].some((n) => n === "weights" || n === "solution")));
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
      for (const el of document.querySelectorAll(c.els)) {
        if (locked && !el.disabled) { el.disabled = true; el.dataset.lessonLocked = "1"; }
        else if (!locked && el.dataset.lessonLocked) { el.disabled = false; delete el.dataset.lessonLocked; }
        if (locked) el.title = "Locked by this lesson";
      }
      if (!c.box) continue;
      for (const el of document.querySelectorAll(c.box)) {
        const box = el.closest(LESSON_WRAPS) || el;
        if (box.classList.contains("lesson-hidden") !== hidden) moved = true;
        box.classList.toggle("lesson-hidden", hidden);
      }
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

  locksLine() {
    const p = document.createElement("p");
    p.id = "lesson-locks"; p.className = "lesson-locks"; p.hidden = true;
    $("lesson-task").after(p);
    return p;
  },

  // ------------------------------------------------------------- copy lesson link
  openDialog() {
    let dlg = $("lesson-dialog");
    if (!dlg) dlg = lessons.buildDialog();
    const l = lessons.lesson;
    $("lesson-dialog-preset").value = lessons.current || "";
    // a page opened from a lesson link keeps its locks: a row it hides stays hidden, a row it
    // locks can be hidden but not shown (a student's copy does not undo the lesson)
    for (const sel of dlg.querySelectorAll("select[data-control]")) {
      const name = sel.dataset.control;
      sel.value = l.hide.includes(name) ? "hide" : l.lock.includes(name) ? "lock" : "show";
      sel.disabled = l.hide.includes(name);
      sel.options[0].disabled = l.hide.includes(name) || l.lock.includes(name);
      sel.closest(".lesson-row").classList.toggle("kept", l.hide.includes(name) || l.lock.includes(name));
    }
    const kept = l.hide.length + l.lock.length;
    const why = $("lesson-dialog-kept");
    why.hidden = !kept;
    why.textContent = kept ? `This page was opened from a lesson link that hides or locks ${kept} ` +
      `control${kept === 1 ? "" : "s"} (marked ✕ below): links made here keep them hidden or locked. ` +
      `To build a new lesson, open the playground without a lesson part: ${location.origin}${location.pathname}` : "";
    $("lesson-dialog-cut").textContent = lessons.cutNote || "";
    $("lesson-dialog-task").value = l.task;
    lessons.updateLink();
    $("lesson-dialog-copied").textContent = "";
    dlg.showModal();
  },

  buildDialog() {
    const dlg = document.createElement("dialog");
    dlg.id = "lesson-dialog"; dlg.className = "lesson-dialog";
    dlg.setAttribute("aria-labelledby", "lesson-dialog-h");
    const h = document.createElement("h2"); h.id = "lesson-dialog-h"; h.textContent = "Copy lesson link";
    const hint = document.createElement("p"); hint.className = "hint small";
    hint.textContent = "The link opens this page's settings (seed included) with the controls below shown, " +
      "locked or hidden, and your task above the page.";
    const taskLabel = document.createElement("label"); taskLabel.className = "field wide";
    taskLabel.htmlFor = "lesson-dialog-task";
    const tl = document.createElement("span"); tl.className = "label"; tl.textContent = "Task (one line)";
    const task = document.createElement("input"); task.id = "lesson-dialog-task"; task.type = "text";
    task.placeholder = "e.g. Find weights with zero loss";  // its length: taskLength (no maxLength: UTF-16 units)
    const count = document.createElement("span"); count.id = "lesson-dialog-count"; count.className = "hint small";
    count.setAttribute("aria-live", "polite");
    const cut = document.createElement("span"); cut.id = "lesson-dialog-cut"; cut.className = "hint small";
    taskLabel.append(tl, task, count, cut);
    const kept = document.createElement("p"); kept.id = "lesson-dialog-kept"; kept.className = "lesson-kept"; kept.hidden = true;
    const presetLabel = document.createElement("label"); presetLabel.className = "field wide";
    const pl = document.createElement("span"); pl.className = "label"; pl.textContent = "Exercise";
    const preset = document.createElement("select"); preset.id = "lesson-dialog-preset";
    preset.setAttribute("aria-label", "Exercise");
    preset.add(new Option("none (this page's settings only)", ""));
    for (const [name, p] of Object.entries(lessons.table.presets)) preset.add(new Option(p.title, name));
    presetLabel.append(pl, preset);
    const grid = document.createElement("div"); grid.className = "lesson-grid";
    for (const [name, label] of Object.entries(lessons.table.controls)) {
      const row = document.createElement("label"); row.className = "lesson-row";
      const span = document.createElement("span"); span.textContent = label;
      const sel = document.createElement("select"); sel.dataset.control = name;
      sel.setAttribute("aria-label", `${label}: shown, locked or hidden`);
      for (const [v, t] of [["show", "shown"], ["lock", "locked"], ["hide", "hidden"]]) sel.add(new Option(t, v));
      row.append(span, sel);
      grid.appendChild(row);
    }
    const out = document.createElement("input"); out.id = "lesson-dialog-url"; out.type = "text";
    out.readOnly = true; out.setAttribute("aria-label", "Lesson link");
    const copy = document.createElement("button"); copy.className = "pill"; copy.textContent = "Copy link";
    copy.id = "lesson-dialog-copy";
    const close = document.createElement("button"); close.className = "pill"; close.textContent = "Close";
    close.id = "lesson-dialog-close";
    const copied = document.createElement("span"); copied.id = "lesson-dialog-copied"; copied.className = "hint small";
    copied.setAttribute("role", "status");
    const row = document.createElement("div"); row.className = "row"; row.append(copy, close, copied);
    dlg.append(h, hint, kept, taskLabel, presetLabel, out, row, grid);  // the link first: phones scroll
    document.body.appendChild(dlg);
    dlg.addEventListener("input", lessons.updateLink);
    dlg.addEventListener("change", lessons.updateLink);
    copy.onclick = lessons.copyLink;
    close.onclick = () => dlg.close();
    return dlg;
  },

  // a lesson's part of a link, as lessons.py's to_url writes it
  part(l) {
    const parts = [];
    if (l.preset) parts.push(`lesson=${l.preset}`);
    if (l.hide.length) parts.push(`hide=${l.hide.join(",")}`);
    if (l.lock.length) parts.push(`lock=${l.lock.join(",")}`);
    if (l.task) parts.push(`task=${encodeURIComponent(l.task)}`);
    return parts.join("&");
  },

  linkFromDialog() {
    const hide = [], lock = [], l = lessons.lesson;
    for (const sel of document.querySelectorAll("#lesson-dialog select[data-control]")) {
      const name = sel.dataset.control;
      // the page's own lesson is kept whatever a row says (openDialog disables those choices)
      if (sel.value === "hide" || l.hide.includes(name)) hide.push(name);
      else if (sel.value === "lock" || l.lock.includes(name)) lock.push(name);
    }
    // as the server will keep it (taskClean): what the students see, within the link's bound
    const task = taskClean($("lesson-dialog-task").value, lessons.table.max_marks);
    const part = lessons.part({preset: $("lesson-dialog-preset").value, hide, lock, task});
    const base = lessons.baseHash || location.hash.replace(/^#/, "");
    return `${location.origin}${location.pathname}#${[base, part].filter(Boolean).join("&")}`;
  },

  updateLink() {
    $("lesson-dialog-url").value = lessons.linkFromDialog();
    // the task counted as the server counts it (lessons.py's _task, its task_rule): characters
    // (code points) after NFC, with invisible characters removed and spaces collapsed
    const n = taskLength($("lesson-dialog-task").value, lessons.table.max_marks), max = lessons.table.max_task;
    const over = n > max;
    const count = $("lesson-dialog-count");
    count.textContent = over ? `${n} characters: the task may have at most ${max} (counted after Unicode NFC ` +
      `normalisation, invisible characters not counted); shorten it by ${n - max} to copy the link.` : `${n} / ${max} characters`;
    count.classList.toggle("error", over);
    $("lesson-dialog-copy").disabled = over;
  },

  copyLink() {
    const out = $("lesson-dialog-url");
    const said = $("lesson-dialog-copied");
    const done = () => { said.textContent = "Copied."; };
    const fallback = () => {
      out.focus(); out.select();
      said.textContent = document.execCommand && document.execCommand("copy") ? "Copied." : "Select the link and copy it (Ctrl+C).";
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(out.value).then(done, fallback);
    else fallback();
  },
};
window.lessons = lessons;

// A task as the server keeps it (lessons.py's _task, task_rule "nfc_code_points"): format
// characters (Cf) other than the zero-width joiners and the blanks (Hangul fillers, Braille
// blank) removed, control characters made spaces (not unassigned ones: Python may not know
// a newer emoji), Unicode NFC, runs of white space one space, trimmed, combining marks past
// `maxMarks` in a row removed. The dialog puts this text in the link, so that the link
// carries at most 12 encoded characters per counted one (the server's MAX_ENCODED).
function taskClean(text, maxMarks = 4) {
  const kept = text.replace(/[\p{Cf}\u115f\u1160\u3164\uffa0\u2800]/gu, (c) => (c === "\u200c" || c === "\u200d" ? c : ""))
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\p{Co}]/gu, " ");
  let out = "", run = 0;
  for (const c of kept.normalize("NFC").replace(/\s+/gu, " ").trim()) {
    run = /[\p{Mn}\p{Me}]/u.test(c) ? run + 1 : 0;
    if (run <= maxMarks) out += c;
  }
  return out;
}
// its length, counted in characters (code points), not in UTF-16 units (an emoji is 1, not
// 2; NFC can make a text longer: U+0958 is 2)
function taskLength(text, maxMarks = 4) { return [...taskClean(text, maxMarks)].length; }

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
