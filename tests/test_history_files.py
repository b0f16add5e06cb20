"""spec.historyfiles writes the bytes History.to_csv/to_json write (the slower path it replaces)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from backprop.spec.historyfiles import dumps_indent2, history_texts
from backprop.train.history import History


def _written(history: History, tmp_path) -> tuple[str, str]:
    history.to_csv(tmp_path / "h.csv")
    history.to_json(tmp_path / "h.json")
    return (tmp_path / "h.csv").read_text(encoding="utf-8"), (tmp_path / "h.json").read_text(
        encoding="utf-8"
    )


def _dense(n: int, seed: int = 0) -> History:
    rng = np.random.default_rng(seed)
    h = History("delta")
    h.extend(
        list(range(1, n + 1)),
        {
            "loss": (rng.random(n) * 10.0 ** rng.integers(-12, 12, n)).tolist(),
            "lr": [0.1] * n,
            "time": np.cumsum(rng.random(n)).tolist(),
        },
    )
    return h


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 300])
def test_dense_history_is_byte_identical(tmp_path, n):
    h = _dense(n)
    assert history_texts(h) == _written(h, tmp_path)


def test_sparse_metrics_non_finite_values_and_stop_fields(tmp_path):
    h = _dense(40, seed=1)
    h.history["loss"][3] = math.nan
    h.history["loss"][4] = math.inf
    h.history["time"][5] = -math.inf
    for epoch in range(41, 61):  # validation every 5th epoch only, then a new metric
        logs = {"loss": 1.0 / epoch, "lr": 0.05, "time": float(epoch)}
        if epoch % 5 == 0:
            logs["val_loss"] = 2.0 / epoch
        h.append(epoch, logs)
    h.append(61, {"loss": 0.5, "accuracy": 0.75})
    h.stop_reason = 'a "quoted" reason, with a comma'
    h.stopped_epoch = 61
    h.diverged = True
    h.best_epoch = 7
    assert history_texts(h) == _written(h, tmp_path)


def test_a_real_run_is_byte_identical(tmp_path):
    from backprop.spec import builtin, run

    spec = builtin("square")
    spec["epochs"] = 120
    h = run(spec).history
    assert history_texts(h) == _written(h, tmp_path)


@pytest.mark.parametrize(
    "obj",
    [
        {"a": list(range(40)), "b": {"c": [0.1 * i for i in range(20)], "d": []}, "e": None},
        [[1.5] * 16, [True, False] * 9, [None] * 20, "x", {"k": [1e300, -2e-300] * 10}],
        {"tok": "\ue000history-list-0\ue000", "v": list(range(30))},  # looks like a token
        {"mixed": [1, "two", 3.0] * 10, "nested": [[1, 2]] * 20},
        {"f": [np.float64(0.25)] * 20, "u": ["é"] * 3},
    ],
)
def test_dumps_indent2_equals_json_dumps(obj):
    assert dumps_indent2(obj) == json.dumps(obj, indent=2, allow_nan=False)


def test_dumps_indent2_refuses_nan_as_json_does():
    with pytest.raises(ValueError):
        dumps_indent2({"v": [math.nan] * 20})
