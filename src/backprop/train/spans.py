"""The span runner: ``fit``'s one training loop, which hands the engine whole spans of steps.

DESIGN's "Training in spans". ``fit`` does not drive batches one at a time. It asks every
callback when it next needs control (``Callback.next_epoch``: a log every 1,000 epochs, an
early stop that watches every epoch, the end) and runs the engine — a *loop* keeping one
protocol: the compiled kernel (``delta.fused_loop.FusedLoop``), the NumPy δ engine
(``delta.numpy_loop.NumpyLoop``) or autograd (``PerBatchLoop`` here) — for all the steps up
to that epoch's end in as few calls as the clock allows: calls of about ``TICK`` seconds,
between which progress ticks (``on_progress``) and needs by time (``Callback.due``: a backup
every second) are served. The engine computes each batch's loss in its forward pass, so
the history's ``loss`` comes for free; the full-set metrics (accuracy, r², validation) are
measured only at the epochs where someone asked (a callback's epoch, every
``validation_freq``-th epoch with validation data, the last). A loop stops by itself before
the update of a batch whose loss or gradient is not finite (the NaN guard then explains
it) and keeps the weights of the epoch with the lowest loss for ``NaNGuard.restore_best``.

How a span is cut never changes a number: each epoch's row order is drawn from the run's
generator when the epoch starts, as in an epoch-by-epoch loop, and the loops give the same
bits whether their steps come in one call or many — so runs, resumed runs and backups are
reproducible to the bit whatever the clock did. Callbacks that must see single batches
(``on_after_backward``, ``on_batch_end``) switch the run to a batch-by-batch loop with the
same engine (``stepwise``).
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field

import numpy as np

from .best_epoch import BestEpoch
from .callbacks import TrainState
from .control import call, more, step_scheduler, whole_epoch
from .loops import EngineChoice, PerBatchLoop, penalize
from .records import Records
from .stepwise import Stepwise

__all__ = ["TICK", "EngineChoice", "PerBatchLoop", "Plan", "SpanRunner", "penalize"]

TICK = 0.1  # seconds between progress ticks (and polls of needs by time) while training
FIRST_CHUNK = 4  # steps of the first call, which measures the engine's speed
PERM_BUDGET = 1 << 22  # row-order entries (epochs × rows) drawn for one call at most
SPAN_STEPS = 1 << 20  # steps one span holds at most (its batch losses: 8 MB)
RULES_IN_ENGINE = True  # loss stopping rules judged by the compiled and NumPy loops (tests: False)


@dataclass
class Plan:
    """What the runner needs besides the state and the loop."""

    evaluate: object  # engines.evaluator(...)
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    size: int
    shuffle: bool
    seed: int
    guard: object  # the run's NaNGuard, or None
    validation_freq: int
    reduce_sum: bool
    stepwise: object = None  # (step function) when callbacks need single batches
    penalty: tuple = ("none", 0.0)  # fit's penalty, for the batch-by-batch loop
    # validation also at epochs a callback asks it for ("validation"), not only every
    # validation_freq epochs (the playground's curve); fit keeps Keras' rule
    validation_on_request: bool = False
    timed: list = field(default_factory=list)  # callbacks with needs by time
    # fit with no one to read the last epoch's logs: ``later()`` -> the measurement of the
    # weights as they are now, taken when the history is first read (``History.measure_later``)
    later: object = None


@dataclass
class _Segment:
    """The open span: epochs ``e0`` + 1 … ``target``, ``done`` of its ``total`` steps run."""

    e0: int
    target: int
    measured: object  # False, "validation" or True (Callback.wants_metrics)
    lr: float | None
    time: float
    total: int
    losses: np.ndarray
    done: int = 0


class SpanRunner(BestEpoch, Records, Stepwise):
    """The epochs of one run: spans of engine steps between the moments of control.

    ``fit`` calls ``train``; a caller that trains in slices (the playground, a notebook
    widget) calls ``begin``, then ``advance(max_steps=…, seconds=…)`` as often as it likes,
    then ``end``."""

    def __init__(self, state: TrainState, hooks: dict, make_loop, plan: Plan) -> None:
        self.state, self.hooks, self.make_loop, self.plan = state, hooks, make_loop, plan
        self.per_step: float | None = None
        self.perm: np.ndarray | None = None
        self.perm_epoch = 0
        self.first_loss: float | None = None
        self.last_tick = 0.0
        self.own_best = None  # (epoch-start copy, best copy) when the loop keeps no best

    # ------------------------------------------------------------------ the run
    def train(self) -> None:
        """The whole run, as ``fit`` does it: begin, every epoch, end."""
        self.begin()
        self.advance()
        self.end()

    def begin(self) -> None:
        """``on_train_begin`` (a backup may resume the run here), then the engine's loop."""
        state, plan = self.state, self.plan
        state.rng = np.random.default_rng(plan.seed)
        start = time.perf_counter()
        call(self.hooks, "on_train_begin", state)
        self.start = start - (state.history.last("time") or 0.0)
        state.done = state.epoch
        self.segment: _Segment | None = None
        self.loop = None if plan.stepwise is not None else self.make_loop()
        self.trainable = [p.requires_grad for p in state.parameters]
        self._begin_best()
        self._begin_rule()

    @property
    def finished(self) -> bool:
        return self.state.stop or self.state.done >= self.state.epochs

    def advance(self, max_steps: int | None = None, seconds: float | None = None) -> int:
        """Train until the run is finished or stopped, or ``max_steps`` steps have run, or
        about ``seconds`` have passed (a span may end in the middle of an epoch: the next
        call goes on from there). Returns the steps taken."""
        deadline = None if seconds is None else time.perf_counter() + seconds
        taken = 0
        session = getattr(self.loop, "session", None)
        with session() if session is not None else contextlib.nullcontext():
            while not self.finished and (max_steps is None or taken < max_steps):
                if self.segment is None and not self._open():
                    break
                room = None if max_steps is None else max_steps - taken
                if deadline is not None:
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        break
                    if self.per_step is not None:
                        steps = max(1, int(left / max(self.per_step, 1e-9)))
                        room = steps if room is None else min(room, steps)
                ran = self._span(room)
                taken += ran
        return taken

    def replace_loop(self, optimizer=None) -> None:
        """Go on with a new engine loop (a new optimizer, penalty or weights' layout): the
        old loop's work is written back first; the row order and position carry on. The
        NaN guard's best epoch starts again from here."""
        if self.loop is not None:
            self.loop.sync()
            if getattr(self, "ruled", None) is not None:  # its counters, up to here
                self.ruled.take_rule(self.state, self.loop.rule_state(), False)
        if optimizer is not None:
            self.state.optimizer = optimizer
        if self.plan.stepwise is None:
            self.loop = self.make_loop()
        self.own_best = None
        self._begin_best()
        if getattr(self, "ruled", None) is not None and hasattr(self.loop, "stop_rule"):
            self.loop.stop_rule(*self.ruled.loss_rule())

    def settle(self, keep_epochs: bool = False) -> None:
        """After an exception (a callback's, Ctrl-C): write the loop's work back, so the
        model and the optimizer agree on how many steps were taken; ``keep_epochs`` (Ctrl-C)
        records the open span's finished epochs in the history too."""
        loop = getattr(self, "loop", None)
        if loop is not None:
            loop.sync()
        seg = getattr(self, "segment", None)
        if keep_epochs and seg is not None:
            self._record(seg, seg.done // self.state.batches)
            self.segment = None

    def end(self) -> None:
        """Hand the best epoch to the NaN guard, then ``on_train_end``."""
        if self.loop is not None:
            self.loop.sync()
            if self.ruled is not None:  # the rule's counters as far as the run went
                self.ruled.take_rule(self.state, self.loop.rule_state(), False)
        self._hand_best()
        call(self.hooks, "on_train_end", self.state)

    def _open(self) -> bool:
        """Start the span of epochs up to the next one someone needs; False on a stop."""
        state, history = self.state, self.state.history
        e0 = state.done
        if self.hooks["on_epoch_begin"]:
            state.epoch, state.batch = e0 + 1, 0
            call(self.hooks, "on_epoch_begin", state)
            if state.stop:
                history.stopped_epoch = e0 or None
                return False
        target, measured = self._target(e0)
        if (target - e0) * state.batches > SPAN_STEPS:  # bounded memory for the losses
            target, measured = e0 + max(1, SPAN_STEPS // state.batches), False
        self.segment = _Segment(
            e0=e0,
            target=target,
            measured=measured,
            lr=state.optimizer.param_groups[0].get("lr"),
            time=time.perf_counter() - self.start,
            total=(target - e0) * state.batches,
            losses=np.empty((target - e0) * state.batches),
        )
        return True

    def _span(self, room: int | None) -> int:
        """One call of the engine within the open span (at most ``room`` steps); closes the
        span at its end epoch. Returns the steps taken."""
        state, history, seg = self.state, self.state.history, self.segment
        e0, batches, done, losses = seg.e0, state.batches, seg.done, seg.losses
        n = self._chunk(done, seg.total)
        if room is not None:
            n = max(1, min(n, room))
        perms, first = self._orders(e0, done, n)
        began = time.perf_counter()
        if self.loop is None:
            ran, stop = self._stepwise(perms, first, n, losses[done : done + n], e0, done)
        else:
            ran, stop = self._run(perms, first, n, losses[done : done + n], e0, done)
            state.step += ran
            self._where(e0, done + ran, losses)
        if ran:
            self.per_step = (time.perf_counter() - began) / ran
            if self.first_loss is None:
                self.first_loss = float(losses[0])
        seg.done = done = done + ran
        if self.ruled is not None and self.loop.rule_fired and done < seg.total:
            seg.total, seg.target, seg.measured = done, e0 + done // batches, False
        if stop is not None:
            if self.loop is None:
                self._record(seg, done // batches)
                history.stopped_epoch, history.stopped_batch = state.epoch, state.batch
            else:
                self._stopped(seg, done)
            self.segment = None
            return ran
        if self.own_best is not None and done % batches == 0:
            self._own_best_epoch(e0 + done // batches, losses[done - batches : done])
        if done < seg.total:
            self._tick()
            if state.stop:  # asked for during a tick: the finished epochs are kept
                self._record(seg, done // batches)
                history.stopped_epoch = state.epoch
                history.stopped_batch = state.batch if state.batch < batches else None
                self.segment = None
                return ran
            if any(cb.due(state) for cb in self.plan.timed):
                shorter = -(-done // batches) * batches  # the end of the epoch under way
                seg.measured = seg.measured if shorter == seg.total else False
                seg.total, seg.target = shorter, e0 + shorter // batches
        if done >= seg.total:
            self.segment = None
            self._epoch_end(seg)
        return ran

    def _target(self, e0: int) -> tuple[int, object]:
        """The next epoch someone needs, and what is measured there (``_Segment.measured``:
        False, "validation" or True, as ``Callback.wants_metrics``; the last epoch gets
        everything)."""
        state, plan = self.state, self.plan
        wanted: dict[int, object] = {state.epochs: True}
        for cb in state.callbacks:
            if cb is self.ruled:  # judged by the engine between epochs
                continue
            epoch = cb.next_epoch(state)
            if epoch is not None:
                epoch = max(whole_epoch(epoch, cb), e0 + 1)
                wanted[epoch] = more(wanted.get(epoch, False), getattr(cb, "wants_metrics", True))
        if plan.x_val is not None:
            epoch = (e0 // plan.validation_freq + 1) * plan.validation_freq
            wanted[epoch] = more(wanted.get(epoch, False), "validation")
        if state.scheduler is not None or plan.stepwise is not None:
            wanted.setdefault(e0 + 1, False)
        target = min(wanted)
        if any(cb.due(state) for cb in plan.timed):
            return e0 + 1, wanted.get(e0 + 1, False)
        return target, wanted[target]

    def _chunk(self, done: int, total: int) -> int:
        """Steps for the next call: about ``TICK`` seconds' worth, within the budgets."""
        batches, remaining = self.state.batches, total - done
        n = FIRST_CHUNK if self.per_step is None else int(TICK / max(self.per_step, 1e-9))
        if self.plan.stepwise is not None or self.own_best is not None:
            n = min(n, batches - done % batches)  # epoch by epoch
        if self._shuffled():  # the row orders of at most this many epochs at once
            epochs = max(1, PERM_BUDGET // self.state.x.shape[0])
            n = min(n, epochs * batches - done % batches)
        return max(1, min(n, remaining))

    def _shuffled(self) -> bool:
        return self.plan.shuffle and self.plan.size < self.state.x.shape[0]

    def _orders(self, e0: int, done: int, n: int):
        """(row orders for the epochs the call touches, its first step among them); each
        epoch's order is drawn from the run's generator when the epoch starts."""
        batches = self.state.batches
        first_epoch = e0 + 1 + done // batches
        last_epoch = e0 + 1 + (done + n - 1) // batches
        first = done - (first_epoch - e0 - 1) * batches
        if not self._shuffled():
            return None, first
        rng, rows = self.state.rng, self.state.x.shape[0]
        orders = []
        for epoch in range(first_epoch, last_epoch + 1):
            if epoch != self.perm_epoch:
                self.perm, self.perm_epoch = rng.permutation(rows), epoch
            orders.append(self.perm)
        return np.stack(orders), first

    def _run(self, perms, first, n, losses, e0, done):
        guard = self.plan.guard is not None
        if getattr(self.loop, "track_best", None) is not None:
            base = e0 + done // self.state.batches
            return self.loop.run(perms, first, n, losses, guard, epoch_base=base)
        return self.loop.run(perms, first, n, losses, guard)

    def _where(self, e0: int, done: int, losses) -> None:
        """``state.epoch``/``batch``/``batch_loss`` after ``done`` steps of the segment."""
        state, batches = self.state, self.state.batches
        if done:
            state.epoch = e0 + 1 + (done - 1) // batches
            state.batch = (done - 1) % batches + 1
            state.batch_loss = float(losses[done - 1])

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.hooks["on_progress"] and now - self.last_tick >= TICK:
            self.last_tick = now
            call(self.hooks, "on_progress", self.state)

    # ------------------------------------------------------------------ epoch ends
    def _epoch_end(self, seg: _Segment) -> None:
        """Record the span's epochs, measure what was asked at its end, call the hooks."""
        state, plan, history = self.state, self.plan, self.state.history
        target, measured, lr = seg.target, seg.measured, seg.lr
        self._record(seg, target - seg.e0)
        if self.loop is not None:
            self.loop.sync()
        logs, found = {"loss": history.last("loss")}, {}
        if measured is True and plan.later is not None and target == state.epochs:
            history.measure_later(target, plan.later())  # the run's end: on first read
        elif measured is True:
            found = plan.evaluate(state.x, state.y, "")
            found.pop("loss", None)  # the engine's loss is the history's (see History)
        validation_epoch = target % plan.validation_freq == 0 or target == state.epochs
        if measured and plan.x_val is not None and (validation_epoch or plan.validation_on_request):
            found.update(plan.evaluate(plan.x_val, plan.y_val, "val_"))
        if found:
            history.add_measured(target, found)
            logs.update(found)
        if lr is not None:
            logs["lr"] = float(lr)
        logs["time"] = history.last("time")
        state.logs = logs
        state.epoch, state.done, state.batch = target, target, state.batches
        if self.ruled is not None:  # the engine judged it: its counters, and its stop
            self.ruled.take_rule(state, self.loop.rule_state(), self.loop.rule_fired)
        step_scheduler(state.scheduler, logs, plan.x_val is not None)
        call(self.hooks, "on_epoch_end", state)
        if state.stop:
            history.stopped_epoch = target
        if self.loop is not None:
            self._check_frozen()
            self.loop.reload()

    def _stopped(self, seg: _Segment, done: int) -> None:
        """The loop stopped before the update of step ``done`` (a non-finite loss or gradient)."""
        state, guard, batches = self.state, self.plan.guard, self.state.batches
        e0, losses = seg.e0, seg.losses
        self._record(seg, done // batches)
        if self.loop is not None:
            self.loop.sync()
        state.epoch, state.batch = e0 + 1 + done // batches, done % batches + 1
        state.batch_loss = float(losses[done])
        finite = [float(v) for v in losses[:done] if math.isfinite(v)]
        if self.first_loss is not None and finite:
            finite = [self.first_loss, finite[-1]]
        guard.seen_losses(finite)
        guard.restored = bool(getattr(self.loop, "restored", False))
        guard.on_after_backward(state)
        state.history.stopped_epoch, state.history.stopped_batch = state.epoch, state.batch
