"""``fit``'s progress bar in a real Jupyter kernel (issue 17's trial), run by nbclient.

The cell that trains must hold one output — the bar, an HTML line with its text twin,
updated in place to the last epoch — and nothing else: no widget view with blank lines
around it (rich's Jupyter bar drew through an ipywidgets ``Output``), no stderr, and, with
ipywidgets missing (no ``notebook`` extra), no rich warning 'install "ipywidgets"'. Marked
slow (tests/conftest.py): a kernel start each, a few seconds.
"""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

FIT = """\
import backprop as bp
from backprop import nn, optim
bp.manual_seed(0)
model = nn.MLP([1, 3, 1])
x = bp.randn(16, 1)
h = bp.fit(model, (x, x), nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), epochs=40)
"""
NO_WIDGETS = "import sys\nsys.modules['ipywidgets'] = None  # as without the notebook extra"


def run_cells(cells: list[str], tmp_path) -> list:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    return nb.cells


@pytest.mark.parametrize("ipywidgets", [True, False], ids=["with-ipywidgets", "without"])
def test_fit_in_a_kernel_shows_one_bar_and_nothing_else(ipywidgets, tmp_path):
    if ipywidgets:
        pytest.importorskip("ipywidgets")
    cells = run_cells([FIT] if ipywidgets else [NO_WIDGETS, FIT], tmp_path)
    outputs = cells[-1].outputs
    kinds = [(o.output_type, sorted(o.get("data", {}))) for o in outputs]
    assert kinds == [("display_data", ["text/html", "text/plain"])], outputs
    data = outputs[0]["data"]
    assert "40/40 epochs" in data["text/plain"] and "loss " in data["text/plain"]
    assert '<progress value="40" max="40"' in data["text/html"]
    assert "ipywidgets" not in str(outputs)
