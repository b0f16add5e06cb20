"""A whole model's gradient check, one row per parameter (floor 4, beside ``checks``).

``check_gradients(model, loss_fn, x, y)`` compares every parameter's backward-pass gradient
of the scalar loss with central differences, in float64 on a copy, and returns a
``GradientCheckResult``: a table with the lecture's names (W[1], b[1], …) beside PyTorch's,
each row's largest absolute and relative error, and why a row failed (a ReLU kink, a step
unit's jump: ``checks_steps``). ``backprop.check_gradients`` and ``backprop.checks`` re-export
it; ``checks`` holds the function-level ``gradcheck`` and the Jacobians.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .autograd import Tensor, grad
from .errors import ConfigError, ShapeError


@dataclass(frozen=True)
class ParameterCheck:
    """One parameter's verdict: the largest absolute and relative gradient error."""

    name: str
    shape: tuple
    max_abs_error: float
    max_rel_error: float
    passed: bool
    lecture: str | None = None  # "W[1]", "b[1]": the lecture's name, for an MLP
    # the largest |analytical − numerical| / (atol + rtol·|numerical|) over the entries: the
    # rule passes an entry at ≤ 1, so a max abs error above atol can pass (rtol·|g| is added)
    tolerance_used: float = float("nan")


@dataclass(frozen=True)
class GradientCheckResult:
    """The rows of ``check_gradients``; ``str(result)`` is an aligned table."""

    rows: tuple[ParameterCheck, ...]
    eps: float
    atol: float
    rtol: float
    kinks: tuple = ()  # rows that failed at eps but pass at KINK_EPS: a step crossed a kink
    steps: tuple = ()  # layers (1 … L) with step units: their gradients below are 0 (Caution)
    units: tuple | None = None  # activation modules by class name ('ReLU', 'Step'); None: unknown

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    def __str__(self) -> str:
        lecture = any(r.lecture for r in self.rows)
        shape = "torch shape" if lecture else "shape"  # W[l] is n[l−1]×n[l]: torch's weight ᵀ
        head = ("parameter", shape, "max abs error", "max rel error", "|Δ|/tol", "passed")
        table = [(("lecture",) if lecture else ()) + head]
        for r in self.rows:
            abs_err, rel_err = f"{r.max_abs_error:.3e}", f"{r.max_rel_error:.3e}"
            verdict = "yes" if r.passed else "NO"
            used = f"{r.tolerance_used:.2g}"
            row = (r.name, str(tuple(r.shape)), abs_err, rel_err, used, verdict)
            table.append(((r.lecture or "",) if lecture else ()) + row)
        widths = [max(len(row[j]) for row in table) for j in range(len(table[0]))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
        failed = sum(not r.passed for r in self.rows)
        verdict = (
            f"all {len(self.rows)} parameters passed"
            if not failed
            else f"{failed} of {len(self.rows)} parameters FAILED"
        )
        lines.append(
            f"{verdict} (eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}): an entry "
            "passes when |Δ| = |analytical − numerical| ≤ tol = atol + rtol·|numerical| = "
            f"{self.atol:g} + {self.rtol:g}·|numerical|, so |Δ|/tol ≤ 1 (an error above atol "
            "passes where the gradient is large)"
        )
        if self.kinks:
            lines.append(
                f"{', '.join(self.kinks)} failed at ε = {self.eps:g} but pass at ε = 1e-06: a "
                f"step of ±{self.eps:g} crosses a kink of a ReLU (or abs, clamp) unit, where the "
                "slope jumps and a central difference averages the slopes of both sides. The "
                "backprop gradient is the right one there; a smaller ε (1e-6) avoids the kinks"
            )
        if self.steps:
            from .checks_steps import step_lines

            top = max(self.steps)
            zeroed = [(r.lecture, r.passed) for r in self.rows if _layer_of(r.lecture) <= top]
            lines.extend(step_lines(self.steps, zeroed, self.eps))
        if self.eps != LECTURE_EPS:
            from .checks_steps import eps_units

            lines.append(
                f"ε = {self.eps:g} here, where the lecture's slide uses ε = {LECTURE_EPS:g}: in "
                "float64 a central difference's error is about ε² (truncation) + 1e-16/ε "
                f"(rounding), smallest near ε = 1e-5 to 1e-6 for smooth units; eps={LECTURE_EPS:g} "
                f"reproduces the slide{eps_units(self.units, self.eps, LECTURE_EPS)}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        failed = sum(not row.passed for row in self.rows)
        verdict = (
            f"all {len(self.rows)} passed" if not failed else f"{failed} of {len(self.rows)} FAILED"
        )
        return f"<GradientCheckResult: {verdict} (eps={self.eps:g}); print() shows the table>"

    def _repr_html_(self) -> str:
        """In a notebook: the table, each row green (passed) or red (failed)."""
        from .display import gradcheck_html  # a floor above, imported when a front end asks

        return gradcheck_html(self)


LECTURE_EPS = 0.001  # the slide's epsilon = 0.001


def _float64(x):
    if isinstance(x, Tensor) and x.is_floating_point():
        return Tensor._wrap(np.array(x._data, dtype=np.float64, copy=True))
    return x


def _scalar_loss(model, loss_fn, x, y) -> Tensor:
    loss = loss_fn(model(x), y)
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        shape = list(loss.shape) if isinstance(loss, Tensor) else type(loss).__name__
        raise ShapeError(
            f"check_gradients: loss_fn must return a one-element Tensor, got {shape}; reduce "
            "the loss (reduction='mean' or .sum())."
        )
    return loss


def check_gradients(
    model, loss_fn, x, y, eps: float = 1e-6, *, atol: float = 1e-5, rtol: float = 1e-3
) -> GradientCheckResult:
    """Check the gradient of ``loss_fn(model(x), y)`` for every parameter of ``model``.

    Works on a deep copy of the model converted to float64 (``.double()``), so the model
    passed in keeps its dtype, values and ``.grad``. Parameters with ``requires_grad=False``
    are left out. Each parameter's gradient from one backward pass is compared with central
    differences of the loss; a row passes when every entry satisfies
    ``|analytical − numerical| ≤ atol + rtol·|numerical|``. The relative error reported is
    ``|analytical − numerical| / max(|analytical|, |numerical|, atol)``.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> _ = bp.manual_seed(0)
        >>> model = nn.MLP([2, 3, 1], activation='tanh')
        >>> x, y = bp.randn(4, 2), bp.randn(4, 1)
        >>> result = bp.check_gradients(model, nn.MSELoss(), x, y)
        >>> result.passed
        True
        >>> print(result)  # errors near 1e-10: they vary in the last bits by machine
        lecture  parameter  torch shape  max abs error  max rel error  |Δ|/tol  passed
        W[1]     0.weight   (3, 2)       ...  yes
        b[1]     0.bias     (3,)         ...  yes
        W[2]     2.weight   (1, 3)       ...  yes
        b[2]     2.bias     (1,)         ...  yes
        all 4 parameters passed (eps=1e-06, atol=1e-05, rtol=0.001): ...
    """
    from .checks import _check_eps  # the function check's rule for ε (no import cycle)

    _check_eps(eps, "check_gradients")
    model = copy.deepcopy(model).double()
    x, y = _float64(x), _float64(y)
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not params:
        raise ConfigError(
            "check_gradients: the model has no parameters that require grad; nothing to check."
        )
    loss = _scalar_loss(model, loss_fn, x, y)
    grads = grad(loss, [p for _, p in params], allow_unused=True)
    names = _lecture_names(model)
    rows = _check_rows(model, loss_fn, x, y, params, grads, names, eps, atol, rtol)
    crossed = ()
    if eps > KINK_EPS and not all(r.passed for r in rows):  # a step across a kink?
        failed = [(pair, g) for pair, g, r in zip(params, grads, rows) if not r.passed]
        again = _check_rows(
            model, loss_fn, x, y, [f[0] for f in failed], [f[1] for f in failed], names,
            KINK_EPS, atol, rtol,
        )  # fmt: skip
        crossed = tuple(r.lecture or r.name for r in again if r.passed)
    from .checks_steps import step_layers, units_of

    steps = step_layers(model)
    if steps:  # below a step layer a failure is the jump of sgn, not a kink (checks_steps)
        crossed = tuple(n for n in crossed if _layer_of(n) > max(steps))
    units = units_of(model) if hasattr(model, "modules") else None  # a bare callable: unknown
    return GradientCheckResult(tuple(rows), eps, atol, rtol, crossed, steps, units)


def _layer_of(lecture: str | None) -> float:
    """l of "W[l]" / "b[l]"; infinity for a parameter without a lecture name."""
    return int(lecture[2:-1]) if lecture else float("inf")


KINK_EPS = 1e-6  # the ε a failed row is checked again with (check_gradients)


def _check_rows(model, loss_fn, x, y, params, grads, names, eps, atol, rtol) -> list:
    """One ``ParameterCheck`` per (name, parameter): central differences at ``eps``."""
    rows = []
    for (name, p), g in zip(params, grads):
        analytical = np.zeros(p.shape) if g is None else np.asarray(g._data, dtype=np.float64)
        numerical = np.zeros(p.shape)
        data = p._data  # perturbed in place, element by element, then restored exactly
        for at in np.ndindex(data.shape):
            orig = data[at]
            data[at] = orig + eps
            hi = _scalar_loss(model, loss_fn, x, y).item()
            data[at] = orig - eps
            lo = _scalar_loss(model, loss_fn, x, y).item()
            data[at] = orig
            numerical[at] = (hi - lo) / (2.0 * eps)
        err = np.abs(analytical - numerical)
        scale = np.maximum(np.maximum(np.abs(analytical), np.abs(numerical)), atol)
        tol = atol + rtol * np.abs(numerical)
        ok = bool(np.all(err <= tol))
        rows.append(
            ParameterCheck(
                name=name,
                shape=tuple(p.shape),
                max_abs_error=float(np.max(err, initial=0.0)),
                max_rel_error=float(np.max(err / scale, initial=0.0)),
                passed=ok,
                lecture=names.get(id(p)),
                tolerance_used=float(np.max(err / tol, initial=0.0)),
            )
        )
    return rows


def _lecture_names(model) -> dict:
    """id(parameter) → "W[l]" / "b[l]" for a model the δ engine reads as the lecture's MLP
    (PyTorch's weight is W[l]ᵀ: out × in); {} for any other model."""
    from .delta.network import DeltaEngineError, layers

    try:
        net = layers(model)
    except DeltaEngineError:
        return {}
    names = {}
    for layer in net:
        names[id(layer.weight)] = f"W[{layer.index}]"
        if layer.bias is not None:
            names[id(layer.bias)] = f"b[{layer.index}]"
    return names
