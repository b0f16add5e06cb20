"""The lecture as notebooks (docs/notebooks/): each one runs top to bottom in a fresh kernel.

Every notebook checks the lecture's numbers in its own cells (w2.grad = 0.5, the ε = 0.001
central differences 0.0 and 0.5, max σ' = 0.25, |x − 1| exact from two ReLUs, the δ recursion
against autograd and central differences, …): a number that drifts raises in its cell, and
nbclient turns that into a failure here that names the notebook, the cell and the error. The
notebooks are stored without outputs (docs/notebooks/README.md says why), which is checked too.
Marked slow (conftest.SLOW): the nine take about 33 s together on the 2-core machine (09,
the playground widget, about 3 s).
"""

import json
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "docs" / "notebooks"
PARTS = [
    "01_forward_propagation",
    "02_scalar_and_vector_backprop",
    "03_general_recursion_hadamard",
    "04_gradient_descent_and_activations",
    "05_vanishing_gradients",
    "06_tensors_and_autograd",
    "07_square_run",
    "08_abs_by_hand_and_trained",
    "09_playground_widget",
]


def test_one_notebook_per_part_of_the_lecture():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == PARTS


@pytest.mark.parametrize("name", PARTS)
def test_stored_without_outputs(name):
    cells = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code, name
    stored = [i for i, c in enumerate(code) if c["outputs"] or c["execution_count"] is not None]
    assert not stored, f"{name}: code cells {stored} carry outputs; clear them before committing"


@pytest.mark.parametrize("name", PARTS)
def test_notebook_runs_and_its_numbers_hold(name, tmp_path):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # the traceback without its colours
        pytest.fail(f"{name}: a cell failed\n{plain}", pytrace=False)
    text = "\n".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "stream"
    )
    # each notebook states numbers and checks them where the student reads them
    assert "✗" not in text, f"{name}: a check printed ✗\n{text}"
    assert "✓" in text or "assert" in "".join(c.source for c in nb.cells), name


def run_08_with_seeds(seeds: str, tmp_path):
    """Notebook 08 with the seeds a student typed in place of ``range(8)``."""
    nb = nbformat.read(NOTEBOOKS / "08_abs_by_hand_and_trained.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "range(8)" in c.source)
    cell.source = cell.source.replace("range(8)", seeds, 1)
    client = nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    return nb


@pytest.mark.parametrize("seeds", ["range(2)", "[0]", "range(3)"])
def test_08_runs_to_the_end_with_any_seed_count(seeds, tmp_path):
    # a student's edit of the seed count: seeds 0 and 1 both end in a dead or doubled ReLU,
    # which stopped the cell (and then the plot's cell with an IndexError)
    nb = run_08_with_seeds(seeds, tmp_path)
    last = nb.cells[-1]
    text = "".join(o.get("text", "") for o in last.outputs if o.output_type == "stream")
    assert "did not find the V" in text or "found the V" in text, text
    assert any("image/png" in o.get("data", {}) for o in last.outputs)


def test_08_refuses_no_seeds_in_words(tmp_path):
    with pytest.raises(nbclient.exceptions.CellExecutionError) as error:
        run_08_with_seeds("range(0)", tmp_path)
    assert "SEEDS = range(0, 0): give the seeds to try, at least one" in str(error.value)
