"""A user mistake's traceback in a real Jupyter kernel (issue 17's third trial), by nbclient.

A ``ConfigError`` showed four or five of backprop's own frames before its message in
Jupyter. ``BackpropError._render_traceback_`` (``backprop._tracebacks``) shows the user's
frames, one line saying how many were left out, and the message; ``%xmode verbose`` shows
them all, and an exception that is not a ``BackpropError`` (a bug) keeps every frame. Marked
slow (tests/conftest.py): a kernel start, a few seconds.
"""

from __future__ import annotations

import re

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("anywidget")

MISTAKE = "from backprop.playground import widget\nwidget('circel')"  # misspelt
BUG = "import backprop._tracebacks as t\nt.inside(None)  # a bug inside backprop, not a mistake"


def errors(cells: list[str], tmp_path) -> list[str]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    shown = []
    for cell in nb.cells:
        tb = [o for o in cell.outputs if o.output_type == "error"]
        text = "\n".join(tb[0]["traceback"]) if tb else ""
        shown.append(re.sub(r"\x1b\[[0-9;]*m", "", text))
    return shown


def test_a_mistake_shows_the_users_frame_and_the_message_not_backprops(tmp_path):
    mistake, _, verbose, bug = errors([MISTAKE, "%xmode verbose", MISTAKE, BUG], tmp_path)
    assert "Did you mean 'circle'?" in mistake  # the message
    assert "widget('circel')" in mistake.split("ConfigError:")[0]  # the user's line
    assert "nbwidget_start.py" not in mistake and "backprop/playground" not in mistake, mistake
    assert re.search(r"\d frames? inside backprop not shown.*%xmode verbose", mistake)
    assert "nbwidget_start.py" in verbose  # asked for: every frame
    assert "_tracebacks.py" in bug and "AttributeError" in bug  # a bug keeps its frames
    assert "not shown" not in bug
