"""The NumPy δ engine as a span loop: many optimizer steps per Python call (floor 3).

``fit`` hands an engine whole spans of steps (DESIGN, "Training in spans"). This is the NumPy
one: ``NumpyLoop.run`` takes steps s = first_step … first_step + n − 1, step s being batch
b = s mod B of epoch e = s div B, and for each runs the lecture's recursion (``engine.py``)
into buffers allocated once — f[l], a[l], δ[l], ∂E/∂θ and the gathered batch — then the
optimizer's update on the flat parameter buffer (``numpy_update.py``; any other optimizer
keeps its own ``step()``) and the playground's weight penalty. The operations are the
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
from .engine import Plan, _activate, _ones
from .losses import loss_and_output_delta

_FAST_ACTIVATIONS = ("identity", "relu", "tanh")
# OpenBLAS runs a product on several threads once batch × n_in × n_out passes 2**18; up to
# 2**21 (fused_policy.SMALL_GEMM_WORK) the threads cost more than they give (digits, batch 32:
# 3.4 ms a step with two threads on this loaded 2-core machine, 0.18 ms with one).
_THREADED_GEMM_WORK = 1 << 18
_SMALL_GEMM_WORK = 1 << 21
_controller: list = []  # threadpoolctl's controller, made on first need (False without it)


class _Batch:
    """Every array one step needs for a batch of ``m`` rows, allocated once."""

    def __init__(self, loop: NumpyLoop, m: int) -> None:
        dtype, net = loop.dtype, loop.net
        self.m = m
        self.x = np.empty((m, net[0].n_in), dtype)
        self.y = np.empty((m, *loop.y.shape[1:]), loop.y.dtype)
        self.f = [None] + [np.empty((m, layer.n_out), dtype) for layer in net]
        self.a = [None] + [
            f if kind == "identity" else np.empty_like(f)
            for f, kind in zip(self.f[1:], loop.kinds[1:])
        ]
        self.back = [None] + [np.empty_like(f) for f in self.f[1:]]
        self.mask = [None] + [np.empty(f.shape, bool) for f in self.f[1:]]
        self.tmp = [None] + [np.empty_like(f) for f in self.f[1:]]
        self.mask_f = [None] + [np.empty_like(f) for f in self.f[1:]]
        self.ones = _ones(m, dtype)
        k = net[-1].n_out
        self.d = np.empty((m, k), dtype)  # loss scratch: ŷ − y, or the shifted logits
        self.sq = np.empty((m, k), dtype)
        self.top = np.empty((m, k), dtype)  # δ[L]
        self.col = np.empty((m, 1), dtype)
        self.rowloss = np.empty(m, dtype)
        self.index = np.empty(m, np.int64)
        self.offsets = np.arange(m, dtype=np.int64) * k
        self.top_flat = self.top.reshape(-1)
        self.lsm_flat = self.sq.reshape(-1)
        self.divisor = dtype.type(m)


class NumpyLoop:
    """Span runner over the δ engine for one model, loss, optimizer and training set.

    Args:
        model: a stack of ``Linear`` and elementwise activations (``delta.layers``).
        loss: a loss module or registry name the δ engine accepts.
        optimizer: a ``backprop.optim`` optimizer over the model's parameters.
        x: (N, n_in) inputs; y: targets as ``fit`` prepares them (N rows).
        batch_size: rows per step; B = ceil(N / batch_size) steps per epoch.
        penalty: ("none" | "l1" | "l2", rate), applied to the weights after each update.
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
        kind, rate = penalty
        if kind not in ("none", "l1", "l2") or not float(rate) >= 0:
            raise ConfigError(
                f"NumpyLoop: penalty must be ('none' | 'l1' | 'l2', rate >= 0), got {penalty!r}."
            )
        self.penalty = (kind, float(rate)) if kind != "none" and rate > 0 else ("none", 0.0)
        self.bs, self.nb = int(batch_size), -(-n // int(batch_size))
        self.kinds = [None] + [
            layer.activation.name
            if layer.rowwise is None and layer.activation.name in _FAST_ACTIVATIONS
            else "generic"
            for layer in self.net
        ]
        self.loss_kind = _loss_kind(self.plan.resolved, self.net[-1], self.y)
        last = n - (self.nb - 1) * self.bs
        self.batches = {self.bs: _Batch(self, self.bs)}
        if last != self.bs:
            self.batches[last] = _Batch(self, last)
        self.restored = False
        self.computed = False  # whether the gradient buffer holds a step's gradients
        self.reload()

    # ------------------------------------------------------------ binding to the model

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
        by_id = {id(p): t._data for p, t in zip(params, self.grad_tensors)}
        self.wt = [None] + [layer.weight._data.T for layer in self.net]
        self.w = [None] + [layer.weight._data for layer in self.net]
        self.b = [None] + [None if lay.bias is None else lay.bias._data for lay in self.net]
        self.gw = [None] + [by_id[id(layer.weight)] for layer in self.net]
        self.gb = [None] + [None if lay.bias is None else by_id[id(lay.bias)] for lay in self.net]
        self.weights = [layer.weight._data for layer in self.net]
        self.scratch_w = [np.empty_like(w) for w in self.weights]
        self.previous = [np.empty_like(a) for a in ([base] if flat else self._data)]
        self.have_previous = False
        self.state = U.FlatState(total, self.dtype)

    def _bound(self) -> bool:
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
        """Re-read weights and optimizer state after someone else changed them."""
        if not hasattr(self, "_data") or not self._bound():
            self._bind()
        self.have_previous = False
        self.state.load(self._fast_kind(), self.optimizer, self.plan.params, self.offsets)

    def _fast_kind(self):
        if self.theta is None:
            return None
        return U.fast_kind(self.optimizer, self.plan.params)

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

    def run(self, perms, first_step: int, n_steps: int, losses: np.ndarray, guard: bool):
        """Steps first_step … first_step + n_steps − 1; returns (updates taken, stop index)."""
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
        if not fast:  # optimizer.step() reads .grad: ours, and None where frozen
            for p, t in zip(self.plan.params, self.grad_tensors):
                p._grad = t if p.requires_grad else None
        nb, bs, n = self.nb, self.bs, self.x.shape[0]
        if perms is not None:
            _check_perms(perms, (first_step + n_steps - 1) // nb + 1, n)
        full = nb == 1 and perms is None
        for i in range(n_steps):
            s = first_step + i
            e, b = divmod(s, nb)
            lo = b * bs
            hi = min(lo + bs, n)
            buf = self.batches[hi - lo]
            if full:
                xb, yb, y_loss = self.x, self.y, self.y
            elif perms is None:
                xb, yb = self.x[lo:hi], self.y[lo:hi]
                y_loss = yb
            else:
                rows = perms[e, lo:hi]
                xb = np.take(self.x, rows, axis=0, out=buf.x)
                yb = np.take(self.y, rows, axis=0, out=buf.y)
                y_loss = yb if self.loss_kind != "generic" else self.y[rows]
            value = self._gradients(buf, xb, yb, y_loss)
            self.computed = True
            losses[i] = value
            if guard:
                if not (math.isfinite(value) and self._finite_gradients()):
                    self._stopped()
                    return i, i
                for a, c in zip(self._arrays(), self.previous):
                    np.copyto(c, a)
                self.have_previous = True
            if fast:
                state.update(self.theta, self.grad, hp)
            else:
                self.optimizer.step()
            if kind != "none":
                U.penalty(self.weights, kind, shrink, self.scratch_w)
        return n_steps, None

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

    def _gradients(self, buf: _Batch, xb, yb, y_loss) -> float:
        """Forward, E, δ recursion and ∂E/∂θ into the flat gradient buffer; returns E."""
        net, kinds, f, a = self.net, self.kinds, buf.f, buf.a
        L = len(net)
        prev = xb
        for l in range(1, L + 1):
            np.dot(prev, self.wt[l], out=f[l])
            if self.b[l] is not None:
                f[l] += self.b[l]
            kind = kinds[l]
            if kind == "relu":
                np.maximum(f[l], 0, out=a[l])
            elif kind == "tanh":
                np.tanh(f[l], out=a[l])
            elif kind == "generic":
                a[l] = _activate(net[l - 1], f[l])
            prev = a[l]
        value, delta = self._loss(buf, yb, y_loss)
        ones = buf.ones
        for l in range(L, 0, -1):
            np.dot(delta.T, a[l - 1] if l > 1 else xb, out=self.gw[l])
            if self.b[l] is not None:
                np.dot(ones, delta, out=self.gb[l])
            if l == 1:
                break
            back = buf.back[l - 1]
            np.dot(delta, self.w[l], out=back)
            kind = kinds[l - 1]
            if kind == "relu":
                np.less_equal(a[l - 1], 0, out=buf.mask[l - 1])
                np.putmask(back, buf.mask[l - 1], 0)
            elif kind == "tanh":  # g' = (1 − a)(1 + a), as the registry's tanh
                t, u = buf.tmp[l - 1], buf.mask_f[l - 1]
                np.subtract(1, a[l - 1], out=t)
                np.add(a[l - 1], 1, out=u)
                t *= u
                back *= t
            elif kind == "generic":
                layer = net[l - 2]
                act = layer.activation
                if act.select is not None:
                    back = act.select(back, f[l - 1], a[l - 1], **layer.options)
                else:
                    back *= act.derivative(f[l - 1], a[l - 1], **layer.options)
            delta = back
        return value

    def _loss(self, buf: _Batch, yb, y_loss):
        """(E, δ[L]): the registry's formulas with out=, or the engine's own function."""
        kind = self.loss_kind
        out = buf.a[len(self.net)]
        if kind == "mse" or kind == "half_mse":
            d, sq, top = buf.d, buf.sq, buf.top
            np.subtract(out, yb, out=d)
            if kind == "mse":
                np.multiply(d, d, out=sq)
                np.multiply(d, 2, out=top)
            else:
                np.multiply(d, 0.5, out=sq)
                sq *= d
                np.copyto(top, d)
            value = float(np.add.reduce(sq, axis=None))
            if self.plan.resolved[1] == "mean":
                value = value / sq.size
                top /= sq.size
            return value, top
        if kind == "cross_entropy":
            z, shifted, col, lsm, top = out, buf.d, buf.col, buf.sq, buf.top
            np.max(z, axis=-1, keepdims=True, out=col)
            np.subtract(z, col, out=shifted)
            np.exp(shifted, out=top)
            np.sum(top, axis=-1, keepdims=True, out=col)
            np.log(col, out=col)
            np.subtract(shifted, col, out=lsm)
            index = np.add(buf.offsets, yb, out=buf.index)
            np.take(buf.lsm_flat, index, out=buf.rowloss)
            np.negative(buf.rowloss, out=buf.rowloss)
            value = float(np.add.reduce(buf.rowloss, axis=None))
            np.exp(lsm, out=top)
            np.take(buf.top_flat, index, out=buf.rowloss)
            buf.rowloss -= 1
            np.put(buf.top_flat, index, buf.rowloss)
            if self.plan.resolved[1] == "mean":
                value = float(value / buf.divisor)
                top /= buf.divisor
            return value, top
        top = self.net[-1]
        return loss_and_output_delta(
            self.plan.loss, top, buf.f[-1], out, y_loss, self.plan.resolved
        )


def _check_perms(perms, epochs: int, n: int) -> None:
    shape = getattr(perms, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] < epochs or shape[1] != n:
        raise ShapeError(
            f"NumpyLoop.run: perms must be an int array of shape [epochs >= {epochs}, N={n}] "
            f"(one row order per epoch from epoch 0), got {list(shape or [])}; pass "
            "np.stack([rng.permutation(N) for each epoch]) or None for the natural order."
        )


def _rows(x, dtype, n_in: int) -> np.ndarray:
    arr = np.asarray(x._data if isinstance(x, Tensor) else x)
    if arr.ndim != 2 or arr.shape[1] != n_in:
        raise ShapeError(
            f"NumpyLoop: x has shape {list(arr.shape)} but layer 1 expects rows of {n_in} "
            f"features, shape [N, {n_in}]; reshape x (x.reshape(-1, {n_in}))."
        )
    return np.ascontiguousarray(arr, dtype=dtype)


def _loss_kind(resolved, top, y: np.ndarray) -> str:
    """Which of ``_loss``'s fast formulas applies ("mse", "half_mse", "cross_entropy"), or
    "generic" (the engine's ``loss_and_output_delta``, which also checks the target)."""
    entry, reduction, options = resolved
    plain = all(
        v is None or (isinstance(v, int | float) and v == entry.defaults.get(k))
        for k, v in options.items()
    )
    if top.g_name != "identity" or reduction not in ("mean", "sum") or not plain:
        return "generic"
    k = top.n_out
    if entry.name in ("mse", "half_mse") and y.dtype.kind == "f" and y.shape[1:] == (k,):
        return entry.name
    if (
        entry.name == "cross_entropy"
        and reduction == "mean"
        and y.dtype == np.int64
        and y.ndim == 1
        and k > 1
        and y.size
        and y.min() >= 0
        and y.max() < k
    ):
        return "cross_entropy"
    return "generic"
