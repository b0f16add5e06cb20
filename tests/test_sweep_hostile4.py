"""Sweeps against what the seventh attacker found (issue 18), each test naming its class and
failing on the code before the fix.

1. every file sweep writes follows compare's rule: never through a symlink (--csv,
   --trials-csv, Results.to_csv / trials_csv); 2. stored values the plan derives are checked
   on open (a configuration's parameter count, a trial's seconds, a failed trial's results);
3. a CSV text cell a spreadsheet would read as a formula is written as text (OWASP);
4. a nonzero --success number that reads as 0 is refused as too small, and two --grid
   spellings of one value are named as typed."""

from __future__ import annotations

import csv
import io
import json

import pytest

import backprop
from cli_helpers import cli, one_line
from sweep_helpers import SMALL, edited


# 1. one output-file rule: never written through a link -----------------------------------
@pytest.mark.parametrize("flag", ["--csv", "--trials-csv"])
def test_a_csv_that_is_a_symlink_is_refused_and_its_target_untouched(done_db, tmp_path, flag):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "link.csv").symlink_to(victim)
    code, out, err = cli("sweep", "--show", done_db, flag, "link.csv", cwd=tmp_path)
    one_line(code, err, flag, "link.csv", "symlink", "victim.txt", "never through a link")
    assert out == "" and victim.read_text() == "precious\n"
    assert (tmp_path / "link.csv").is_symlink()


def test_the_library_writes_no_csv_through_a_link(done_db, tmp_path):
    from backprop.errors import ConfigError

    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "link.csv").symlink_to(victim)
    results = backprop.sweep.load(done_db)
    for write in (results.to_csv, results.trials_csv):
        with pytest.raises(ConfigError, match="symlink"):
            write(tmp_path / "link.csv")
    assert victim.read_text() == "precious\n"
    results.to_csv(tmp_path / "real.csv")  # a plain new file is still written
    assert (tmp_path / "real.csv").read_text() == results.to_csv()


# 2. values the plan derives, checked on open ---------------------------------------------
def test_an_edited_parameter_count_is_refused(done_db, tmp_path):
    db = edited(done_db, tmp_path, ("UPDATE config SET parameters = ? WHERE id = 1", (2**63 - 1,)))
    code, out, err = cli("sweep", "--show", db, cwd=tmp_path)
    one_line(code, err, "optimizer.lr=0.2", "parameter count", f"{2**63 - 1:,}", "10")
    assert out == ""


@pytest.mark.parametrize(
    "spec",
    [
        SMALL,
        {**SMALL, "model": {"hidden": [4, 5], "activation": "tanh", "bias": False}},
        {**SMALL, "data": {"name": "xor"}, "model": {"hidden": [6], "activation": "relu"}},
        {**SMALL, "data": {"name": "spiral", "n": 60}, "model": {"hidden": [7, 3]}},
        {**SMALL, "data": {"name": "iris"}, "model": {"hidden": [5]}},
        {**SMALL, "model": {"sizes": [1, 5, 2, 1], "activation": "relu"}},
    ],
)
def test_the_derived_count_is_the_built_networks(spec):
    """The count worked out on open equals the built network's (the plan's own way)."""
    from backprop.spec import prepare
    from backprop.spec.schema import normalize
    from backprop.sweep.paramcount import counter

    ready = prepare(dict(spec))
    assert counter()(normalize(dict(spec))) == sum(p.numel() for p in ready.net.parameters())


def test_seconds_past_the_sweeps_own_span_are_refused(done_db, tmp_path):
    db = edited(done_db, tmp_path, ("UPDATE trial SET seconds = 1e308 WHERE id = 2",))
    code, out, err = cli("sweep", "--show", db, cwd=tmp_path)
    one_line(code, err, "trial 2's seconds", "1e+308", "sweep's start")
    assert out == ""


def test_a_failed_trial_holding_results_is_refused(done_db, tmp_path):
    db = edited(
        done_db, tmp_path, ("UPDATE trial SET status = 'failed', error = 'boom' WHERE id = 1",)
    )
    code, out, err = cli("sweep", "--show", db, cwd=tmp_path)
    one_line(code, err, "trial 1's", "final_loss", "metrics", "'failed'")
    assert out == ""


# 3. formulas in CSV cells ----------------------------------------------------------------
def test_a_stored_error_is_never_a_spreadsheet_formula_and_numbers_stay_numbers(tmp_path):
    """An error or host text starting = or @ is written as text ('...); r2 below 0 (one
    epoch at lr 1e-6: worse than the mean) stays a number, its sign kept."""
    spec = {**SMALL, "epochs": 1, "optimizer": {"name": "sgd", "lr": 1e-6}}
    first = tmp_path / "first.db"
    backprop.sweep(spec, {"epochs": [1]}, seeds=2, workers=1, db=first)
    formula = '=HYPERLINK("http://x")'
    db = edited(
        first,
        tmp_path,
        (
            "UPDATE trial SET status = 'failed', error = ?, final_loss = NULL, metrics = NULL, "
            "history = NULL, epochs = NULL, seconds = NULL, train_seconds = NULL, "
            "finished = NULL WHERE id = 2",
            (formula,),
        ),
        ("UPDATE trial SET host = '@SUM(1)' WHERE id = 1",),
    )
    out_csv = tmp_path / "trials.csv"
    code, _, _ = cli("sweep", "--show", db, "--trials-csv", out_csv, cwd=tmp_path)
    assert code == 1  # a failed trial
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert rows[1]["error"] == "'" + formula
    assert rows[0]["host"] == "'@SUM(1)"
    r2 = backprop.sweep.load(db).trials[0]["metrics"]["r2"]
    assert r2 < 0 and rows[0]["r2"] == repr(r2)
    for row in rows:  # text cells only: a number keeps its sign and reads as a number
        for name, cell in row.items():
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), (name, cell)
            if cell.startswith("-"):
                float(cell)


# 4. numbers judged on the text -----------------------------------------------------------
def test_a_success_threshold_that_reads_as_zero_is_too_small(done_db, tmp_path):
    code, _, err = cli("sweep", "--show", done_db, "--success", "loss<1e-400", cwd=tmp_path)
    one_line(code, err, "--success", "'1e-400'", "too small for a float")
    assert "0 or more" not in err


def test_two_spellings_of_one_grid_value_are_named_as_typed(tmp_path):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(SMALL))
    typed = "0.10000000000000000001"
    code, _, err = cli("sweep", spec, "--grid", f"optimizer.lr=0.1,{typed}", cwd=tmp_path)
    one_line(code, err, "--grid", "'0.1'", f"'{typed}'", "give it once")
    code, _, err = cli("sweep", spec, "--grid", "model.hidden=8,[8]", cwd=tmp_path)
    one_line(code, err, "'8'", "'[8]'")
    assert list(tmp_path.iterdir()) == [spec]
