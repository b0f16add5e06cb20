"""The lecture's Caution in a gradient check: step units (floor 4, beside ``checks``).

A step unit (sgn: +1 if f > 0 else −1) has derivative 0 wherever it exists, so δ[l] of a step
layer is 0 and so is every gradient of W[1] … W[l] (and their biases): backprop says 0, and
that is the derivative. A central difference agrees (0 = 0) unless its step of ±ε moves some
f[l] across 0, where sgn jumps; then it measures the jump, (E(w + ε) − E(w − ε)) / 2ε, which
is no derivative at all and grows as ε shrinks towards the jump. So a check of a step network
"passes" at a small ε and "fails" at a large one, and neither says the step units can learn.
``step_layers`` finds the layers, ``step_lines`` says this under the check's table;
``units_of`` and ``eps_units`` end the check's note on ε for the units the model has (it said
"on a ReLU net" for a step model too).
"""

from __future__ import annotations

__all__ = ["eps_units", "step_layers", "step_lines", "units_of"]


def step_layers(model) -> tuple[int, ...]:
    """The lecture's numbers (1 … L) of the layers with step units; () for a model the δ
    engine does not read as an MLP, or one without step units."""
    from .delta.network import DeltaEngineError, layers

    try:
        net = layers(model)
    except DeltaEngineError:
        return ()
    return tuple(layer.index for layer in net if layer.g_name == "step")


def _listed(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def step_lines(found: tuple[int, ...], zeroed: list, eps: float) -> list[str]:
    """The Caution for step layers ``found``; ``zeroed`` holds the check's rows (lecture
    name, passed) of the parameters below the last step layer, whose gradients are 0."""
    top = max(found)
    which = ("layer " if len(found) == 1 else "layers ") + _listed([str(i) for i in found])
    names = _listed([name for name, _ in zeroed])
    lines = [
        f"Caution (the lecture's): {which} {'uses' if len(found) == 1 else 'use'} the step "
        f"function sgn, whose derivative is 0 wherever it exists, so δ[{top}] and backprop's "
        f"gradients of {names} are exactly 0: gradient descent cannot train them, whatever "
        "this check says (backprop needs differentiable units: sigmoid, tanh, ReLU)."
    ]
    failed = [name for name, passed in zeroed if not passed]
    if failed:
        lines.append(
            f"{_listed(failed)} failed at ε = {eps:g} because a step of ±{eps:g} moved some "
            f"f across 0, where sgn jumps: the central difference then measures the jump, not "
            "a slope (not a kink of a ReLU, and not an error in backprop); a smaller ε only "
            "hides the jump, it does not make the step units trainable."
        )
    else:
        lines.append(
            f"{names} passed because no step of ±{eps:g} crossed a jump, so both sides say 0: "
            "the check confirms backprop computes the derivative that exists, zero, not that "
            "these layers can learn."
        )
    return lines


_PIECEWISE_LINEAR = {"ReLU", "LeakyReLU", "Identity", "Hardtanh", "ReLU6", "PReLU"}


def units_of(model) -> tuple[str, ...]:
    """The model's activation modules by class name, in order, once each: its leaves that
    are neither Linear layers nor hold parameters of their own."""
    from .nn import Linear

    return tuple(
        dict.fromkeys(
            type(m).__name__
            for m in model.modules()
            if not isinstance(m, Linear)
            and not list(m.children())
            and not list(m.parameters(recurse=False))
        )
    )


def eps_units(units: tuple[str, ...] | None, eps: float = 1e-6, lecture: float = 1e-3) -> str:
    """The end of the ε note for this model's units (``None``: a model whose modules are not
    known), the check run at ``eps`` against the slide's ``lecture`` ε."""
    if units is None:
        return (
            ", and on piecewise-linear units such as ReLU (no curvature between kinks) it is "
            "more accurate unless a step crosses a kink"
        )
    if not units:
        return ", and on a model with no activation (linear in its weights) it is as accurate"
    names = ", ".join(units)
    if "Step" in units:
        return (
            f"; this model has step units ({names}): their slope is 0 wherever it exists, so "
            "no ε makes the difference below them meaningful (the step lines above)"
        )
    if set(units) <= _PIECEWISE_LINEAR:
        return (
            f", and on this model's {names} units (no curvature between kinks) it is more "
            "accurate unless a step crosses a kink"
        )

    def error(e: float) -> float:  # a central difference's error: truncation + rounding
        return e * e + 1e-16 / e

    better = "larger" if error(lecture) > error(eps) else "no smaller"
    return (
        f", but this model's {names} units are curved: at the slide's ε = {lecture:g} the "
        f"truncation error alone is about ε² = {lecture * lecture:.0e}, {better} than the "
        f"about {error(eps):.0e} (ε² + 1e-16/ε) at ε = {eps:g} used here"
    )
