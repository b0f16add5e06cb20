"""``--verbose`` on train and demo says which engine computed the gradients and why."""

from __future__ import annotations

from cli_helpers import cli


def _engine_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("engine: ")]


def test_train_verbose_names_the_engine_the_history_records(tmp_path):
    code, out, err = cli(
        "train", "--data", "xor", "--hidden", "4", "--epochs", "3", "--engine", "autograd",
        "--no-plots", "-q", "-v", "--out", tmp_path / "run", cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    (line,) = _engine_lines(out)
    assert line.startswith("engine: autograd")
    reason = line.removeprefix("engine: autograd").strip(" :")
    assert reason, line  # a reason follows the name


def test_demo_verbose_engine_line_matches_the_history_file(tmp_path):
    import json

    code, out, err = cli(
        "demo", "--epochs", "20", "--no-plots", "-q", "-v", "--out", tmp_path / "run",
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    (line,) = _engine_lines(out)
    saved = json.loads((tmp_path / "run" / "history.json").read_text(encoding="utf-8"))
    assert saved["engine"] in line
    if saved.get("engine_reason"):
        assert saved["engine_reason"] in line


def test_without_verbose_no_engine_line(tmp_path):
    code, out, err = cli(
        "demo", "--epochs", "5", "--no-plots", "-q", "--out", tmp_path / "run", cwd=tmp_path
    )
    assert code == 0, err
    assert not _engine_lines(out)
