"""Floor 3: the lecture's backpropagation — the explicit δ recursion over an MLP.

``backward(model, x, y, loss)`` computes every gradient by δ[l] = g'(f[l]) ∘ (W[l+1] δ[l+1])
and ∂E/∂W[l] = a[l−1] δ[l]ᵀ, without the autograd tape, and writes them into the
Parameters' ``.grad``; ``trace`` shows every intermediate in the lecture's notation. The
engine equals autograd (tested to 1e-12 in float64) and is the training loop's fast path.
"""

from .._lazy import lazy

# name -> the module that holds it, imported on first use (``trace`` only for ``explain``)
__getattr__, __dir__ = lazy(
    __name__,
    {
        **dict.fromkeys(
            ("Cache", "Gradients", "backward", "compute", "forward"),
            ".engine",
        ),
        **dict.fromkeys(("Plan", "flatten_parameters"), ".plan"),
        **dict.fromkeys(("DeltaEngineError", "Layer", "layers"), ".network"),
        **dict.fromkeys(("LayerTrace", "Trace", "trace"), ".trace"),
    },
    globals(),
)

__all__ = [
    "Cache",
    "DeltaEngineError",
    "Gradients",
    "Layer",
    "LayerTrace",
    "Plan",
    "Trace",
    "backward",
    "compute",
    "flatten_parameters",
    "forward",
    "layers",
    "trace",
]
