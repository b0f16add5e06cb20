"""The fifth newcomer trial's remaining findings (issue 15, brief C15C): a spec given to
``predict`` in a run folder points at the model beside it; ``--validation test`` on a CSV
refused in the CLI's words; ``predict`` warns when a sample is far outside the training
inputs; the trace writes b[l] as the lecture's column (ᵀ); a loss plot spanning less than a
decade gets labels that differ."""

import numpy as np
import pytest

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


# -- exported classifiers output logits ------------------------------------------------------
def _ring(folder, n=160):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    label = np.where((x**2).sum(1) < 1, "inner", "outer")
    rows = [f"{a:.3f},{b:.3f},{c}" for (a, b), c in zip(x, label)]
    (folder / "ring.csv").write_text("a,b,ring\n" + "\n".join(rows) + "\n")


def _predicted(folder, model, xs):
    """predict's CSV rows for ``xs``: (class, [p(class) ...]) each."""
    code, out, err = cli("predict", model, "--x", *xs, cwd=folder)
    assert code == 0, err
    rows = [line.split(",") for line in out.splitlines()[1:]]
    n = len(xs[0].split(","))  # the inputs, then the class, then p(class) each
    return [(r[n], [float(v) for v in r[n + 1 :]]) for r in rows]


def test_a_binary_classifiers_onnx_export_says_its_output_is_the_logit_of_class_1(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    _ring(tmp_path)
    _train(tmp_path, "--csv", "ring.csv", "--target", "ring", "--epochs", "30")
    code, out, err = cli("export", "run/model.safetensors", "--to", "onnx", "--out", "m.onnx",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "raw logit" in out and "p('outer') = sigmoid(z)" in out, out
    assert "k = 0 is 'inner', k = 1 is 'outer'" in out, out
    xs = ["0.1,0.2", "1.5,-1.0", "-0.3,0.9"]
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    x = np.array([[float(v) for v in s.split(",")] for s in xs], dtype=np.float32)
    z = session.run(None, {"input": x})[0][:, 0].astype(np.float64)
    # the printed recipe, applied to ONNX Runtime's output, is what backprop predict says
    for (label, probs), zi in zip(_predicted(tmp_path, "run/model.safetensors", xs), z):
        np.testing.assert_allclose(probs[1], 1 / (1 + np.exp(-zi)), atol=2e-4)
        assert label == ("outer" if zi > 0 else "inner")


def test_a_multiclass_torch_export_says_softmax_and_argmax_in_the_classes_order(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    from backprop.interop import to_torch

    _train(tmp_path, "--data", "iris", "--epochs", "3")
    code, out, err = cli("export", "run/model.safetensors", "--to", "torch", "--out", "m.st",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    f = backprop.io.read(tmp_path / "run" / "model.safetensors")
    names = f.full_spec["data"]["target_names"]
    assert f"one per class ({', '.join(names)}, in that order)" in out, out
    assert "torch.softmax(z, dim=1)" in out and "z.argmax(dim=1)" in out, out
    module = to_torch(f.model, scaler=f.scaler)  # as export builds it: raw inputs in
    module.load_state_dict(load_file(tmp_path / "m.st"))
    xs = ["5.1,3.5,1.4,0.2", "6.0,2.9,4.5,1.5", "6.9,3.1,5.4,2.1"]
    x = torch.tensor([[float(v) for v in s.split(",")] for s in xs], dtype=torch.float32)
    with torch.no_grad():
        z = module(x)
    p, k = torch.softmax(z, dim=1).numpy(), z.argmax(dim=1).numpy()
    for (label, probs), pi, ki in zip(_predicted(tmp_path, "run/model.safetensors", xs), p, k):
        np.testing.assert_allclose(probs, pi, atol=2e-4)
        assert label == names[ki]


# -- gradcheck on step units -----------------------------------------------------------------
STEP_SPEC = {"name": "steps", "data": {"name": "square"}, "epochs": 5,
             "model": {"hidden": [8, 8], "activation": "step"}}  # fmt: skip


def _zero_grads_by_torch():
    """The lecture names of the parameters whose gradient PyTorch finds all zero, on the
    rows gradcheck checks (the spec's first 8, its MSE loss)."""
    torch = pytest.importorskip("torch")
    from backprop.interop import to_torch
    from backprop.spec import prepare

    r = prepare(STEP_SPEC)
    module = to_torch(r.model).double()
    x, y = torch.tensor(r.dataset.x[:8]), torch.tensor(r.dataset.y[:8])
    torch.nn.functional.mse_loss(module(x), y).backward()
    linears = [m for m in module if isinstance(m, torch.nn.Linear)]
    return [f"{w}[{l}]" for l, m in enumerate(linears, 1) for w, p in (("W", m.weight),
            ("b", m.bias)) if not p.grad.abs().max() > 0]  # fmt: skip


@pytest.mark.parametrize("eps", ["0.1", "0.001"])
def test_gradcheck_of_step_units_says_the_lectures_caution(tmp_path, eps):
    import json

    (tmp_path / "steps.json").write_text(json.dumps(STEP_SPEC))
    zero = _zero_grads_by_torch()
    assert zero == ["W[1]", "b[1]", "W[2]", "b[2]"], zero
    code, out, _ = cli("gradcheck", "steps.json", "--eps", eps, cwd=tmp_path)
    assert "Caution" in out and "step function" in out, out
    assert "W[1], b[1], W[2] and b[2] are exactly 0" in out, out
    assert "crosses a kink of a ReLU" not in out, out  # there is no ReLU: sgn jumped
    if eps == "0.1":
        assert code == 1 and "sgn jumps" in out, out
    else:
        assert code == 0 and "not that these layers can learn" in out, out


# -- examples/abs_relu.py: no kink at −4.47e15 ---------------------------------------------
def test_abs_relu_example_prints_kinks_only_among_the_training_points(capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "abs_relu.py"
    spec = importlib.util.spec_from_file_location("abs_relu_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.main(seeds=19)  # seed 18: a unit whose w shrank to ~1e-16 (kink −4.47e15)
    rows = [ln.split() for ln in capsys.readouterr().out.splitlines()]
    rows = [r for r in rows if len(r) > 3 and r[0].isdigit()]
    assert len(rows) == 19
    for r in rows:
        for cell in (r[2].rstrip(","), r[3]):
            assert cell in ("dead", "none") or -3 <= float(cell) <= 5, r


# -- demo spiral ends on settled weights; a run that ends far from its best says so -------------
def _history(folder):
    import csv

    rows = list(csv.DictReader((folder / "history.csv").open()))
    return {k: np.array([float(r[k] or "nan") for r in rows]) for k in rows[0]}


def test_demo_spiral_ends_near_its_best_epoch(tmp_path):
    code, out, err = cli("demo", "spiral", "--no-plots", "--quiet", "--out", "run", cwd=tmp_path)
    assert code == 0, err
    h = _history(tmp_path / "run")
    acc = h["val_accuracy"]
    assert acc[-1] >= acc.max() - 0.01, (acc[-1], acc.max(), int(acc.argmax()) + 1)
    assert acc[int(len(acc) * 0.9) :].min() >= acc[-1] - 0.01  # no spike in its last tenth
    assert "note: the last epoch is not the best" not in out


def test_a_run_ending_after_a_spike_names_its_best_epoch_and_the_jump(tmp_path):
    import json

    from backprop.spec import builtin

    spec = builtin("spiral")
    spec.pop("schedule", None)  # the demo as it was: Adam 0.01 to the end, seed 0
    (tmp_path / "spiral.json").write_text(json.dumps(spec))
    code, out, err = cli("train", "spiral.json", "--no-plots", "--quiet", "--out", "run",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    h = _history(tmp_path / "run")
    acc, loss = h["val_accuracy"], h["loss"]
    best = int(acc.argmax())
    assert acc.max() - acc[-1] >= 0.02  # the run this test is about
    note = next(ln for ln in out.splitlines() if ln.startswith("note: the last epoch"))
    assert f"val_accuracy {acc[-1]:.4g} at the end (epoch {len(acc)})" in note, note
    assert f"{acc.max():.4g} at epoch {best + 1}" in note, note
    tail = np.arange(int(len(loss) * 0.8), len(loss))
    jump = tail[np.argmax(loss[tail] / loss[tail - 1])]  # history.csv's biggest late jump
    assert f"jumped {loss[jump] / loss[jump - 1]:.0f}-fold at epoch {jump + 1}" in note, note
    assert '"restore_best_weights": true' in note and "--validation 0.2" in note, note


# -- explain on a classifier ------------------------------------------------------------------
def _energy(out):
    line = next(ln for ln in out.splitlines() if ln.startswith("loss:"))
    return float(line.rsplit("E = ", 1)[1])


def _torch_logits(folder, x):
    torch = pytest.importorskip("torch")
    from backprop.interop import to_torch

    f = backprop.io.read(folder / "run" / "model.safetensors")
    module = to_torch(f.model.double(), scaler=f.scaler)  # raw inputs, as predict
    with torch.no_grad():
        return module(torch.tensor([x], dtype=torch.float64)), f.full_spec["data"]


def test_explain_a_multiclass_model_takes_a_class_name_or_index_and_its_own_loss(tmp_path):
    torch = pytest.importorskip("torch")
    _train(tmp_path, "--data", "iris", "--epochs", "3")
    x = [6.0, 2.9, 4.5, 1.5]
    z, data = _torch_logits(tmp_path, x)
    names = data["target_names"]
    k = names.index("versicolor")
    expected = torch.nn.functional.cross_entropy(z, torch.tensor([k])).item()
    texts = []
    for given in ("versicolor", str(k)):
        code, out, err = cli("explain", "run/model.safetensors", "--x", ",".join(map(str, x)),
                             "--y", given, cwd=tmp_path)  # fmt: skip
        assert code == 0, err
        assert abs(_energy(out) - expected) <= 1e-4 * max(1, expected), (out, expected)
        assert "loss cross_entropy (the model's own" in out, out
        assert f"ŷ[k] for class k (0 {names[0]!r}, 1 {names[1]!r}, 2 {names[2]!r})" in out
        predicted = names[int(z.argmax())]
        assert f"the model predicts {predicted!r}" in out, out
        texts.append(out)
    assert texts[0].split("target:")[1].split(";")[0].endswith(f"index {k}: E = −log p[{k}]")
    code, _, err = cli("explain", "run/model.safetensors", "--x", ",".join(map(str, x)),
                       "--y", "3", cwd=tmp_path)  # fmt: skip
    one_line(code, err, "--y 3", "not a class", "setosa", "0 … 2")


def test_explain_a_binary_model_says_which_class_is_1(tmp_path):
    torch = pytest.importorskip("torch")
    _ring(tmp_path)
    _train(tmp_path, "--csv", "ring.csv", "--target", "ring", "--epochs", "5")
    z, data = _torch_logits(tmp_path, [0.1, 0.2])
    assert data["target_names"] == ["inner", "outer"]
    for given, y in (("inner", 0.0), ("outer", 1.0), ("1", 1.0)):
        code, out, err = cli("explain", "run/model.safetensors", "--x", "0.1,0.2", "--y",
                             given, cwd=tmp_path)  # fmt: skip
        assert code == 0, err
        expected = torch.nn.functional.binary_cross_entropy_with_logits(
            z, torch.tensor([[y]], dtype=torch.float64)).item()  # fmt: skip
        assert abs(_energy(out) - expected) <= 1e-4 * max(1, expected), (out, expected)
        assert "logit of p('outer') (class 1; 'inner' is class 0)" in out, out
        assert f"so y = {int(y)}" in out, out
    code, _, err = cli("explain", "run/model.safetensors", "--x", "0.1,0.2", "--y", "2",
                       cwd=tmp_path)  # fmt: skip
    one_line(code, err, "--y 2", "inner, outer", "0 or 1")


# -- backprop.run({"data": "square"}) and the CLI agree ----------------------------------------
def test_a_spec_naming_only_a_built_in_set_runs_as_train_data_does(tmp_path):
    import json

    run = backprop.run({"data": "square"}, verbose=False)
    code, _, err = cli("train", "--data", "square", "--no-plots", "--out", "flags",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    (tmp_path / "sq.json").write_text(json.dumps({"data": "square"}))
    code, out_file, err = cli("train", "sq.json", "--no-plots", "--out", "file", cwd=tmp_path)
    assert code == 0, err
    assert "defaults for data square (left out of sq.json): lr 0.01, 2,000 epochs" in out_file
    loss = run.history.history["loss"]
    for folder in ("flags", "file"):  # the same numbers three ways: library, flags, spec file
        h = _history(tmp_path / folder)
        np.testing.assert_allclose(h["loss"], loss, rtol=1e-6)
        used = json.loads((tmp_path / folder / "spec.json").read_text())
        assert (used["optimizer"]["lr"], used["epochs"]) == (0.01, 2000)
    assert run.history.history["r2"][-1] > 0.99  # was −0.575 with Adam 0.001 × 100 epochs
    assert "lr 0.01, 2,000 epochs, the full batch" in run.defaults_note
    assert "square's own defaults" in repr(run)


def test_settings_a_spec_gives_are_kept_even_the_generic_ones():
    from backprop.spec import normalize

    spec = normalize({"data": {"name": "circle"}, "epochs": 100, "batch_size": None,
                      "optimizer": {"name": "adam", "lr": 0.001}})  # fmt: skip
    assert (spec["epochs"], spec["batch_size"], spec["optimizer"]["lr"]) == (100, None, 0.001)
    spec = normalize({"data": {"name": "circle"}, "optimizer": "sgd"})
    assert spec["optimizer"]["lr"] is None  # SGD keeps its own lr; the set's is Adam's
    assert (spec["epochs"], spec["batch_size"]) == (500, 32)
    csv = normalize({"data": {"csv": "x.csv", "target": "y"}})
    assert csv["epochs"] == 100  # a CSV is not a built-in set


def test_the_not_learned_warning_promises_tries_only_when_they_are_made(tmp_path):
    # 100 rows × 25,000 epochs: longer than a quick check, so no change is tried
    _, out, err = cli("train", "--data", "square", "--lr", "1e-7", "--epochs", "25000",
                      "--no-plots", "--quiet", "--out", "run", cwd=tmp_path)  # fmt: skip
    assert "none was tried here" in out, out
    assert "tries each change on this run." not in err, err
    assert "when that is quick" in err, err


def test_no_last_epoch_note_when_the_files_hold_the_best_epochs_weights():
    from types import SimpleNamespace

    from backprop.cli.lastepoch import last_epoch_note
    from backprop.train import History

    h = History()
    for epoch, acc in enumerate([0.6, 0.8, 0.95, 0.99, 0.99, 0.98, 0.97, 0.96, 0.95, 0.9], 1):
        h.append(epoch, {"loss": 1.0 / epoch, "val_accuracy": acc})
    plain = SimpleNamespace(history=h, spec={"optimizer": {"lr": 0.01}, "early_stopping": None})
    assert "0.99 at epoch 4" in last_epoch_note(plain)
    kept = {"monitor": "val_loss", "patience": 3, "restore_best_weights": True}
    restored = SimpleNamespace(history=h, spec={"optimizer": {"lr": 0.01}, "early_stopping": kept})
    assert last_epoch_note(restored) is None  # the files hold epoch 4's weights: nothing to say
