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

import numpy as np

from .autograd import Tensor, grad
from .errors import ConfigError, GradcheckError

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


# a whole model, one row per parameter: checks_model (re-exported here, as before)
from .checks_model import (  # noqa: E402, F401 - LECTURE_EPS, KINK_EPS: checks' names, as before
    KINK_EPS,
    LECTURE_EPS,
    GradientCheckResult,
    ParameterCheck,
    check_gradients,
)

# DESIGN.md spells the floor-4 checks ``backprop.gradcheck.<name>``; ``backprop.gradcheck`` is
# the function (as in PyTorch), so it carries the module's other public names too.
gradcheck.check_gradients = check_gradients
gradcheck.numerical_jacobian = numerical_jacobian
gradcheck.analytical_jacobian = analytical_jacobian
gradcheck.GradcheckError = GradcheckError
