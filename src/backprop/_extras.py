"""How to install one of the project's optional extras, said for where the words are read.

One helper for every install line the library prints (matplotlib's ``plot``, the widget's
``notebook``, ``onnx``, ``web``, ``fast``, ``data`` …). A notebook cell runs in the
notebook's folder (``docs/notebooks``), where ``pip install ".[plot]"`` names no project and
fails; so when backprop is installed from a source folder (an editable clone) the line names
that folder, in a notebook's form (``%pip install -e "<folder>[plot]"``, which installs into
the kernel's own environment) and a terminal's. The notebook's form is said only inside a
kernel (``in_kernel``) or where the words are read in one (the widget, a plot's HTML view):
a terminal told "in a notebook cell: %pip …" reads a line that is not for it. Imports
nothing of the project: any floor may use it.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["in_kernel", "install_hint", "project_folder"]


def project_folder() -> Path | None:
    """The source folder backprop was installed from (it has pyproject.toml), else None."""
    root = Path(__file__).resolve().parents[2]  # src/backprop/_extras.py → the project
    return root if (root / "pyproject.toml").is_file() else None


def in_kernel() -> bool:
    """True inside a Jupyter kernel (IPython's shell has a kernel), where ``%pip`` works."""
    ipython = sys.modules.get("IPython")
    if ipython is None:  # never imported: not a kernel (and no import to find out)
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # an IPython too old or half-imported: say the terminal's line
        return False
    return getattr(shell, "kernel", None) is not None


def install_hint(extra: str, notebook: bool | None = None) -> str:
    """The install line for ``extra``, as a notebook cell and as a terminal take it
    (``notebook=False``: the terminal's line alone, for a sentence of its own; None: 'in a
    terminal: …', and the notebook's form before it only ``in_kernel``).

    Examples:
        >>> from backprop._extras import install_hint
        >>> hint = install_hint("plot", notebook=True)
        >>> "%pip install" in hint and "[plot]" in hint and "terminal" in hint
        True
        >>> install_hint("web").startswith("in a terminal: pip install")  # not in a kernel
        True
        >>> install_hint("web", notebook=False).startswith("pip install")
        True
    """
    auto = notebook is None
    root = project_folder()
    if root is None:  # installed from a wheel or a copied folder: only its folder knows
        terminal = f'pip install ".[{extra}]" in the folder backprop was installed from'
        cell = f'%pip install "<that folder>[{extra}]"'
    else:
        terminal = f'pip install -e "{root}[{extra}]"'
        cell = f'%pip install -e "{root}[{extra}]"'
    if notebook is False:
        return terminal
    if auto and not in_kernel():
        return f"in a terminal: {terminal}"
    return f"in a notebook cell: {cell}; in a terminal: {terminal}"
