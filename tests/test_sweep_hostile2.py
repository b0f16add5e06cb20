"""Sweeps and compare against what the fifth attacker found (issue 18): each test names its
class and fails on the code before the fix.

H1 a data file replaced during a sweep (each trial checks the bytes it reads); H2 every file
compare writes into --out is judged before the trials (no writing through links); M2 stored
results agree with their ranges and history; L1 compare's checks come first, in its words;
L6 a cluster address's errors name their cause; L7 a grid value quotes what was typed."""

from __future__ import annotations

import json

import numpy as np
import pytest

import backprop
from backprop.errors import SweepError
from cli_helpers import cli, one_line
from sweep_helpers import SMALL, edited


def _csv(path, targets) -> None:
    x = np.linspace(-1, 1, len(targets))
    path.write_text("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, targets)))


# H1: check-then-use race on a data file ----------------------------------------------------
def test_a_data_file_replaced_during_the_sweep_fails_the_trials_that_read_it(tmp_path):
    data = tmp_path / "d.csv"
    x = np.linspace(-1, 1, 60)
    _csv(data, x**2)
    other = np.random.default_rng(0).normal(size=60)
    spec = {**SMALL, "data": {"csv": str(data), "target": "y"}}
    seen = []

    def replace_after_first(p) -> None:  # the file changes once the first trial is done
        seen.append(p.done)
        if len(seen) == 1:
            _csv(data, other)

    db = tmp_path / "race.db"
    results = backprop.sweep(
        spec, {"optimizer.lr": [0.1]}, seeds=4, workers=1, db=db, progress=replace_after_first
    )
    counts = results.counts()
    assert counts["done"] == 1 and counts["failed"] == 3, counts
    for trial in results.trials:
        if trial["status"] == "failed":
            why = trial["error"]
            assert str(data) in why and "changed during the sweep" in why, why
    code, out, _ = cli("sweep", "--show", db, cwd=tmp_path)  # the table says why, too
    assert code == 1 and "why trials failed" in out, out  # 1: some trials failed
    assert f"(3 trials): SweepError: data file '{data}' changed during the sweep" in out, out


def test_an_unchanged_data_file_trains_as_before(tmp_path):
    data = tmp_path / "d.csv"
    _csv(data, np.linspace(-1, 1, 40) ** 2)
    spec = {**SMALL, "data": {"csv": str(data), "target": "y"}}
    results = backprop.sweep(spec, {"optimizer.lr": [0.1]}, seeds=2, workers=1, db=None)
    assert results.counts()["done"] == 2
    alone = backprop.run({**results.spec(1)}, verbose=False).history.history["loss"][-1]
    assert results.trials[0]["final_loss"] == alone
    assert "__pin__" not in results.spec(1)


# H2 + L1: compare's files in --out are judged before the trials, in compare's words --------
def _no_trial(monkeypatch) -> list:
    """Records any trial the sweep would run (none should: the refusal comes first)."""
    from backprop.sweep import trial

    ran = []
    real = trial.run_trial
    monkeypatch.setattr(trial, "run_trial", lambda spec: ran.append(1) or real(spec))
    return ran


def test_compare_never_writes_its_table_through_a_link_onto_a_database(tmp_path, monkeypatch):
    other = tmp_path / "other.db"
    backprop.sweep(SMALL, {"optimizer.lr": [0.1]}, seeds=1, workers=1, db=other)
    before = other.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    (out / "table.csv").symlink_to(other)
    ran = _no_trial(monkeypatch)
    args = ("compare", "activations", "--epochs", "5", "--seeds", "1", "--workers", "1")
    code, _, err = cli(*args, "--no-plots", "--out", out, cwd=tmp_path)
    one_line(code, err, "table.csv", "symlink", str(other), "--out")
    assert "--csv" not in err
    assert ran == [] and other.read_bytes() == before
    assert (
        not (out / "trials.db").exists()
        or backprop.sweep.load(out / "trials.db").counts()["done"] == 0
    )


def test_compare_refuses_a_table_that_is_its_own_database(tmp_path, monkeypatch):
    out = tmp_path / "out"
    ran = _no_trial(monkeypatch)
    args = ("compare", "activations", "--epochs", "5", "--seeds", "1", "--workers", "1")
    code, _, err = cli(*args, "--no-plots", "--out", out, "--db", out / "table.csv", cwd=tmp_path)
    one_line(code, err, "table.csv", "own database")
    assert ran == []


def test_compare_refuses_a_plot_or_table_that_is_a_fifo_or_folder_before_the_trials(
    tmp_path, monkeypatch
):
    import os

    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "table.csv")
    ran = _no_trial(monkeypatch)
    args = ("compare", "activations", "--epochs", "5", "--seeds", "1", "--workers", "1")
    code, _, err = cli(*args, "--no-plots", "--out", out, cwd=tmp_path)
    one_line(code, err, "table.csv", "FIFO", "compare --out")
    assert "--csv" not in err and ran == []
    os.unlink(out / "table.csv")
    (out / "activations-boxplots.png").mkdir()
    code, _, err = cli(*args, "--out", out, cwd=tmp_path)
    one_line(code, err, "activations-boxplots.png", "folder")
    assert ran == []


def test_compare_asks_for_matplotlib_before_the_trials(tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real(name, *args, **kwargs)

    ran = _no_trial(monkeypatch)
    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    args = ("compare", "activations", "--epochs", "5", "--seeds", "1", "--workers", "1")
    code, _, err = cli(*args, "--out", tmp_path / "out", cwd=tmp_path)
    monkeypatch.setattr(builtins, "__import__", real)
    one_line(code, err, "matplotlib", "--no-plots")
    assert ran == [] and not (tmp_path / "out" / "table.csv").exists()


# L6: a cluster address's error names its cause ----------------------------------------------
def test_a_tls_address_is_said_to_be_unsupported():
    from backprop.errors import ClusterError

    with pytest.raises(ClusterError, match=r"tls:// is not supported.*tcp://") as caught:
        backprop.sweep(SMALL, {"optimizer.lr": [0.1]}, seeds=1, cluster="tls://127.0.0.1:8786")
    assert "not a Dask scheduler" not in str(caught.value)


def test_a_port_past_65535_is_said_to_be_out_of_range():
    from backprop.errors import ClusterError

    with pytest.raises(ClusterError, match=r"port must be 1 to 65535; got 99999") as caught:
        backprop.sweep(SMALL, {"optimizer.lr": [0.1]}, seeds=1, cluster="127.0.0.1:99999")
    assert "needs a host and a port" not in str(caught.value)


def test_an_http_server_at_the_address_is_named_as_such(tmp_path):
    import socket
    import threading

    pytest.importorskip("distributed")
    from backprop.errors import ClusterError

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer_http():  # what a web port (or a proxy on the way) says to Dask's handshake
        server.settimeout(20)
        try:
            while True:
                conn, _ = server.accept()
                with conn:
                    conn.recv(64)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
        except OSError:
            return

    threading.Thread(target=answer_http, daemon=True).start()
    try:
        with pytest.raises(ClusterError, match="an HTTP server answered") as caught:
            backprop.sweep(
                SMALL, {"optimizer.lr": [0.1]}, seeds=1, cluster=f"tcp://127.0.0.1:{port}"
            )
    finally:
        server.close()
    assert "400 Bad Request" in str(caught.value)


# L7: a grid value that no float holds is quoted as typed ------------------------------------
def test_a_grid_number_past_a_float_is_quoted_as_typed(tmp_path):
    for typed, became in (("1e-400", "0.0"), ("1e400", "inf")):
        code, _, err = cli(
            "sweep", "square", "--grid", f"optimizer.lr=0.1,{typed}", "--seeds", "1",
            "--db", tmp_path / "g.db", cwd=tmp_path,
        )  # fmt: skip
        one_line(code, err, f"'{typed}'", "too", became)
        assert f"value {became}" not in err and f"got {became}" not in err


# M2: stored results agree with their ranges and with their history ------------------------


def _last_loss(done_db) -> float:
    """Trial 1's last loss as its stored history holds it (the reference for the edit)."""
    return backprop.sweep.load(done_db).history(1)["loss"][-1]


EDITS = {  # the attacker's edits, each refused on --show naming the trial and the field
    "final_loss": (
        "UPDATE trial SET final_loss = 0.001, metrics = json_set(metrics, '$.loss', 0.001) "
        "WHERE id = 1",
        "final_loss",
    ),
    "r2": ("UPDATE trial SET metrics = json_set(metrics, '$.r2', 5.0) WHERE id = 1", "r2"),
    "seconds": ("UPDATE trial SET seconds = -5 WHERE id = 1", "seconds"),
    "epochs": ("UPDATE trial SET epochs = 99999 WHERE id = 1", "epochs"),
    "diverged": (
        "UPDATE trial SET final_loss = NULL, metrics = json_set(metrics, '$.loss', "
        "json('null'), '$.diverged', json('true')) WHERE id = 1",
        "final_loss",
    ),
    "loss_alone": ("UPDATE trial SET final_loss = 0.001 WHERE id = 1", "final_loss"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edited_result_is_refused_naming_the_trial_and_field(done_db, tmp_path, edit):
    sql, field = EDITS[edit]
    db = edited(done_db, tmp_path, sql)
    code, out, err = cli("sweep", "--show", db, cwd=tmp_path)
    one_line(code, err, "trial 1", field)
    assert out == "" or "0.001" not in out


def test_a_result_edited_to_agree_with_itself_is_caught_by_its_history(done_db, tmp_path):
    last = _last_loss(done_db)
    sql, _ = EDITS["final_loss"]
    db = edited(done_db, tmp_path, sql)
    with pytest.raises(SweepError, match=r"trial 1's history: its last loss is") as caught:
        backprop.sweep.load(db)
    assert repr(last) in str(caught.value)


def test_unedited_results_agree_with_their_histories(done_db):
    results = backprop.sweep.load(done_db)
    for trial in results.trials:
        assert trial["final_loss"] == results.history(trial["id"])["loss"][-1]


def test_sweep_csv_never_overwrites_another_sweeps_database(tmp_path):
    other = tmp_path / "other.db"
    backprop.sweep(SMALL, {"optimizer.lr": [0.1]}, seeds=1, workers=1, db=other)
    before = other.read_bytes()
    (tmp_path / "link.csv").symlink_to(other)
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(SMALL))
    for target in ("link.csv", "other.db"):
        code, _, err = cli("sweep", spec, "--seeds", "1", "--csv", target, cwd=tmp_path)
        one_line(code, err, "--csv", target, "SQLite database")
    assert other.read_bytes() == before
