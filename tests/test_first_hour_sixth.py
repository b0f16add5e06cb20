"""The fifth newcomer trial's remaining findings (issue 15, brief C15C): a spec given to
``predict`` in a run folder points at the model beside it; ``--validation test`` on a CSV
refused in the CLI's words; ``predict`` warns when a sample is far outside the training
inputs; the trace writes b[l] as the lecture's column (ᵀ); a loss plot spanning less than a
decade gets labels that differ."""

import numpy as np

import backprop
from cli_helpers import cli, one_line


def _houses(folder, n=200, seed=1):
    """price ≈ 3·size + 10·rooms + noise, the README's example."""
    rng = np.random.default_rng(seed)
    size, rooms = rng.uniform(50, 200, n), rng.integers(1, 6, n)
    price = 3 * size + 10 * rooms + rng.normal(0, 5, n)
    rows = [f"{a:.1f},{b},{c:.1f}" for a, b, c in zip(size, rooms, price)]
    (folder / "houses.csv").write_text("size,rooms,price\n" + "\n".join(rows) + "\n")
    return size


def _train(folder, *argv, out="run"):
    code, _, err = cli("train", *argv, "--no-plots", "--quiet", "--out", out, cwd=folder)
    assert code == 0, err
    return folder / out


# -- predict RUN/spec.json -------------------------------------------------------------------
def test_predict_a_run_folders_spec_points_at_the_model_beside_it(tmp_path):
    _train(tmp_path, "--data", "circle", "--epochs", "2")
    code, _, err = cli("predict", "run/spec.json", "--x", "0.1,0.2", cwd=tmp_path)
    one_line(code, err, "run/model.safetensors")
    assert "backprop train run/spec.json`?" not in err  # not: train it again


# -- --validation test on a CSV --------------------------------------------------------------
def test_validation_test_on_a_csv_is_refused_in_the_clis_words(tmp_path):
    _houses(tmp_path)
    code, _, err = cli("train", "--csv", "houses.csv", "--target", "price", "--validation",
                       "test", "--quiet", "--no-plots", cwd=tmp_path)  # fmt: skip
    one_line(code, err, "--validation test", "--validation 0.2", "houses.csv")
    assert "x_test" not in err and "Dataset" not in err


# -- predict far outside the training inputs -------------------------------------------------
def test_predict_warns_when_a_sample_is_far_outside_the_training_inputs(tmp_path):
    size = _houses(tmp_path)
    _train(tmp_path, "--csv", "houses.csv", "--target", "price", "--epochs", "5")
    code, _, err = cli("predict", "run/model.safetensors", "--x", "1e9,3", "120,3",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "warning" in err and "1 of 2 samples" in err and "size = 1e+09" in err, err
    # the distance it names is numpy's, from the training rows the scaler was fitted on
    z = (1e9 - size.mean()) / size.std()
    assert f"{z:.3g} standard deviations" in err, err
    code, _, err = cli("predict", "run/model.safetensors", "--x", "120,3", cwd=tmp_path)
    assert code == 0 and "warning" not in err, err  # inside the range: nothing said


# -- b[l] is a column --------------------------------------------------------------------------
def test_the_trace_writes_bias_vectors_as_columns():
    from backprop import delta, nn

    backprop.manual_seed(0)
    model = nn.MLP([2, 3, 1], activation="tanh").double()
    text = str(delta.trace(model, np.array([[0.7, -1.2]]), np.array([[1.0]]), nn.MSELoss()))
    lines = [ln for ln in text.splitlines() if ln.lstrip().startswith(("b[", "∂E/∂b["))]
    assert len(lines) == 4, text
    assert all(ln.rstrip().endswith("]ᵀ") for ln in lines), lines


# -- a loss plot spanning less than a decade ---------------------------------------------------
def test_a_loss_plot_under_a_decade_has_distinct_plain_labels():
    import matplotlib

    matplotlib.use("Agg")
    from backprop.plots import loss_curves
    from backprop.train import History

    h = History()
    for epoch, loss in enumerate(np.linspace(1316.49, 1316.11, 50), start=1):
        h.append(epoch, {"loss": float(loss)})
    fig = loss_curves(h)
    fig.canvas.draw()
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    shown = [t.get_text() for t in ax.get_yticklabels() if lo <= t.get_position()[1] <= hi]
    assert len(shown) >= 3 and len(set(shown)) == len(shown), shown
    assert not any("e+" in s for s in shown), shown  # 1316.4, not 1.32e+03
    for text in shown:  # each label is the value at its tick, to its own digits
        value = float(text.replace("\u2212", "-"))
        assert lo * 0.999 <= value <= hi * 1.001, (text, lo, hi)
