"""The fifth Jupyter student's items 2 and 6 (issue 17), in a real kernel (nbclient): a
notebook run out of order names the cell that defines a missing name, and backprop's
warnings print as one line without the kernel's temporary file.

Each notebook is copied to a temporary folder and the kernel is told its path as Jupyter
tells it (``JPY_SESSION_NAME``, ipykernel's ``__session__``); the cells are then run out
of order, as a student does after a kernel restart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "docs" / "notebooks"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _execute(cells, folder: Path, notebook: Path | None, monkeypatch):
    """Run ``cells`` (sources) in one fresh kernel whose notebook is ``notebook``; the cells'
    outputs as plain text (errors: ename, evalue, traceback), one string per cell."""
    if notebook is None:
        monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    else:
        monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    shown = []
    for cell in nb.cells:
        parts = []
        for out in cell.outputs:
            if out.output_type == "error":
                parts += [f"ERROR {out.ename}: {out.evalue}", *out.traceback]
            elif out.output_type == "stream":
                parts.append(f"{out.name.upper()} {out.text}")
        shown.append(ANSI.sub("", "\n".join(parts)))
    return shown


def _copy(name: str, folder: Path, edit=None) -> tuple[Path, list[str]]:
    nb = nbformat.read(NOTEBOOKS / name, 4)
    if edit:
        edit(nb)
    path = folder / name
    nbformat.write(nb, path)
    return path, [c.source for c in nb.cells if c.cell_type == "code"]


def _number(path: Path, index: int) -> int:
    """Code cell ``index``'s number as JupyterLab's status bar shows it (every cell, from 1)."""
    cells = nbformat.read(path, 4).cells
    return [i for i, c in enumerate(cells, start=1) if c.cell_type == "code"][index]


def test_a_cell_run_after_a_restart_names_the_cell_that_defines_the_missing_name(
    tmp_path, monkeypatch
):
    path, code = _copy("07_square_run.ipynb", tmp_path)
    # the student's case: after a restart, the imports, then the training loop (code cell 5)
    loop = next(i for i, s in enumerate(code) if "for epoch in range(n_epoch)" in s)
    adam = next(i for i, s in enumerate(code) if re.search(r"^adam = ", s, re.M))
    imports, other = code[0], "1 / 0"
    forget = "globals().pop('__session__', None)\nimport os\nos.environ.pop('JPY_SESSION_NAME')"
    model = next(i for i, s in enumerate(code) if re.search(r"^model = ", s, re.M))
    again = [code[model - 1], code[model], "%reset -f", imports, code[adam]]  # ran fine, reset
    cells = [imports, code[loop], other, "not_a_name_anywhere", *again, forget, code[loop]]
    shown = _execute(cells, tmp_path, path, monkeypatch)
    out = shown[1]
    assert "ERROR NameError: name 'adam' is not defined" in out  # the original error, kept
    assert "NameError                                 Traceback" in out  # IPython's own
    hint = out.splitlines()[-1]
    assert hint.startswith(f"'adam' is defined in cell {_number(path, adam)} of 07_square_run")
    assert ": 'adam = optim.Adam(" in hint  # the line that binds it
    assert hint.endswith("run the cells above this one first (Run ▸ Run All Above Selected Cell)")
    # other exceptions, and a name no cell defines, are as IPython shows them: no line added
    assert "ZeroDivisionError" in shown[2] and "is defined in" not in shown[2]
    assert shown[3].splitlines()[-1] == "NameError: name 'not_a_name_anywhere' is not defined"
    # a cell that ran without error before %reset is not called failed: run the cells above
    assert "ERROR NameError: name 'model' is not defined" in shown[8]
    assert (
        shown[8].splitlines()[-1].startswith(f"'model' is defined in cell {_number(path, model)}")
    )
    assert shown[8].endswith(
        "run the cells above this one first (Run ▸ Run All Above Selected Cell)"
    )
    # when the notebook's file is not known, the NameError is as before
    assert shown[10].splitlines()[-1] == "NameError: name 'adam' is not defined"


def test_a_cell_that_failed_before_defining_a_name_is_named_as_the_one_to_fix(
    tmp_path, monkeypatch
):
    def no_seeds(nb):
        for cell in nb.cells:
            cell.source = cell.source.replace("SEEDS = range(8)  #", "SEEDS = []  #")

    path, code = _copy("08_abs_by_hand_and_trained.ipynb", tmp_path, no_seeds)
    trained = next(i for i, s in enumerate(code) if "SEEDS = []" in s)
    after = trained + 1  # best_seed = min(results, ...)
    shown = _execute([code[0], code[trained], code[after]], tmp_path, path, monkeypatch)
    assert "ERROR ValueError: SEEDS = []" in shown[1]
    hint = shown[2].splitlines()[-1]
    assert "ERROR NameError: name 'results' is not defined" in shown[2]
    assert hint.startswith(f"'results' is defined in cell {_number(path, trained)} of 08_abs")
    assert "ran in this kernel but stopped with an error before defining it" in hint


WARN = """import warnings
import backprop
run = backprop.run({"data": "square", "epochs": 3}, verbose=False)
warnings.warn("someone else's", UserWarning)
"""


def test_backprop_warnings_in_a_notebook_are_one_line_without_the_kernel_temp_path(
    tmp_path, monkeypatch
):
    shown = _execute([WARN], tmp_path, None, monkeypatch)[0]
    lines = [line for line in shown.splitlines() if "PoorFitWarning" in line]
    assert lines and lines[0].startswith("STDERR PoorFitWarning: the trained model does worse")
    assert not re.search(r"\.py:3:", shown)  # was /tmp/ipykernel_…/….py:3: PoorFitWarning
    assert "run = backprop.run(" not in shown  # the source line is gone too
    # other warnings keep Python's format (file:line, then the source line)
    assert re.search(r"\.py:4: UserWarning: someone else's", shown)
