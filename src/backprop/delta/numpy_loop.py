"""The NumPy δ engine as a span loop: many optimizer steps per Python call (floor 3).

``fit`` hands an engine whole spans of steps (DESIGN, "Training in spans"). This is the NumPy
one: ``NumpyLoop.run`` takes steps s = first_step … first_step + n − 1, step s being batch
b = s mod B of epoch e = s div B, and for each runs the lecture's recursion (``engine.py``)
into buffers allocated once — f[l], a[l], δ[l], ∂E/∂θ and the gathered batch — then the
optimizer's update on the flat parameter buffer (``numpy_update.py``; any other optimizer
keeps its own ``step()``) and TF Playground's weight penalty. The operations are the
engine's and ``optim._functional``'s, in the same order, so a run gives the numbers of the
per-batch loop ``zero_grad(); Plan.step(xb, yb); step()`` bit for bit, however it is cut
into spans. ``sync()`` puts ``.grad`` and the optimizer state where that loop leaves them;
``reload()`` reads them back after a callback changed them. It never prints.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from ..autograd.tensor import Tensor
from ..errors import ConfigError, ShapeError
from . import numpy_update as U
from .numpy_step import RightCounter, Step
from .plan import Plan
from .remember import layer_current

# OpenBLAS runs a product on several threads once batch × n_in × n_out passes 2**18; up to
# 2**21 (fused_policy.SMALL_GEMM_WORK) the threads cost more than they give (digits, batch 32:
# 3.4 ms a step with two threads on this loaded 2-core machine, 0.18 ms with one).
_THREADED_GEMM_WORK = 1 << 18
_SMALL_GEMM_WORK = 1 << 21
_controller: list = []  # threadpoolctl's controller, made on first need (False without it)


class NumpyLoop:
    """Span runner over the δ engine for one model, loss, optimizer and training set.

    Args:
        model: a stack of ``Linear`` and elementwise activations (``delta.layers``).
        loss: a loss module or registry name the δ engine accepts.
        optimizer: a ``backprop.optim`` optimizer over the model's parameters.
        x: (N, n_in) inputs; y: targets as ``fit`` prepares them (N rows).
        batch_size: rows per step; B = ceil(N / batch_size) steps per epoch.
        penalty: ("none" | "l1" | "l2", rate), applied to the weights after each update, or
            ("alpha", α): scikit-learn's L2 term α/2·Σ‖W‖²/m in each batch's loss (m rows).
    """

    name = "delta"

    def __init__(self, model, loss, optimizer, x, y, batch_size, *, penalty=("none", 0.0)):
        if loss is None:
            raise ConfigError("NumpyLoop: loss is None; training needs a loss, e.g. 'mse'.")
        self.plan = Plan(model, loss)
        self.net = self.plan.net
        self.model, self.optimizer = model, optimizer
        self.dtype = np.dtype(self.net[0].weight._data.dtype)
        self.x = _rows(x, self.dtype, self.net[0].n_in)
        self.y = np.asarray(y._data if isinstance(y, Tensor) else y)
        if self.y.dtype.kind == "f":
            self.y = np.ascontiguousarray(self.y, dtype=self.dtype)
        n = self.x.shape[0]
        if self.y.ndim == 0 or self.y.shape[0] != n:
            raise ShapeError(
                f"NumpyLoop: y has shape {list(self.y.shape)} but x has {n} rows; give one "
                "target row per input row."
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
            raise ConfigError(f"NumpyLoop: batch_size must be an int, got {batch_size!r}.")
        if not 1 <= batch_size <= n:
            raise ConfigError(
                f"NumpyLoop: batch_size must be in [1, N={n}], got {batch_size}; pass e.g. {n}."
            )
        kind, rate = ("none", 0.0) if penalty is None else _penalty(penalty)
        self.penalty = (kind, float(rate)) if kind != "none" and rate > 0 else ("none", 0.0)
        self.bs, self.nb = int(batch_size), -(-n // int(batch_size))
        self._plan_parts()
        self.restored = False
        self.best = None  # [on, running epoch E, lowest epoch E, its epoch, epoch_base]
        self.rule = None  # the loss stopping rule (stop_rule), judged at each epoch's end
        self.rule_fired = False
        self.counter = None  # rows right (count_right)
        self._kind_key = self._kind = None  # fast_kind's answer and what it was asked about
        self.computed = False  # whether the gradient buffer holds a step's gradients
        self.reload()

    # ------------------------------------------------------------ binding to the model

    def _plan_parts(self) -> None:
        """The step and its batch buffers for the model's current layers."""
        self.stepper = Step(self.plan, self.y)
        n = self.x.shape[0]
        last = n - (self.nb - 1) * self.bs
        self.batches = {m: self.stepper.batch(m) for m in {self.bs, last}}
        self._data = None

    def _bind(self) -> None:
        """Views of W[l], b[l] and a flat gradient buffer laid out like the parameters."""
        params = self.plan.params
        self._data = [p._data for p in params]
        base = params[0]._data.base
        flat = base is not None and base.ndim == 1 and base.size == sum(a.size for a in self._data)
        flat = flat and all(a.base is base and a.flags.c_contiguous for a in self._data)
        self.theta = base if flat else None
        origin = base.__array_interface__["data"][0] if flat else 0
        total = sum(a.size for a in self._data)
        self.grad = np.zeros(total, self.dtype)
        self.offsets, position = [], 0
        for a in self._data:
            start = (a.__array_interface__["data"][0] - origin) // a.itemsize if flat else position
            self.offsets.append(start)
            position += a.size
        self.grad_tensors = [
            Tensor._wrap(self.grad[o : o + a.size].reshape(a.shape))
            for o, a in zip(self.offsets, self._data)
        ]
        self.stepper.bind({id(p): t._data for p, t in zip(params, self.grad_tensors)}, self.grad)
        self.weights = [layer.weight._data for layer in self.net]
        grads = {id(p): t._data for p, t in zip(params, self.grad_tensors)}
        self.weight_grads = [grads[id(layer.weight)] for layer in self.net]
        self.scratch_w = [np.empty_like(w) for w in self.weights]
        self.previous = [np.empty_like(a) for a in ([base] if flat else self._data)]
        self.have_previous = False
        self.state = U.FlatState(total, self.dtype)
        self._kind_key = None
        if self.best is not None:  # new arrays: the best epoch restarts from here
            self.track_best(int(self.best[4]))

    def _bound(self) -> bool:
        if self._data is None:
            return False
        return all(p._data is a for p, a in zip(self.plan.params, self._data))

    # ------------------------------------------------------------ hand-over

    def session(self):
        """A context for a whole run: BLAS on one thread when every product is small enough
        that OpenBLAS's threads only cost (threadpoolctl, ~10 ms once a process; a no-op
        when the products are tiny or large, or threadpoolctl is missing)."""
        work = max(self.bs * layer.n_in * layer.n_out for layer in self.net)
        if not _THREADED_GEMM_WORK < work < _SMALL_GEMM_WORK:
            return contextlib.nullcontext()
        if not _controller:
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:
                _controller.append(False)
            else:
                _controller.append(ThreadpoolController())
        if _controller[0] is False:
            return contextlib.nullcontext()
        return _controller[0].limit(limits=1, user_api="blas")

    def reload(self) -> None:
        """Re-read weights and optimizer state after someone else changed them. The state is
        taken as ``optimizer.state`` holds it: ``sync()`` first if the loop ran since (the
        runner does), or its updates since the last ``sync()`` are replaced."""
        if not all(layer_current(layer) for layer in self.net):  # Parameters replaced
            self.plan = Plan(self.model, self.plan.loss)
            self.net = self.plan.net
            self._plan_parts()
        if not self._bound():
            self._bind()
        self.have_previous = False
        self.state.load(self._fast_kind(), self.optimizer, self.plan.params, self.offsets)

    def _fast_kind(self):
        """``numpy_update.fast_kind``, asked again only when the optimizer's groups changed."""
        if self.theta is None:
            return None
        opt = self.optimizer
        groups = opt.param_groups
        group = groups[0]
        key = (id(groups), len(groups), id(group), id(group["params"]), len(group["params"]))
        key += (type(opt), group.get("amsgrad"))
        if key != self._kind_key:
            self._kind, self._kind_key = U.fast_kind(opt, self.plan.params), key
        return self._kind

    def track_best(self, epoch: int, loss: float = math.inf) -> None:
        """Keep the weights of the epoch with the lowest training loss from now on (as the
        compiled kernel does); ``epoch`` is the number of epochs done before the next run."""
        self.best = [1.0, 0.0, loss, 0.0, float(epoch)]
        self.epoch_start = [a.copy() for a in self._arrays()]
        self.best_theta = [a.copy() for a in self._arrays()]

    def best_weights(self):
        """(epoch, its epoch E, the weights it started with) of the lowest E so far, or None;
        the weights are one flat array (flat parameters) or one array per parameter."""
        best = self.best
        if best is None or not math.isfinite(best[2]):
            return None
        weights = self.best_theta[0] if self.theta is not None else self.best_theta
        return int(best[3]), float(best[2]), weights

    def count_right(self) -> bool:
        """Count the rows each batch's forward pass classifies right (before its update, as
        the compiled kernel's ``count_right``); False when ``accuracy`` has other rules here."""
        name, k = self.plan.resolved[0].name, self.net[-1].n_out
        if not RightCounter.fits(name, k, self.y):
            return False
        self.counter = RightCounter(name, k)
        return True

    def right_last_epoch(self) -> tuple[int, int] | None:
        """(epoch, rows right) of the last epoch whose every batch was counted, or None."""
        return None if self.counter is None else self.counter.last

    def stop_rule(self, patience, min_delta, best, wait, best_epoch, sklearn=False) -> None:
        """The loss stopping rule, judged here at each epoch's end exactly as the compiled
        kernel judges it (``fused_loop.FusedLoop.stop_rule``, ``fused_kernels.train_loop``):
        the epoch's E summed in the same order, the same comparisons."""
        self.rule = [float(patience), float(min_delta), float(best), float(wait),
                     float(best_epoch or 0), bool(sklearn), 0.0]  # fmt: skip

    def rule_state(self) -> tuple[float, int, int | None]:
        """(best loss, epochs since it, its epoch) of the stopping rule."""
        rule = self.rule
        return rule[2], int(rule[3]), int(rule[4]) or None

    def _judge(self, ep: float, epoch: int) -> bool:
        """One epoch's E through the stopping rule; True when it stops the run."""
        rule = self.rule
        patience, delta, best = rule[0], rule[1], rule[2]
        if rule[5]:  # scikit-learn's: count, then the best is the minimum
            rule[3] = rule[3] + 1.0 if ep > best - delta else 0.0
            if ep < best:
                rule[2], rule[4] = ep, float(epoch)
            return rule[3] >= patience
        if ep < best - delta:
            rule[2], rule[3], rule[4] = ep, 0.0, float(epoch)
            return False
        rule[3] += 1.0
        return rule[3] >= patience

    def sync(self) -> None:
        """``.grad`` = the last step's gradients; ``optimizer.state`` = the loop's state."""
        if not self.computed:
            return
        for p, t in zip(self.plan.params, self.grad_tensors):
            if p.requires_grad:
                p._grad = t
            p._bump_version()
        self.state.store(self.optimizer, self.plan.params, self.offsets)

    # ------------------------------------------------------------ the span

    def run(self, perms, first_step: int, n_steps: int, losses, guard: bool, epoch_base=0):
        """Steps first_step … first_step + n_steps − 1; returns (updates taken, stop index).

        With ``track_best`` on, an epoch's E is Σ over its batches of E_b·m_b/N (Σ E_b for a
        'sum' loss), and ``epoch_base`` is the number of epochs before perms' first row."""
        self.restored = False
        state, mode = self.state, self._fast_kind()
        if mode != state.mode:  # the optimizer changed between spans (its groups or options)
            state.store(self.optimizer, self.plan.params, self.offsets)
            state.load(mode, self.optimizer, self.plan.params, self.offsets)
        group = self.optimizer.param_groups[0]
        fast = state.mode is not None
        hp = U.hyper(state.mode, group) if fast else None
        kind, rate = self.penalty
        shrink = float(group["lr"]) * rate
        alpha, shrinks = (rate, False) if kind == "alpha" else (0.0, kind != "none")
        if not fast:  # optimizer.step() reads .grad: ours, and None where frozen
            for p, t in zip(self.plan.params, self.grad_tensors):
                p._grad = t if p.requires_grad else None
        nb, bs, n = self.nb, self.bs, self.x.shape[0]
        best = self.best
        if best is not None:
            best[4] = float(epoch_base)
            reduce_sum = self.plan.resolved[1] == "sum"
        if n_steps <= 0:
            return 0, None
        if perms is not None:
            _check_perms(perms, (first_step + n_steps - 1) // nb + 1, n)
        full = nb == 1 and perms is None
        gradients, update, theta, grad = self.stepper.gradients, state.update, self.theta, self.grad
        gated = self.stepper.gated
        check = guard or gated
        keep, copyto = list(zip(self._arrays(), self.previous)), np.copyto  # the guard's copy
        isfinite = math.isfinite
        rule, counter = self.rule, self.counter
        rule_sum = rule is not None and self.plan.resolved[1] == "sum"
        for i in range(n_steps):
            if full:  # one batch, the same every step: nothing to slice or gather
                e, b, lo, hi, buf = first_step + i, 0, 0, n, self.batches[n]
            else:
                e, b = divmod(first_step + i, nb)
                lo = b * bs
                hi = min(lo + bs, n)
                buf = self.batches[hi - lo]
            if best is not None and b == 0:
                for a, c in zip(self._arrays(), self.epoch_start):
                    np.copyto(c, a)
                best[1] = 0.0
            if full:
                xb, yb, y_loss = self.x, self.y, self.y
            elif perms is None:
                xb, yb = self.x[lo:hi], self.y[lo:hi]
                y_loss = yb
            else:
                rows = perms[e, lo:hi]
                xb = np.take(self.x, rows, axis=0, out=buf.x, mode="clip")  # checked rows:
                yb = np.take(self.y, rows, axis=0, out=buf.y, mode="clip")  # no temporary
                y_loss = yb if self.stepper.loss_kind != "generic" else self.y[rows]
            value = gradients(buf, xb, yb, y_loss)
            if alpha:
                value += self._alpha(alpha, hi - lo)
            self.computed = True
            finite = not check or (isfinite(value) and self._finite_gradients())
            if not finite and gated:  # sign(a) gates meet a NaN or inf: the exact select
                value = gradients(buf, xb, yb, y_loss, exact=True)
                value += self._alpha(alpha, hi - lo) if alpha else 0.0
                finite = math.isfinite(value) and self._finite_gradients()
            losses[i] = value
            if guard:
                if not finite:
                    self._stopped()
                    return i, i
                for a, c in keep:
                    copyto(c, a)
                self.have_previous = True
            if counter is not None:  # rows right, summed per epoch as the kernel sums them
                counter.add(buf.a[-1], yb, b == 0, b == nb - 1, n, epoch_base + e + 1)
            if fast:
                update(theta, grad, hp)
            else:
                self.optimizer.step()
            if shrinks:
                U.penalty(self.weights, kind, shrink, self.scratch_w)
            if best is not None:
                best[1] += value if reduce_sum else value * (hi - lo) / n
                if b == nb - 1 and best[1] < best[2]:
                    best[2], best[3] = best[1], best[4] + e + 1
                    for c, d in zip(self.epoch_start, self.best_theta):
                        np.copyto(d, c)
            if rule is not None:  # summed as the kernel and the runner sum: E·m in order
                rule[6] = (0.0 if b == 0 else rule[6]) + (value if rule_sum else value * (hi - lo))
                if b == nb - 1 and self._judge(
                    rule[6] if rule_sum else rule[6] / n, epoch_base + e + 1
                ):
                    self.rule_fired = True
                    return i + 1, None
        return n_steps, None

    def _alpha(self, alpha: float, m: int) -> float:
        """scikit-learn's L2 term for a batch of ``m`` rows: α/m·W added to each weight's
        gradient; returns α/2·Σ‖W‖²/m, the term its loss gains."""
        square = 0.0
        for w, g, scratch in zip(self.weights, self.weight_grads, self.scratch_w):
            flat = w.reshape(-1)
            square += float(np.dot(flat, flat))
            np.multiply(w, alpha / m, out=scratch)
            g += scratch
        return 0.5 * alpha * square / m

    def _finite_gradients(self) -> bool:
        if math.isfinite(np.add.reduce(self.grad)):
            return True
        return bool(np.isfinite(self.grad).all())

    def _arrays(self) -> list:
        return [self.theta] if self.theta is not None else self._data

    def _stopped(self) -> None:
        arrays = self._arrays()
        if self.have_previous and not all(np.isfinite(a).all() for a in arrays):
            for a, c in zip(arrays, self.previous):
                np.copyto(a, c)
            self.restored = True


def _penalty(penalty) -> tuple[str, float]:
    ok = isinstance(penalty, tuple | list) and len(penalty) == 2
    kind, rate = penalty if ok else (None, None)
    number = isinstance(rate, int | float | np.floating) and not isinstance(rate, bool)
    if ok and kind in ("none", "l1", "l2", "alpha") and number and rate >= 0 and np.isfinite(rate):
        return kind, float(rate)
    raise ConfigError(
        f"NumpyLoop: penalty must be None or ('none' | 'l1' | 'l2' | 'alpha', rate >= 0), got "
        f"{penalty!r}; pass e.g. ('l2', 0.001)."
    )


def _check_perms(perms, epochs: int, n: int) -> None:
    """Shape and row numbers of the epochs a call uses (np.take's mode='raise' would copy
    every gathered batch through a temporary: the rows are checked here instead)."""
    shape = getattr(perms, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] < epochs or shape[1] != n:
        raise ShapeError(
            f"NumpyLoop.run: perms must be an int array of shape [epochs >= {epochs}, N={n}] "
            f"(one row order per epoch from epoch 0), got {list(shape or [])}; pass "
            "np.stack([rng.permutation(N) for each epoch]) or None for the natural order."
        )
    used = perms[:epochs]
    if used.dtype.kind not in "iu" or (n and (used.min() < 0 or used.max() >= n)):
        raise ShapeError(
            f"NumpyLoop.run: perms must hold row numbers 0 … {n - 1} (dtype int), got dtype "
            f"{used.dtype} with values {used.min()} … {used.max()}; pass permutations of N."
        )


def _rows(x, dtype, n_in: int) -> np.ndarray:
    arr = np.asarray(x._data if isinstance(x, Tensor) else x)
    if arr.ndim != 2 or arr.shape[1] != n_in:
        raise ShapeError(
            f"NumpyLoop: x has shape {list(arr.shape)} but layer 1 expects rows of {n_in} "
            f"features, shape [N, {n_in}]; reshape x (x.reshape(-1, {n_in}))."
        )
    return np.ascontiguousarray(arr, dtype=dtype)
