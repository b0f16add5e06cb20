"""One browser tab on the server: its messages, its session, its training and snapshots.

A ``Connection`` reads the tab's messages into its ``inbox.Inbox`` and answers them
(``loop.MessageLoop``: each checked by ``protocol.parse``, an ``error`` message for a
refusal, never a crash; runs of one kind merged, and what they change — state, data,
snapshot — sent once when the inbox is empty), drives the tab's ``Session`` (its changes
checked against the lesson's locks in ``actions``), and
trains it in turns shared with the other tabs (``pacing.Turns``), with a snapshot when one
is due (``pacing.SnapshotClock``) and the page has drawn all but ``IN_FLIGHT`` of those
sent (the page acknowledges each one after drawing it). The slow and normal speeds count
their epochs by the clock (``pacing.paced``), not by turns. Model files are written on
another thread from a copy made between two turns.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
import time

from starlette.websockets import WebSocket, WebSocketDisconnect

from . import exports, fields, lessons, locks, protocol, views
from .actions import Actions
from .inbox import Inbox
from .loop import MessageLoop
from .pacing import FRAME, SPEEDS, SnapshotClock, Turns, paced
from .protocol import ProtocolError
from .session import Session

log = logging.getLogger("backprop.playground")

IN_FLIGHT = 2  # snapshots sent but not yet drawn
FLUSH_WAIT = 0.1  # seconds a change may wait for its answer while more messages queue


class Connection(MessageLoop, Actions):
    """One tab: its session, its training task and its share of the socket.

    ``turns`` is the server's (one for all tabs); a connection made alone gets its own.
    """

    def __init__(self, websocket: WebSocket, turns: Turns | None = None, admit=None) -> None:
        self.ws = websocket
        self.admit = admit  # () -> why a new tab cannot start now, or None (the server's cap)
        self.turns = Turns() if turns is None else turns
        self.session: Session | None = None
        self.lesson: dict | None = None  # the link's lesson (lessons.start): hidden, locked, task
        self.start: dict = {}  # the settings the lesson opened with (a locked activation's)
        self.lock = asyncio.Lock()
        self.trainer: asyncio.Task | None = None
        self.clock = SnapshotClock()
        self.acked = -1
        self.closed = False
        self.greeted = False  # a 'hello' came (loop.HELLO_SECONDS: a socket without one goes)
        # what the page holds of each curve: (the session's Series, the last epoch sent);
        # a snapshot sends the points past it, the whole curve when the Series is new
        self.sent: dict[str, tuple] = {}
        self.hidden = False  # the page is hidden (Page Visibility): no snapshots, no budget
        self.counted = False  # counted in turns.training (and in turns.hidden if hidden)
        self.inbox = Inbox()
        # answers owed (sent by ``flush``): state notes (None: no state), data, snapshot
        self.owed_notes: list[str] | None = None
        self.owed_data = self.owed_snapshot = False
        self.owed_since = 0.0
        self.deferring = False  # more messages are queued: answer them all at once

    def stop(self) -> None:
        self.closed = True
        if self.trainer is not None:
            self.trainer.cancel()

    async def send(self, message_type: str, **fields) -> None:
        await self.send_text(protocol.dumps(message_type, **fields))

    async def send_text(self, text: str) -> None:
        async with self.lock:
            if self.closed:
                return
            try:
                await self.ws.send_text(text)
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.closed = True  # the tab went away; the receive loop ends the session

    async def drop(self, why: str, code: int = 1008, fatal: bool = False) -> None:
        """Tell the page why and close this connection."""
        with contextlib.suppress(Exception):
            await self.send("error", message=why, fatal=fatal)
        await self.close(code, why[:100])

    async def _error(self, message: str, field: str | None = None) -> None:
        with contextlib.suppress(Exception):
            await self.send("error", message=message, field=field)

    # -- messages --------------------------------------------------------------------------
    async def dispatch(self, msg: dict) -> None:
        kind = msg["type"]
        if kind == "ping":
            await self.send("pong")
            return
        if kind == "hello":
            why = self.admit() if self.admit is not None and self.session is None else None
            if why:  # the tabs' slots filled up while this socket waited to say hello
                await self.drop(why, code=1013, fatal=True)
                return
            self.greeted = True
            await self.hello(msg["url"])
            return
        if kind == "visibility":
            self.set_hidden(msg["hidden"])
            if not self.hidden and self.session is not None:
                self.sent.clear()  # whatever happened while hidden: the whole curves
                await self.snapshot()
            return
        if self.session is None:
            raise ProtocolError(f"{kind}: send 'hello' first (the page does this when it opens).")
        s = self.session
        if kind == "ack":
            self.acked = max(self.acked, msg["seq"])
        elif kind == "resync":
            self.sent.clear()
            self.owed_snapshot = False  # a whole one, now
            await self.snapshot()
        elif kind == "set":
            await self.change_merged(msg)
        elif kind == "play":
            if s.status.diverged:
                raise ProtocolError("Training diverged; lower the learning rate and press Reset.")
            locks.hold_stop(self.lesson, s, "Play")  # a locked stop holds (borderline item)
            s.status.stopped = ""
            s.status.running = True
            if self.trainer is None or self.trainer.done():
                self.trainer = asyncio.create_task(self.train())
            await self.snapshot()
        elif kind == "pause":
            s.status.running = False
            await self.snapshot()
        elif kind == "step":
            if s.status.diverged:  # as Play says it: a step would silently do nothing
                what = "Step" if msg["unit"] == "epoch" else "1 batch"
                raise ProtocolError(
                    f"{what}: training diverged; lower the learning rate and press Reset."
                )
            s.status.running = False
            locks.hold_stop(self.lesson, s, "Step" if msg["unit"] == "epoch" else "1 batch")
            s.status.stopped = ""
            await self.step_epoch() if msg["unit"] == "epoch" else s.step_batch()
            await self.snapshot()
        elif kind == "reset":
            s.status.running = False
            s.reset()
            await self.snapshot()
        elif kind == "regenerate":
            await self.change({"seed": secrets.randbelow(1_000_000)})
        elif kind == "edit":
            locks.check_action(self.lesson, "weights")
            if s.status.diverged:  # the numbers stay empty until Reset: the edit would not show
                raise ProtocolError(
                    "edit: training diverged, so the network's numbers are not shown; press "
                    "Reset (and lower the learning rate), then type the value."
                )
            if msg.get("net", s.builds) != s.builds:
                raise ProtocolError(
                    "edit: the network changed after this value was typed (a new shape, an "
                    "exercise, Reset); it was not set. Type it again on the network shown now.",
                    "edit.net",
                )
            s.edit(msg["kind"], msg["layer"], msg["row"], msg.get("col"), msg["value"])
            await self.edited()  # the page's editor closes on the snapshot after it
        elif kind == "upload":
            await self.upload(msg["name"], msg["text"])  # the page changes nothing before
        elif kind == "preset":
            await self.refused_sends_state(self.preset, msg["name"])
        elif kind == "solution":
            await self.refused_sends_state(self.solution)
        elif kind == "export":
            locks.check_action(self.lesson, "export")
            if s.status.diverged:  # as Play, Step and edits say it: nothing true to save
                what = "Export model" if msg["what"] == "model" else "Export spec"
                raise ProtocolError(
                    f"{what}: training diverged, so this run's weights and its epoch count "
                    "say nothing a model or 'backprop train' could repeat; lower the "
                    "learning rate, press Reset, then export."
                )
            await self.export(msg["what"])

    async def hello(self, url: dict) -> None:
        settings, self.lesson, notes = lessons.start(url)
        if "seed" not in settings:
            settings["seed"] = secrets.randbelow(1_000_000)
        self.stop()
        self.closed = False
        self.acked = -1  # a new session's snapshots count from 1
        try:
            self.session = Session(settings)
        except ProtocolError as exc:
            notes.append(f"link: {exc} Started from the defaults instead.")
            self.session = Session({"seed": settings["seed"]})
        notes += self.session.notes
        # a link names an exercise only on its data and network (brief PGO, teacher 8 P2/P3)
        network = lessons.EXERCISE_NETWORK
        self.lesson, dropped = lessons.marked(self.lesson, self.session.state, network)
        notes += [dropped] if dropped else []
        self.start = dict(self.session.state)
        self.owed_notes, self.owed_data, self.owed_snapshot = None, False, False
        await self.send(
            "ready",
            state=self.session.state,
            hash=fields.to_url(self.session.state),
            notes=locks.screen(self.lesson, notes),  # none naming a hidden setting
            rev=self.session.rev,
            previews=exports.previews(),
            choices=exports.choices(),
            lesson=self.lesson,
            lessons=lessons.table(self.lesson),
        )
        self.owe()
        self.owed_data = True
        await self.snapshot()

    async def rebuilt(self, notes: list[str], data: bool) -> None:
        self.owe()
        self.owed_notes = (self.owed_notes or []) + notes
        self.owed_data = self.owed_data or data
        await self.snapshot()

    async def snapshot(self) -> None:
        self.owe()
        self.owed_snapshot = True
        await self.flush()

    def owe(self) -> None:
        if self.owed_notes is None and not (self.owed_data or self.owed_snapshot):
            self.owed_since = time.perf_counter()

    async def flush(self) -> None:
        """Send the answers owed (state, data, snapshot, in that order), unless more
        messages are queued and the oldest answer is younger than ``FLUSH_WAIT``."""
        if self.session is None:
            return
        if self.deferring and time.perf_counter() - self.owed_since < FLUSH_WAIT:
            return
        s = self.session
        notes, data, snap = self.owed_notes, self.owed_data, self.owed_snapshot
        self.owed_notes, self.owed_data, self.owed_snapshot = None, False, False
        if notes is not None:
            await self.send_state(notes)
        if data:
            await self.send("data", **views.data_view(s))
        if snap:
            await self.send_text(await self.snapshot_off())

    async def step_epoch(self) -> None:
        """The rest of the current epoch, in turns (an epoch of 1,000 one-sample batches
        takes a tenth of a second: other tabs are answered meanwhile)."""
        s = self.session
        start = s.epoch
        while s.epoch == start and not s.status.diverged and self.session is s:
            async with self.turns.turn():
                if not s.train(self.turns.slice(), max_steps=s.steps_left()):
                    break

    def snapshot_text(self, drawn=None, spent: float = 0.0) -> str:
        """The next snapshot as a message; the clock learns when it was taken and its cost
        (with ``spent``, the seconds ``drawn``, its picture, took on a thread).

        The curves go as the points added since the last snapshot sent (the page appends
        them; the socket keeps the order), whole after a new session, a rebuild or a reset
        (a new Series), and when the page asks (``resync``) or becomes visible.
        """
        s = self.session
        start = time.perf_counter()
        s.seq += 1
        curves = {"history": s.history, "grad_history": s.grad_history}
        after = {}
        for key, series in curves.items():
            held, last = self.sent.get(key, (None, None))
            after[key] = last if held is series else None
        backward = not locks.hides_backward(self.lesson, s.state)
        snap = views.snapshot(s, after=after, backward=backward, drawn=drawn)
        if snap["stopped"] and locks.names_hidden(self.lesson, snap["stopped"]):
            snap["stopped"] = locks.STOP_HIDDEN  # why it stopped names a hidden setting
        text = protocol.dumps("snapshot", **snap)
        for key, series in curves.items():
            self.sent[key] = (series, series.x[-1] if series.x else -1)
        self.clock.taken(start, time.perf_counter() - start + spent)
        return text

    def set_hidden(self, hidden: bool) -> None:
        """The page went hidden or visible; a training hidden tab leaves the snapshot budget."""
        if self.counted and hidden != self.hidden:
            self.turns.hidden += 1 if hidden else -1
        self.hidden = hidden

    async def export(self, what: str) -> None:
        s = self.session
        base = f"playground-{s.state['dataset']}-seed{s.state['seed']}-epoch{s.epoch}"
        gaps = s.spec_gaps()
        if what == "spec":
            text = exports.spec_text(s)
            await self.send(
                "export", what="spec", filename=base + ".json", mime="application/json",
                data=base64.b64encode(text.encode()).decode("ascii"), gaps=gaps,
            )  # fmt: skip
            return
        parts = exports.model_file(s)  # now, between training frames; written on a thread
        blob = await asyncio.get_running_loop().run_in_executor(None, exports.write_model, parts)
        await self.send(
            "export", what="model", filename=base + ".safetensors",
            mime="application/octet-stream", data=base64.b64encode(blob).decode("ascii"),
            gaps=gaps, predict=exports.predict_example(s), precision=exports.precision_note(s),
        )  # fmt: skip

    # -- training --------------------------------------------------------------------------
    async def train(self) -> None:
        """Train in turns, with a snapshot when one is due and the page has drawn the last ones.

        The turn covers the training and the snapshots' computing, not their sending: a page
        that stopped reading holds up only its own tab.
        """
        s, turns = self.session, self.turns
        owed, last = 0.0, time.perf_counter()  # steps the pace allows but not yet run
        turns.training += 1
        turns.hidden += self.hidden
        self.counted = True
        try:
            while self.training(s):
                woke = time.perf_counter()
                async with turns.turn():
                    if not self.training(s):
                        break
                    start = time.perf_counter()
                    owed, texts = self.take_turn(owed, start - last)
                    last = start
                for text in texts:
                    await self.send_text(text)
                if SPEEDS[s.state["speed"]] is not None and owed < 1:  # on pace: rest
                    await asyncio.sleep(self.rest(woke))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            s.status.running = False
            log.exception("playground: training failed")
            await self._error(f"training stopped by an internal error: {exc}")
        finally:
            turns.training -= 1
            turns.hidden -= self.hidden
            self.counted = False

    def take_turn(self, owed: float, elapsed: float) -> tuple[float, list[str]]:
        """One turn's training, ``elapsed`` seconds after the last; returns the steps still
        owed and the snapshots to send: one first if it was overdue (the turn came late),
        else one at the end if it fell due in the turn, and one if training stopped."""
        s = self.session
        texts = [self.snapshot_text()] if self.snapshot_due() else []
        budget = self.budget(time.perf_counter())
        eps = SPEEDS[s.state["speed"]]
        if eps is None:
            s.train(budget)
        else:
            owed = paced(owed, eps * s.steps_per_epoch(), elapsed)
            if int(owed):
                owed -= s.train(budget, max_steps=int(owed))
        if (not s.status.running and not self.hidden) or (not texts and self.snapshot_due()):
            texts.append(self.snapshot_text())
        return owed, texts

    def training(self, s: Session) -> bool:
        return s.status.running and not self.closed and self.session is s

    def drawn(self) -> bool:
        """The page has drawn all but ``IN_FLIGHT`` of the snapshots sent."""
        return self.session.seq - self.acked <= IN_FLIGHT

    def snapshot_due(self) -> bool:
        if self.hidden:
            return False  # the page gets a whole snapshot when it becomes visible
        if not self.session.status.running:
            return True  # training stopped on its own: show where, drawn or not
        return self.drawn() and time.perf_counter() >= self.clock.due_at(self.turns.showing())

    def waiting(self) -> bool:
        """A snapshot will fall due: the page is visible and has drawn the last ones."""
        return not self.hidden and self.drawn()

    def budget(self, now: float) -> float:
        """This turn's training: the tab's slice, cut short when a snapshot falls due in it."""
        budget = self.turns.slice()
        due = self.clock.due_at(self.turns.showing())
        return min(budget, due - now) if self.waiting() and due > now else budget

    def rest(self, woke: float) -> float:
        """Seconds a paced tab on pace sleeps: to its next frame or its next snapshot."""
        wake = woke + FRAME
        if self.waiting():
            wake = min(wake, self.clock.due_at(self.turns.showing()))
        return max(0.0, wake - time.perf_counter())
