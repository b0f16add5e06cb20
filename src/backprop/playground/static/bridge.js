// backprop playground — the page's transport inside a notebook widget (widget.py puts this
// file before app.js in the widget's frame; the served page does not load it). app.js
// opens `window.playgroundBridge.socket()` instead of a WebSocket: an object with the
// WebSocket's readyState, send, onopen, onmessage and onclose, carried by postMessage to
// the widget's module (widget.js) in the notebook, which passes it to the kernel.
"use strict";

window.playgroundBridge = {
  socket() {
    const sock = {readyState: 0, onopen: null, onmessage: null, onclose: null,
      send(text) { if (sock.readyState === 1) parent.postMessage({bp: "msg", text}, "*"); }};
    window.addEventListener("message", (ev) => {
      if (ev.source !== parent || !ev.data || typeof ev.data !== "object") return;
      const d = ev.data;
      if (d.bp === "msg" && typeof d.text === "string" && sock.onmessage) sock.onmessage({data: d.text});
      else if (d.bp === "gone") {  // the kernel is gone (widget.js): nothing plays any more
        const play = document.getElementById("play");
        if (d.on && typeof setPlaying === "function") setPlaying(false);
        // greyed, still clickable: a click asks the kernel again (widget.js says what it finds)
        if (play) {
          play.classList.toggle("gone", !!d.on);
          play.title = d.on ? "The kernel is gone: run the widget's cell again" : "Play / pause";
        }
      }
      else if (d.bp === "closed" && sock.readyState === 1) {
        sock.readyState = 3;
        if (sock.onclose) sock.onclose({code: d.code || 1000, reason: d.reason || ""});
      }
    });
    // open on the next turn, once app.js has set the handlers
    setTimeout(() => { sock.readyState = 1; if (sock.onopen) sock.onopen(); }, 0);
    return sock;
  },
};

// the frame is as tall as the page: the widget's module sets its height
(() => {
  let last = 0;
  const tell = () => {
    // the body's own height (the frame's scrollHeight never shrinks below the frame)
    const cs = getComputedStyle(document.body);
    const h = Math.ceil(document.body.getBoundingClientRect().height +
      parseFloat(cs.marginTop) + parseFloat(cs.marginBottom));
    if (h !== last) { last = h; parent.postMessage({bp: "height", height: h}, "*"); }
  };
  document.addEventListener("DOMContentLoaded", () => {
    new ResizeObserver(tell).observe(document.body);
    tell();
  });
})();
