"""One training step of the δ engine into buffers allocated once (floor 3).

``Step`` is ``engine.compute`` for a training loop that calls it thousands of times on
batches of one or two sizes: the same recursion, operation for operation (so the same
numbers, bit for bit), but f[l], a[l], δ[l] and the loss's scratch live in a ``Batch`` made
once per batch size, and ∂E/∂W[l], ∂E/∂b[l] go straight into views of one flat gradient
buffer. ReLU, tanh and identity layers and the MSE, ½MSE and cross-entropy (class indices)
losses run with ``out=`` and allocate nothing; any other activation or loss calls the
engine's own functions (``_activate``, ``select``/``derivative``, ``loss_and_output_delta``),
which allocate but give the same numbers. Used by ``numpy_loop.NumpyLoop``; not a loop itself.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.activations import relu_gate
from ..stable import benign_underflow
from .engine import _activate, _ones
from .losses import loss_and_output_delta
from .plan import Plan

FAST_ACTIVATIONS = ("identity", "relu", "tanh")
SELECT_SIZE = 4096  # numbers in f[l] from which a ReLU's g' is the select itself (Batch)


class Batch:
    """Every array one step needs for a batch of ``m`` rows, allocated once."""

    def __init__(self, step: Step, m: int) -> None:
        dtype, net = step.dtype, step.net
        self.m = m
        if step.y_dtype is not None:  # where a loop gathers a shuffled batch
            self.x = np.empty((m, net[0].n_in), dtype)
            self.y = np.empty((m, *step.y_shape), step.y_dtype)
        self.f = [None] + [np.empty((m, layer.n_out), dtype) for layer in net]
        self.a = [None] + [
            f if kind == "identity" else np.empty_like(f)
            for f, kind in zip(self.f[1:], step.kinds[1:])
        ]
        self.back = [None] + [np.empty_like(f) for f in self.f[1:]]  # δ[l] for l < L
        kinds = step.kinds
        self.zeros = [  # max(f, 0) against an array of zeros: 3-4× faster than against a scalar
            None if kind != "relu" else np.zeros_like(f) for f, kind in zip(self.f, step.kinds)
        ]
        relu = [kind == "relu" for kind in kinds]
        self.gate = [np.empty_like(f) if on else None for f, on in zip(self.f, relu)]  # sign(a)
        self.off = [np.empty(f.shape, bool) if on else None for f, on in zip(self.f, relu)]
        # from 4,096 numbers on, the select (a bitwise AND) is as fast as sign(a)·δ or faster
        # (256×512: 53 µs against 71): use it there, exact from the start
        self.select = [on and f.size >= SELECT_SIZE for f, on in zip(self.f, relu)]
        self.bits = [  # relu_gate's integer scratch
            np.empty(f.shape, f"i{f.itemsize}") if on else None for f, on in zip(self.f, relu)
        ]
        self.tmp = (
            [None]
            + [  # 1 − a and 1 + a for tanh's g'
                (np.empty_like(f), np.empty_like(f)) if kind == "tanh" else None
                for f, kind in zip(self.f[1:], kinds[1:])
            ]
        )
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
        # the MSE's scalars as 0-d arrays of the dtype: the same numbers as 2 and m·k (NEP 50
        # casts a Python scalar to the array's dtype), in half the time
        self.two, self.count = np.array(2, dtype), np.array(m * k, dtype)


class Step:
    """The step of one model and loss: layer kinds, the loss's fast formula, bound views."""

    def __init__(self, plan: Plan, y: np.ndarray | None = None) -> None:
        """``y``: a loop's whole target array (its batches are gathered into buffers and
        its loss formula is chosen once), or None: ``gradients`` is told the formula."""
        self.plan, self.net = plan, plan.net
        self.dtype = np.dtype(self.net[0].weight._data.dtype)
        self.flat = None  # the flat gradient buffer, when ``bind`` is given one
        self.y_shape = None if y is None else y.shape[1:]
        self.y_dtype = None if y is None else y.dtype
        self.kinds = [None] + [
            layer.activation.name
            if layer.rowwise is None and layer.activation.name in FAST_ACTIVATIONS
            else "generic"
            for layer in self.net
        ]
        self.loss_kind = "generic" if y is None else loss_kind(plan.resolved, self.net[-1], y)
        self.gated = "relu" in self.kinds[1:-1]  # a ReLU below the top: see ``gradients``

    def batch(self, m: int) -> Batch:
        return Batch(self, m)

    def bind(self, grads: dict, flat: np.ndarray | None = None) -> None:
        """Read W[l], b[l] from the model again; ``grads`` maps id(Parameter) to the view of
        the flat gradient buffer that receives its gradient, ``flat`` (when given) is that
        buffer whole."""
        net = self.net
        self.flat = flat
        self.wt = [None] + [layer.weight._data.T for layer in net]
        self.w = [None] + [layer.weight._data for layer in net]
        self.b = [None] + [None if lay.bias is None else lay.bias._data for lay in net]
        self.gw = [None] + [grads[id(layer.weight)] for layer in net]
        self.gb = [None] + [None if lay.bias is None else grads[id(lay.bias)] for lay in net]

    def gradients(
        self, buf: Batch, xb, yb, y_loss, formula: str | None = None, exact: bool = False
    ) -> float:
        """Forward, E, δ recursion and ∂E/∂θ into the flat gradient buffer; returns E.

        ``yb`` is the batch's target array for the fast formulas, ``y_loss`` the target as
        the engine's loss function gets it; ``formula`` overrides the one chosen at init.

        A ReLU's g' is applied as a multiply by sign(a), which equals the registry's select
        (``relu_gate``) wherever δ is finite and a is not NaN; otherwise it leaves a NaN in E
        or ∂E/∂θ. So a caller that finds E or ∂E/∂θ not finite and ``gated`` true calls again
        with ``exact=True``, which applies the select itself: the same numbers either way."""
        net, kinds, f, a = self.net, self.kinds, buf.f, buf.a
        L = len(net)
        prev = xb
        for l in range(1, L + 1):
            np.dot(prev, self.wt[l], out=f[l])
            if self.b[l] is not None:
                f[l] += self.b[l]
            kind = kinds[l]
            if kind == "relu":
                np.maximum(f[l], buf.zeros[l], out=a[l])
            elif kind == "tanh":
                np.tanh(f[l], out=a[l])
            elif kind == "generic":
                a[l] = _activate(net[l - 1], f[l])
            prev = a[l]
        value, delta = self._loss(buf, yb, y_loss, formula or self.loss_kind)
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
            if kind == "relu" and not (exact or buf.select[l - 1]):  # g' as sign(a)
                gate = buf.gate[l - 1]
                np.sign(a[l - 1], out=gate)
                np.multiply(back, gate, out=back)
            elif kind == "relu":  # the registry's select, bit for bit, NaN and inf included
                off = np.less_equal(a[l - 1], buf.zeros[l - 1], out=buf.off[l - 1])
                relu_gate(back, a[l - 1], off, buf.bits[l - 1])
            elif kind == "tanh":  # g' = (1 − a)(1 + a), as the registry's tanh
                t, u = buf.tmp[l - 1]
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

    def finite(self, value: float) -> bool:
        """Whether E and every ∂E/∂θ of the last ``gradients`` call are finite."""
        if not math.isfinite(value):
            return False
        if self.flat is not None:
            parts = [self.flat]
        else:
            parts = [g for g in self.gw[1:] + self.gb[1:] if g is not None]
        return all(
            math.isfinite(np.add.reduce(g, axis=None)) or np.isfinite(g).all() for g in parts
        )

    @benign_underflow  # as the registry's losses: e^(−200) → 0 is the right answer
    def _loss(self, buf: Batch, yb, y_loss, formula: str):
        """(E, δ[L]): the registry's formulas with out=, or the engine's own function."""
        out = buf.a[len(self.net)]
        if formula == "mse" or formula == "half_mse":
            d, sq, top = buf.d, buf.sq, buf.top
            np.subtract(out, yb, out=d)
            if formula == "mse":
                np.multiply(d, d, out=sq)
                np.multiply(d, buf.two, out=top)
            else:
                np.multiply(d, 0.5, out=sq)
                sq *= d
                np.copyto(top, d)
            value = float(np.add.reduce(sq, axis=None))
            if self.plan.resolved[1] == "mean":
                value = value / sq.size
                np.divide(top, buf.count, out=top)
            return value, top
        if formula == "cross_entropy":
            z, shifted, col, lsm, top = out, buf.d, buf.col, buf.sq, buf.top
            np.max(z, axis=-1, keepdims=True, out=col)
            np.subtract(z, col, out=shifted)
            np.exp(shifted, out=top)
            np.sum(top, axis=-1, keepdims=True, out=col)
            np.log(col, out=col)
            np.subtract(shifted, col, out=lsm)
            if not math.isfinite(np.add.reduce(lsm, axis=None)):  # non-finite logits: the
                return self._engine_loss(buf, yb.copy())  # registry's own rule decides E
            index = np.add(buf.offsets, yb, out=buf.index)
            np.take(buf.lsm_flat, index, out=buf.rowloss, mode="clip")  # valid: see loss_kind
            np.negative(buf.rowloss, out=buf.rowloss)
            value = float(np.add.reduce(buf.rowloss, axis=None))
            np.exp(lsm, out=top)
            np.take(buf.top_flat, index, out=buf.rowloss, mode="clip")
            buf.rowloss -= 1
            np.put(buf.top_flat, index, buf.rowloss, mode="clip")
            if self.plan.resolved[1] == "mean":
                value = float(value / buf.divisor)
                top /= buf.divisor
            return value, top
        return self._engine_loss(buf, y_loss)

    def _engine_loss(self, buf: Batch, y_loss):
        plan, top = self.plan, self.net[-1]
        return loss_and_output_delta(plan.loss, top, buf.f[-1], buf.a[-1], y_loss, plan.resolved)


def loss_kind(resolved, top, y: np.ndarray, rows: int | None = None) -> str:
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
    if rows is not None and (y.ndim == 0 or y.shape[0] != rows):
        return "generic"  # the engine's function says what is wrong
    same_dtype = y.dtype == top.weight._data.dtype
    if entry.name in ("mse", "half_mse") and same_dtype and y.shape[1:] == (k,):
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


class RightCounter:
    """Rows each batch's forward pass classifies right, by ``train.metrics.accuracy``'s rule,
    into buffers made once per batch size: the first largest output against a class index
    (several output columns), or one output column against a 0/1 float target (> 0.5): the
    logit > 0 for BCE with logits, the output > 0.5 otherwise. ``NumpyLoop`` sums it per
    epoch, as the compiled kernel does (``fused_kernels._count_right``)."""

    def __init__(self, loss_name: str, k: int) -> None:
        self.argmax = k > 1
        self.cut = 0.0 if loss_name == "bce_with_logits" else 0.5
        self.buffers: dict = {}
        self.right = self.rows = 0  # the epoch under way, so far
        self.last: tuple[int, int] | None = None  # (epoch, rows right) of the last whole one

    def add(self, out, yb, first: bool, final: bool, n: int, epoch: int) -> None:
        """One batch of an epoch: its first (the count starts again), its last (an epoch
        whose ``n`` rows were all counted becomes ``last``)."""
        if first:
            self.right = self.rows = 0
        self.right += self.count(out, yb)
        self.rows += out.shape[0]
        if final:
            self.last = (epoch, self.right) if self.rows == n else None

    @staticmethod
    def fits(loss_name: str, k: int, y: np.ndarray) -> bool:
        """Whether the rule above is the whole of ``accuracy``'s for this loss and target."""
        if k > 1:
            binary = loss_name in ("bce", "bce_with_logits")
            return not binary and y.ndim == 1 and y.dtype.kind in "iu"
        return y.dtype.kind == "f" and (y.ndim == 1 or y.shape[1:] == (1,))

    def count(self, out: np.ndarray, yb: np.ndarray) -> int:
        m = out.shape[0]
        bufs = self.buffers.get(m)
        if bufs is None:
            bufs = self.buffers[m] = (np.empty(m, np.int64), np.empty(m, bool), np.empty(m, bool))
        pred, same, truth = bufs
        if self.argmax:
            np.argmax(out, axis=1, out=pred)
            return int(np.count_nonzero(np.equal(pred, yb, out=same)))
        np.greater(out.reshape(m), self.cut, out=same)
        np.greater(yb.reshape(m), 0.5, out=truth)
        return int(np.count_nonzero(np.equal(same, truth, out=same)))
