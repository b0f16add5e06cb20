"""The fifth Jupyter student's findings (issue 17): an empty run's bar, chained tracebacks,
the widget's spec after a mid-run change, and which numbers the run display took when."""

from __future__ import annotations

import backprop
from backprop.display.progress import bar_bundle


def test_zero_epochs_bar_shows_nothing_done_in_the_notebook_text():
    bundle = bar_bundle(0, 0, None, 0.0)
    assert "0/0 epochs" in bundle["text/plain"]
    assert "#" not in bundle["text/plain"]  # was drawn full: 30 of 30 marks
    assert 'value="0"' in bundle["text/html"]


def test_zero_epochs_bar_on_a_terminal_is_not_full(capsys):
    spec = backprop.spec.builtin("square")
    spec["epochs"] = 0
    backprop.run(spec, verbose=True)
    err = capsys.readouterr().err
    assert "0/0 epochs" in err
    assert "\u2501" not in err  # rich drew a 0-of-0 task as finished: a full bar


MISSING_MATPLOTLIB = """
import sys
sys.modules["matplotlib"] = None  # as if not installed: the import raises ModuleNotFoundError
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
cell = "from backprop import nn, plots\\nfig = plots.network_diagram(nn.MLP([2, 2, 1]))"
shell.run_cell(cell)
print("KEPT", type(sys.last_value.__cause__).__name__)
shell.run_cell("%xmode verbose")
shell.run_cell(cell)
"""


def test_an_error_raised_from_an_import_error_hides_the_chain_in_ipython():
    import re
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", MISSING_MATPLOTLIB], capture_output=True, text=True, timeout=300
    )
    out = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)
    short, _, verbose = out.partition("KEPT")
    assert "PlotDependencyError: backprop.plots needs matplotlib" in short, out
    assert "plots/_base.py" not in short and "ModuleNotFoundError" not in short.split("(")[0]
    assert "direct cause" not in short  # the chain was shown, backprop's import frame in it
    assert re.search(r"inside backprop and the ModuleNotFoundError .* not shown", short)
    assert verbose.startswith(" ModuleNotFoundError")  # only the display was shortened
    assert "direct cause" in verbose and "plots/_base.py" in verbose  # %xmode verbose: all


def _params(model):
    import numpy as np

    return np.concatenate([np.asarray(p.data).ravel() for p in model.parameters()])


def test_widget_spec_warns_when_a_mid_run_change_means_run_will_not_end_at_the_model():
    import numpy as np
    import pytest

    pytest.importorskip("anywidget")
    from backprop.errors import BackpropWarning
    from backprop.playground import widget

    straight = widget(dataset="spiral", hidden=[8, 8], seed=4).train(epochs=7)
    with warnings_as_list() as got:
        spec = straight.spec
    assert got == []  # trained with one setting throughout: the spec is the run
    np.testing.assert_array_equal(_params(straight.model), _params(backprop.run(spec).model))

    w = widget(dataset="spiral", hidden=[8, 8], seed=4).train(epochs=5)
    w.set(lr=0.3)
    w.train(epochs=2)
    with pytest.warns(BackpropWarning, match=r"will not end at w\.model.*learning-rate"):
        spec = w.spec
    assert not np.allclose(_params(w.model), _params(backprop.run(spec).model))  # as it says
    w0 = widget(dataset="spiral", hidden=[8, 8], seed=4)
    spec["epochs"] = 0  # what it still reproduces: the data and the seed's start weights
    np.testing.assert_array_equal(_params(w0.model), _params(backprop.run(spec).model))


def warnings_as_list():
    import contextlib
    import warnings

    @contextlib.contextmanager
    def caught():
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            yield got

    return caught()


def test_run_display_says_loss_and_rmse_are_taken_at_two_moments_and_they_are():
    import warnings

    import numpy as np

    spec = backprop.spec.builtin("square")  # one full batch: one update an epoch
    spec["epochs"] = 200
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # still learning at 200 epochs: PoorFitWarning
        run = backprop.run(spec)
        spec["epochs"] = 199
        before_last = backprop.run(spec)  # the weights the 200th epoch began with
    html = run._repr_html_()
    assert "loss: during the epoch, each batch before its update" in html
    assert "rmse, r2: after the epoch's updates, at the weights it ended with" in html
    x, y = run.dataset.x.astype(np.float32), run.dataset.y

    def mse(r):
        out = np.asarray(r.net(backprop.tensor(x)).detach().numpy(), dtype=np.float64)
        return float(np.mean((out - y) ** 2))

    # what the caption says, by a NumPy mean over the network's outputs at each moment
    np.testing.assert_allclose(run.history.last("rmse"), mse(run) ** 0.5, rtol=1e-5)
    np.testing.assert_allclose(run.history.last("loss"), mse(before_last), rtol=1e-5)
    assert abs(run.history.last("loss") - mse(run)) > 1e-3  # not the final weights' loss
