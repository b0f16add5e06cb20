"""Memory within the bounds (issue 12 round 2, item 7): full-data passes run in chunks.

What the bounds allow must fit in memory: ``fit``'s end-of-epoch evaluation on the whole
training and validation set, and ``predict --input`` on a CSV under the CSV limit, used to
hold every row's activations at once (``train --n 10000 --layers 1,65536,1 --batch-size
100`` peaked at 5.2 GB; a 180 MB CSV took 5.2 GB in ``predict``). Judged two ways: the
chunked evaluation equals one unchunked pass in float64 (to 1e-12; the reference is the
evaluator with no chunking, and scikit-learn's metrics for RMSE/R²/accuracy), and commands
run in a child under an address-space cap that the old code exceeded.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop import nn
from backprop.train import engines

from .cli_runner import run_cases

GIB = 1 << 30


def _setup(loss, classes, n, seed):
    rng = np.random.default_rng(seed)
    out = 1 if classes == 0 else (1 if classes == 2 else classes)
    model = nn.MLP([3, 7, 5, out], dtype=bp.float64)
    x = rng.standard_normal((n, 3))
    if classes == 0:
        y = rng.standard_normal((n, 1))
    elif classes == 2:
        y = rng.integers(0, 2, (n, 1)).astype(np.float64)
    else:
        y = rng.integers(0, classes, n)
    return model, x, y


CASES = [  # (loss module, classes: 0 = regression)
    (lambda: nn.MSELoss(), 0),
    (lambda: nn.MSELoss(reduction="sum"), 0),
    (lambda: nn.HuberLoss(delta=0.3), 0),
    (lambda: nn.L1Loss(), 0),
    (lambda: nn.BCEWithLogitsLoss(), 2),
    (lambda: nn.CrossEntropyLoss(), 4),
    (lambda: nn.CrossEntropyLoss(weight=bp.tensor([1.0, 3.0, 0.5, 2.0]), ignore_index=2), 4),
    (lambda: nn.CrossEntropyLoss(label_smoothing=0.1, reduction="sum"), 4),
]


@pytest.mark.parametrize("engine", ["delta", "autograd", "custom"])
def test_chunked_evaluation_equals_one_pass(engine, count):
    """Every loss and metric, chunked in 1..n rows, equals the one-pass numbers (float64)."""
    from sklearn.metrics import accuracy_score, mean_squared_error, r2_score

    from backprop.delta import Plan

    tried = worst = 0
    for k, (make, classes) in enumerate(CASES):
        for seed in range(count(2, 8)):
            n = 37 + 11 * seed
            model, x, y = _setup(make(), classes, n, seed)
            loss = make()
            name = getattr(type(loss), "loss", None)
            if engine == "custom":  # a callable fit cannot look inside
                loss, name = (lambda out, t, f=loss: f(out, t)), None
            plan = Plan(model, loss) if engine == "delta" else None
            task = "regression" if classes == 0 else "classification"
            one = engines.evaluator(model, loss, name, task, plan, False, None)(x, y, "")
            for rows in (1, 2, 5, 16, n - 1):
                got = engines.evaluator(model, loss, name, task, plan, False, rows)(x, y, "")
                assert got.keys() == one.keys(), (got, one)
                for key in one:
                    diff = abs(got[key] - one[key])
                    worst = max(worst, diff / max(1.0, abs(one[key])))
                    assert diff <= 1e-12 * max(1.0, abs(one[key])), (k, rows, key, got, one)
                tried += 1
            with bp.no_grad():  # the metrics themselves against scikit-learn
                out = model(bp.tensor(x)).numpy()
            if classes == 0:
                rmse = mean_squared_error(y, out) ** 0.5
                assert abs(one["rmse"] - rmse) < 1e-12
                assert abs(one["r2"] - r2_score(y, out)) < 1e-12
            elif classes == 2:
                cut = 0.0 if name == "bce_with_logits" else 0.5  # a custom loss: probabilities
                assert one["accuracy"] == accuracy_score(y[:, 0], out[:, 0] > cut)
            else:
                assert one["accuracy"] == accuracy_score(y, out.argmax(1))
    print(f"chunked evaluation ({engine}): {tried} cases, worst relative difference {worst:.1e}")


def test_train_evaluates_in_bounded_memory(tmp_path):
    """A wide hidden layer and minibatches: the end-of-epoch pass over all rows, and the
    decision-boundary plot over its grid, used to allocate rows × width at once (1 GB and
    2.6 GB here), past a 1.5 GiB address-space cap."""
    cases = [
        {
            "argv": ["train", "--data", "square", "--n", "8000", "--layers", "1,32768,1",
                     "--batch-size", "1000", "--epochs", "1",
                     "--out", str(tmp_path / "run"), "--no-plots"],
            "cwd": str(tmp_path),
            "timeout": 300,
        },
        {  # the decision-boundary plot: a 200² grid through the wide layer (2.6 GB at once)
            "argv": ["train", "--data", "spiral", "--n", "100", "--layers", "2,16384,1",
                     "--batch-size", "50", "--epochs", "1", "--out", str(tmp_path / "plots")],
            "cwd": str(tmp_path),
            "timeout": 300,
        },
    ]  # fmt: skip
    rows = run_cases(cases, tmp_path, cap=int(1.5 * GIB))
    for what, row in zip(("evaluation", "boundary plot"), rows):
        print(f"train under 1.5 GiB ({what}): exit {row['code']} in {row['seconds']:.1f} s")
    for row in rows:
        assert row["code"] == 0, row["stderr"]
    assert (tmp_path / "plots" / "boundary.png").is_file()


def test_predict_input_reads_in_bounded_memory(tmp_path):
    """``predict --input`` on a 23 MB one-column CSV (1.5 million rows) under a 0.5 GiB
    address-space cap: the rows used to be held as lists of strings (a 180 MB file took
    5.2 GB); now they become numbers as they are read and the forward pass runs in chunks.
    The predictions must be those of ``--x`` for the same values (first rows)."""
    import csv

    bp.manual_seed(0)
    from backprop import io

    io.save(nn.MLP([1, 8, 1]), tmp_path / "m.safetensors")
    values = np.random.default_rng(0).standard_normal(1_500_000)
    (tmp_path / "big.csv").write_text("x1\n" + "\n".join(f"{v:.12g}" for v in values) + "\n")
    cases = [
        {"argv": ["predict", "m.safetensors", "--input", "big.csv", "--output", "p.csv"],
         "cwd": str(tmp_path), "timeout": 300},
        {"argv": ["predict", "m.safetensors", "--x", *(f"{v:.12g}" for v in values[:5]),
                  "--output", "q.csv"], "cwd": str(tmp_path), "timeout": 60},
    ]  # fmt: skip
    rows = run_cases(cases, tmp_path, cap=GIB // 2)
    print(f"predict --input under 0.5 GiB: exit {rows[0]['code']} in {rows[0]['seconds']:.1f} s")
    assert rows[0]["code"] == 0, rows[0]["stderr"]
    assert rows[1]["code"] == 0, rows[1]["stderr"]
    with open(tmp_path / "p.csv", newline="") as f:
        got = list(csv.reader(f))
    with open(tmp_path / "q.csv", newline="") as f:
        want = list(csv.reader(f))
    assert len(got) == len(values) + 1 and got[0] == want[0]
    # the predictions are --x's; the inputs are the file's own cells (--x's are re-formatted)
    assert [r[1] for r in got[1:6]] == [r[1] for r in want[1:]]
    assert [r[0] for r in got[1:6]] == [f"{v:.12g}" for v in values[:5]]


def test_train_csv_reads_in_bounded_memory(tmp_path):
    """``train --csv`` of a 45 MB two-column CSV (1.5 million rows) under a 0.7 GiB cap: the
    rows used to be kept as lists of strings (about 14× the file); now as numbers."""
    values = np.random.default_rng(0).standard_normal((1_500_000, 2))
    text = "\n".join(f"{a:.12g},{b:.12g}" for a, b in values.tolist())
    (tmp_path / "t.csv").write_text("x,y\n" + text + "\n")
    argv = ["train", "--csv", "t.csv", "--target", "y", "--epochs", "1", "--out", "run",
            "--no-plots", "-q"]  # fmt: skip
    row = run_cases([{"argv": argv, "cwd": str(tmp_path), "timeout": 300}], tmp_path,
                    cap=int(0.7 * GIB))[0]  # fmt: skip
    print(f"train --csv under 0.7 GiB: exit {row['code']} in {row['seconds']:.1f} s")
    assert row["code"] == 0, row["stderr"]
