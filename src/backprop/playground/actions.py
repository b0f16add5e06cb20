"""The changes a tab asks for: settings, an upload, an exercise, the exercise's solution.

``Actions`` is mixed into ``connection.Connection`` (it uses its ``session``, ``lesson``,
``start``, ``send``, ``owe``, ``owed_notes`` and ``rebuilt``). Each change is checked on
the settings it results in against the lesson's hidden and locked controls (``locks``)
and is all or nothing (``Session.apply``). A refused ``set`` or exercise is answered with
the state that runs (and the lesson) before the error, so the page puts back what it
changed ahead of the answer. An exercise is one change (its settings merged with nothing
else); the solution is set by the server when it fits the network, and its note says the
loss measured on it, not the loss the lecture expects.
"""

from __future__ import annotations

import asyncio

from . import exercises, fields, lessons, locks, settings, uploads
from .notes import about, held, names_hidden
from .protocol import ProtocolError

# settings the page sends as whole lists made from the state it shows (a + button adds to
# them): refused when made from a state that has changed since (``set``'s ``base``)
STRUCTURE = ("hidden", "activation", "features")


# Adam and RMSprop divide a step by the gradient's own running size: on their first step
# that size is the gradient itself, so a rounding-sized gradient (1e-7) on exact weights
# makes a step of about the learning rate (PyTorch's Adam does the same; sixth teacher trial).
# One rule for weights at a minimum, whatever set them (Show solution or typing, seventh
# teacher: typed exact |x - 1| weights went from 5.4e-15 to test loss 0.044 with no note).
NEAR_ZERO = 1e-6  # a training loss at most this: the weights sit at a minimum
_WHY = (
    "{name}'s first step has a set size: it divides each gradient by its own size ({how}), so "
    "the next Step moves each of these weights by about {size} however small its gradient (the "
    "training loss is {loss:.2g}). Choose SGD (or momentum) for a step proportional to the "
    "gradient: they keep weights whose gradient is about 0."
)
_FIRST = {
    "adam": ("Adam", "m̂/(√v̂ + ε) ≈ ±1", "the learning rate"),
    "rmsprop": ("RMSprop", "g/√(0.01·g²) ≈ ±10", "10 times the learning rate"),
}
# said whole even when the lesson hides the optimizer or the learning rate (tenth teacher: "the
# way this exercise trains takes a first step of a set size" told neither the student that it
# meant Adam nor the teacher that SGD keeps these weights); the only note that names a hidden
# setting (``notes.names_hidden``), for what the student sees the weights do would be a mystery
_FOR_TEACHER = " (This lesson link hides {what}; its author can make a link with SGD.)"
_CONTROL = {"optimizer": "the optimizer", "lr": "the learning rate"}


def first_step_notes(session, lesson: dict | None) -> list[str]:
    """The note on what the next Step does to weights at a minimum (training loss at most
    ``NEAR_ZERO``) under Adam or RMSprop before their first step; [] otherwise."""
    opt, loss = session.state["optimizer"], session.metrics.get("loss")
    if opt not in _FIRST or session.steps or loss is None or loss > NEAR_ZERO:
        return []
    name, how, size = _FIRST[opt]
    text = _WHY.format(name=name, how=how, size=size, loss=loss)
    hidden = [_CONTROL[c] for c in _CONTROL if c in (lesson or {}).get("hide", ())]
    if not hidden:
        return [about("weights", text)]
    text += _FOR_TEACHER.format(what=" and ".join(hidden))
    return [names_hidden(about("weights", text))]


class Actions:
    """Settings, uploads, exercises and solutions of one tab (mixed into ``Connection``)."""

    async def refused_sends_state(self, action, *args) -> None:
        """Run ``action``; when it is refused, the page gets the state that runs (and the
        lesson) before the error, so it can put back what it changed ahead of the answer."""
        try:
            await action(*args)
        except ProtocolError:
            await self.send_state([])
            raise

    async def send_state(self, notes: list[str]) -> None:
        s = self.session
        self.lesson, _ = lessons.marked(self.lesson, s.state)  # an upload replaced its data
        # each once (an exercise clicked twice in a burst); none naming a hidden setting
        notes = locks.screen(self.lesson, notes)
        await self.send(
            "state",
            state=s.state,
            hash=fields.to_url(s.state),
            notes=notes,
            held=held(s, notes),  # the notes about the weights or data, and which (notes.py)
            lesson=self.lesson,
            rev=s.rev,
        )

    def guard(self, changes: dict):
        """The lesson's locks, checked on the settings a change results in (``locks``)."""
        return lambda new, old: locks.guard(self.lesson, new, old, changes, self.start)

    async def upload(self, name: str, text: str) -> None:
        locks.check_action(self.lesson, "upload", "dataset")
        s = self.session
        ratio, seed = s.state["train_ratio"], s.state["seed"]
        # the file is read on a thread: the other tabs (and this tab's training) go on; this
        # tab's next message waits for this one (its work answers one at a time)
        parsed = await asyncio.get_running_loop().run_in_executor(
            None, uploads.prepare, name, text, ratio, seed
        )
        notes = s.upload(name, text, guard=self.guard({"dataset": "csv"}), parsed=parsed)
        s.status.running = False
        await self.rebuilt(notes, data=True)

    async def preset(self, name: str) -> None:
        """Start a lecture exercise: its settings as one change, checked as a whole."""
        locks.check_action(self.lesson, "presets")
        if name not in lessons.PRESETS:
            raise ProtocolError(
                f"preset: {fields.show(name)} is not an exercise; known: "
                f"{', '.join(lessons.PRESETS)}."
            )
        old = self.lesson
        lesson = dict(self.lesson or lessons.empty())
        lesson["preset"] = name
        lesson["hash"] = lessons.to_url(lesson)
        self.lesson = lesson  # the state message this change sends names the exercise
        self.owe()
        prior = self.owed_notes
        self.owed_notes = [lessons.PRESETS[name]["text"], *(prior or [])]
        try:
            await self.change(self.exercise_start(name), refused_state=False)
        except ProtocolError as exc:
            self.lesson, self.owed_notes = old, prior
            called = exercises.called(name, old)
            raise ProtocolError(f"{called} not started: {exc}", exc.field) from None

    def exercise_start(self, name: str) -> dict:
        """An exercise's settings; one that names no loss, started where the page's loss is
        of the other problem type, trains with the data's own ("auto") without a note (mse
        from y = x², kept on Sigmoid × 6's circle, was changed with a note that stayed)."""
        start = dict(lessons.PRESETS[name]["settings"])
        problem = (
            "classification" if start["dataset"] in fields.CLASSIFICATION_SETS else "regression"
        )
        other = fields.REGRESSION_LOSSES if problem == "classification" else fields.CLASS_LOSSES
        if "loss" not in start and self.session.state.get("loss") in other:
            start["loss"] = "auto"
        return start

    async def solution(self) -> None:
        """The exercise's hand-set weights, when they fit this network; the note says the
        loss measured on them."""
        locks.check_action(self.lesson, "solution", "weights")
        s = self.session
        if s.status.diverged:
            raise ProtocolError(
                "Show solution: training diverged; press Reset (and lower the learning "
                "rate), then show the solution."
            )
        preset = (self.lesson or {}).get("preset", "")
        misfit = exercises.solution_misfit(preset, s.state)
        if misfit:
            raise ProtocolError(f"Show solution: {misfit}.")
        s.status.running = False
        for e in exercises.solution_edits(preset):
            s.edit(e["kind"], e["layer"], e["row"], e.get("col"), e["value"])
        m = s.metrics
        said = "training loss " + ("not finite" if m["loss"] is None else f"{m['loss']:.3g}")
        if m.get("test_loss") is not None:
            said += f", test loss {m['test_loss']:.3g}"
        # the epoch it was measured at; it ends when the weights change (notes.py)
        text = f"{lessons.PRESETS[preset]['solution_text']}: {said} at epoch {s.epoch} (measured)."
        notes = [about("weights", text)]
        notes += first_step_notes(s, self.lesson)  # what the next Step does, and why
        await self.rebuilt(notes, data=False)

    async def edited(self) -> None:
        """After a typed weight: the editor closes on the next snapshot; weights typed to
        a minimum get the solution's note on the next Step (``first_step_notes``)."""
        await self.send("edited")
        notes = first_step_notes(self.session, self.lesson)
        await (self.rebuilt(notes, data=False) if notes else self.snapshot())

    async def change_merged(self, msg: dict) -> None:
        """A ``set`` (a run of them merged by the inbox); refused as a whole, its parts are
        made one by one, so a refused one (a locked setting) does not take the others."""
        base, parts = msg.get("base"), msg.get("parts", ())
        current = base is None or base == self.session.rev
        try:
            await self.change(msg["changes"], base=base)
            return
        except ProtocolError:
            if len(parts) < 2:
                raise
        refused = []
        for part in parts:  # made from the state that ran when they came: no longer stale
            try:
                await self.change(part, base=None if current else base)
            except ProtocolError as exc:
                refused.append(exc)
        if refused:
            text = " ".join(dict.fromkeys(str(e) for e in refused))
            raise ProtocolError(text, refused[0].field)

    async def change(
        self, changes: dict, refused_state: bool = True, base: int | None = None
    ) -> None:
        s = self.session
        before = dict(s.state)
        try:
            stale = sorted(set(changes) & set(STRUCTURE))
            if base is not None and base != s.rev and stale:
                raise ProtocolError(
                    f"set {stale[0]}: made from settings that changed before it arrived (an "
                    "exercise or another change came first); the page now shows the network "
                    "that runs. Make the change again.",
                    stale[0],
                )
            check_lists(changes, s.state, s.csv_dims)
            notes = s.apply(changes, guard=self.guard(changes))
        except ProtocolError:
            # the page shows the refused value; put its controls back to what runs
            if refused_state:
                await self.send_state([])
            raise
        touched = {k for k in s.state if s.state[k] != before.get(k)}
        # the data message carries the points and the loss's output kind
        data = bool(touched & {*settings.DATA_KEYS, "loss"})
        if touched & {*settings.DATA_KEYS, *settings.NET_KEYS}:
            s.status.running = False  # a new network starts paused, at epoch 0
        await self.rebuilt(notes, data=data)


def check_lists(changes: dict, state: dict, csv_dims: int | None) -> None:
    """What a message may not leave to be fixed up (a link still is, with a note): one
    activation per hidden layer (the page sends both lists whole; a single one is kept
    for a network without hidden layers), at least one input feature, and the uploaded
    CSV only once one is uploaded (third trial, attacker #9: silently padded, cut,
    replaced by x1, x2, or answered with a note on a link)."""
    if "activation" in changes:
        acts, hidden = changes["activation"], changes.get("hidden", state["hidden"])
        if len(acts) != len(hidden) and not (not hidden and len(acts) == 1):
            raise ProtocolError(
                f"setting activation: {len(acts)} activation(s) for {len(hidden)} hidden "
                "layer(s); send one per hidden layer (with 'hidden' when it changes too).",
                "activation",
            )
    if "features" in changes and not changes["features"]:
        raise ProtocolError(
            f"setting features: {fields.NOT_EMPTY['features']}; got [].", "features"
        )
    if changes.get("dataset") == "csv" and csv_dims is None:
        raise ProtocolError(
            "setting dataset: csv is a file you upload; choose Upload CSV and pick a file "
            "(the page's dataset then becomes it).",
            "dataset",
        )
