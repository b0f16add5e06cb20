// backprop playground — one rule for every control a lesson link locks: it looks and reads
// disabled (aria-disabled, not `disabled`), stays focusable, and answers a click, a tap or a
// key with the refusal beside it, in the words the server would use; it never changes the
// state (the server refuses the change anyway: locks.py). A `disabled` control gave no
// answer at all (Chromium sends it no clicks). Number fields are made read-only, lists and
// sliders do not open or move, a file input opens no picker, a checkbox does not tick.
// Uses notices.js's notice and setStatus; loads after lessons.js.
"use strict";

const lockedControls = {
  // `el` locked with refusal `text`, or unlocked ("")
  mark(el, text) {
    const d = el.dataset;
    if (!text) {
      if (d.lessonRefusal === undefined) return;
      delete d.lessonRefusal;
      el.removeAttribute("aria-disabled");
      if (d.lessonReadonly) { el.readOnly = false; delete d.lessonReadonly; }
      if (d.lessonTitle !== undefined) { el.title = d.lessonTitle; delete d.lessonTitle; }
      return;
    }
    if (d.lessonRefusal === undefined) {
      d.lessonTitle = el.title;
      if (["number", "text"].includes(el.type) && !el.readOnly) { el.readOnly = true; d.lessonReadonly = "1"; }
    }
    d.lessonRefusal = text;
    el.setAttribute("aria-disabled", "true");
    el.title = text;
  },

  of(e) { return e.target instanceof Element ? e.target.closest("[data-lesson-refusal]") : null; },
  // said once for one gesture (a tap's touchstart and its click)
  say(el) {
    const now = Date.now();
    const up = $("notice") && !$("notice").hidden;
    if (up && lockedControls.said === el && now - lockedControls.saidAt < 500) return;
    lockedControls.said = el; lockedControls.saidAt = now;
    setStatus(el.dataset.lessonRefusal, "error");
    notice(el.dataset.lessonRefusal, el, "error");
  },
  // lists and sliders act on the press (a list opens, a thumb moves): not when locked
  presses(el) { return el.tagName === "SELECT" || el.type === "range"; },

  listen() {
    const on = (type, fn, opts = true) => document.addEventListener(type, fn, opts);
    on("click", (e) => {  // before the element's own handler
      const el = lockedControls.of(e);
      if (!el) return;
      e.stopPropagation(); e.preventDefault();  // (a checkbox stays as it was)
      lockedControls.say(el);
    });
    on("mousedown", (e) => {
      const el = lockedControls.of(e);
      if (el && lockedControls.presses(el)) { e.preventDefault(); el.focus(); }
    });
    on("touchstart", (e) => {  // a tap on a slider or list: no drag, and no click follows
      const el = lockedControls.of(e);
      if (el && lockedControls.presses(el)) { e.preventDefault(); lockedControls.say(el); }
    }, {capture: true, passive: false});
    on("keydown", (e) => {
      const el = lockedControls.of(e);
      if (!el || ["Tab", "Escape", "Shift", "Control", "Alt", "Meta"].includes(e.key) || e.ctrlKey || e.metaKey) return;
      e.preventDefault(); e.stopPropagation();  // Enter, Space, arrows, typing
      lockedControls.say(el);
    });
    // whatever got past the above (a list opened from the keyboard by Alt+↓): the change is
    // not sent, and the control shows the state again
    const undo = (e) => {
      const el = lockedControls.of(e);
      if (!el) return;
      e.stopPropagation();
      if (el.dataset.lessonWas !== undefined) {
        if (el.type === "checkbox") el.checked = el.dataset.lessonWas === "true"; else el.value = el.dataset.lessonWas;
      }
      if (e.type === "change") lockedControls.say(el);
    };
    on("input", undo); on("change", undo);
    on("focusin", (e) => {
      const el = lockedControls.of(e);
      if (el) el.dataset.lessonWas = el.type === "checkbox" ? String(el.checked) : el.value;
    });
  },
};
lockedControls.listen();
window.lockedControls = lockedControls;
