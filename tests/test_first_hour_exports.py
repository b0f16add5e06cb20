"""A CSV model leaves backprop as it predicts inside it (issue 15, second trial): the torch
export takes raw CSV rows (the input standardisation folded into its first Linear), so the
printed PyTorch code gives ``backprop predict``'s numbers; and predict's output column is
"price (predicted)", never the bare target name that reads as the true value."""

import csv
import io
import os

import numpy as np
import pytest

from cli_helpers import cli

torch = pytest.importorskip("torch")


def _write(folder, kind):
    rng = np.random.default_rng(0)
    a, b = rng.uniform(50, 250, 120), rng.uniform(1, 7, 120)
    if kind == "regression":
        target, y = "price", [f"{v:.2f}" for v in 3 * a + 10 * b + rng.normal(0, 5, 120)]
    else:
        target, y = "build", np.where(a / 50 + b > 5.5, "big", "small").tolist()
    rows = [f"{u:.2f},{v:.2f},{t}" for u, v, t in zip(a, b, y)]
    (folder / "d.csv").write_text(f"size,rooms,{target}\n" + "\n".join(rows) + "\n")
    inputs = [r.rsplit(",", 1)[0] for r in rows[:20]]
    (folder / "rows.csv").write_text("size,rooms\n" + "\n".join(inputs) + "\n")
    return target


@pytest.mark.parametrize("kind", ["regression", "classification"])
def test_the_torch_export_of_a_csv_model_predicts_what_backprop_predict_does(kind, tmp_path):
    target = _write(tmp_path, kind)
    code, _, err = cli("train", "--csv", "d.csv", "--target", target, "--hidden", "8",
                       "--epochs", "200", "--no-plots", "--quiet", "--out", "r",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    code, out, err = cli("predict", "r/model.safetensors", "--input", "rows.csv", cwd=tmp_path)
    assert code == 0, err
    table = list(csv.reader(io.StringIO(out)))
    header, rows = table[0], table[1:]
    code, printed, err = cli("export", "r/model.safetensors", "--to", "torch", "--out",
                             "m.torch.safetensors", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    source = printed[printed.index("import torch") :]
    scope = {}
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(source, scope)  # the code the command prints, as a user would paste it
    finally:
        os.chdir(old)
    model = scope["model"].eval()
    raw = np.array([[float(v) for v in r[:2]] for r in rows])
    with torch.no_grad():
        dtype = next(model.parameters()).dtype
        got = model(torch.tensor(raw, dtype=dtype)).double().numpy()
    if kind == "regression":
        assert header[2] == "price (predicted)"
        expected = np.array([float(r[2]) for r in rows])
        assert np.ptp(expected) > 100  # a model that learned: its inputs matter
        np.testing.assert_allclose(got[:, 0], expected, rtol=1e-4, atol=1e-3)
    else:
        assert header[2] == "build (predicted)"
        p1 = torch.sigmoid(torch.tensor(got[:, 0])).numpy()
        np.testing.assert_allclose(p1, [float(r[4]) for r in rows], atol=2e-4)


def test_to_torch_folds_a_scaler_exactly_as_standardising_first(tmp_path):
    import backprop as bp
    from backprop.interop import to_torch

    bp.manual_seed(0)
    model = bp.nn.MLP([3, 5, 2], "tanh", dtype=bp.float64)
    mean, std = np.array([10.0, -2.0, 300.0]), np.array([2.0, 0.5, 40.0])
    x = np.random.default_rng(1).normal(mean, std, (7, 3))
    plain = to_torch(model)
    folded = to_torch(model, scaler={"mean": mean.tolist(), "std": std.tolist()})
    with torch.no_grad():
        want = plain(torch.tensor((x - mean) / std)).numpy()
        got = folded(torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
