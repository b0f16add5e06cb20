"""The compiled loop as ``fit``'s span runner drives it (floor 3): ``FusedLoop``.

One ``FusedLoop`` is built per training run: it reads the model, loss and optimizer once
(``fused_setup``), copies the parameters and the optimizer state into flat buffers, allocates
the kernel's workspaces, and then takes any number of optimizer steps per ``run`` call — a
*span* — in one call of the numba kernel (``fused_kernels.train_loop``). Between spans
nothing is copied: ``sync`` writes weights, the last gradients and the optimizer state back
into the model and optimizer (what the NumPy path would have left, to rounding) when someone
needs to look, and ``reload`` reads them again after someone changed them. The same
protocol is kept by the NumPy δ loop (``numpy_loop.NumpyLoop``) and by ``train.spans``'
autograd loop, so ``fit``, the playground and the estimators drive all three alike.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from ..autograd.tensor import Tensor
from .fused_policy import SMALL_GEMM_WORK, _kernels, _one_blas_thread
from .fused_setup import LOSSES, _Setup, _setup, vectorising
from .network import DeltaEngineError

__all__ = ["PENALTIES", "FusedLoop"]

# A layer whose batch × n_in × n_out reaches this calls BLAS; smaller ones run plain loops.
BLAS_MIN_WORK = 16 * 16 * 16
PENALTIES = {"none": 0, "l2": 1, "l1": 2, "alpha": 3}  # fused_kernels' codes


def _hyper(optimizer) -> np.ndarray:
    g = optimizer.param_groups[0]
    betas = g.get("betas", (0.9, 0.999))
    return np.array(
        [
            g["lr"],
            g.get("momentum", 0.0),
            g.get("dampening", 0.0),
            g.get("weight_decay", 0.0),
            betas[0],
            betas[1],
            g.get("eps", 1e-8),
            float(bool(g.get("nesterov", False))),
            float(bool(g.get("maximize", False))),
        ],
        dtype=np.float64,
    )


def _data(setup: _Setup, x, y):
    from ..nn.loss_ops import prepare

    xa = x._data if isinstance(x, Tensor) else np.asarray(x)
    n_in = setup.meta[0, 2]
    given = xa.shape
    if xa.ndim == 1:
        xa = xa.reshape(-1, 1) if n_in == 1 else xa.reshape(1, -1)
    if xa.ndim != 2 or xa.shape[1] != n_in:
        from ..errors import ShapeError
        from ..nn.shapes import wrong_width

        raise ShapeError(wrong_width("fused", given, n_in, "input x"))
    xa = np.ascontiguousarray(xa, dtype=setup.dtype)
    ya = y._data if isinstance(y, Tensor) else np.asarray(y)
    if ya.dtype.kind == "f":
        ya = ya.astype(setup.dtype, copy=False)
    c = int(setup.meta[-1, 3])
    like = np.zeros((xa.shape[0], c), dtype=setup.dtype)
    _, ya, _ = prepare(setup.entry, like, ya, setup.options)
    if setup.entry.name == "cross_entropy":
        if ya.dtype.kind == "f":
            raise DeltaEngineError("fused: class-probability targets are not fused")
        if np.any(ya < 0) or np.any(ya >= c):
            raise DeltaEngineError(
                "fused: targets equal to ignore_index are not fused; use the NumPy path"
            )
        return xa, np.zeros((0, 0), setup.dtype), np.ascontiguousarray(ya, dtype=np.int64)
    return xa, np.ascontiguousarray(ya, dtype=setup.dtype), np.zeros(0, np.int64)


def _flat_state(setup: _Setup, optimizer):
    """(s1, s2, step, has_buf) gathered from the optimizer's per-parameter state."""
    size = sum(p._data.size for p in setup.params)
    s1 = np.zeros(size, setup.dtype)
    s2 = np.zeros(size, setup.dtype)
    states = [optimizer.state.get(p) or {} for p in setup.params]
    first = states[0]
    keys = ("momentum_buffer", None) if setup.opt_code == 0 else ("exp_avg", "exp_avg_sq")
    has = bool(first) and keys[0] in first
    step = float(first["step"]._data) if "step" in first else 0.0
    if has:
        position = 0
        for p, state in zip(setup.params, states):
            n = p._data.size
            s1[position : position + n] = state[keys[0]]._data.reshape(-1)
            if keys[1] is not None:
                s2[position : position + n] = state[keys[1]]._data.reshape(-1)
            position += n
    return s1, s2, step, has


def _write_back(setup: _Setup, optimizer, run, mu: float, grads: bool) -> None:
    from ..optim.optimizer import _state_tensor, _step_tensor

    theta, grad, s1, s2, step = run.theta, run.grad, run.s1, run.s2, run.step
    steps_taken = run.steps_taken
    position = 0
    for p in setup.params:
        n, shape = p._data.size, p._data.shape
        if not run.in_place:
            p._data[...] = theta[position : position + n].reshape(shape)
        p._bump_version()
        if grads:
            g = grad[position : position + n].reshape(shape)
            if p._grad is not None and p._grad._data.shape == shape:
                p._grad._data[...] = g
            else:
                p._grad = Tensor._wrap(g.copy())
        if steps_taken:
            state = optimizer.state.setdefault(p, {})
            views = {"s1": s1[position : position + n].reshape(shape)}
            views["s2"] = s2[position : position + n].reshape(shape)
            if setup.opt_code == 0:
                names = {"momentum_buffer": "s1"} if mu != 0 else {}
            else:
                names = {"exp_avg": "s1", "exp_avg_sq": "s2"}
                if "step" in state:
                    state["step"]._data[...] = step
                else:
                    state["step"] = _step_tensor(step)
            for key, which in names.items():
                if key in state:
                    state[key]._data[...] = views[which]
                else:
                    state[key] = _state_tensor(views[which].copy())
        position += n


def _flat_weights(setup: _Setup) -> np.ndarray | None:
    """The model's one flat parameter buffer when the kernel can work in it directly (the
    parameters fill it in the kernel's order, contiguous, of the kernel's dtype)."""
    from ..optim.flat import _covers

    arrays = [p._data for p in setup.params]
    base = arrays[0].base
    if base is None or base.dtype != setup.dtype or not _covers(arrays, base):
        return None
    return base


class FusedLoop:
    """The compiled kernel behind the span protocol (see the module docstring).

    ``run(perms, first_step, n_steps, losses, guard)`` takes steps ``first_step`` …
    ``first_step + n_steps − 1`` (step s is batch s mod B of epoch s div B, epochs counted
    from ``perms``' first row; ``perms`` None: natural order), writes each step's batch loss
    into ``losses`` and returns (steps taken, index of the step a guard stopped at or None).
    A guard stop leaves the weights from before that step and its gradients; if those
    weights are not finite (the update before overflowed) the ones before that update are
    put back and ``restored`` is True. ``penalty`` is TensorFlow Playground's weight penalty
    ``(kind, rate)``, kind ``"none"``, ``"l1"`` or ``"l2"``, applied after each update, or
    ``("alpha", α)``: scikit-learn's L2 term α/2·Σ‖W‖²/m in each batch's loss (m rows).
    """

    name = "fused"

    def __init__(self, model, loss, optimizer, x, y, batch_size=None, *, penalty=("none", 0.0)):
        setup = _setup(model, loss, optimizer)
        if isinstance(setup, str):
            raise DeltaEngineError(f"fused: {setup}; use the NumPy path (delta.Plan).")
        self.setup, self.optimizer = setup, optimizer
        self.kernels = _kernels()
        self.x, self.y_real, self.y_index = _data(setup, x, y)
        n = self.x.shape[0]
        self.n = n
        self.size = size = n if batch_size is None else max(1, min(int(batch_size), n))
        self.batches = math.ceil(n / size)
        widths = [int(setup.meta[0, 2])] + [int(v) for v in setup.meta[:, 3]]
        self.offsets = np.cumsum([0] + [size * k for k in widths]).astype(np.int64)
        self.meta = setup.meta.copy()
        self.meta[:, 5] = size * self.meta[:, 2] * self.meta[:, 3] >= BLAS_MIN_WORK
        total = int(self.offsets[-1])
        self.f_ws, self.a_ws, self.d_ws = (np.zeros(total, setup.dtype) for _ in range(3))
        self.sc = np.zeros(10, setup.dtype)
        kind, rate = penalty
        if kind not in PENALTIES:
            raise DeltaEngineError(
                f"fused: penalty must be one of {sorted(PENALTIES)}, got {kind!r}"
            )
        self.penalty_kind, self.penalty_rate = kind, float(rate)
        # best epoch (0-4), the loss stopping rule (5-11), rows right (12-16): see
        # fused_kernels.train_loop
        self.best = np.array([0.0, 0.0, math.inf, 0.0, 0.0, 0.0, 0.0, 0.0, math.inf, 0.0, 0.0, 0.0,
                              0.0, 0.0, 0.0, -1.0, 0.0])  # fmt: skip
        self.rule_fired = False
        self.epoch_start = self.best_theta = np.zeros(0, setup.dtype)
        self.steps_taken = 0
        self.restored = False
        self.reload()
        widest = max(size * int(k_in) * int(k_out) for k_in, k_out in setup.meta[:, 2:4])
        self.small = widest < SMALL_GEMM_WORK

    def session(self):
        """A context for the whole run: BLAS on one thread when every product is small
        (entering it costs ~0.1 ms, so once per run, not once per span)."""
        return _one_blas_thread() if self.small else contextlib.nullcontext()

    def reload(self) -> None:
        """Read the weights and the optimizer state again (someone may have changed them).

        Cheap when nothing moved: the weights are the model's own flat buffer, and after a
        ``sync`` the optimizer's state tensors and the parameters' ``.grad`` are views of
        this loop's buffers, so only their identity is checked."""
        setup = self.setup
        arrays = [p._data for p in setup.params]  # held, so no id is reused while compared
        known = getattr(self, "_arrays", None)
        if not (
            getattr(self, "in_place", False)
            and known is not None
            and all(a is b for a, b in zip(arrays, known))
        ):
            self.theta = _flat_weights(setup)
            self.in_place = self.theta is not None  # the model's own flat buffer: no copies
            if not self.in_place:
                self.theta = np.concatenate([a.reshape(-1) for a in arrays])
        self._arrays = arrays
        if self.grad_missing():
            self.grad = np.zeros_like(self.theta)
        if getattr(self, "previous", None) is None or self.previous.shape != self.theta.shape:
            self.previous = np.zeros_like(self.theta)
        if self._still_shared():
            step = self._shared[0]
            self.step = float(step._data) if step is not None else self.step
        else:
            self._shared = None
            self.s1, self.s2, self.step, self.has_buf = _flat_state(setup, self.optimizer)

    def grad_missing(self) -> bool:
        return getattr(self, "grad", None) is None or self.grad.shape != self.theta.shape

    def track_best(self, epoch: int, loss: float = math.inf) -> None:
        """Keep the weights of the epoch with the lowest training loss (see the kernel);
        ``epoch`` is the number of epochs done before the next ``run``."""
        self.best[:5] = (1.0, 0.0, loss, 0.0, float(epoch))
        self.epoch_start = self.theta.copy()
        self.best_theta = self.theta.copy()

    def stop_rule(self, patience, min_delta, best, wait, best_epoch, sklearn=False) -> None:
        """EarlyStopping on the loss, judged in the kernel at each epoch's end (no control
        needed between epochs): stop once ``patience`` epochs in a row did not beat the
        best by more than ``min_delta``; the counters go on from ``best``/``wait``.
        ``sklearn``: scikit-learn's form (``train_loop``: not above best − min_delta resets
        the count; the best follows every new minimum)."""
        self.best[5:12] = (1.0, patience, min_delta, best, wait, best_epoch or 0, float(sklearn))

    def rule_state(self) -> tuple[float, int, int | None]:
        """(best loss, epochs since it, its epoch) of the stopping rule."""
        epoch = int(self.best[10])
        return float(self.best[8]), int(self.best[9]), epoch or None

    def count_right(self) -> bool:
        """Count, from the next step on, the rows each batch's forward pass classifies right
        (before its update, as the loss); see ``right_last_epoch``. Only for cross-entropy or
        one output column (``train.metrics.accuracy``'s rules); False when not counted."""
        if self.setup.entry.name != "cross_entropy" and int(self.setup.meta[-1, 3]) != 1:
            return False
        self.best[12] = 1.0
        return True

    def right_last_epoch(self) -> tuple[int, int] | None:
        """(epoch, rows right) of the last epoch whose every batch was counted, or None."""
        if not self.best[12] or self.best[15] < 0:
            return None
        return int(self.best[16]), int(self.best[15])

    def best_weights(self) -> tuple[int, float, np.ndarray] | None:
        """(epoch, its epoch loss, the weights it started with) of the lowest loss so far."""
        if not self.best[0] or not math.isfinite(self.best[2]):
            return None
        return int(self.best[3]), float(self.best[2]), self.best_theta

    def run(self, perms, first_step: int, n_steps: int, losses, guard: bool, epoch_base=0):
        """Take ``n_steps`` steps in one kernel call (see the class docstring)."""
        setup = self.setup
        perms = (
            np.zeros((0, 0), np.int64) if perms is None else np.ascontiguousarray(perms, np.int64)
        )
        self.best[4] = float(epoch_base)
        kind, rate = self.penalty_kind, self.penalty_rate
        shrink = rate if kind == "alpha" else self.optimizer.param_groups[0]["lr"] * rate
        penalty = np.array([PENALTIES[kind], shrink])
        before = self.step
        with vectorising():  # for the compile: fma._grads_small's tuples as vectors
            ran, stop, self.step = self.kernels.train_loop(
                self.x, self.y_real, self.y_index, perms, self.size, int(first_step), int(n_steps),
                self.meta, self.offsets, setup.slopes, LOSSES[setup.entry.name],
                setup.reduction == "sum", setup.opt_code, _hyper(self.optimizer), self.theta,
                self.grad, self.s1, self.s2, self.step, self.has_buf, self.f_ws, self.a_ws,
                self.d_ws, self.sc, losses, guard, self.previous, penalty, self.epoch_start,
                self.best, self.best_theta,
            )  # fmt: skip
        taken = round(self.step - before)
        self.steps_taken += taken
        self.has_buf = self.has_buf or self.steps_taken > 0
        self.stopped = stop >= 0
        if stop == -2:  # the stopping rule: after the last step of an epoch
            self.rule_fired = True
            return ran, None
        if stop < 0:
            return ran, None
        if taken and not np.isfinite(self.theta).all():
            self.theta[...] = self.previous
            self.restored = True
        return ran, int(stop)

    def sync(self) -> None:
        """Write weights, the last step's gradients and the optimizer state back; the first
        time, the optimizer's state tensors and the ``.grad`` tensors become views of this
        loop's buffers, so later syncs only set Adam's step count."""
        if self.in_place and self._still_shared():
            step = self._shared[0]
            if step is not None:
                step._data[...] = self.step
            for p in self.setup.params:
                p._bump_version()
            return
        mu = float(self.optimizer.param_groups[0].get("momentum", 0.0))
        grads = self.steps_taken > 0 or getattr(self, "stopped", False)
        _write_back(self.setup, self.optimizer, self, mu, grads)
        if self.steps_taken and grads:
            self._share(mu)

    def _share(self, mu: float) -> None:
        """Point the optimizer's state and the parameters' ``.grad`` at this loop's buffers."""
        from ..optim.optimizer import _step_tensor

        setup, state_of = self.setup, self.optimizer.state
        adam = setup.opt_code != 0
        names = {"exp_avg": self.s1, "exp_avg_sq": self.s2} if adam else {}
        if not adam and mu != 0:
            names = {"momentum_buffer": self.s1}
        step = _step_tensor(self.step) if adam else None
        watched, position = [], 0
        for p in setup.params:
            n, shape = p._data.size, p._data.shape
            p._grad = Tensor._wrap(self.grad[position : position + n].reshape(shape))
            state = state_of.setdefault(p, {})
            for key, buf in names.items():
                state[key] = Tensor._wrap(buf[position : position + n].reshape(shape))
            keys = [(key, state[key]) for key in names]
            if step is not None:
                state["step"] = step
                keys.append(("step", step))
            watched.append((p, state, keys, p._grad))
            position += n
        self._shared = (step, watched)

    def _still_shared(self) -> bool:
        """True while every shared state tensor and ``.grad`` is still this loop's view."""
        shared = getattr(self, "_shared", None)
        if shared is None:
            return False
        state_of = self.optimizer.state
        for p, state, keys, grad in shared[1]:
            if p._grad is not grad or state_of.get(p) is not state:
                return False  # the optimizer's state was replaced (load_state_dict, clear)
            for key, tensor in keys:
                if state.get(key) is not tensor:
                    return False
        return True
