"""How one tab's session trains: ``fit``'s span runner, driven in slices by the connection.

``Training`` is mixed into ``session.Session``. The page has no step loop of its own: each
network gets a ``train.spans.SpanRunner`` built as ``fit`` builds one — the engine picked by
``train.choice`` (the NumPy δ engine, ``engine="delta"``, the engine an exported spec
names, so ``backprop train`` gives the same numbers), the NaN guard (``NaNGuard``; the loop
stops before the update of a batch whose loss or gradient is not finite), TensorFlow
Playground's L1/L2 penalty applied by the loop after each update (``fit(penalty=…)``),
the same seeded row order per epoch. The connection calls ``train(seconds, max_steps=…)``,
``step_batch`` and ``step_epoch``; each is ``SpanRunner.advance``, which may stop in the
middle of an epoch and go on from there at the next call. What the page draws comes from
the callbacks in ``curves``; the numbers it shows (``metrics``) are measured on the current
weights when asked. Changes between slices reach the loop: weight edits and learning-rate
changes through ``reload()``, a new optimizer or penalty through a new loop, a new batch
size through a new runner at the end of the epoch under way.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .curves import GradCurve, LossCurve, Series, Status, StopAtLoss

ENDLESS = 10**12  # the run's epochs when no "stop after N epochs" is set

# One count for the whole server process: a network's ``builds`` (an edit's ``net``) and a
# state's ``rev`` (a ``set``'s ``base``) are never reused, by this session or another one
# in the same tab (a new link's hello): per session they restarted at 1, so a value typed
# on one network was set on the next tab's (sixth attacker trial, P1).
next_id = itertools.count(1).__next__


class Training:
    """The training of one network; ``Session._build_network`` calls ``_build_training``."""

    # -- the runner ------------------------------------------------------------------------
    def _build_training(self) -> None:
        """Fresh curves, status, measurements and runner for a new network (epoch 0)."""
        self.history, self.grad_history = Series(), Series()
        self.status = Status()
        self.builds = next_id()  # unique in this process: an edit names its network
        self.edits = 0
        self._metrics_at, self._metrics = None, {}
        self.batch_pending = False
        self.run = self._runner()
        m = self.metrics
        self.history.add(0, (m["loss"], m.get("test_loss")))
        with np.errstate(all="ignore"):
            self.grad_history.add(0, self._grad_norms())

    def _grad_norms(self) -> list:
        from .curves import grad_norms

        return grad_norms(self.plan.compute(self.x, self.y))

    def _runner(self, before=None):
        """A ``SpanRunner`` over this network, begun; ``before`` (a runner) hands over its
        epochs, steps and row-order stream (a new batch size between two epochs)."""
        from ..train.callbacks import TrainState
        from ..train.choice import choose_engine, make_loop
        from ..train.control import hooks_for
        from ..train.engines import eval_rows, evaluator
        from ..train.guard import NaNGuard
        from ..train.history import History
        from ..train.spans import Plan, SpanRunner

        size, n = self.batch_size, self.x.shape[0]
        has_test = self.x_test is not None
        choice = choose_engine(
            self.model, self.loss, self.optimizer, "delta", self.plan, "", self.y, 0, size
        )
        self.engine = choice
        self.guard = NaNGuard()
        self.loss_curve = LossCurve(self.history, lambda: bool(self.state["stop_loss"]))
        passed = before is not None and self.stopper.passed  # a met loss target stays passed
        self.stopper = StopAtLoss(lambda: self.state["stop_loss"], has_test)
        self.stopper.passed = passed
        grads = GradCurve(self.grad_history, lambda: self.plan.compute(self.x, self.y))
        callbacks = [self.guard, self.loss_curve, grads, self.stopper]
        history = History(choice.name)
        history.engine_reason = choice.reason
        state = TrainState(
            model=self.model,
            optimizer=self.optimizer,
            history=history,
            epochs=self._epochs(0 if before is None else before.state.done),
            batches=math.ceil(n / size),
            parameters=list(self.model.parameters()),
            loss_fn=self.loss,
            loss_name=type(self.loss).loss,
            engine=choice.name,
            task=self.task,
            x=self.x,
            y=self.y,
            has_validation=has_test,
            epoch=0 if before is None else before.state.done,
            step=0 if before is None else before.state.step,
        )
        state.callbacks = callbacks
        self.evaluate = evaluator(
            self.model, self.loss, state.loss_name, self.task, self.plan, False,
            eval_rows(self.plan.net, size),
        )  # fmt: skip
        plan = Plan(
            evaluate=self.evaluate,
            x_val=self.x_test,
            y_val=self.y_test,
            size=size,
            shuffle=True,
            seed=self.state["seed"],
            guard=self.guard,
            validation_freq=1 << 40,  # the test loss only where a curve asks (curves)
            validation_on_request=True,
            reduce_sum=False,
            timed=[self.stopper],
        )
        self.loss_curve.plan = plan

        def loop():  # reads the optimizer and the penalty of the moment
            return make_loop(choice, self.model, self.loss, self.optimizer, self.plan,
                             self.plan.step, self.x, self.y, size, self._penalty())  # fmt: skip

        runner = SpanRunner(state, hooks_for(callbacks), loop, plan)
        with np.errstate(all="ignore"):
            runner.begin()
        if before is not None:
            state.rng = before.state.rng  # the row orders go on as one run's would
        return runner

    def _epochs(self, done: int = 0) -> int:
        """The run's epochs: ``stop_epochs`` while the run has not reached it; a stop the run
        met or passed is a pause point, not a wall, so from there it trains on (P1)."""
        stop = self.state["stop_epochs"]
        return stop if stop > done else ENDLESS

    def _penalty(self):
        kind, rate = self.state["regularization"], self.state["reg_rate"]
        return ("none", 0.0) if kind == "none" or not rate else (kind, float(rate))

    # -- what the page asks ------------------------------------------------------------------
    @property
    def batch_size(self) -> int:
        return min(self.state["batch_size"], self.x.shape[0])

    @property
    def epoch(self) -> int:
        """Epochs finished (within a span too: the runner records them at its end)."""
        state, segment = self.run.state, self.run.segment
        return state.done if segment is None else segment.e0 + segment.done // state.batches

    @property
    def steps(self) -> int:
        return self.run.state.step

    def steps_per_epoch(self) -> int:
        return self.run.state.batches

    def steps_left(self) -> int:
        """Steps to the end of the epoch under way (a whole epoch between epochs)."""
        batches, segment = self.run.state.batches, self.run.segment
        return batches - (0 if segment is None else segment.done % batches)

    @property
    def metrics(self) -> dict:
        """Loss and accuracy / RMSE of the current weights on the training and test sets
        (``test_`` keys), measured as ``fit`` measures them; RMSE in the target's own units.

        None where a set's loss is not finite (then none of that set's numbers is: an RMSE
        of 9e19 beside a loss of None said two things) and everywhere after a divergence
        (the snapshot's ``diverged`` says why), so no stray finite number is shown."""
        diverged = bool(self.status.diverged)
        key = (self.builds, self.run.state.step, self.edits, diverged)
        if self._metrics_at != key:
            out = {}
            parts = [("", self.x, self.y)]
            if self.x_test is not None:
                parts.append(("test_", self.x_test, self.y_test))
            with np.errstate(all="ignore"):
                for prefix, x, y in parts:
                    logs = self.evaluate(x, y, prefix or "train_")
                    found = {}
                    for name in ("loss", "accuracy", "rmse"):
                        value = logs.get((prefix or "train_") + name)
                        if value is not None:
                            found[name] = value if math.isfinite(value) else None
                    if "rmse" in found and found["rmse"] is not None:
                        found["rmse"] *= self.target_std()  # z units → the target's units
                    if diverged or found.get("loss") is None:
                        found = dict.fromkeys(found)
                    out.update({prefix + k: v for k, v in found.items()})
            self._metrics, self._metrics_at = out, key
        return self._metrics

    def target_std(self) -> float:
        """The factor from the trained targets' units to the data's own (1 unless the
        session trains on standardised regression targets, ``Session.target_scaling``)."""
        scaling = getattr(self, "target_scaling", None)
        return 1.0 if scaling is None else float(scaling.std[0])

    # -- training in slices ------------------------------------------------------------------
    def train(self, seconds: float | None, max_epochs: float | None = None, max_steps=None) -> int:
        """Train for about ``seconds`` (None: no limit), at most ``max_epochs`` /
        ``max_steps``; returns the steps taken (0 when training is stopped)."""
        if max_epochs is not None:
            max_steps = max(1, round(max_epochs * self.steps_per_epoch()))
        if not self._ready():
            return 0
        if self.batch_pending:
            left = self.steps_left()
            max_steps = left if max_steps is None else min(max_steps, left)
        with np.errstate(all="ignore"):  # overflow is the guard's to explain
            taken = self.run.advance(max_steps=max_steps, seconds=seconds)
        if self.batch_pending and self.steps_left() == self.run.state.batches:
            self._new_batch_size()
        self._stopped()
        return taken

    def step_batch(self) -> float | None:
        """One minibatch; its loss (taken before the update), or None if none ran."""
        if not self.train(None, max_steps=1):
            return None
        return self.run.state.batch_loss

    def step_epoch(self) -> None:
        """Minibatches up to the end of the current epoch."""
        self.train(None, max_steps=self.steps_left())

    def _ready(self) -> bool:
        """Whether the runner may go on. Play or a step after a stop condition was met (the
        page clears ``status.stopped``) trains on from there: the stop met is passed (the
        epochs set, the loss target until it is changed or Reset), the next one still holds."""
        state = self.run.state
        if self.status.diverged:  # until Reset; a step keeps the explanation shown
            self._stopped()
            return False
        if self.batch_pending and self.steps_left() == state.batches:
            self._new_batch_size()
            state = self.run.state
        if not self.status.stopped:
            if state.stop and state.stopped_by is self.stopper:
                state.stop, state.stop_reason, state.stopped_by = False, None, None
                self.stopper.passed = True
            if not state.stop and state.done >= state.epochs:
                state.epochs = self._epochs(state.done)
        if self.run.finished:
            self._stopped()
            return False
        return True

    def _stopped(self) -> None:
        """Put why the runner stopped, if it did, into the status the page shows."""
        state, status = self.run.state, self.status
        if state.stop and state.stopped_by is self.guard:
            status.diverged = True
            status.stopped = self._diverged_words()
        elif state.stop:
            status.stopped = state.stop_reason or "Stopped."
        elif state.done >= state.epochs and self.state["stop_epochs"]:
            # one sentence: the page adds what Play and Reset do (notices.js)
            status.stopped = f"Stopped: reached {self.state['stop_epochs']} epochs."
        else:
            return
        status.running = False

    def _diverged_words(self) -> str:
        """The guard's finding in the page's words, with what to do."""
        guard, state = self.guard, self.run.state
        kind = "NaN" if guard.kind == "NaN" else "infinite"
        what = f"the loss became {kind}" if guard.bad == "loss" else (
            f"the gradient of {guard.bad} became {kind}")  # fmt: skip
        where = f"epoch {state.epoch}"
        if state.batches > 1:
            where += f", batch {state.batch} of {state.batches}"
        kept = "from before the previous update" if guard.restored else "from before that batch"
        return (
            f"Training diverged in {where}: {what} with learning rate {self.state['lr']:g}. "
            f"The weights shown are the last finite ones, {kept}. Lower the learning rate "
            "and press Reset."
        )

    # -- changes between slices --------------------------------------------------------------
    def _retune(self, changed: set) -> None:
        """Settings that change the running training: optimizer, learning rate, penalty,
        batch size, stop conditions."""
        s = self.state
        if "optimizer" in changed:
            self._build_optimizer()
        elif "lr" in changed:
            for group in self.optimizer.param_groups:
                group["lr"] = s["lr"]
        if changed & {"optimizer", "regularization", "reg_rate"}:
            self._new_loop()
        elif "lr" in changed:
            self._reload()
        if "batch_size" in changed and self.batch_size != self.run.plan.size:
            self.batch_pending = True  # from the next epoch on (now, between epochs)
            if self.steps_left() == self.run.state.batches:
                self._new_batch_size()
        if changed & {"stop_epochs", "stop_loss"}:
            self.run.state.epochs = self._epochs(self.run.state.done)
            self.stopper.passed = False  # a new target is armed again
            self.stopper.changed = True  # the end of the epoch under way, not of the span

    def _reload(self) -> None:
        """The loop reads the weights and the optimizer again (after an edit, a new lr)."""
        loop = self.run.loop
        if loop is not None:
            loop.sync()
            loop.reload()

    def _new_loop(self) -> None:
        """A new loop on the same runner, with the optimizer and penalty of now; the old
        one first leaves its optimizer state where the optimizer keeps it."""
        run = self.run
        if run.loop is not None:
            run.loop.sync()
        run.state.optimizer = self.optimizer
        run.loop = run.make_loop()

    def _new_batch_size(self) -> None:
        """A runner with the new batch size, between two epochs, going on from this one."""
        if self.run.loop is not None:
            self.run.loop.sync()
        self.batch_pending = False
        self.run = self._runner(before=self.run)
