"""After a regression run, ``backprop train`` says in words when a straight line fits the
rows better (issue 15, brief C15E item 3): the README's houses example (price ≈ 3·size +
10·rooms + noise) at the CSV defaults ends with a validation rmse above least squares', and
nothing said so. The line's rmse is scikit-learn's LinearRegression's, fitted on the same
training rows (fit's own split), scored on the validation rows."""

import re

import numpy as np

from cli_helpers import cli


def _houses(folder, n=200, seed=1):
    rng = np.random.default_rng(seed)
    size, rooms = rng.uniform(50, 200, n), rng.integers(1, 6, n)
    price = 3 * size + 10 * rooms + rng.normal(0, 5, n)
    rows = [f"{a:.1f},{b},{c:.1f}" for a, b, c in zip(size, rooms, price)]
    (folder / "houses.csv").write_text("size,rooms,price\n" + "\n".join(rows) + "\n")
    return np.column_stack([size.round(1), rooms]), price.round(1)


def test_the_houses_run_says_a_straight_line_fits_better_with_sklearns_number(tmp_path):
    from sklearn.linear_model import LinearRegression

    from backprop.train.inputs import validation_rows

    x, y = _houses(tmp_path)
    code, out, err = cli("train", "--csv", "houses.csv", "--target", "price", "--validation",
                         "0.2", "--out", "o", "--no-plots", "-q", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    found = re.search(r"least squares on the same inputs has rmse ([\d.]+) on the validation "
                      r"rows, the network ([\d.]+) \(price's units\)", out)  # fmt: skip
    assert found, out
    train, val = validation_rows(len(y), 0.2, 0, None)  # the split fit made (seed 0)
    line = LinearRegression().fit(x[train], y[train]).predict(x[val])
    want = np.sqrt(np.mean((line - y[val]) ** 2))
    assert float(found.group(1)) == float(f"{want:.4g}")
    assert float(found.group(2)) > 1.1 * want  # the network's own, as the note says


def test_a_curve_the_line_cannot_follow_gets_no_note(tmp_path):
    code, out, err = cli("train", "--data", "square", "--out", "o", "--no-plots", "-q",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "straight line" not in out + err
