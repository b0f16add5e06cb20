"""The activation registry: each elementwise activation g with its derivative g' (floor 1).

One table serves the whole project: ``Tensor.sigmoid()``, ``nn.Sigmoid``, the δ engine's
``g'[l](f[l])``, the CLI, the spec and the playground all look activations up here by name.
Each entry knows how to compute a = g(f) and g'(f) from f and/or a (sigmoid and tanh use
the output, a(1 − a) and 1 − a², as the lecture's engine would), and which of the two its
derivative reads, so the autograd node saves only that.

The lecture's step unit ``sgn`` (+1 for x > 0, −1 otherwise) is here too; its derivative is
zero wherever it exists, which is exactly why backprop cannot train it (the lecture's
"Caution"). We do not hide that with a surrogate gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import stable
from ..stable import benign_underflow

_ERF: list = []  # the erf ufunc in use, chosen on first call


def _erf(x: np.ndarray) -> np.ndarray:
    """erf elementwise in float64: SciPy's ufunc when SciPy is installed (16× faster on
    10k values), else ``math.erf`` per element; the two agree to 2e-16."""
    if not _ERF:
        try:
            from scipy.special import erf
        except ImportError:
            erf = np.vectorize(math.erf, otypes=[np.float64])
        _ERF.append(erf)
    return _ERF[0](np.asarray(x, dtype=np.float64))


_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


@dataclass(frozen=True)
class Activation:
    """An elementwise activation: ``fn(f) -> a`` and ``derivative(f, a) -> g'(f)``.

    ``uses`` is ``"input"``, ``"output"`` or ``"none"``: what ``derivative`` reads (the other
    argument may be None). ``node`` is the PyTorch name of its backward node. ``select``,
    for piecewise-constant derivatives, is ``chain`` done by choosing instead of multiplying;
    it writes into its ``g`` (``chain`` passes a copy, the δ engine its own fresh array).
    """

    name: str
    fn: Callable
    derivative: Callable
    uses: str
    node: str
    defaults: dict = field(default_factory=dict)
    formula: str = ""
    select: Callable | None = None

    def chain(self, g, x, a, **options):
        """g ∘ g'(f): the upstream gradient through this unit (the δ recursion's product).

        Units whose derivative is a 0/1 (or 1/slope) choice *select* g instead of
        multiplying it, as PyTorch's threshold backward does: a unit that is off passes 0
        even when g overflowed to ±inf, where 0 · inf would be NaN. ``g`` is not changed.
        """
        if self.select is not None:
            return self.select(g.copy(), x, a, **options)
        return g * self.derivative(x, a, **options)


def _sigmoid(x, **_):
    return stable.sigmoid(x)


def _relu(x, **_):
    # against the scalar 0: a fresh zeros_like array is faster on a batch kept in cache but
    # page-faults on big ones (the wide job's full-set pass: 16 ms a call against 0.5)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def _step(x, **_):
    return np.where(x > 0, 1, -1).astype(x.dtype)


def _leaky(x, negative_slope=0.01):
    return np.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)


# The selects write into g and return it; PyTorch's rules to the letter, NaN included:
# relu passes g where not (a <= 0), leaky ReLU scales g where not (x > 0), step passes 0.
def _relu_select(g, x, a):
    return relu_gate(g, a, a <= 0)


def relu_gate(g: np.ndarray, a: np.ndarray, off: np.ndarray, bits: np.ndarray | None = None):
    """g with its entries set to +0 where ``off`` (a ≤ 0), in place; g itself is returned.

    PyTorch's rule exactly (a NaN a passes g, an infinite or NaN g where off becomes 0, which a
    multiply by a 0/1 mask would turn into NaN), as a bitwise AND of g's bits with all-ones
    where on and zero where off. ``np.putmask`` does the same select ten to twenty times
    slower on large arrays (256×512: 0.5–1.3 ms against 53 µs: its per-element branch
    mispredicts on a ReLU's random on/off pattern). ``bits``: an integer scratch of g's shape
    and item size (allocated when None). Uses ``putmask`` itself below ``PUTMASK_SIZE``
    numbers (one call beats three there) and for a g that is not a float array."""
    kind = _BITS.get(g.dtype.itemsize)
    if g.size < PUTMASK_SIZE or g.dtype.kind != "f" or kind is None or g.shape != off.shape:
        np.putmask(g, off, 0)  # small: one call, where the AND's three cost more
        return g
    if bits is None:
        bits = np.empty(g.shape, kind)
    np.subtract(off, _ONE[kind], out=bits, casting="unsafe")  # off → 0, on → −1 (all ones)
    view = g.view(kind)
    np.bitwise_and(view, bits, out=view)
    return g


PUTMASK_SIZE = 2048  # below this many numbers putmask's one call beats the AND's three
_BITS = {2: np.dtype(np.int16), 4: np.dtype(np.int32), 8: np.dtype(np.int64)}
_ONE = {kind: np.ones((), kind) for kind in _BITS.values()}


def _leaky_select(g, x, a, negative_slope=0.01):
    np.multiply(g, negative_slope, out=g, where=~(x > 0))
    return g


def _step_select(g, x, a):
    g[...] = 0
    return g


def _tanh_grad(x, a):
    # (1 − a)(1 + a) equals 1 − a² but never squares a tiny a (no underflow) and keeps its
    # digits as |a| → 1.
    return (1 - a) * (1 + a)


@benign_underflow
def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


@benign_underflow
def _elu_grad(x, a, alpha=1.0):
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype, copy=False)


def _softplus(x, beta=1.0, threshold=20.0):
    bx = x * beta
    return np.where(bx > threshold, x, stable.softplus(bx) / beta).astype(x.dtype, copy=False)


def _softplus_grad(x, a, beta=1.0, threshold=20.0):
    bx = x * beta
    return np.where(bx > threshold, 1.0, stable.sigmoid(bx)).astype(x.dtype, copy=False)


@benign_underflow
def _gelu(x, approximate="none"):
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        return (0.5 * x * (1.0 + np.tanh(inner))).astype(x.dtype, copy=False)
    return (0.5 * x * (1.0 + _erf(x / _SQRT2))).astype(x.dtype, copy=False)


@benign_underflow
def _gelu_grad(x, a, approximate="none"):
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        t = np.tanh(inner)
        dinner = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x**2)
        return (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dinner).astype(x.dtype, copy=False)
    cdf = 0.5 * (1.0 + _erf(x / _SQRT2))
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return (cdf + x * pdf).astype(x.dtype, copy=False)


@benign_underflow
def _silu(x, **_):
    return (x * stable.sigmoid(x)).astype(x.dtype, copy=False)


@benign_underflow
def _silu_grad(x, a, **_):
    s = stable.sigmoid(x)
    return (s * (1.0 + x * (1.0 - s))).astype(x.dtype, copy=False)


def _ones_like(x, a, **_):
    return np.ones_like(x if x is not None else a)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "identity",
            lambda x, **_: x,
            lambda x, a: np.ones_like(a),
            "output",
            "IdentityBackward0",
            formula="g(f) = f",
            select=lambda g, x, a: g,
        ),
        Activation(
            "step",
            _step,
            lambda x, a: np.zeros_like(a),
            "output",
            "SignBackward0",
            formula="sgn(f) = +1 if f > 0 else -1;  g'(f) = 0 almost everywhere",
            select=_step_select,
        ),
        Activation(
            "sigmoid",
            _sigmoid,
            lambda x, a: a * (1 - a),
            "output",
            "SigmoidBackward0",
            formula="σ(f) = 1/(1+e^-f);  σ'(f) = σ(f)(1-σ(f)) ≤ 0.25",
        ),
        Activation(
            "tanh",
            lambda x, **_: np.tanh(x),
            _tanh_grad,
            "output",
            "TanhBackward0",
            formula="tanh(f);  tanh'(f) = 1 - tanh²(f) ≤ 1",
        ),
        Activation(
            "relu",
            _relu,
            lambda x, a: (a > 0).astype(a.dtype),
            "output",
            "ReluBackward0",
            formula="max(0, f);  g'(f) = 1 if f > 0 else 0",
            select=_relu_select,
        ),
        Activation(
            "leaky_relu",
            _leaky,
            lambda x, a, negative_slope=0.01: np.where(x > 0, 1.0, negative_slope).astype(x.dtype),
            "input",
            "LeakyReluBackward0",
            {"negative_slope": 0.01},
            formula="f if f > 0 else slope·f",
            select=_leaky_select,
        ),
        Activation(
            "elu",
            _elu,
            _elu_grad,
            "input",
            "EluBackward0",
            {"alpha": 1.0},
            formula="f if f > 0 else α(e^f - 1)",
        ),
        Activation(
            "gelu",
            _gelu,
            _gelu_grad,
            "input",
            "GeluBackward0",
            {"approximate": "none"},
            formula="f·Φ(f)",
        ),
        Activation(
            "softplus",
            _softplus,
            _softplus_grad,
            "input",
            "SoftplusBackward0",
            {"beta": 1.0, "threshold": 20.0},
            formula="log(1 + e^(βf))/β",
        ),
        Activation(
            "silu",
            _silu,
            _silu_grad,
            "input",
            "SiluBackward0",
            formula="f·σ(f)",
        ),
    )
}

ALIASES = {
    "linear": "identity",
    "none": "identity",
    "sign": "step",
    "swish": "silu",
    "logistic": "sigmoid",  # scikit-learn's name
}


def get_activation(name: str) -> Activation:
    """Look an activation up by name (``'relu'``, ``'tanh'``, ``'linear'``, …)."""
    from ..errors import ConfigError

    key = ALIASES.get(str(name).lower(), str(name).lower())
    act = ACTIVATIONS.get(key)
    if act is None:
        from ..errors import did_you_mean

        names = sorted(ACTIVATIONS) + sorted(ALIASES)
        raise ConfigError(
            f"activation: unknown name {name!r}; choose one of {', '.join(names)}."
            + did_you_mean(name, names)
        )
    return act
