"""``sweep``'s progress bar in a real Jupyter kernel (issue 17's third trial), by nbclient.

A 40-trial sweep in a notebook printed nothing for 37 s (fit and run showed a bar), and
``progress=True`` raised "'bool' object is not callable". With the default
``progress="auto"`` the sweep's cell holds the bar over the trials — one HTML line with its
text twin, updated in place to the last trial — before the table. Marked slow
(tests/conftest.py): a kernel start, a few seconds.
"""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

SWEEP = """\
import backprop
square = {"data": {"name": "square", "n": 30}, "model": {"hidden": [4]},
          "optimizer": {"name": "adam", "lr": 0.1}, "epochs": 30}
table = backprop.sweep(square, {"model.hidden": [[2], [4]]}, seeds=3, workers=1)
print(len(list(table)), "configurations")
"""


def run_cells(cells: list[str], tmp_path) -> list:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    return nb.cells


def test_a_sweep_in_a_kernel_shows_a_bar_over_its_trials(tmp_path):
    outputs = run_cells([SWEEP], tmp_path)[0].outputs
    bars = [o for o in outputs if o.output_type == "display_data"]
    assert len(bars) == 1, outputs  # one output, updated in place
    data = bars[0]["data"]
    assert "6/6 trials" in data["text/plain"] and "last: model.hidden=4" in data["text/plain"]
    assert '<progress value="6" max="6"' in data["text/html"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "2 configurations" in printed


def test_progress_false_in_a_kernel_shows_nothing(tmp_path):
    cell = SWEEP.replace("workers=1)", "workers=1, progress=False)")
    outputs = run_cells([cell], tmp_path)[0].outputs
    assert [o.output_type for o in outputs] == ["stream"], outputs


COMPARE = """\
import backprop
answer = backprop.compare("activations", seeds=2, epochs=30, workers=1, plots=False)
print(len(answer.rows), "configurations")
"""


def test_a_compare_in_a_kernel_shows_sweeps_bar_once_and_ends_at_every_trial(tmp_path):
    # compare had a notebook bar of its own (display.sweep.NotebookTrials, used when
    # progress=None): no last trial's configuration, another layout than sweep's and fit's
    outputs = run_cells([COMPARE], tmp_path)[0].outputs
    bars = [o for o in outputs if o.output_type == "display_data"]
    assert len(bars) == 1, outputs  # one output, updated in place
    data = bars[0]["data"]
    assert data["text/plain"].startswith("sweep [" + "#" * 30 + "]  16/16 trials"), data
    assert "last: model.hidden=8 model.activation=step" in data["text/plain"], data
    assert '<progress value="16" max="16"' in data["text/html"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "8 configurations" in printed


def test_compare_progress_none_in_a_kernel_shows_nothing_as_sweeps(tmp_path):
    cell = COMPARE.replace("plots=False)", "plots=False, progress=None)")
    outputs = run_cells([cell], tmp_path)[0].outputs
    assert [o.output_type for o in outputs] == ["stream"], outputs
