"""Rich displays for notebooks (floor 5–6, beside ``backprop.plots``): what the lecture's
objects show in Jupyter, VS Code and marimo.

The objects expose IPython's display methods — ``Trace._repr_mimebundle_`` (the lecture's
equations as LaTeX and as HTML), ``_repr_html_`` on ``Tensor``/``Parameter``,
``Sequential``/``MLP``, ``History``, the ``Run``, ``GradientCheckResult`` and
``VanishingResult`` — and each delegates here, imported only when a front end asks. Their
plain ``repr`` stays a short line. ``progress`` holds the notebook progress bar of
``fit``/``run``. Nothing here computes: values come from the objects, pictures from
``backprop.plots``.
"""

from .objects import (
    gradcheck_html,
    history_html,
    model_html,
    run_html,
    tensor_html,
    vanishing_html,
)
from .trace import mimebundle as trace_mimebundle
from .trace import to_html as trace_html
from .trace import to_latex as trace_latex

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
