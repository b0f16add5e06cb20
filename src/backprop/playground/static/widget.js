// backprop playground — anywidget's module for backprop.playground.widget (nbwidget.py).
// It shows the playground's own page (static/index.html with its scripts, sent by the
// kernel as `_page`) in a sandboxed frame and carries the page's messages between the
// frame (bridge.js) and the kernel, where the server's Connection answers them.
// Scripts of the frame run without access to the notebook (no allow-same-origin).

// the page lays out three columns from this width on (style.css, @media max-width: 1000px);
// a narrower cell output (JupyterLab with its side bar open) gets the page at this width,
// scaled down, rather than the stacked phone layout; below MIN_SCALED it stacks
const LAYOUT = 1001;
const MIN_SCALED = 600;

function render({model, el}) {
  const box = document.createElement("div");
  box.style.cssText = "position: relative; overflow: hidden; width: 100%;";
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts allow-downloads");
  frame.setAttribute("title", "backprop playground");
  frame.style.cssText = "border: 0; display: block; transform-origin: 0 0;";
  frame.srcdoc = model.get("_page");
  el.classList.add("backprop-playground-widget");
  box.appendChild(frame);
  el.appendChild(box);

  let height = model.get("height");  // the page's, unscaled; the page reports it
  const fit = () => {
    const avail = box.clientWidth;
    const scale = avail >= MIN_SCALED && avail < LAYOUT ? avail / LAYOUT : 1;
    frame.style.width = scale === 1 ? "100%" : LAYOUT + "px";
    frame.style.transform = scale === 1 ? "" : `scale(${scale})`;
    frame.style.height = height + "px";
    box.style.height = Math.ceil(height * scale) + "px";
  };
  const resized = new ResizeObserver(fit);
  resized.observe(box);
  fit();

  const fromFrame = (ev) => {
    if (ev.source !== frame.contentWindow || !ev.data || typeof ev.data !== "object") return;
    const d = ev.data;
    if (d.bp === "msg" && typeof d.text === "string") model.send({text: d.text});
    else if (d.bp === "height" && Number.isFinite(d.height) && d.height > 100) {
      height = Math.min(d.height + 4, 6000);
      fit();
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
    resized.disconnect();
    window.removeEventListener("message", fromFrame);
    model.off("msg:custom", fromKernel);
  };
}

export default {render};
