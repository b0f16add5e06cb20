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
// a kernel that answers no ping in this time is taken for gone (restarted, shut down)
const PING_WAIT = 4000;
// a kernel is not told when a tab closes or reloads: each view says it is there this often,
// and goodbye when removed; training pauses when no view is left (nbwidget_views.py)
const ALIVE_EVERY = 2000;
const GONE = "This widget's kernel restarted or stopped, so nothing here trains or answers " +
  "any more: run the cell again for a live widget.";
const SLOW = "No answer from the kernel yet: a cell is still running (the widget answers when " +
  "it ends), or the kernel restarted (then run the cell again).";

function render({model, el}) {
  const box = document.createElement("div");
  box.style.cssText = "position: relative; overflow: hidden; width: 100%;";
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts allow-downloads");
  frame.setAttribute("title", "backprop playground");
  frame.style.cssText = "border: 0; display: block; transform-origin: 0 0;";
  frame.srcdoc = model.get("_page");
  el.classList.add("backprop-playground-widget");
  // said on the widget, outside the frame, when the kernel is gone or does not answer
  const notice = document.createElement("div");
  notice.className = "backprop-widget-notice";
  notice.setAttribute("role", "alert");
  notice.hidden = true;
  notice.style.cssText = "padding: 6px 10px; margin: 0 0 4px; border-radius: 4px; " +
    "font: 14px/1.4 system-ui, sans-serif; background: #fdecea; color: #611a15; " +
    "border: 1px solid #f5c2c0;";
  el.appendChild(notice);
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

  // is the kernel there? A ping it answers at once (nbwidget.py); none within PING_WAIT
  // after a click, or after the front end lost the comm (a kernel restart), says so here
  let pings = 0, waiting = null, gone = false, lastPing = 0;
  const say = (text) => {
    notice.textContent = text;
    notice.hidden = !text;
    frame.style.opacity = text === GONE ? "0.45" : "";
    // the page inside: ▶ greyed while the kernel is gone (its last state said ⏸: playing)
    if (frame.contentWindow) frame.contentWindow.postMessage({bp: "gone", on: text === GONE}, "*");
  };
  const ping = (text) => {
    if (waiting !== null) return;
    lastPing = Date.now();
    const id = ++pings;
    waiting = setTimeout(() => { waiting = null; gone = text === GONE; say(text); }, PING_WAIT);
    try { model.send({ping: id}); } catch (e) { clearTimeout(waiting); waiting = null; gone = true; say(GONE); }
  };
  const lost = () => ping(GONE);
  const fromFrame = (ev) => {
    if (ev.source !== frame.contentWindow || !ev.data || typeof ev.data !== "object") return;
    const d = ev.data;
    if (d.bp === "msg" && typeof d.text === "string") {
      try { model.send({text: d.text}); } catch (e) { gone = true; say(GONE); return; }
      if (gone) ping(GONE);  // still gone? (a pong clears the notice)
      else if (Date.now() - lastPing > 2000) ping(SLOW);
    }
    else if (d.bp === "height" && Number.isFinite(d.height) && d.height > 100) {
      height = Math.min(d.height + 4, 6000);
      fit();
    }
  };
  const fromKernel = (msg) => {
    if (!msg || typeof msg !== "object" || !frame.contentWindow) return;
    if ("pong" in msg || "text" in msg) {  // the kernel is there
      if (waiting !== null) { clearTimeout(waiting); waiting = null; }
      if (gone || !notice.hidden) { gone = false; say(""); }
      if ("pong" in msg) return;
    }
    if (typeof msg.text === "string") frame.contentWindow.postMessage({bp: "msg", text: msg.text}, "*");
    else if ("closed" in msg) frame.contentWindow.postMessage({bp: "closed", code: msg.closed, reason: msg.reason}, "*");
  };
  window.addEventListener("message", fromFrame);
  model.on("msg:custom", fromKernel);
  const viewId = Math.random().toString(36).slice(2, 12);
  // (a page unloading fires pagehide, then visibilitychange: a view that said goodbye is gone)
  let left = false;
  const alive = () => {
    if (left) return;
    try { model.send({view: viewId, hidden: document.hidden}); } catch (e) { /* gone */ }
  };
  const goodbye = () => {
    if (left) return;
    left = true;
    try { model.send({view: viewId, gone: true}); } catch (e) { /* gone */ }
  };
  alive();
  const beat = setInterval(alive, ALIVE_EVERY);
  document.addEventListener("visibilitychange", alive);
  window.addEventListener("pagehide", goodbye);
  // ipywidgets' model events: the front end lost the kernel's comm (restart, shutdown)
  model.on("comm_live_update", lost);
  model.on("comm:close", lost);
  return () => {
    clearInterval(beat);
    document.removeEventListener("visibilitychange", alive);
    window.removeEventListener("pagehide", goodbye);
    goodbye();
    resized.disconnect();
    if (waiting !== null) clearTimeout(waiting);
    window.removeEventListener("message", fromFrame);
    model.off("msg:custom", fromKernel);
    model.off("comm_live_update", lost);
    model.off("comm:close", lost);
  };
}

export default {render};
