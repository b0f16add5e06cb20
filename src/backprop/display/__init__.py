"""Rich displays for notebooks (beside ``backprop.plots``): what the lecture's
objects show in Jupyter, VS Code and marimo.

The objects expose IPython's display methods — ``Trace._repr_mimebundle_`` (the lecture's
equations as LaTeX and as HTML), ``_repr_html_`` on ``Tensor``/``Parameter``,
``Sequential``/``MLP``, ``History``, the ``Run``, ``GradientCheckResult`` and
``VanishingResult`` — and each delegates here, imported only when a front end asks. Their
plain ``repr`` stays a short line. ``progress`` holds the notebook progress bar of
``fit``/``run``. Nothing here computes: values come from the objects, pictures from
``backprop.plots``. Each module is imported on first use (``fit`` loads only ``progress``).
"""

from .._lazy import lazy

__getattr__, __dir__ = lazy(
    __name__,
    {
        "gradcheck_html": ".objects",
        "history_html": ".objects",
        "model_html": ".objects",
        "run_html": ".objects",
        "tensor_html": ".objects",
        "vanishing_html": ".objects",
        "trace_html": (".trace", "to_html"),
        "trace_latex": (".trace", "to_latex"),
        "trace_mimebundle": (".trace", "mimebundle"),
    },
    globals(),
)

__all__ = [
    "gradcheck_html",
    "history_html",
    "model_html",
    "run_html",
    "tensor_html",
    "trace_html",
    "trace_latex",
    "trace_mimebundle",
    "vanishing_html",
]
