"""Readable PNG pictures of what the library computes, for the CLI, the playground's export,
notebooks and lecture slides: loss curves, a 1-D fit against the truth with the ReLU kinks,
a 2-D decision boundary in TensorFlow Playground's colours, a classifier's confusion matrix
and misclassified images, the vanishing-gradient experiment, a trace's δ[l] and ∂E/∂W[l]
per layer and a network diagram in the lecture's W[l] orientation. Each function takes
plain data (a History or dict of lists, a model and arrays, a ``VanishingResult``), draws
one figure on a matplotlib ``Figure`` with the Agg canvas — no pyplot, no change to
matplotlib's global state — and, given a path, writes it atomically and returns the path;
without one it returns the Figure, which a notebook shows inline
(``_figure.NotebookFigure``). It is a face, not an engine: it computes nothing a picture
does not need (model outputs come from the model, norms from the result) and prints
nothing. matplotlib is an optional extra (``pip install ".[plot]"``), imported on first
use, so ``import backprop.plots`` works without it.
"""

from ._base import PlotDependencyError
from .boundary import decision_boundary
from .classes import confusion_matrix, misclassified
from .diagram import network_diagram
from .fit import fit_1d
from .trace import trace_norms
from .training import loss_curves
from .vanishing import gradient_norms

__all__ = [
    "PlotDependencyError",
    "confusion_matrix",
    "decision_boundary",
    "fit_1d",
    "gradient_norms",
    "loss_curves",
    "misclassified",
    "network_diagram",
    "trace_norms",
]
