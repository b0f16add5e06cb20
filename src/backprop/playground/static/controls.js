// backprop playground — the top bar's lists and buttons in words: a value that is not one
// of a list's choices (set by an exercise, a link or a notebook) shown as such and removed
// once it is no longer the value; what the keyboard chose, said to a screen reader. Uses
// app.js.
"use strict";

// A select showing `value`: one of its fixed choices, or the value itself in its place in
// the order, said to come from the exercise, the link or the notebook (its tooltip and
// accessible name: the top bar has no room for more words); it goes once it is not the
// value, so the list does not grow with every exercise.
function showChoice(sel, value) {
  const v = String(value);
  for (const o of [...sel.options]) if (o.dataset.extra && o.value !== v) o.remove();
  let why = "";
  if (![...sel.options].some((o) => o.value === v)) {
    const from = window.playgroundBridge ? "the notebook"
      : window.lessons && lessons.setsValue(sel.id, value) ? "this exercise" : "this page's link";
    why = `${v} is not one of this list's values: set by ${from}`;
    const o = new Option(v, v);
    o.dataset.extra = "1"; o.title = why; o.setAttribute("aria-label", `${v}, set by ${from}`);
    const after = [...sel.options].find((x) => !x.dataset.extra && Number(x.value) > Number(value));
    sel.add(o, after || null);
  }
  sel.value = v;
  if (sel.dataset.lessonRefusal === undefined) sel.title = why;
}

// what a neuron's ←/→ chose, said to a screen reader: the neuron's name carries it (read
// when the neuron has focus) and a polite live region says it once
function announce(node, text) {
  for (const n of document.querySelectorAll(".node.neuron[data-name]")) n.setAttribute("aria-label", n.dataset.name);
  if (!node.dataset.name) node.dataset.name = node.getAttribute("aria-label");
  node.setAttribute("aria-label", text ? `${node.dataset.name}; chosen: ${text}` : node.dataset.name);
  let live = $("sr-live");
  if (!live) {
    live = document.createElement("p");
    live.id = "sr-live"; live.className = "sr-only";
    live.setAttribute("aria-live", "polite"); live.setAttribute("role", "status");
    document.body.appendChild(live);
  }
  live.textContent = text ? `Chosen: ${text}` : "";
}
