"""The playground as a notebook widget: the same page, trained by the notebook's kernel.

``backprop.playground.widget(spec_or_model, **settings)`` returns a ``PlaygroundWidget``
(an anywidget) that shows the playground's own page (``static/index.html`` with its
scripts and styles) inline in a notebook cell, in a sandboxed frame. The page is the
server's, unchanged but for its transport: instead of a WebSocket it talks through
``static/bridge.js`` (in the frame) and ``static/widget.js`` (anywidget's module, outside
it) to the widget's messages. In the kernel a ``connection.Connection`` answers them
exactly as the server does for a tab — the same checks (``protocol``), budgets
(``inbox``), pacing, snapshots and ``Session`` — over ``CommSocket``, a WebSocket made of
the widget's messages, on the kernel's own event loop (training runs between cells and
pauses while a cell runs). No server, no port.

``w.model`` is the live ``nn.MLP`` the δ engine trains (inspect it in the next cell),
``w.spec`` the experiment spec of the current settings (``backprop.run(w.spec)`` trains
it; a warning says when a change made during the run means it will not end at
``w.model``), ``w.train(epochs)``, ``w.set(**settings)``, ``w.play()``, ``w.pause()`` drive
it from code. Needs the ``notebook`` extra (anywidget; starlette for the connection's types).

A view outlives its kernel (a restart keeps the cell's output): ``widget.js`` pings the
kernel (``{"ping": n}``, answered at once with ``{"pong": n}``) when the front end reports
the comm lost and after a click, and says on the widget, in words, that the kernel
restarted and the cell must run again when no answer comes. The page's footer speaks of
the widget's ``.spec`` and ``.model`` instead of the served page's address bar.

A kernel is not told when a tab closes or reloads, so each view sends a heartbeat and says
goodbye when removed (``nbwidget_views``): training pauses when the last view that showed
it has gone, and ``print(w)`` says so (or that it plays, and ``w.pause()`` stops it).
"""

from __future__ import annotations

import asyncio
import re
import threading
from importlib import resources

import anywidget
import traitlets

from . import exports, fields, lessons, protocol, views
from .connection import Connection
from .nbwidget_start import checked, load_weights, model_weights, start_settings
from .nbwidget_views import Views
from .protocol import ProtocolError
from .session import Session

# the page's controls a notebook has no use for: the lesson link (a URL of a server page)
WIDGET_LESSON = {**lessons.empty(), "hide": ["lesson_link"]}
# the network panel scrolls sideways at every width, with the page's own cue and fading edge
# (network.js's scrollCue): the widget lays the page out 1,001 px wide when its cell is
# narrower, where 8 hidden layers of 16 need ~470 px of a 335 px panel and six of 8 (the
# ReLU × 6 exercise) ~440 px: the last layers and the output were cut off, with no cue (the
# served page scrolls it only below 1,001 px, style.css). The columns keep 6 px clear on the
# right: the output's δ label reached 3 px past them (a cue for 3 px, backward view). The
# layers' heads are the scrolling network's (style.css's narrow rules): inside it, 64 px
# tall, ± side by side (60 px; above 1,000 px they stood 12-37 px above the panel, cut off)
WIDGET_CSS = (
    "body.widget #present { display: none; }\n"
    "body.widget .network { overflow-x: auto; overflow-y: hidden; padding-bottom: 4px; }\n"
    "body.widget .network .net-columns { padding-right: 6px; }\n"
    "body.widget .layer-top { height: 64px; }\n"
    "body.widget .layer-head { max-width: 80px; }\n"
    "body.widget .net-columns .layer { min-width: 50px; }"
)
# the page's footer speaks of a server page's address bar; a notebook has none: the
# widget's own words (the kernel trains; its .spec and .model hold the setup)
WIDGET_FOOTER = (
    "<footer class=\"foot\">Trained in this notebook's kernel by <code>backprop</code>'s δ "
    "engine: δ[l] = g′(f[l]) ∘ (W[l+1] δ[l+1]), ∂E/∂W[l] = a[l−1] δ[l]ᵀ. The widget's "
    "<code>.spec</code> reproduces this setup, seed included (<code>backprop.run(w.spec)</code>"
    "), and its <code>.model</code> is the network as trained so far.</footer>"
)


def _static(name: str) -> str:
    return resources.files("backprop.playground").joinpath("static", name).read_text("utf-8")


def page_html() -> str:
    """``static/index.html`` as one self-contained document: its styles and scripts inlined
    (scripts at the end of the body, as ``defer`` runs them), ``bridge.js`` before
    ``app.js``; the page's own code is not copied or changed."""
    html = _static("index.html")
    html = re.sub(r'<link rel="icon"[^>]*>\n?', "", html)
    html = re.sub(
        r'<link rel="stylesheet" href="/static/([\w.]+)">',
        lambda m: f"<style>\n{_static(m.group(1))}\n</style>",
        html,
    )
    names = re.findall(r'<script src="/static/([\w.]+)" defer></script>\n?', html)
    html = re.sub(r'<script src="/static/([\w.]+)" defer></script>\n?', "", html)
    names.insert(names.index("app.js"), "bridge.js")
    scripts = "".join(f"<script>\n{_static(n)}\n</script>\n" for n in names)
    html = html.replace("</head>", f"<style>{WIDGET_CSS}</style>\n</head>", 1)
    html = html.replace("<body>", '<body class="widget">', 1)
    footer = re.compile(r'<footer class="foot">.*?</footer>', re.S)
    html = footer.sub(lambda _: WIDGET_FOOTER, html, count=1)
    return html.replace("</body>", scripts + "</body>", 1)


class CommSocket:
    """What ``Connection`` needs of a WebSocket (``receive``, ``send_text``, ``close``),
    made of the widget's messages: ``{"text": message}`` both ways."""

    def __init__(self, widget: PlaygroundWidget) -> None:
        self.widget = widget
        self.queue: asyncio.Queue = asyncio.Queue()

    def put(self, text) -> None:
        self.queue.put_nowait(text)

    async def receive(self) -> dict:
        text = await self.queue.get()
        if text is None:
            return {"type": "websocket.disconnect"}
        return {"type": "websocket.receive", "text": text}

    async def send_text(self, text: str) -> None:
        self.widget.send({"text": text})

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.widget.send({"closed": code, "reason": reason})
        self.put(None)


class WidgetSession(Session):
    """A session that started from a model's weights goes back to them on Reset."""

    start_weights: list | None = None

    def reset(self) -> None:
        super().reset()
        if self.start_weights is not None:
            load_weights(self, self.start_weights)


class WidgetConnection(Connection):
    """The server's ``Connection`` for one widget: the session is the widget's (made in
    Python before any view exists), so a view's ``hello`` — a new cell output, a reload —
    shows it as it is instead of starting another. Training pauses when the last view
    that showed it has gone (``nbwidget_views``: the tab closed or reloaded)."""

    views: Views | None = None

    def training(self, s: Session) -> bool:
        if super().training(s) and self.views is not None and self.views.all_gone():
            s.status.running = False  # nobody sees it: paused where the student left it
            self.views.paused = True
        return super().training(s)

    async def hello(self, url: dict) -> None:
        s = self.session
        self.closed = False
        self.lesson = self.lesson or WIDGET_LESSON  # the exercise chosen last stays
        self.start = dict(s.state)  # what a lesson's locks compare with (none here)
        self.acked = s.seq  # the new view has drawn nothing; snapshots count from here
        self.sent.clear()  # the whole curves
        self.owed_notes, self.owed_data, self.owed_snapshot = None, False, False
        await self.send(
            "ready", state=s.state, hash=fields.to_url(s.state), notes=s.notes,
            previews=exports.previews(), choices=exports.choices(), lesson=self.lesson,
            lessons=lessons.table(),
        )  # fmt: skip
        self.owe()
        self.owed_data = True
        await self.snapshot()


class PlaygroundWidget(anywidget.AnyWidget):
    """The playground in a notebook cell; make one with ``backprop.playground.widget``."""

    _esm = _static("widget.js")
    _page = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(880).tag(sync=True)  # the frame's height before the page says

    def __init__(self, settings: dict, weights: list | None = None, preset: str = "",
                 **kwargs) -> None:  # fmt: skip
        super().__init__(_page=page_html(), **kwargs)
        session = WidgetSession(settings)
        if weights is not None:
            session.start_weights = weights
            load_weights(session, weights)
        self._socket: CommSocket | None = None
        self._task: asyncio.Task | None = None
        self._conn = WidgetConnection(None)
        self._conn.session = session
        self._views = self._conn.views = Views()
        # an exercise opened by name is the page's exercise (its Show solution, its button)
        lesson = {**WIDGET_LESSON, "preset": preset}
        self._conn.lesson = {**lesson, "hash": lessons.to_url(lesson)}
        # the thread and event loop that own the connection: the kernel's main ones
        self._thread = threading.get_ident()
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self.on_msg(self._on_msg)

    # -- what a student reads -------------------------------------------------------------
    @property
    def session(self) -> Session:
        return self._conn.session

    @property
    def model(self):
        """The live ``nn.MLP`` being trained (the page's network, weights of this moment);
        while the widget plays they change between cells, and a warning says so."""
        if self.session.status.running:
            import warnings

            from ..errors import BackpropWarning

            warnings.warn(
                f"w.model: the widget is playing ({self._where()}), so these weights change "
                f"between cells (epoch {self.epoch} now); w.pause() holds them still.",
                BackpropWarning,
                stacklevel=2,
            )
        return self.session.model

    @property
    def spec(self) -> dict:
        """The experiment spec of the current settings, at the current epoch (``"epochs": 0``
        at epoch 0: ``backprop.run`` then builds the same initial weights and trains none).

        ``backprop.run(w.spec)`` ends at ``w.model`` only when the run was trained with
        these settings from its start. A spec holds one learning rate (and one batch size,
        optimizer, regularisation) for every epoch, so after a change made during the run
        (the page's LR dropdown, ``w.set(lr=...)`` after ``w.train``) — or hand-typed
        weights, input features, an export in the middle of an epoch — it reproduces the
        data, the network's shape and its start weights, not the weights trained: a
        ``BackpropWarning`` says which (``Session.spec_gaps``, the page's export list)."""
        spec = self.session.spec()
        gaps = self.session.spec_gaps()
        if gaps:
            import warnings

            from ..errors import BackpropWarning

            warnings.warn(
                "w.spec: backprop.run(w.spec) will not end at w.model: the spec holds the "
                "current settings from epoch 1 on, and cannot hold "
                + "; ".join(gaps)
                + ". It reproduces the data, the network's shape and the seed's start weights; "
                "w.model holds the weights trained.",
                BackpropWarning,
                stacklevel=2,
            )
        return spec

    @property
    def settings(self) -> dict:
        """The playground's settings (``fields.FIELDS``), as the page shows them."""
        return dict(self.session.state)

    @property
    def epoch(self) -> int:
        return self.session.epoch

    def __repr__(self) -> str:
        s, net = self.session.state, self.session.plan.net
        sizes = "-".join(str(n) for n in [net[0].n_in, *(layer.n_out for layer in net)])
        if self.session.status.running:
            state = f", playing ({self._where()}): w.pause() stops it"
        elif self._views.paused:
            state = (", paused when its last view closed (the tab closed or reloaded): show w "
                     "again and press ▶, or w.play()")  # fmt: skip
        else:
            state = ""
        return f"<PlaygroundWidget {s['dataset']} {sizes} at epoch {self.epoch}{state}>"

    def _where(self) -> str:
        if self._views.live():
            return "training in the kernel between cells"
        return "training in the kernel between cells with no view showing it"

    # -- driving it from code ---------------------------------------------------------------
    def train(self, epochs: int = 1) -> PlaygroundWidget:
        """Train ``epochs`` whole epochs now, in this cell (the page shows the result); 0
        trains nothing (as ``fit(epochs=0)`` and a spec's ``"epochs": 0``)."""
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
            raise _config(f"widget.train: epochs must be a whole number ≥ 0; got {epochs!r}.")
        s = self.session
        s.status.running = False
        for _ in range(epochs):
            s.step_epoch()
            if s.status.diverged:
                break
        self._push(self._conn.snapshot_text())
        return self

    def set(self, **settings) -> PlaygroundWidget:
        """Change settings as the page's controls do (``w.set(lr=0.1, hidden=[8, 8])``)."""
        changes = checked(settings)
        s, before = self.session, dict(self.session.state)
        try:
            notes = s.apply(changes)
        except ProtocolError as exc:
            raise _config(f"widget.set: {exc}") from None
        touched = {k for k in s.state if s.state[k] != before.get(k)}
        from .settings import DATA_KEYS, NET_KEYS

        if touched & {*DATA_KEYS, *NET_KEYS}:
            s.status.running = False
        self._push(protocol.dumps("state", state=s.state, hash=fields.to_url(s.state), notes=notes))
        if touched & {*DATA_KEYS, "loss"}:
            self._push(protocol.dumps("data", **views.data_view(s)))
        self._push(self._conn.snapshot_text())
        return self

    def play(self) -> None:
        """Start training (in the kernel, between cells), as the page's Play button; with
        no view showing the widget it trains in the background until ``w.pause()``."""
        self._views.unseen_play()
        self._local({"type": "play"})

    def pause(self) -> None:
        self._local({"type": "pause"})

    def close(self) -> None:
        """Stop training and reading messages, then close the widget (anywidget's close)."""
        self._conn.stop()
        if self._socket is not None and self._task is not None and not self._task.done():
            self._socket.put(None)  # the connection's reading ends
        super().close()

    # -- messages ---------------------------------------------------------------------------
    def _push(self, text: str) -> None:
        self.send({"text": text})

    def _local(self, msg: dict) -> None:
        self._start()
        self._socket.put(protocol.dumps(msg.pop("type"), **msg))

    def _on_msg(self, _widget, content, _buffers) -> None:
        """A message from a view: ``{"text": ...}``, into the connection's inbox, on the
        kernel's event loop (ipykernel 7 may call this on a subshell's thread)."""
        if isinstance(content, dict) and "ping" in content:
            # the view asks whether this kernel is there (widget.js): answered at once,
            # from whichever thread got it, so a kernel training between cells answers too
            self.send({"pong": content["ping"]})
            return
        if isinstance(content, dict) and "view" in content:
            self._views.heard(content)  # a view's heartbeat or goodbye (nbwidget_views)
            return
        text = content.get("text") if isinstance(content, dict) else None
        if threading.get_ident() != self._thread and self._loop is not None:
            self._loop.call_soon_threadsafe(self._deliver, text)
        else:
            self._deliver(text)

    def _deliver(self, text) -> None:
        if not isinstance(text, str):
            self._push(protocol.dumps("error", message="widget: messages are {'text': str}."))
            return
        self._start()
        self._socket.put(text)

    def _start(self) -> None:
        """The connection's reading and answering, on the kernel's event loop (again after
        it closed: a view that floods is closed as a tab is, and may reconnect)."""
        if self._task is not None and not self._task.done():
            return
        if self._loop is None:
            self._loop = asyncio.get_event_loop()
        loop = self._loop
        self._socket = CommSocket(self)
        conn = self._conn
        conn.ws, conn.closed = self._socket, False
        conn.inbox = type(conn.inbox)()
        self._task = loop.create_task(conn.run())


def _config(message: str):
    from ..errors import ConfigError

    return ConfigError(message)


def widget(spec_or_model=None, **settings) -> PlaygroundWidget:
    """``backprop.playground.widget``: a ``PlaygroundWidget`` from a spec, model or settings."""
    from ..nn import MLP

    weights = model_weights(spec_or_model) if isinstance(spec_or_model, MLP) else None
    named = isinstance(spec_or_model, str) and spec_or_model in lessons.PRESETS
    return PlaygroundWidget(
        start_settings(spec_or_model, settings), weights, preset=spec_or_model if named else ""
    )
