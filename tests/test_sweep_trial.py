"""Sweeps and compare against what a student/practitioner trial found (issue 18, brief SWZ):
each test names its item and fails on the code before the fix.

P4 the Python grid reads layer sizes as the command line does (8 → [8], '8x8' → [8, 8]);
P7 the too-many-trials refusal counts every value; P8 a criterion no trial can meet is
refused before work, with the metric's range."""

from __future__ import annotations

import pytest

import backprop
from backprop.errors import BackpropError
from backprop.spec import normalize
from backprop.sweep import grid as grids
from backprop.sweep.results import parse_success

SMALL = {
    "name": "small",
    "data": {"name": "square", "n": 30},
    "model": {"hidden": [3], "activation": "relu"},
    "optimizer": {"name": "adam", "lr": 0.1},
    "epochs": 5,
    "engine": "delta",
}


# P4: one reading of layer sizes ----------------------------------------------------------
def test_python_grid_reads_layer_sizes_as_the_command_line_does():
    base = normalize(SMALL)
    words = grids.parse_grid(["model.hidden=8,8x8,none"])
    cli = grids.check_grid(base, {grids.check_key(k): v for k, v in words.items()}, 1)
    python = grids.check_grid(base, {"model.hidden": [8, "8x8", "none"]}, 1)
    assert python == cli


def test_python_sweep_runs_hidden_given_as_numbers(tmp_path):
    table = backprop.sweep(SMALL, {"model.hidden": [2, "2x2"]}, seeds=1, workers=1)
    same = backprop.sweep(SMALL, {"model.hidden": [[2], [2, 2]]}, seeds=1, workers=1)
    assert [r.label for r in table] == [r.label for r in same]
    assert [r.mean for r in table] == [r.mean for r in same]


# P7: the count in the refusal is the real count ------------------------------------------
@pytest.mark.parametrize("values, seeds", [(15, 1000), (15, 800), (15, 909)])
def test_too_many_trials_says_the_real_count(values, seeds):
    lrs = [0.001 * (i + 1) for i in range(values)]
    with pytest.raises(BackpropError) as info:
        grids.check_grid(normalize(SMALL), {"optimizer.lr": lrs}, seeds)
    message = str(info.value)
    assert f"{len(lrs)} optimizer.lr" in message
    assert f"= {len(lrs) * seeds:,} trials" in message


def test_compare_width_depth_counts_all_its_configurations():
    from backprop.sweep.compare import QUESTIONS

    q = QUESTIONS["width-depth"]
    configs = 1
    for values in q.grid.values():
        configs *= len(values)
    for seeds in (800, 909, 1000):
        with pytest.raises(BackpropError) as info:
            backprop.sweep(q.base, q.grid, seeds=seeds, workers=1, success=q.success)
        assert f"= {configs * seeds:,} trials" in str(info.value)


# P8: a criterion that can never be met ---------------------------------------------------
@pytest.mark.parametrize(
    "criterion, word",
    [("accuracy>90", "0 to 1"), ("loss<-1", "0 or more"), ("r2>1", "at most 1")],
)
def test_a_criterion_no_trial_can_meet_is_refused_with_the_range(criterion, word):
    with pytest.raises(BackpropError) as info:
        parse_success(criterion)
    assert word in str(info.value)


def test_an_unmeetable_criterion_is_refused_before_the_database_is_made(tmp_path):
    db = tmp_path / "s.db"
    with pytest.raises(BackpropError, match="0 or more"):
        backprop.sweep(SMALL, {"optimizer.lr": [0.1]}, seeds=1, db=db, success="loss<-1")
    assert not db.exists()


@pytest.mark.parametrize("criterion", ["loss<1e-3", "r2>=1", "accuracy>=1", "loss<=0"])
def test_reachable_criteria_stay_accepted(criterion):
    assert parse_success(criterion) is not None


def test_a_metric_prefix_gets_a_suggestion():
    with pytest.raises(BackpropError, match="'accuracy'"):
        parse_success("acc>0.9")


# P1: the first sweep on a machine compiles the kernel once, before the trials, and says so
def test_a_cold_kernel_is_compiled_once_before_the_trials_and_said(monkeypatch, capsys):
    from backprop.delta import fused

    events = []
    monkeypatch.setattr(fused, "cache_state", lambda dtype: "memory" if events else "cold")
    monkeypatch.setattr(fused, "warm_up", lambda dtypes: events.append(("compile", dtypes)))
    spec = {**SMALL, "engine": "auto"}
    backprop.sweep(
        spec, {"optimizer.lr": [0.1]}, seeds=2, workers=1, progress=lambda p: events.append(p)
    )
    assert events[0] == ("compile", ("float32",))  # once, before the first trial's progress
    assert sum(1 for e in events if isinstance(e, tuple)) == 1
    err = capsys.readouterr().err
    assert "compiling the fast training kernel for this machine, once" in err
    assert "later runs start at once" in err


# P3: the criterion in the loss column's unit, and digits enough to tell losses apart ----
def test_an_rmse_criterion_is_said_in_the_loss_unit_in_the_table():
    threshold = 1e-3
    table = backprop.sweep(
        {**SMALL, "data": {"name": "abs", "n": 30}},
        {"optimizer.lr": [0.1]},
        seeds=1,
        workers=1,
        success=f"rmse<{threshold}",
    )
    head = table.table().splitlines()[0]
    assert f"loss<{threshold**2:.0e}".replace("e-06", "e-6") in head  # mse = rmse²
    half = backprop.sweep(
        {**SMALL, "loss": "half_mse"},
        {"optimizer.lr": [0.1]},
        seeds=1,
        workers=1,
        success="rmse<1e-2",
    )
    assert "loss<5e-5" in half.table().splitlines()[0]  # ½mse = rmse²/2


def test_compare_words_say_the_closest_loss_to_four_digits_and_the_loss_criterion():
    answer = backprop.compare("activations", seeds=1, epochs=30, workers=1, plots=False)
    never = [w for w in answer.words if "never succeeds" in w and "closest" in w]
    assert never
    for sentence in never:
        group = sentence.split(" never")[0]
        best = min(r.best for r in answer.rows if group in r.label)
        assert f"final loss of {best:.4g} " in sentence
        assert "loss < 1e-6" in sentence


# P2: a finished compare asked for more seeds: the fix in the caller's words -------------
def test_compare_with_more_seeds_says_its_own_flags(tmp_path):
    from cli_helpers import cli, one_line

    args = ("compare", "activations", "--epochs", "5", "--no-plots", "--out", "q", "-q")
    code, _, err = cli(*args, "--seeds", "1", "--workers", "1", cwd=tmp_path)
    assert code == 0, err
    code, _, err = cli(*args, "--seeds", "3", "--workers", "1", cwd=tmp_path)
    one_line(code, err, "--out", "--seeds 1 --epochs 5")
    assert "--resume" not in err  # compare has no --resume


def test_python_callers_hear_parameters_not_flags(tmp_path):
    db = tmp_path / "s.db"
    backprop.sweep(SMALL, {"optimizer.lr": [0.1]}, seeds=1, db=db, workers=1)
    with pytest.raises(BackpropError) as info:
        backprop.sweep(SMALL, {"optimizer.lr": [0.2]}, seeds=1, db=db, workers=1)
    assert "sweep(db=" in str(info.value) and "--" not in str(info.value)
    with pytest.raises(BackpropError) as info:
        backprop.compare("activations", epochs=5, seeds=1, db=db, plots=False, workers=1)
    assert "compare(db=" in str(info.value) and "--" not in str(info.value)


# P5/P6: a cluster address is reached before any database is made; its errors say what ---
def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed when the socket goes: nothing listens


def test_an_unreachable_cluster_leaves_no_database(tmp_path):
    pytest.importorskip("distributed")
    from backprop.errors import ClusterError

    db = tmp_path / "s.db"
    with pytest.raises(ClusterError, match="refused"):
        backprop.sweep(SMALL, {"optimizer.lr": [0.1]}, db=db, cluster=f"127.0.0.1:{_closed_port()}")
    assert not db.exists()


def test_a_host_name_that_does_not_resolve_is_said(tmp_path):
    pytest.importorskip("distributed")
    from backprop.errors import ClusterError

    with pytest.raises(ClusterError, match="does not resolve"):  # RFC 6761: .invalid never
        backprop.sweep(SMALL, {"optimizer.lr": [0.1]}, cluster="tcp://nosuchhost.invalid:8786")


def test_a_web_server_is_said_to_be_one():
    pytest.importorskip("distributed")
    import http.server
    import threading

    from backprop.errors import ClusterError
    from backprop.sweep.dask_connect import connect

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # no request lines on the test's stderr
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(ClusterError, match=r"HTTP server answered.*not a Dask scheduler"):
            connect(f"tcp://127.0.0.1:{server.server_address[1]}", deadline=2.0)
    finally:
        server.shutdown()
        server.server_close()


# P9: small words -------------------------------------------------------------------------
@pytest.mark.parametrize("key, meant", [("lr", "optimizer.lr"), ("momentum", "momentum")])
def test_a_bare_option_key_gets_its_section(key, meant):
    with pytest.raises(BackpropError, match=f"Did you mean '[a-z.]*{meant}'"):
        grids.check_key(key)


def test_a_data_set_named_where_a_spec_goes_is_said(tmp_path):
    from backprop.spec import builtin_names
    from cli_helpers import cli, one_line

    code, _, err = cli("sweep", "sine", "--grid", "optimizer.lr=0.1", cwd=tmp_path)
    one_line(code, err, "built-in data set, not a spec", '{"data": "sine"}', *builtin_names())


def test_a_lost_scheduler_names_the_file_and_the_call_in_python(tmp_path, monkeypatch):
    from backprop.sweep import cluster, driver

    def lose(*args, **kwargs):
        lost = cluster.LostScheduler("lost")
        lost.address = "tcp://127.0.0.1:8786"
        raise lost

    monkeypatch.setattr(driver, "drive", lose)
    db = tmp_path / "s.db"
    with pytest.raises(BackpropError) as info:
        backprop.sweep(SMALL, {"optimizer.lr": [0.1]}, seeds=1, db=db, workers=1)
    said = str(info.value)
    assert f"backprop.sweep.resume({str(db)!r}, cluster='tcp://127.0.0.1:8786')" in said
    assert "--" not in said


def test_a_file_that_is_no_database_is_named_by_its_kind(tmp_path):
    from cli_helpers import cli, one_line

    table = tmp_path / "table.csv"
    table.write_text("model.hidden,seeds_done\n8,10\n")
    (tmp_path / "trials.db").write_bytes(b"")
    code, _, err = cli("sweep", "--show", "table.csv", cwd=tmp_path)
    one_line(code, err, "CSV", "trials.db beside it")
    assert "--db" not in err and "b'" not in err  # no raw bytes, no flag of another mode


def test_a_1x1x1_grid_value_is_told_the_grid_form():
    table = backprop.sweep(SMALL, {"model.hidden": [[1, 1, 1]]}, seeds=1, workers=1)
    notes = [text for _, _, _, text in table.notes()]
    assert any("model.sizes=1x1x1 in a sweep's grid" in text for text in notes), notes


def test_trials_csv_has_each_seeds_numbers(tmp_path):
    import csv

    from cli_helpers import cli

    args = ("sweep", "abs", "--grid", "model.hidden=2,3", "--seeds", "0..2", "--db", "s.db")
    code, _, err = cli(*args, "-q", "--trials-csv", "trials.csv", cwd=tmp_path)
    assert code == 0, err
    rows = list(csv.DictReader((tmp_path / "trials.csv").open()))
    stored = backprop.sweep.load(tmp_path / "s.db").trials
    assert len(rows) == len(stored) == 6
    for row, trial in zip(rows, stored):
        assert int(row["seed"]) == trial["seed"]
        assert float(row["final_loss"]) == trial["final_loss"]  # in full
        assert float(row["rmse"]) == trial["metrics"]["rmse"]


def test_a_csv_sweep_says_its_loss_is_on_the_standardised_target(tmp_path):
    import numpy as np

    x = np.linspace(0, 10, 40)
    data = tmp_path / "lin.csv"
    data.write_text("x,price\n" + "".join(f"{a:.6f},{50 + 30 * a:.6f}\n" for a in x))
    spec = {"data": {"csv": str(data), "target": "price"}, "epochs": 3, "engine": "delta"}
    table = backprop.sweep(spec, {"model.hidden": [[2]]}, seeds=1, workers=1)
    assert "standardised target: price" in table.table().splitlines()[-1]
    plain = backprop.sweep(SMALL, {"model.hidden": [[2]]}, seeds=1, workers=1)
    assert "standardised" not in plain.table()


def test_a_spec_file_left_to_its_sets_defaults_is_told_them(tmp_path):
    from cli_helpers import cli

    (tmp_path / "sine.json").write_text('{"data": "sine"}')
    args = ("sweep", "sine.json", "--grid", "epochs=2", "--workers", "1", "--db", "s.db")
    code, out, err = cli(*args, cwd=tmp_path)
    assert code == 0, err
    said = [line for line in out.splitlines() if "built-in set sine" in line]
    from backprop.spec.setdefaults import open_settings

    lr = open_settings({"data": "sine"})["optimizer.lr"]  # the set's own, as train uses
    assert said and f"lr {lr:g}" in said[0] and "epochs" not in said[0]  # the grid sets epochs
