"""How to install one of the project's optional extras, said for where the words are read.

One helper for every install line the library prints (matplotlib's ``plot``, the widget's
``notebook``, ``onnx``, ``web``, ``fast``, ``data`` …). A notebook cell runs in the
notebook's folder (``docs/notebooks``), where ``pip install ".[plot]"`` names no project and
fails; so when backprop is installed from a source folder (an editable clone) the line names
that folder, in a notebook's form (``%pip install -e "<folder>[plot]"``, which installs into
the kernel's own environment) and a terminal's. Imports nothing of the project: any floor
may use it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["install_hint", "project_folder"]


def project_folder() -> Path | None:
    """The source folder backprop was installed from (it has pyproject.toml), else None."""
    root = Path(__file__).resolve().parents[2]  # src/backprop/_extras.py → the project
    return root if (root / "pyproject.toml").is_file() else None


def install_hint(extra: str, notebook: bool = True) -> str:
    """The install line for ``extra``, as a notebook cell and as a terminal take it
    (``notebook=False``: the terminal's only, for the command line's messages).

    Examples:
        >>> from backprop._extras import install_hint
        >>> hint = install_hint("plot")
        >>> "%pip install" in hint and "[plot]" in hint and "terminal" in hint
        True
        >>> install_hint("web", notebook=False).startswith("pip install")
        True
    """
    root = project_folder()
    if root is None:  # installed from a wheel or a copied folder: only its folder knows
        terminal = f'pip install ".[{extra}]" in the folder backprop was installed from'
        cell = f'%pip install "<that folder>[{extra}]"'
    else:
        terminal = f'pip install -e "{root}[{extra}]"'
        cell = f'%pip install -e "{root}[{extra}]"'
    if not notebook:
        return terminal
    return f"in a notebook cell: {cell}; in a terminal: {terminal}"
