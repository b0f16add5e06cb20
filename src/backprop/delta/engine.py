"""The lecture's backpropagation, made explicit: forward with a cache, backward by δ (floor 3).

For layers l = 1 … L, with a batch of rows (DESIGN's notation)::

    F[l] = A[l−1] W[l] + b[l]          (the lecture's f[l] = W[l]ᵀ a[l−1], one row per sample)
    A[l] = g[l](F[l])
    δ[L] = g'[L](F[L]) ∘ ∂E/∂ŷ         (or fused: p − y for softmax/sigmoid with CE/BCE)
    δ[l] = g'[l](F[l]) ∘ (δ[l+1] W[l+1]ᵀ)
    ∂E/∂W[l] = A[l−1]ᵀ δ[l]            (the lecture's a[l−1] δ[l]ᵀ, summed over rows)
    ∂E/∂b[l] = Σ_rows δ[l]

W[l] is the lecture's (n[l−1] × n[l]) matrix, i.e. ``Linear.weight.T``. The engine reads
``weight``/``bias`` arrays and writes ``.grad`` of those very Parameters, so
``delta.backward(model, x, y, loss)`` followed by ``optimizer.step()`` is a training step. It
never prints: what it notices (step units that block every gradient) is returned as notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import stable
from ..autograd.tensor import Tensor
from ..errors import ShapeError
from ..stable import benign_underflow
from .losses import loss_and_output_delta
from .network import Layer, layers
from .remember import layers_of, resolved_loss

STEP_NOTE = (
    "layer {l} uses the step function sgn (+1 if f > 0 else −1): its derivative is zero "
    "wherever it exists, so δ[{l}] and every gradient below it are zero and gradient descent "
    "cannot change those weights (the lecture's Caution: backprop needs differentiable "
    "units). Use sigmoid, tanh or ReLU instead, or train a single layer of step units with "
    "the perceptron rule (backprop.delta.perceptron)."
)


@dataclass
class Cache:
    """What the forward pass keeps for the backward pass: f[l] and a[l] for every layer.

    ``a[0]`` is the input; ``f[0]`` is None so that indices match the lecture's.
    """

    layers: list[Layer]
    f: list
    a: list

    @property
    def output(self) -> np.ndarray:
        return self.a[-1]


@dataclass
class Gradients:
    """The result of one δ-engine backward pass."""

    loss: float
    cache: Cache
    delta: list  # δ[0] is None; δ[1..L] have the shape of f[l]
    weight_grads: list  # ∂E/∂W[l] in the lecture's orientation (n[l−1] × n[l]); [0] None
    bias_grads: list  # ∂E/∂b[l]; [0] None (and None for layers without bias)
    notes: list[str] = field(default_factory=list)


def _as_input(x, dtype: np.dtype, n_in: int) -> np.ndarray:
    arr = x._data if isinstance(x, Tensor) else np.asarray(x)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1) if n_in == 1 else arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != n_in:
        raise ShapeError(
            f"delta engine: input x has shape {list(arr.shape)} but layer 1 expects rows of "
            f"{n_in} features, i.e. shape [N, {n_in}]. Reshape x (x.reshape(-1, {n_in}))."
        )
    return arr.astype(dtype, copy=False)


def forward(model, x, net: list[Layer] | None = None) -> Cache:
    """Run the model on ``x`` (rows), keeping f[l] and a[l] for every layer."""
    net = layers_of(model) if net is None else net
    dtype = net[0].weight._data.dtype
    a = [_as_input(x, dtype, net[0].n_in)]
    f = [None]
    for layer in net:
        z = np.dot(a[-1], layer.weight._data.T)  # np.dot: far less call overhead than @
        if layer.bias is not None:
            z += layer.bias._data
        f.append(z)
        a.append(_activate(layer, z))
    return Cache(net, f, a)


def _activate(layer: Layer, z: np.ndarray) -> np.ndarray:
    if layer.rowwise is None:
        return layer.activation.fn(z, **layer.options)
    if layer.rowwise == "log_softmax":
        return stable.log_softmax(z, axis=1)
    return stable.softmax(z, axis=1)


def g_prime(layer: Layer, f: np.ndarray, a: np.ndarray) -> np.ndarray:
    """g'[l](f[l]) as the vector of the diagonal of ∂a[l]/∂f[l] (elementwise layers)."""
    act = layer.activation
    return act.derivative(f, a, **layer.options)


@benign_underflow
def _rowwise_vjp(kind: str, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """δ = (∂a/∂f)ᵀ grad for a row-softmax (a = p) or row-log-softmax (a = log p)."""
    if kind == "softmax":
        return a * (grad - (grad * a).sum(axis=1, keepdims=True))
    return grad - np.exp(a) * grad.sum(axis=1, keepdims=True)


def backward(model, x, y=None, loss=None, accumulate: bool = True) -> Gradients:
    """Gradients of ``loss(model(x), y)`` by the δ recursion, written into ``.grad``.

    With ``loss=None`` the engine differentiates the output itself (the lecture's ∂ŷ/∂W,
    seeding δ with ones), which is what the slides' scalar and vector examples compute.
    ``accumulate=True`` adds into existing ``.grad`` as autograd does; call
    ``optimizer.zero_grad()`` between steps.

    Examples:
        The slides' scalar example (W[1], W[2], W[3] = 0.8, −1.3, 0.7; sigmoid, sigmoid,
        identity) with the lecture's E = ½(ŷ − y)² at x = 0.5, y = 1:

        >>> import numpy as np
        >>> from backprop import delta, nn
        >>> from backprop.delta import lecture
        >>> model = lecture.scalar_network((0.8, -1.3, 0.7))
        >>> E = nn.HalfMSELoss(reduction="sum")
        >>> grads = delta.backward(model, np.array([[0.5]]), np.array([[1.0]]), E)
        >>> [round(m.weight.grad.item(), 6) for m in model if isinstance(m, nn.Linear)]
        [0.018382, -0.07047, -0.245368]
    """
    grads = compute(model, x, y, loss, layers_of(model), resolved_loss(loss))
    _write_grads(grads, accumulate)
    return grads


def compute(model, x, y=None, loss=None, net: list[Layer] | None = None, resolved=None, out=None):
    """Like ``backward`` but leaves ``.grad`` untouched (returns everything instead).

    ``out`` (used by ``Plan``) is one (weight-grad array, bias-grad array or None) pair per
    layer, in PyTorch's (out, in) orientation, to receive ∂E/∂W[l]ᵀ and ∂E/∂b[l] in place.
    """
    if resolved is None and loss is not None:
        resolved = resolved_loss(loss)
    cache = forward(model, x, net)
    # Every list below is indexed as the lecture numbers layers, 1 … L (entry 0 unused):
    # layer[l] holds W[l], b[l] and g[l]; f[l], a[l] (a[0] = x) and δ[l] likewise.
    layer = [None, *cache.layers]
    f, a = cache.f, cache.a
    L = len(layer) - 1
    value, delta_top = loss_and_output_delta(loss, layer[L], f[L], a[L], y, resolved)
    delta: list = [None] * (L + 1)
    delta[L] = delta_top
    for l in range(L - 1, 0, -1):  # from back [l+1] to front [l], as the lecture says
        # W[l+1] δ[l+1], one row per sample (PyTorch's weight is W[l+1]ᵀ: rows · weight)
        back = np.dot(delta[l + 1], layer[l + 1].weight._data)
        g = layer[l].activation  # δ[l] = g'[l](f[l]) ∘ back, in place (back is fresh):
        if g.select is not None:  # relu & co. choose, so 0·inf stays 0
            delta[l] = g.select(back, f[l], a[l], **layer[l].options)
        else:
            back *= g.derivative(f[l], a[l], **layer[l].options)
            delta[l] = back
    weight_grads: list = [None] * (L + 1)  # ∂E/∂W[l] = a[l−1] δ[l]ᵀ, summed over rows
    bias_grads: list = [None] * (L + 1)  # ∂E/∂b[l] = δ[l], summed over rows
    ones = _ones(delta_top.shape[0], delta_top.dtype)  # Σ over rows as one dot product
    target = [None, *out] if out is not None else None  # target[l]: layer l's buffers
    for l in range(1, L + 1):
        has_bias = layer[l].bias is not None
        if target is None:  # (δᵀ a).T as with out=: the same numbers as Plan's flat buffer
            weight_grads[l] = np.dot(delta[l].T, a[l - 1]).T
            bias_grads[l] = np.dot(ones, delta[l]) if has_bias else None
        else:
            w_out, b_out = target[l]
            weight_grads[l] = np.dot(delta[l].T, a[l - 1], out=w_out).T
            bias_grads[l] = np.dot(ones, delta[l], out=b_out) if has_bias else None
    net = cache.layers
    notes = [STEP_NOTE.format(l=layer.index) for layer in net if layer.activation.name == "step"]
    return Gradients(value, cache, delta, weight_grads, bias_grads, notes)


_ONES: dict = {}


def _ones(n: int, dtype) -> np.ndarray:
    """A read-only vector of n ones (reused: training loops ask for the same few sizes)."""
    key = (n, np.dtype(dtype))
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = np.ones(n, dtype=dtype)
        ones.flags.writeable = False
        _ONES[key] = ones
    return ones


def _pairs(grads: Gradients):
    """(Parameter, its gradient in PyTorch's orientation) for every weight and bias."""
    for layer in grads.cache.layers:
        yield layer.weight, grads.weight_grads[layer.index].T
        if layer.bias is not None:
            yield layer.bias, grads.bias_grads[layer.index]


def _write_grads(grads: Gradients, accumulate: bool) -> None:
    for param, g in _pairs(grads):
        if not param._requires_grad:
            continue
        if param._grad is None or not accumulate:  # g has the parameter's shape: no check
            param._grad = Tensor._wrap(np.array(g, dtype=param._data.dtype, copy=True))
        else:
            param._grad._data += g


# Rows × Σ layer widths above which Plan.step computes without the buffers it keeps per batch
# size: they save Python overhead that only small batches feel and would hold memory that
# big ones feel (a full batch of 1.5 million rows kept 590 MB).
BUFFERED_NUMBERS = 1 << 22


class Plan:
    """The δ engine bound to one model and loss, for training loops.

    Parsing the model and resolving the loss happen once, here, instead of on every call;
    ``step(x, y)`` then runs ``compute`` and writes the gradients into ``.grad``. When the
    model's parameters live in one flat buffer (``flatten_parameters``), the gradients are
    computed straight into one flat gradient buffer laid out the same way, so an optimizer
    can update all of them with a single array operation per formula term, and the step
    runs ``numpy_step.Step`` (the same operations, with f, a and δ in buffers kept per batch
    size; ``.grad`` then holds views that the next step overwrites). Rebuild the plan if the
    model's layers change.
    """

    def __init__(self, model, loss=None) -> None:
        from .losses import resolve

        self.model = model
        self.loss = loss
        self.net = layers(model)
        self.resolved = None if loss is None else resolve(loss)
        self.params = [p for layer in self.net for p in (layer.weight, layer.bias) if p is not None]
        self._flat = None  # (parameter buffer, [(param, grad view)], out arrays per layer)

    def compute(self, x, y=None) -> Gradients:
        return compute(self.model, x, y, self.loss, self.net, self.resolved)

    def step(self, x, y=None, accumulate: bool = True) -> float:
        """One backward pass into ``.grad`` (accumulating, like autograd); returns E."""
        flat = self._flat_views()
        if flat is not None and (not accumulate or all(p._grad is None for p in self.params)):
            if self.resolved is None:
                value = compute(self.model, x, y, None, self.net, None, out=flat[2]).loss
            elif len(x) * self._widths > BUFFERED_NUMBERS:  # a big batch: no kept buffers
                value = compute(self.model, x, y, self.loss, self.net, self.resolved, out=flat[2])
                value = value.loss
            else:
                value = self._buffered(x, y)
            for param, view in flat[1]:
                param._grad = view
            return value
        grads = self.compute(x, y)
        _write_grads(grads, accumulate)
        return grads.loss

    @property
    def _widths(self) -> int:
        return self.net[0].n_in + sum(layer.n_out for layer in self.net)

    def _buffered(self, x, y) -> float:
        """The same step with f[l], a[l], δ[l] in buffers kept per batch size
        (``numpy_step.Step``: the same operations, so the same numbers)."""
        from .numpy_step import loss_kind

        step = self._step
        xb = _as_input(x, step.dtype, self.net[0].n_in)
        m = xb.shape[0]
        buf = self._batches.get(m)
        if buf is None:
            if len(self._batches) >= 4:
                self._batches.clear()
            buf = self._batches[m] = step.batch(m)
        yb = y._data if isinstance(y, Tensor) else y
        formula = "generic"
        if isinstance(yb, np.ndarray):
            formula = loss_kind(self.resolved, self.net[-1], yb, rows=m)
        value = step.gradients(buf, xb, yb, y, formula)
        if step.gated and not step.finite(value):  # see Step.gradients: the exact select
            value = step.gradients(buf, xb, yb, y, formula, exact=True)
        return value

    def _flat_views(self):
        """Gradient views into one buffer laid out like the flat parameter buffer, or None."""
        params = self.params
        base = params[0]._data.base
        if self._flat is not None and self._flat[0] is base:
            return self._flat
        if (
            base is None
            or any(p._data.base is not base or not p._requires_grad for p in params)
            or base.size != sum(p._data.size for p in params)
        ):
            return None
        buffer = np.zeros_like(base)
        origin = base.__array_interface__["data"][0]
        views = {}
        for p in params:
            start = (p._data.__array_interface__["data"][0] - origin) // base.itemsize
            views[id(p)] = Tensor._wrap(buffer[start : start + p._data.size].reshape(p._data.shape))
        pairs = [(p, views[id(p)]) for p in params]
        out = [
            (
                views[id(layer.weight)]._data,
                None if layer.bias is None else views[id(layer.bias)]._data,
            )
            for layer in self.net
        ]
        self._flat = (base, pairs, out)
        from .numpy_step import Step

        self._step, self._batches = Step(self), {}
        self._step.bind({id(p): view._data for p, view in pairs}, flat=buffer)
        return self._flat


def flatten_parameters(model) -> np.ndarray:
    """Move every parameter of ``model`` into one contiguous buffer (values unchanged).

    Each Parameter keeps its identity and shape; its ``_data`` becomes a view of the
    returned buffer, so optimizers and the δ engine can treat all of them as one array. Do
    this before handing out views of the parameters (``p.data``), which would keep the old
    storage.
    """
    params = list(model.parameters())
    if not params:
        return np.zeros(0)
    dtype = params[0]._data.dtype
    if any(p._data.dtype != dtype for p in params):
        from ..errors import DTypeError

        raise DTypeError(
            "flatten_parameters: all parameters must share one dtype; convert the model "
            "first (model.float() or model.double())."
        )
    buffer = np.empty(sum(p._data.size for p in params), dtype=dtype)
    offset = 0
    for p in params:
        n = p._data.size
        view = buffer[offset : offset + n].reshape(p._data.shape)
        view[...] = p._data
        p._data = view
        if p._grad is not None:
            p._grad = Tensor._wrap(p._grad._data.copy())
        offset += n
    return buffer
