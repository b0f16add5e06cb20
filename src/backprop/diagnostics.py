"""Watching gradients: per-layer norms, saturation, dead units, update ratios (floor 4).

These functions read a model (and optionally a batch) and return numbers; they print
nothing and change nothing. ``layer_report`` runs the δ engine on a batch and reports, for
every layer l, ‖∂E/∂W[l]‖, the mean per-sample ‖δ[l]‖, the fraction of saturated sigmoid/tanh
units and of dead ReLUs. ``UpdateRatio`` measures ‖ΔW‖/‖W‖ across an optimizer step.
``vanishing_gradients`` is the lecture's slide run as an experiment: the same data and seed
through sigmoid, tanh and ReLU networks of growing depth, returning the per-layer gradient
norms — the sigmoid's shrink by σ' ≤ 0.25 a layer, ReLU's lack of it.
"""

from __future__ import annotations

import itertools
import numbers
from dataclasses import dataclass, field

import numpy as np

from .autograd.activations import get_activation
from .delta.engine import compute, g_prime
from .errors import ConfigError

# A unit is "saturated" where its derivative is below this fraction of the derivative's
# maximum (σ' < 0.0125 for the sigmoid, 1 − tanh² < 0.05 for tanh).
SATURATION = 0.05
_MAX_DERIVATIVE = {"sigmoid": 0.25, "tanh": 1.0}


@dataclass
class LayerStats:
    l: int
    activation: str
    grad_norm: float  # ‖∂E/∂W[l]‖ (Frobenius)
    bias_grad_norm: float | None
    delta_norm: float  # mean over samples of ‖δ[l]‖
    weight_norm: float
    saturated: float | None  # fraction of (sample, unit) pairs; None for other activations
    dead: float | None  # fraction of ReLU units with f ≤ 0 for every sample; None otherwise


@dataclass
class LayerReport:
    loss: float
    layers: list[LayerStats]

    def __str__(self) -> str:
        head = "  l  g[l]        ‖∂E/∂W[l]‖  ‖δ[l]‖      ‖W[l]‖      saturated  dead"
        lines = [f"loss {self.loss:.6g}", head]
        for s in self.layers:
            sat = "-" if s.saturated is None else f"{s.saturated:.1%}"
            dead = "-" if s.dead is None else f"{s.dead:.1%}"
            lines.append(
                f"  {s.l:<2} {s.activation:<11} {s.grad_norm:<11.3e} {s.delta_norm:<11.3e} "
                f"{s.weight_norm:<11.3e} {sat:<10} {dead}"
            )
        return "\n".join(lines)


def layer_report(model, x, y, loss) -> LayerReport:
    """Per-layer gradient and activation health of ``model`` on one batch."""
    grads = compute(model, x, y, loss)
    cache = grads.cache
    out = []
    for layer in cache.layers:
        l = layer.index
        f, a = cache.f[l], cache.a[l]
        name = layer.g_name
        saturated = dead = None
        if name in _MAX_DERIVATIVE:
            gp = np.abs(g_prime(layer, f, a))
            saturated = float(np.mean(gp < SATURATION * _MAX_DERIVATIVE[name]))
        if name == "relu":
            dead = float(np.mean(np.all(f <= 0, axis=0)))
        bias = grads.bias_grads[l]
        out.append(
            LayerStats(
                l=l,
                activation=name,
                grad_norm=float(np.linalg.norm(grads.weight_grads[l])),
                bias_grad_norm=None if bias is None else float(np.linalg.norm(bias)),
                delta_norm=float(np.mean(np.linalg.norm(grads.delta[l], axis=1))),
                weight_norm=float(np.linalg.norm(layer.weight._data)),
                saturated=saturated,
                dead=dead,
            )
        )
    return LayerReport(float(grads.loss), out)


def gradient_norms(model) -> dict[str, float]:
    """‖grad‖ of every named parameter that has one (after any backward pass)."""
    return {
        name: float(np.linalg.norm(p.grad._data))
        for name, p in model.named_parameters()
        if p.grad is not None
    }


class UpdateRatio:
    """‖ΔW‖/‖W‖ per parameter across one optimizer step (a healthy rate is near 1e-3).

    ``tracker = UpdateRatio(model)``; ``opt.step()``; ``tracker.ratios()``.
    """

    def __init__(self, model) -> None:
        self.model = model
        self.before = {n: p._data.copy() for n, p in model.named_parameters()}

    def ratios(self) -> dict[str, float]:
        out = {}
        for name, p in self.model.named_parameters():
            old = self.before[name]
            scale = float(np.linalg.norm(old))
            change = float(np.linalg.norm(p._data - old))
            out[name] = change / scale if scale > 0 else float("inf") if change else 0.0
        return out


# -- the vanishing-gradient experiment ----------------------------------------------------------
@dataclass
class VanishingResult:
    """Per-layer ‖∂E/∂W[l]‖ and ‖δ[l]‖ for each (activation, depth)."""

    width: int
    samples: int
    seed: int
    init: dict
    grad_norms: dict = field(default_factory=dict)  # (activation, depth) -> [‖∂E/∂W[1]‖, …]
    delta_norms: dict = field(default_factory=dict)  # (activation, depth) -> [‖δ[1]‖, …]
    bound_ratios: dict = field(default_factory=dict)  # ‖δ[l]‖ / (max g' · ‖W[l+1]‖₂ · ‖δ[l+1]‖)

    def __repr__(self) -> str:
        acts = list(dict.fromkeys(a for a, _ in self.grad_norms))
        depths = sorted({d for _, d in self.grad_norms})
        if not depths:
            return f"<VanishingResult: empty, width {self.width}>"
        deep = depths[-1]
        ratios = ", ".join(
            f"{a} {self.first_to_last(a, deep):.2g}" for a in acts if (a, deep) in self.grad_norms
        )
        return (
            f"<VanishingResult: width {self.width}, depths {depths[0]}…{deep}; "
            f"‖∂E/∂W[1]‖/‖∂E/∂W[L]‖ at depth {deep}: {ratios}>"
        )

    def _repr_html_(self) -> str:
        """In a notebook: first/last ratios coloured by how much survived, and the figure."""
        from .display import vanishing_html  # a floor above, imported when a front end asks

        return vanishing_html(self)

    def plot(self, path=None, **kwargs):
        """``plots.gradient_norms``: the Figure, or the path when one is given."""
        from .plots import gradient_norms

        return gradient_norms(self, path, **kwargs)

    def first_to_last(self, activation: str, depth: int) -> float:
        """‖∂E/∂W[1]‖ / ‖∂E/∂W[L]‖: how much of the gradient reaches the first layer."""
        norms = self.grad_norms[(activation, depth)]
        return norms[0] / norms[-1] if norms[-1] else float("nan")

    def rows(self) -> list[dict]:
        return [
            {"activation": act, "depth": depth, "layer": l, "grad_norm": g, "delta_norm": d}
            for (act, depth), grads in self.grad_norms.items()
            for l, (g, d) in enumerate(zip(grads, self.delta_norms[(act, depth)]), start=1)
        ]

    def __str__(self) -> str:
        order = list(DEFAULT_INIT)  # sigmoid, tanh, relu, step; any other after them
        acts = sorted(
            {a for a, _ in self.grad_norms},
            key=lambda a: (order.index(a) if a in order else len(order), a),
        )
        depths = sorted({d for _, d in self.grad_norms})
        lines = [
            f"Vanishing gradients: width {self.width}, {self.samples} samples, seed "
            f"{self.seed}; init {self.init}",
            DEPTH_WORDS,
            "‖∂E/∂W[1]‖ / ‖∂E/∂W[L]‖ (1 = no decay; sigmoid shrinks by σ' ≤ 0.25 a layer)",
            "depth  " + "  ".join(f"{a:>10}" for a in acts),
        ]
        for depth in depths:
            cells = [f"{self.first_to_last(a, depth):>10.2e}" for a in acts]
            lines.append(f"{depth:<6} " + "  ".join(cells))
        return "\n".join(lines)


# what "depth" means here, in the lecture's notation (the CLI's --help and the table say it)
DEPTH_WORDS = (
    "depth d = the number of hidden layers; a depth-d network has L = d + 1 weight layers "
    "W[1] … W[L] (layer L is the output)"
)

DEFAULT_INIT = {
    "sigmoid": "xavier_normal",
    "tanh": "xavier_normal",
    "relu": "kaiming_normal",
    "step": "xavier_normal",  # the lecture's extreme case: its gradients are 0, whatever init
}
_GAIN_OF = {"step": "linear"}  # calculate_gain knows no step; sgn keeps ±1: gain 1

# Bounds of vanishing_gradients, checked before any network is built. The lecture's slide
# needs depth ≤ 20, width 32, 64 samples (3·10^7 multiply-adds in all); these sit far above
# that and keep one call finite: a network's weights, gradients and activations in at most
# MAX_NUMBERS float64 numbers (1 GB), and the whole experiment in MAX_WORK multiply-adds
# (forward, backward and the spectral norm of each W[l]: about width² × (samples + width) per
# layer) — about 20 minutes at the 0.8·10^8 a second measured on a busy 2-core machine.
MAX_DEPTH = 1000
MAX_WIDTH = 4096
MAX_SAMPLES = 100_000
MAX_NUMBERS = 125_000_000
MAX_WORK = 10**11


def _whole(value, name: str, low: int, high: int | None = None) -> int:
    bad = isinstance(value, bool) or not isinstance(value, numbers.Integral)
    if bad or value < low or (high is not None and value > high):
        rule = f">= {low}" if high is None else f"from {low} to {high:,}"
        raise ConfigError(
            f"vanishing_gradients: {name} must be a whole number {rule}, got {value!r}."
        )
    return int(value)


def _check_work(depths: list[int], width: int, samples: int, n_acts: int) -> None:
    """Refuse an experiment that would not fit in memory or not end in reasonable time."""
    deepest = max(depths)
    numbers_ = deepest * width * (2 * width + 3 * samples)
    if numbers_ > MAX_NUMBERS:
        raise ConfigError(
            f"vanishing_gradients: the deepest network (depth {deepest}, width {width}, "
            f"{samples} samples) needs {numbers_:.2g} numbers in memory, more than the bound "
            f"{MAX_NUMBERS:.3g} (1 GB of float64); use a smaller depth, width or samples."
        )
    work = n_acts * sum(depths) * width * width * (samples + width)
    if work > MAX_WORK:
        raise ConfigError(
            f"vanishing_gradients: {n_acts} activation(s) × depths summing to {sum(depths)} "
            f"× width {width}² × (samples {samples} + width) = {work:.2g} multiply-adds, more "
            f"than the bound {MAX_WORK:.0e} (about 20 minutes here); use fewer or smaller depths "
            "or a smaller width or samples."
        )


def _sequence(value, name: str, limit: int = 100) -> list:
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise ConfigError(
            f"vanishing_gradients: {name} must be a list, got {value!r}; e.g. {name}=[...]."
        )
    items = list(itertools.islice(value, limit + 1))  # an endless iterator stops here too
    if len(items) > limit:
        raise ConfigError(
            f"vanishing_gradients: {name} has more than {limit:,} items; give at most {limit:,}."
        )
    if not items:
        raise ConfigError(f"vanishing_gradients: {name} must not be empty.")
    return items


def vanishing_gradients(
    depths=range(2, 21, 2),
    activations=("sigmoid", "tanh", "relu"),
    width: int = 32,
    samples: int = 64,
    seed: int = 0,
    init: dict | None = None,
) -> VanishingResult:
    """Per-layer gradient norms of MLPs of growing depth, one activation at a time.

    Every network sees the same inputs x ~ N(0, 1) and targets, and is initialised from the
    same seed with the initialiser that suits its activation (Xavier for sigmoid/tanh, He for
    ReLU, as is standard; override with ``init``), so what differs is the activation alone.
    Depth counts hidden layers; the output layer is linear with one unit and MSE loss.
    """
    from . import nn
    from .autograd import random as _random

    width = _whole(width, "width", 1, MAX_WIDTH)
    samples = _whole(samples, "samples", 1, MAX_SAMPLES)
    seed = _whole(seed, "seed", 0)
    depths = _sequence(depths, "depths", limit=1000)
    depths = [_whole(d, "depths (each)", 1, MAX_DEPTH) for d in depths]
    activations = [get_activation(a).name for a in _sequence(activations, "activations")]
    _check_work(depths, width, samples, len(activations))
    init = {**DEFAULT_INIT, **(init or {})}
    for act in activations:
        if act not in init:
            raise ConfigError(
                f"vanishing_gradients: activation {act!r} has no initialiser; pass "
                f"init={{{act!r}: 'xavier_normal'}} (or 'kaiming_normal')."
            )
    data = np.random.default_rng(seed)
    x = data.standard_normal((samples, width))
    y = data.standard_normal((samples, 1))
    result = VanishingResult(width, samples, seed, {a: init[a] for a in activations})
    loss = nn.MSELoss()
    for act in activations:
        for depth in depths:
            _random.manual_seed(seed)
            model = nn.MLP([width] * (depth + 1) + [1], activation=act).double()
            initialiser = getattr(nn.init, init[act] + "_")
            for module in model.modules():
                if isinstance(module, nn.Linear):
                    if "kaiming" in init[act]:
                        initialiser(module.weight, nonlinearity="relu")
                    else:
                        gain = nn.init.calculate_gain(_GAIN_OF.get(act, act))
                        initialiser(module.weight, gain=gain)
                    nn.init.zeros_(module.bias)
            grads = compute(model, x, y, loss)
            L = len(grads.cache.layers)
            result.grad_norms[(act, depth)] = [
                float(np.linalg.norm(grads.weight_grads[l])) for l in range(1, L + 1)
            ]
            per_sample = [np.linalg.norm(grads.delta[l], axis=1) for l in range(1, L + 1)]
            result.delta_norms[(act, depth)] = [float(np.mean(d)) for d in per_sample]
            bound = []
            gmax = _MAX_DERIVATIVE.get(act, 1.0)
            for l in range(1, L):
                w_next = np.linalg.norm(grads.cache.layers[l].weight._data, 2)
                denom = gmax * w_next * per_sample[l]
                with np.errstate(invalid="ignore", divide="ignore"):
                    bound.append(float(np.max(np.where(denom > 0, per_sample[l - 1] / denom, 0))))
            result.bound_ratios[(act, depth)] = bound
    return result
