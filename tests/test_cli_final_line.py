"""The result line of train/demo shows the metrics measured at the last epoch, read from the
history by epoch (full-set metrics are measured at some epochs only)."""

from __future__ import annotations

import json

from cli_helpers import cli


def _last_values(run) -> dict:
    saved = json.loads((run / "history.json").read_text(encoding="utf-8"))
    last = saved["epochs"][-1]
    values = {}
    for key, column in saved["history"].items():
        at = saved.get("measured_at", {}).get(key, saved["epochs"])
        if last in at:
            values[key] = column[at.index(last)]
    return values


def test_result_line_has_the_last_epochs_metrics_with_logs_every_tenth(tmp_path):
    code, out, err = cli(
        "train", "--data", "square", "--layers", "1,8,8,1", "--lr", "0.1", "--epochs", "30",
        "--log-every", "10", "--no-plots", "--out", tmp_path / "run", cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("square: 30 epochs"))
    values = _last_values(tmp_path / "run")
    for key in ("loss", "rmse", "r2"):
        assert f"{key} {values[key]:.6g}" in line, (key, line)


def test_quiet_run_shows_the_same_result_line(tmp_path):
    argv = ["demo", "--epochs", "40", "--no-plots", "--out"]
    code, loud, err = cli(*argv, tmp_path / "a", cwd=tmp_path)
    assert code == 0, err
    code, quiet, err = cli(*argv, tmp_path / "b", "-q", cwd=tmp_path)
    assert code == 0, err
    first = next(x for x in quiet.splitlines() if x.startswith("square: "))
    assert first in loud.splitlines()
    assert "rmse" in first and "r2" in first


def _epoch_lines(out: str) -> list[str]:
    return [x for x in out.splitlines() if x.startswith("epoch ")]


def test_a_long_run_logs_at_most_forty_lines_unless_asked(tmp_path):
    argv = ["train", "--data", "square", "--layers", "1,4,1", "--epochs", "1000", "--no-plots"]
    code, out, err = cli(*argv, "--out", tmp_path / "a", cwd=tmp_path)
    assert code == 0, err
    lines = _epoch_lines(out)
    assert lines[0].startswith("epoch 1/1000") and lines[-1].startswith("epoch 1000/1000")
    assert len(lines) == 41  # epoch 1, then every 25th (issue 15: 20-50 lines a run)
    code, out, err = cli(*argv, "--log-every", "1", "--out", tmp_path / "b", cwd=tmp_path)
    assert code == 0, err
    assert len(_epoch_lines(out)) == 1000
