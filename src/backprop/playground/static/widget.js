// backprop playground — anywidget's module for backprop.playground.widget (widget.py).
// It shows the playground's own page (static/index.html with its scripts, sent by the
// kernel as `_page`) in a sandboxed frame and carries the page's messages between the
// frame (bridge.js) and the kernel, where the server's Connection answers them.
// Scripts of the frame run without access to the notebook (no allow-same-origin).

function render({model, el}) {
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts allow-downloads");
  frame.setAttribute("title", "backprop playground");
  frame.style.cssText = "width: 100%; border: 0; display: block;";
  frame.style.height = model.get("height") + "px";
  frame.srcdoc = model.get("_page");
  el.classList.add("backprop-playground-widget");
  el.appendChild(frame);

  const fromFrame = (ev) => {
    if (ev.source !== frame.contentWindow || !ev.data || typeof ev.data !== "object") return;
    const d = ev.data;
    if (d.bp === "msg" && typeof d.text === "string") model.send({text: d.text});
    else if (d.bp === "height" && Number.isFinite(d.height) && d.height > 100) {
      frame.style.height = Math.min(d.height + 4, 4000) + "px";
    }
  };
  const fromKernel = (msg) => {
    if (!msg || typeof msg !== "object" || !frame.contentWindow) return;
    if (typeof msg.text === "string") frame.contentWindow.postMessage({bp: "msg", text: msg.text}, "*");
    else if ("closed" in msg) frame.contentWindow.postMessage({bp: "closed", code: msg.closed, reason: msg.reason}, "*");
  };
  window.addEventListener("message", fromFrame);
  model.on("msg:custom", fromKernel);
  return () => {
    window.removeEventListener("message", fromFrame);
    model.off("msg:custom", fromKernel);
  };
}

export default {render};
