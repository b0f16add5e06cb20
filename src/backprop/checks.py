"""Numerical gradient checks: central differences against the backward pass (floor 4).

The lecture asks "how do we know that PyTorch is doing the right thing?" and answers with
central differences, ∂ŷ/∂w ≈ (ŷ(w + ε) − ŷ(w − ε)) / 2ε. This module asks the same of our
autograd: ``gradcheck`` compares, for a function of tensors, every entry of the Jacobian
built by backward passes with the one built by central differences, in float64, and explains
the first disagreement (which output, which input, which element, both numbers, the
tolerance). ``check_gradients`` does the same for a whole model and loss, one row per
parameter. It is a checker, not a second differentiation engine: nothing here trains.

``backprop.gradcheck`` and ``backprop.check_gradients`` are the functions below (the module
is ``backprop.checks`` so that the name ``gradcheck`` can be the function, as in PyTorch).

Jacobians are indexed ``jac[output][input]`` and have shape ``(out.numel(), in.numel())``:
row r, column c is ∂ out.flatten()[r] / ∂ in.flatten()[c] (the mathematician's layout).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .autograd import Tensor, grad
from .errors import ConfigError, GradcheckError, ShapeError

__all__ = [
    "GradcheckError",
    "GradientCheckResult",
    "ParameterCheck",
    "analytical_jacobian",
    "check_gradients",
    "gradcheck",
    "numerical_jacobian",
]


# -- inputs and outputs ---------------------------------------------------------------------
def _prepare(inputs) -> tuple[tuple, list[int]]:
    """Float64 copies of the tensor inputs (leaves) and the positions of the checked ones.

    Float tensors become fresh float64 leaves (so the caller's tensors are never perturbed and
    never receive ``.grad``); other tensors and non-tensor arguments pass through unchanged.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    prepared, checked = [], []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.is_floating_point():
            copy_ = Tensor._wrap(np.array(x._data, dtype=np.float64, order="C", copy=True))
            if x.requires_grad:
                copy_.requires_grad_(True)
                checked.append(i)
            prepared.append(copy_)
        else:
            prepared.append(x)
    return tuple(prepared), checked


def _outputs(result) -> tuple:
    """fn's result as a flat tuple of tensors (nested tuples, such as ``max(dim)``'s, are
    flattened; outputs are numbered in that order)."""
    if isinstance(result, Tensor):
        return (result,)
    if isinstance(result, tuple | list):
        return tuple(o for part in result for o in _outputs(part))
    raise ConfigError(
        f"gradcheck: fn must return a Tensor or a tuple of Tensors, got "
        f"{type(result).__name__}. Return the tensor(s) whose gradients you want checked."
    )


def _differentiable(outs: tuple) -> list[int]:
    """Positions of the floating-point outputs; bool and integer outputs are skipped."""
    return [k for k, o in enumerate(outs) if o.is_floating_point()]


# -- the two Jacobians --------------------------------------------------------------------
def _numerical(fn, inputs: tuple, checked: list[int], eps: float) -> list[list]:
    """Central differences: perturb each element of each checked input by ±eps.

    ``fn`` runs in the caller's grad mode, as for the backward passes, so both Jacobians
    differentiate the same computation (a custom Function may behave differently when it
    is not recorded).
    """
    outs = _outputs(fn(*inputs))
    diff = _differentiable(outs)
    jac = [[None] * len(inputs) for _ in outs]
    for k in diff:
        for i in checked:
            jac[k][i] = np.zeros((outs[k].numel(), inputs[i].numel()))
    for i in checked:
        data = inputs[i]._data
        for c in range(data.size):
            at = _index(c, data.shape)
            orig = data[at]
            data[at] = orig + eps
            plus = _values(fn(*inputs), diff)
            data[at] = orig - eps
            minus = _values(fn(*inputs), diff)
            data[at] = orig
            for k in diff:
                jac[k][i][:, c] = (plus[k] - minus[k]) / (2.0 * eps)
    return jac


def _values(result, diff: list[int]) -> dict:
    """Float64 copies of the differentiable outputs, taken at once: an output may be a view
    of the input being perturbed (reshape, transpose, indexing)."""
    outs = _outputs(result)
    return {k: np.array(outs[k]._data, dtype=np.float64, copy=True).reshape(-1) for k in diff}


def _analytical(fn, inputs: tuple, checked: list[int]) -> tuple[list[list], tuple]:
    """One backward pass per output element, each seeded with a one-hot upstream gradient."""
    outs = _outputs(fn(*inputs))
    targets = [inputs[i] for i in checked]
    jac = [[None] * len(inputs) for _ in outs]
    for k in _differentiable(outs):
        out = outs[k]
        rows = {i: np.zeros((out.numel(), inputs[i].numel())) for i in checked}
        jac[k] = [rows.get(i) for i in range(len(inputs))]
        if not out.requires_grad:
            continue  # the output does not depend on any checked input: its rows are zero
        for r in range(out.numel()):
            seed = np.zeros(out.shape, dtype=out._data.dtype)
            seed[_index(r, seed.shape)] = 1
            got = grad(
                out, targets, grad_outputs=Tensor._wrap(seed), retain_graph=True, allow_unused=True
            )
            for i, g in zip(checked, got):
                if g is not None:
                    rows[i][r] = np.asarray(g._data, dtype=np.float64).reshape(-1)
    return jac, outs


def _as_tensors(jac: list[list]) -> tuple:
    return tuple(tuple(None if j is None else Tensor._wrap(j) for j in row) for row in jac)


def _check_eps(eps, who: str) -> None:
    ok = isinstance(eps, int | float | np.floating) and not isinstance(eps, bool)
    if not (ok and 0 < eps < float("inf")):
        raise ConfigError(
            f"{who}: eps must be a positive finite number, the central-difference step; got "
            f"{eps!r}. The default 1e-6 suits float64."
        )


def numerical_jacobian(fn, inputs, eps: float = 1e-6) -> tuple:
    """The Jacobians of ``fn`` by central differences, in float64.

    Args:
        fn: a function of the tensors in ``inputs``, returning a Tensor or a tuple of them.
        inputs: a Tensor or a tuple of arguments; tensors with ``requires_grad`` are varied.
        eps: the perturbation ε of (f(x + ε) − f(x − ε)) / 2ε.

    Returns:
        ``jac[output][input]``: a float64 Tensor of shape ``(out.numel(), in.numel())``, or
        None for inputs that are not checked and for bool/integer outputs.

    Examples:
        >>> import backprop
        >>> w = backprop.tensor([0.0], requires_grad=True)
        >>> jac = backprop.checks.numerical_jacobian(lambda w: 2 * w, w)
        >>> round(jac[0][0].item(), 6)
        2.0
    """
    _check_eps(eps, "numerical_jacobian")
    prepared, checked = _prepare(inputs)
    return _as_tensors(_numerical(fn, prepared, checked, eps))


def analytical_jacobian(fn, inputs) -> tuple:
    """The Jacobians of ``fn`` from backward passes, in float64; laid out as
    ``numerical_jacobian``'s."""
    prepared, checked = _prepare(inputs)
    return _as_tensors(_analytical(fn, prepared, checked)[0])


# -- the check ----------------------------------------------------------------------------
def _index(flat: int, shape: tuple) -> tuple:
    return tuple(int(n) for n in np.unravel_index(flat, shape)) if shape else ()


def _mismatch(k, i, out, inp, num, ana, eps, atol, rtol) -> str | None:
    """The message for the worst entry of one Jacobian block, or None when all agree."""
    tol = atol + rtol * np.abs(num)
    err = np.abs(ana - num)
    bad = ~(err <= tol)  # NaN counts as a mismatch
    if not bad.any():
        return None
    excess = np.where(bad, np.nan_to_num(err / tol, nan=np.inf, posinf=np.inf), -1.0)
    r, c = np.unravel_index(int(np.argmax(excess)), num.shape)
    n, a = float(num[r, c]), float(ana[r, c])
    made_by = f" (made by {out.grad_fn.name()})" if out.grad_fn is not None else ""
    return (
        f"gradcheck: Jacobian mismatch for output {k}{made_by} with respect to input {i}.\n"
        f"  worst entry: d output {k} element {_index(r, out.shape)} / d input {i} element "
        f"{_index(c, inp.shape)}\n"
        f"    numerical:  {n!r}  (central differences, eps={eps:g})\n"
        f"    analytical: {a!r}  (backward pass)\n"
        f"    |difference| = {abs(a - n):.6g} exceeds the tolerance atol + rtol*|numerical| = "
        f"{atol:g} + {rtol:g}*{abs(n):.6g} = {atol + rtol * abs(n):.6g}\n"
        f"  {int(bad.sum())} of {bad.size} entries of this Jacobian disagree.\n"
        "  Either a backward rule on the way from input to output is wrong, or the function is "
        "not differentiable here (a kink of abs/relu/clamp or a tie of max/min within eps of "
        "the input): move the input away from the kink, or check the backward formula."
    )


def _fail(message: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradcheck(
    fn,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
) -> bool:
    """Check ``fn``'s backward pass against central differences, in float64.

    Every entry of the analytical Jacobian (one backward pass per output element) must agree
    with the numerical one, ``|analytical − numerical| ≤ atol + rtol·|numerical|``, as
    ``allclose`` has it. Float inputs are copied to float64 first (float32 central
    differences are too coarse to judge anything), so the caller's tensors are untouched.

    Args:
        fn: a function of ``inputs`` returning a Tensor or a (possibly nested) tuple of
            Tensors, numbered in flattened order; bool and integer outputs (such as the
            indices of ``max(dim)``) are skipped.
        inputs: a Tensor or a tuple of arguments; float tensors with ``requires_grad`` are
            checked, everything else is passed through.
        eps: the perturbation of the central differences.
        atol, rtol: the absolute and relative tolerance.
        raise_exception: raise ``GradcheckError`` on a mismatch (else return False).
        nondet_tol: how far two backward passes of the same function may differ (0: they
            must agree exactly).

    Returns:
        True when every Jacobian agrees.

    Raises:
        GradcheckError: naming the output, the input, the element, both numbers and the
            tolerance of the worst disagreement.

    Examples:
        >>> import backprop
        >>> x = backprop.randn(3, dtype=backprop.float64, requires_grad=True)
        >>> backprop.gradcheck(lambda x: (x * x).sum(), x)
        True
    """
    _check_eps(eps, "gradcheck")
    prepared, checked = _prepare(inputs)
    if not checked:
        raise ConfigError(
            "gradcheck: no input requires grad, so there is nothing to check. Pass at least "
            "one floating-point tensor with requires_grad=True."
        )
    ana, outs = _analytical(fn, prepared, checked)
    again, _ = _analytical(fn, prepared, checked)
    for k in _differentiable(outs):
        for i in checked:
            gap = float(np.max(np.abs(ana[k][i] - again[k][i]), initial=0.0))
            if not gap <= nondet_tol:
                return _fail(
                    f"gradcheck: backward is not reentrant: two backward passes for output {k} "
                    f"with respect to input {i} differ by {gap:.6g}, more than nondet_tol="
                    f"{nondet_tol:g}. A backward rule depends on state it changes (or on "
                    "randomness); make it a pure function of the saved values, or raise "
                    "nondet_tol.",
                    raise_exception,
                )
    num = _numerical(fn, prepared, checked, eps)
    for k in _differentiable(outs):
        for i in checked:
            message = _mismatch(k, i, outs[k], prepared[i], num[k][i], ana[k][i], eps, atol, rtol)
            if message is not None:
                return _fail(message, raise_exception)
    return True


# -- a whole model ------------------------------------------------------------------------
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
                f"reproduces the slide{eps_units(self.units)}"
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


# DESIGN.md spells the floor-4 checks ``backprop.gradcheck.<name>``; ``backprop.gradcheck`` is
# the function (as in PyTorch), so it carries the module's other public names too.
gradcheck.check_gradients = check_gradients
gradcheck.numerical_jacobian = numerical_jacobian
gradcheck.analytical_jacobian = analytical_jacobian
gradcheck.GradcheckError = GradcheckError
