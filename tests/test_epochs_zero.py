"""``epochs 0``: one rule for the library, a spec and the command line (issue 17).

One network may train 0 epochs everywhere: ``fit(epochs=0)``, a spec's ``"epochs": 0``
(``run``), ``backprop train --epochs 0`` and ``backprop demo --epochs 0`` keep the seed's
data and initial weights — the lecture's untrained network, saved to explain or trace. The
command line refused ``--epochs 0`` while a spec could say 0. A sweep or a comparison
compares what training does, so there 0 is refused in words (a sweep at 0 epochs trained
every trial and then called its own store "edited or damaged").
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import backprop
from backprop.errors import SpecError
from cli_helpers import one_line

SQUARE = {"data": {"name": "square", "n": 40}, "model": {"hidden": [4]}, "seed": 3}


def cli(*argv, cwd):
    """``cli_helpers.cli`` with argparse's refusals (SystemExit 2) as an exit code."""
    import contextlib
    import io
    import os

    from backprop.cli.app import main

    out, err, old = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in argv])
            except SystemExit as exc:
                code = exc.code
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def weights(model) -> list[np.ndarray]:
    return [np.array(p.data.numpy(), copy=True) for p in model.parameters()]


def initial(spec: dict) -> list[np.ndarray]:
    """The spec's network as built before any training (``spec.prepare``)."""
    return weights(backprop.spec.prepare(backprop.spec.normalize(spec)).model)


def test_train_epochs_0_saves_the_initial_weights_a_spec_with_epochs_0_runs_to(tmp_path):
    spec = {**SQUARE, "epochs": 500}
    (tmp_path / "s.json").write_text(json.dumps(spec))
    code, out, err = cli("train", "s.json", "--epochs", 0, "--out", "r", cwd=tmp_path)
    assert code == 0, err
    assert "not trained (epochs 0): the initial weights of seed 3" in out
    saved = weights(backprop.load(str(tmp_path / "r" / "model.safetensors")))
    assert json.loads((tmp_path / "r" / "spec.json").read_text())["epochs"] == 0
    start = initial({**spec, "epochs": 0})
    ran = weights(backprop.run({**spec, "epochs": 0}, verbose=False).model)
    assert len(saved) == len(start) == 4
    for a, b, c in zip(saved, start, ran):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    # not the weights a trained run ends on: the flag did keep the network untrained
    trained = weights(backprop.run({**spec, "epochs": 5}, verbose=False).model)
    assert not all(np.array_equal(a, b) for a, b in zip(saved, trained))


def test_the_untrained_network_is_explained(tmp_path):
    code, _, err = cli("train", "--data", "square", "--epochs", 0, "--out", "r", cwd=tmp_path)
    assert code == 0, err
    code, out, err = cli("explain", "r/model.safetensors", "--x", 0.5, "--y", 0.25, cwd=tmp_path)
    assert code == 0, err
    assert "forward pass" in out and "1-8-8-1 MLP" in out


def test_demo_epochs_0_shows_the_untrained_network(tmp_path):
    code, out, err = cli("demo", "--epochs", 0, "--no-plots", "--out", "d", cwd=tmp_path)
    assert code == 0, err
    assert "square: not trained (epochs 0)" in out


@pytest.mark.parametrize("command", ["train", "demo"])
def test_below_0_is_refused_in_one_line_naming_the_range(command, tmp_path):
    args = ("--data", "square") if command == "train" else ()
    code, _, err = cli(command, *args, "--epochs", -1, cwd=tmp_path)
    one_line(code, err, "--epochs", "between 0 and 10,000,000", "got -1", "initial weights")


def test_library_spec_and_cli_share_the_lower_bound():
    model = backprop.nn.MLP([1, 2, 1])
    before = weights(model)
    x = y = backprop.zeros(3, 1)
    adam = backprop.optim.Adam(model.parameters(), lr=0.1)
    history = backprop.fit(model, (x, y), backprop.nn.MSELoss(), adam, epochs=0, verbose=False)
    assert len(history) == 0
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))
    assert backprop.spec.normalize({**SQUARE, "epochs": 0})["epochs"] == 0
    with pytest.raises(SpecError, match="epochs"):
        backprop.spec.normalize({**SQUARE, "epochs": -1})


def test_a_sweep_at_0_epochs_is_refused_before_any_trial():
    base = {**SQUARE, "epochs": 0}
    with pytest.raises(SpecError, match=r"epochs must be at least 1 in a sweep, got 0"):
        backprop.sweep(base, {"model.hidden": [[2], [4]]}, seeds=2, workers=1)
    with pytest.raises(SpecError, match=r"sweep configuration epochs=0: .*train --epochs 0"):
        backprop.sweep({**base, "epochs": 5}, {"epochs": [0, 5]}, seeds=1, workers=1)


def test_the_sweep_command_says_it_too(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps({**SQUARE, "epochs": 0}))
    code, _, err = cli(
        "sweep", "s.json", "--grid", "model.hidden=2,4", "--workers", 1, cwd=tmp_path
    )
    one_line(code, err, "epochs must be at least 1 in a sweep, got 0", "backprop.run(spec)")


def test_an_untrained_historys_loss_curve_is_refused_for_what_it_is():
    # it said "the history has no 'loss' list to plot (its keys: 'loss')" for {"loss": []},
    # and "Pass the History that fit() returned" for the History fit(epochs=0) returned
    pytest.importorskip("matplotlib")
    from backprop.errors import ConfigError
    from backprop.plots import loss_curves

    model = backprop.nn.MLP([1, 2, 1])
    x = backprop.zeros(3, 1)
    adam = backprop.optim.Adam(model.parameters())
    history = backprop.fit(model, (x, x), backprop.nn.MSELoss(), adam, epochs=0, verbose=False)
    for untrained in ({"loss": []}, history):
        with pytest.raises(ConfigError, match="'loss' list is empty: no epoch was trained"):
            loss_curves(untrained)
