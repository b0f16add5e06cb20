"""What ``import backprop`` adds to an IPython kernel: a cell hint for a NameError and one
readable line for the project's warnings.

A notebook is run out of order all the time: after a kernel restart a student runs the cell
they are reading, and Python says ``NameError: name 'trained' is not defined`` and nothing
more. Installed once when backprop is imported inside IPython (``install``):

- **NameError** (IPython's ``set_custom_exc`` for ``NameError`` only): the traceback is
  IPython's own, unchanged, with one line added under it naming the cell of *this* notebook
  that defines the missing name — ``'trained' is defined in cell 9 of 07_square_run.ipynb
  (every cell counted, as JupyterLab's 'Cell 9/19'): 'trained = bp.run(…)'; run the cells
  above this one first (Run ▸ Run All Above Selected Cell)`` — or, when that cell's last run
  in this kernel raised (a ``post_run_cell`` event records each cell's outcome), that it
  stopped with an error, or was interrupted (nothing to fix: run it again). The
  notebook is the file the kernel belongs to (ipykernel's ``__session__``, from
  ``JPY_SESSION_NAME``; VS Code's ``__vsc_ipynb_file__``); its code cells are read with
  ``ast`` for names they bind at top level (assignments, ``def``/``class``, imports, ``for``
  and ``with`` targets, ``:=``). The line is added only when the name was looked up in the
  notebook's own namespace and some cell binds it; when the notebook cannot be found or
  read, or anything here fails, the traceback is IPython's as before. Other exceptions
  never reach this code. An existing custom handler of another tool is left in place
  (nothing installed).
- **Warnings**: a ``BackpropWarning`` (``PoorFitWarning``, ``StepUnitWarning``, …) prints as
  ``PoorFitWarning: …`` — without the kernel's temporary file name
  (``/tmp/ipykernel_10220/3842576098.py:2:``) and the source line, which mean nothing to a
  student. Other warnings, and every warning outside IPython (scripts keep ``file:line``:
  their files are real), print as Python formats them.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import warnings

RUN_ABOVE = "Run ▸ Run All Above Selected Cell"
NOTEBOOK_NAMES = ("__session__", "__vsc_ipynb_file__")


def install() -> None:
    """Add both hooks to the running IPython shell (nothing when there is none; once)."""
    shell = _shell()
    if shell is None:
        return
    _install_warnings()
    custom = tuple(getattr(shell, "custom_exceptions", ()) or ())
    if getattr(shell, "_backprop_name_hint", False) or custom:
        return  # ours already, or another tool's handler: leave it
    shell.set_custom_exc((NameError,), _name_error)
    shell._backprop_name_hint = True
    shell._backprop_failed = {}  # cell source -> whether its last run raised
    shell.events.register("post_run_cell", lambda result: _record(shell, result))


def _record(shell, result) -> None:
    """Remember whether each cell's last run raised (a cell that stopped before defining a
    name is named as the one to fix)."""
    try:
        failed = shell._backprop_failed
        source = _norm(getattr(result.info, "raw_cell", ""))
        error = result.error_in_exec or result.error_before_exec
        # "interrupted" (Ctrl-C, Kernel ▸ Interrupt: nothing to fix), True (an error), False
        failed[source] = "interrupted" if isinstance(error, KeyboardInterrupt) else bool(error)
        while len(failed) > 1000:  # a long session: forget the oldest
            failed.pop(next(iter(failed)))
    except Exception:
        pass


def _shell():
    if "IPython" not in sys.modules:
        return None
    try:
        from IPython import get_ipython

        return get_ipython()
    except Exception:
        return None


# -- warnings --------------------------------------------------------------------------------


def _install_warnings() -> None:
    previous = warnings.formatwarning
    if getattr(previous, "_backprop", False):
        return
    from ..errors import BackpropWarning

    def formatwarning(message, category, filename, lineno, line=None):
        if isinstance(category, type) and issubclass(category, BackpropWarning):
            return f"{category.__name__}: {message}\n"
        return previous(message, category, filename, lineno, line)

    formatwarning._backprop = True
    warnings.formatwarning = formatwarning


# -- NameError -------------------------------------------------------------------------------


def _name_error(shell, etype, value, tb, tb_offset=None):
    """IPython's traceback of the NameError, plus the hint line when there is one."""
    try:
        hint = name_hint(shell, value, tb)
    except Exception:
        hint = None
    if hint:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
        value._render_traceback_ = lambda: [*stb, hint]  # showtraceback asks for it
    try:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    finally:
        if hint:
            del value._render_traceback_
    return None


def name_hint(shell, error: BaseException, tb) -> str | None:
    """The line naming the cell that defines the missing name, or None."""
    name = getattr(error, "name", None)
    if not name or isinstance(error, UnboundLocalError) or not _in_user_namespace(shell, tb):
        return None
    path = notebook_path(shell.user_ns)
    if path is None:
        return None
    cells, binds = _read(path)
    defining = [i for i, names in enumerate(binds) if name in names]
    if not defining:
        return None
    history = shell.user_ns.get("In", [])
    current = _norm(history[-1]) if history else ""
    here = [i for i, source in enumerate(cells) if _norm(source) == current]
    defining = [i for i in defining if i not in here]
    if not defining:
        return None
    where = here[-1] if here else None
    above = [i for i in defining if where is None or i < where]
    cell = above[-1] if above else defining[0]
    number, total = cell_number(path, cell)
    said = (  # numbered as JupyterLab's status bar numbers cells ("Cell 7/19"), markdown too
        f"'{name}' is defined in cell {number} of {os.path.basename(path)} (every cell "
        f"counted, as JupyterLab's 'Cell {number}/{total}'): "
        f"{_line(cells[cell], binds[cell][name])!r}"
    )
    failed = getattr(shell, "_backprop_failed", {}).get(_norm(cells[cell]))
    if failed == "interrupted":
        return (
            f"{said}, which ran in this kernel but was interrupted before defining it: "
            "run that cell again to let it finish"
        )
    if failed:
        return (
            f"{said}, which ran in this kernel but stopped with an error before defining it: "
            "fix that error and run that cell again"
        )
    if above:
        return f"{said}; run the cells above this one first ({RUN_ABOVE})"
    return f"{said}, below this one; run that cell first"


def _in_user_namespace(shell, tb) -> bool:
    """Whether the failed lookup was of the notebook's own globals (not inside a library)."""
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_globals is shell.user_ns


def notebook_path(namespace: dict) -> str | None:
    """The .ipynb file this kernel runs, if it can be found."""
    named = [namespace.get(key) for key in NOTEBOOK_NAMES]
    for path in [*named, os.environ.get("JPY_SESSION_NAME")]:
        if not isinstance(path, str) or not path.endswith(".ipynb"):
            continue
        for candidate in (path, os.path.join(os.getcwd(), os.path.basename(path))):
            if os.path.isfile(candidate):
                return candidate
    return None


_READ: dict = {}  # path -> ((mtime, size), cells, names bound): read again when saved


def _read(path: str) -> tuple[list[str], list[dict[str, int]]]:
    """The notebook's code cells and the names each binds, parsed once per saved version."""
    stat = os.stat(path)
    key = (stat.st_mtime_ns, stat.st_size)
    kept = _READ.get(path)
    if kept is None or kept[0] != key:
        cells, numbers, total = _code_cells(path)
        binds = [bound_names(source) for source in cells]
        kept = _READ[path] = (key, cells, binds, numbers, total)
    return kept[1], kept[2]


def cell_number(path: str, index: int) -> tuple[int, int]:
    """(the number JupyterLab's status bar shows for code cell ``index`` — every cell
    counted, markdown too, from 1 —, the number of cells), from the last ``_read``."""
    kept = _READ[path]
    return kept[3][index], kept[4]


def code_cells(path: str) -> list[str]:
    """The sources of the notebook's code cells, in order (saved version on disk)."""
    return _code_cells(path)[0]


def _code_cells(path: str) -> tuple[list[str], list[int], int]:
    """The code cells' sources, each one's number among all cells (1-based), all cells."""
    with open(path, encoding="utf-8") as handle:
        notebook = json.load(handle)
    cells, numbers = [], []
    everything = notebook.get("cells", [])
    for number, cell in enumerate(everything, start=1):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            cells.append("".join(source) if isinstance(source, list) else str(source))
            numbers.append(number)
    return cells, numbers, len(everything)


def bound_names(source: str) -> dict[str, int]:
    """Names a cell binds in the notebook's namespace (its top level, not inside functions),
    each with the line (1-based) of the statement that first binds it."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return {}
    names: dict[str, int] = {}
    _collect(tree.body, names)
    return names


def _collect(statements, names: dict[str, int]) -> None:
    for node in statements:
        bound = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.setdefault(node.name, node.lineno)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    names.setdefault(alias.asname or alias.name.split(".")[0], node.lineno)
            continue
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
            targets = [node.target]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [item.optional_vars for item in node.items if item.optional_vars]
        for target in targets:
            bound += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
        walrus = (n.target for n in ast.walk(node) if isinstance(n, ast.NamedExpr))
        bound += [t.id for t in walrus if isinstance(t, ast.Name)]
        for name in bound:
            names.setdefault(name, node.lineno)
        for field in ("body", "orelse", "finalbody"):  # if/for/while/with/try blocks
            _collect(getattr(node, field, []) or [], names)
        for handler in getattr(node, "handlers", []) or []:
            _collect(handler.body, names)


def _python(source: str) -> str:
    """The cell as Python (IPython's own transform of %magics and !commands)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        lines = source.splitlines()
        return "\n".join("" if line.lstrip()[:1] in "%!" else line for line in lines)


def _norm(source) -> str:
    return str(source).strip()


def _line(source: str, number: int) -> str:
    """Line ``number`` of the cell (where the name is bound), shortened to 48 characters."""
    lines = source.splitlines()
    text = lines[number - 1].strip() if 0 < number <= len(lines) else source.strip()
    return text if len(text) <= 48 else text[:47] + "…"
