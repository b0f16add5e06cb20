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
from .network import Layer
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

    Examples:
        The slides' scalar network at x = 0.5 (sigmoid, sigmoid, identity); by hand: f[1] = 0.8·0.5,
        a[1] = σ(0.4) = 0.598688, f[2] = −1.3·a[1], a[2] = σ(f[2]) = 0.314688, ŷ = 0.7·a[2]:

        >>> import numpy as np
        >>> from backprop import delta, nn
        >>> from backprop.delta import lecture
        >>> model = lecture.scalar_network((0.8, -1.3, 0.7))  # the slides' W[1], W[2], W[3]
        >>> cache = delta.forward(model, np.array([[0.5]]))
        >>> [round(f.item(), 6) for f in cache.f[1:]]  # f[l] = W[l]ᵀ a[l−1]
        [0.4, -0.778294, 0.220281]
        >>> [round(a.item(), 6) for a in cache.a]  # a[0] = x, a[l] = g(f[l])
        [0.5, 0.598688, 0.314688, 0.220281]
        >>> cache.output  # ŷ = a[L]
        array([[0.22028139]])
    """

    layers: list[Layer]
    f: list
    a: list

    @property
    def output(self) -> np.ndarray:
        return self.a[-1]


@dataclass
class Gradients:
    """The result of one δ-engine backward pass.

    Examples:
        The slides' scalar example at x = 0.5, y = 1 with E = ½(ŷ − y)²; the numbers are the
        lecture's, checked by hand (math.exp):

        >>> import numpy as np
        >>> from backprop import delta, nn
        >>> from backprop.delta import lecture
        >>> model = lecture.scalar_network((0.8, -1.3, 0.7))  # the slides' W[1], W[2], W[3]
        >>> E = nn.HalfMSELoss(reduction='sum')
        >>> g = delta.compute(model, np.array([[0.5]]), np.array([[1.0]]), E)
        >>> round(g.loss, 6)  # ½(ŷ − y)² = ½(0.220281 − 1)²
        0.303981
        >>> [round(d.item(), 6) for d in g.delta[1:]]  # δ[3] = ŷ − y, δ[l] = g'(f[l]) W δ[l+1]
        [0.036765, -0.117708, -0.779719]
        >>> [round(w.item(), 6) for w in g.weight_grads[1:]]  # ∂E/∂W[l] = a[l−1] δ[l]
        [0.018382, -0.07047, -0.245368]
    """

    loss: float
    cache: Cache
    delta: list  # δ[0] is None; δ[1..L] have the shape of f[l]
    weight_grads: list  # ∂E/∂W[l] in the lecture's orientation (n[l−1] × n[l]); [0] None
    bias_grads: list  # ∂E/∂b[l]; [0] None (and None for layers without bias)
    notes: list[str] = field(default_factory=list)


def as_numbers(value, name: str) -> np.ndarray:
    """``value`` (a Tensor, array or nested list) as an array of numbers: the one reader
    every entry of the δ engine uses for x and y, the one ``fit`` uses (``as_numeric``), so
    text and ragged rows get backprop's message naming the value or the rows, not NumPy's.
    (``data.checks`` needs only NumPy and the errors: no floor above this one is loaded.)"""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value
    from ..data.checks import as_numeric

    return as_numeric(value, name, "delta engine")


def _as_input(x, dtype: np.dtype, n_in: int) -> np.ndarray:
    arr = as_numbers(x, "x")
    given = arr.shape
    if arr.ndim == 0:  # as nn.Linear and PyTorch: a network takes rows, not one number
        one = arr.item()
        raise ShapeError(
            f"delta engine: input x is one number ({one!r}), but the network takes rows: "
            f"shape (N, {n_in}), one row per sample with its {n_in} "
            f"feature{'' if n_in == 1 else 's'}"
            + (f". For one sample give [[{one!r}]] (np.array([[{one!r}]]))." if n_in == 1 else ".")
        )
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1) if n_in == 1 else arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != n_in:
        from ..nn.shapes import wrong_width

        raise ShapeError(wrong_width("delta engine", given, n_in, "input x"))
    return arr.astype(dtype, copy=False)


def forward(model, x, net: list[Layer] | None = None) -> Cache:
    """Run the model on ``x`` (rows), keeping f[l] and a[l] for every layer.

    Examples:
        >>> import backprop as bp
        >>> import numpy as np
        >>> from backprop import delta, nn
        >>> _ = bp.manual_seed(0)
        >>> model = nn.MLP([2, 3, 1], activation='tanh')
        >>> x = np.array([[0.0, 1.0], [2.0, -1.0]], dtype=np.float32)
        >>> cache = delta.forward(model, x)
        >>> [a.shape for a in cache.a]  # one row per sample
        [(2, 2), (2, 3), (2, 1)]
        >>> np.allclose(cache.output, model(bp.tensor(x)).detach().numpy())  # autograd's forward
        True
    """
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


def output_rows(net: list[Layer], x, scratch: dict) -> np.ndarray:
    """ŷ for the rows ``x`` by ``forward``'s operations in the same order (so the same
    numbers), keeping no f[l] or a[l]: each layer's result goes into a buffer of ``scratch``
    kept per (layer, row count) and ReLU, tanh and identity apply in place. For passes over
    many chunks of rows (the full-set metrics): fresh arrays for every chunk page-faulted
    more than they computed. The result is a buffer the next call overwrites."""
    dtype = net[0].weight._data.dtype
    a = _as_input(x, dtype, net[0].n_in)
    m = a.shape[0]
    for i, layer in enumerate(net):
        z = scratch.get((i, m))
        if z is None:
            z = scratch[(i, m)] = np.empty((m, layer.n_out), dtype)
        np.dot(a, layer.weight._data.T, out=z)
        if layer.bias is not None:
            z += layer.bias._data
        name = layer.activation.name if layer.rowwise is None else None
        if name == "relu" and not layer.options:
            np.maximum(z, 0, out=z)
            a = z
        elif name == "tanh" and not layer.options:
            np.tanh(z, out=z)
            a = z
        elif name == "identity":
            a = z
        else:
            a = _activate(layer, z)
    return a


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
    check_target_has_loss("delta.backward", y, loss)
    grads = compute(model, x, y, loss, layers_of(model), resolved_loss(loss))
    _write_grads(grads, accumulate)
    return grads


def check_target_has_loss(who: str, y, loss) -> None:
    """Targets without a loss would be ignored (loss=None differentiates ŷ itself): refused."""
    if y is not None and loss is None:
        from ..errors import ConfigError

        raise ConfigError(
            f"{who}: y was given but no loss, and with loss=None the engine differentiates the "
            "output ŷ itself (the slides' ∂ŷ/∂W), so y would be ignored. Pass the loss that "
            "compares ŷ with y, e.g. loss=nn.HalfMSELoss() (the lecture's E = ½(ŷ − y)²) or "
            "nn.MSELoss(), or leave y out for ∂ŷ/∂W."
        )


def compute(model, x, y=None, loss=None, net: list[Layer] | None = None, resolved=None, out=None):
    """Like ``backward`` but leaves ``.grad`` untouched (returns everything instead).

    ``out`` (used by ``Plan``) is one (weight-grad array, bias-grad array or None) pair per
    layer, in PyTorch's (out, in) orientation, to receive ∂E/∂W[l]ᵀ and ∂E/∂b[l] in place.

    Examples:
        The same gradients as autograd; ``weight_grads[l]`` is in the lecture's orientation (n[l−1]
        × n[l]), the transpose of PyTorch's ``weight.grad``:

        >>> import backprop as bp
        >>> import numpy as np
        >>> from backprop import delta, nn
        >>> _ = bp.manual_seed(0)
        >>> model = nn.MLP([2, 4, 1], activation='sigmoid')
        >>> x = bp.tensor([[0.5, -1.0], [2.0, 0.0]])
        >>> y = bp.tensor([[1.0], [0.0]])
        >>> g = delta.compute(model, x, y, nn.MSELoss())
        >>> model[0].weight.grad is None  # compute leaves .grad alone
        True
        >>> nn.MSELoss()(model(x), y).backward()  # autograd, for comparison
        >>> np.allclose(g.weight_grads[1].T, model[0].weight.grad.numpy())  # ∂E/∂W[1]ᵀ
        True
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
