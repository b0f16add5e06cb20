"""``Run.model`` takes x in the data's own units (issue 15, seventh trial's leftover, brief
C15E): ``r.model(x_raw)`` is ``r.predict(x_raw)`` and ``backprop predict`` on the saved file,
for a CSV regression (inputs and target standardised in training) and a CSV classifier;
``r.net`` is the network as trained, taking z, and pairs with ``r.dataset.x``; ``r.x`` gives
the training rows in the CSV's units. A built-in set that is not standardised keeps one
network: ``r.model is r.net``.

Bounds: the folded first layer (W / std, b − W·mean/std, computed in float64, stored in the
model's float32) against standardise-then-net differs by float32 rounding only: measured on
the houses file (3 seeds, every training row) at most 1.0e-7 of the largest |price| and
2.5e-7 relative per value; the tests allow rtol 1e-5 (the CLI prints 6 significant digits).
"""

import csv
import io

import numpy as np

import backprop
from cli_helpers import cli

SAMPLES = [[100.0, 3.0], [180.0, 1.0], [60.0, 5.0]]


def _houses(folder, n=200, seed=1):
    """price ≈ 3·size + 10·rooms + noise, the README's example."""
    rng = np.random.default_rng(seed)
    size, rooms = rng.uniform(50, 200, n), rng.integers(1, 6, n)
    price = 3 * size + 10 * rooms + rng.normal(0, 5, n)
    rows = [f"{a:.1f},{b},{c:.1f}" for a, b, c in zip(size, rooms, price)]
    (folder / "houses.csv").write_text("size,rooms,price\n" + "\n".join(rows) + "\n")


def _sizes(folder, n=240, seed=2):
    """Three classes of (size, rooms) in the file's own units, far from z's."""
    rng = np.random.default_rng(seed)
    size, rooms = rng.uniform(50, 200, n), rng.integers(1, 6, n)
    label = np.where(size < 100, "small", np.where(size < 150, "mid", "big"))
    rows = [f"{a:.1f},{b},{c}" for a, b, c in zip(size, rooms, label)]
    (folder / "sizes.csv").write_text("size,rooms,kind\n" + "\n".join(rows) + "\n")


def _cli(folder, column):
    code, out, err = cli(
        "predict", "m.safetensors", "--x", *[",".join(f"{v:g}" for v in s) for s in SAMPLES],
        cwd=folder,
    )  # fmt: skip
    assert code == 0, err
    return [row[column] for row in csv.DictReader(io.StringIO(out))]


def _out(model, x):
    with backprop.no_grad():
        return model(backprop.tensor(np.asarray(x, np.float32))).numpy().astype(np.float64)


def test_a_csv_regression_runs_model_takes_raw_x_and_answers_in_the_targets_units(
    tmp_path, monkeypatch
):
    _houses(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = backprop.run({"data": {"csv": "houses.csv", "target": "price"}, "epochs": 30})
    assert r.target_scaling is not None and r.dataset.scaler is not None
    r.save(tmp_path / "m.safetensors")
    want = np.array(_cli(tmp_path, "price (predicted)"), float)
    ours = _out(r.model, SAMPLES)[:, 0]  # on main: r.model took z: 5,144 for 324
    np.testing.assert_allclose(ours, want, rtol=1e-5)
    np.testing.assert_allclose(ours, r.predict(SAMPLES)[:, 0], rtol=1e-5)
    np.testing.assert_allclose(ours, _out(backprop.load("m.safetensors"), SAMPLES)[:, 0], rtol=1e-5)
    # the network as trained takes z, the rows of r.dataset.x; r.x are the CSV's own rows
    np.testing.assert_allclose(_out(r.net, r.dataset.x), _out(r.model, r.x), rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(r.x, np.loadtxt("houses.csv", delimiter=",", skiprows=1)[:, :2])
    # the saved file holds the trained network (the scaler beside it), not the folded copy
    stored = backprop.io.read("m.safetensors").model
    for a, b in zip(stored.parameters(), r.net.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_a_csv_classifiers_model_gives_the_logits_of_raw_x(tmp_path, monkeypatch):
    _sizes(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = backprop.run({"data": {"csv": "sizes.csv", "target": "kind"}, "epochs": 60})
    r.save(tmp_path / "m.safetensors")
    logits = _out(r.model, SAMPLES)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(e / e.sum(1, keepdims=True), r.predict(SAMPLES, proba=True),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    labels = np.asarray(r.dataset.target_names, dtype=object)[logits.argmax(axis=1)]
    assert list(labels) == list(r.predict(SAMPLES)) == _cli(tmp_path, "kind (predicted)")


def test_model_follows_the_net_when_it_trains_on(tmp_path, monkeypatch):
    _houses(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = backprop.run({"data": {"csv": "houses.csv", "target": "price"}, "epochs": 5})
    before = _out(r.model, SAMPLES)
    assert r.model is r.model  # one folded copy while the weights stay
    backprop.fit(r.net, (r.dataset.x, r.dataset.y), backprop.nn.MSELoss(), r.optimizer, 3,
                 verbose=False)  # fmt: skip
    after = _out(r.model, SAMPLES)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after[:, 0], r.predict(SAMPLES)[:, 0], rtol=1e-5)


def test_a_builtin_set_without_scaling_keeps_one_network():
    s = backprop.spec.builtin("square")
    s["epochs"] = 20
    r = backprop.run(s)
    assert r.dataset.scaler is None and r.model is r.net
    assert r.x is r.dataset.x
    assert "run.net" not in repr(r)
