"""loss_curves draws a metric measured at some epochs only at those epochs (History.epochs_of
and the JSON's measured_at), not at the first len(values) epochs."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("matplotlib")

from backprop.plots import training  # noqa: E402
from backprop.train.history import History  # noqa: E402


def _sparse_history() -> History:
    h = History("delta")
    for epoch in range(1, 101):
        logs = {"loss": 1.0 / epoch, "lr": 0.1}
        if epoch == 1 or epoch % 25 == 0:
            logs.update(rmse=2.0 / epoch, val_loss=1.5 / epoch, val_rmse=2.5 / epoch)
        h.append(epoch, logs)
    return h


def _drawn(monkeypatch, tmp_path, history) -> dict:
    figures = []
    monkeypatch.setattr(training, "save", lambda fig, path: figures.append(fig) or path)
    training.loss_curves(history, tmp_path / "loss.png")
    (fig,) = figures
    return {  # "loss: training", "RMSE: validation", …: the axis's quantity, then the legend's
        f"{ax.get_ylabel().removesuffix(' (log scale)')}: {line.get_label()}": list(
            line.get_xdata()
        )
        for ax in fig.axes
        for line in ax.get_lines()
        if not line.get_label().startswith("_")
    }


@pytest.mark.parametrize("as_json", [False, True])
def test_sparse_metrics_are_drawn_at_their_epochs(monkeypatch, tmp_path, as_json):
    h = _sparse_history()
    history = json.loads(json.dumps(h.to_dict())) if as_json else h
    lines = _drawn(monkeypatch, tmp_path, history)
    measured = [1, 25, 50, 75, 100]
    assert lines["loss: training"] == list(range(1, 101))
    assert lines["loss: validation"] == measured
    assert lines["RMSE: training"] == measured
    assert lines["RMSE: validation"] == measured


def test_a_metric_measured_once_gets_no_panel(monkeypatch, tmp_path):
    h = History("delta")
    for epoch in range(1, 51):
        h.append(epoch, {"loss": 1.0 / epoch, **({"rmse": 0.5} if epoch == 50 else {})})
    lines = _drawn(monkeypatch, tmp_path, h)
    assert "loss: training" in lines and "RMSE: training" not in lines
