"""Attacker 9's file and CLI findings (session 27, items 2, 3, 4, 5, 7 and 8's CLI part).

- 2, 3: an output file the command did not write was replaced without a word (compare --out's
  table.csv and PNGs, sweep --csv / --trials-csv over a model or a JSON file): now every
  output file follows ``backprop.replacing`` (own kind replaced, else refused, or
  --overwrite);
- 4: a huge --x made NaN and the weights were blamed;
- 5: a deleted trial row was "not one the plan makes, or is there twice";
- 7: /proc paths were "a folder on the path does not exist", a cut-short database "not a
  sweep database";
- 8: an empty path flag printed to the screen or wrote nothing.
Each test fails on the code before the fix.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

import backprop
from cli_helpers import cli, one_line
from sweep_helpers import edited


@pytest.fixture
def model(square_model_file) -> Path:
    """A small trained square model (no input scaler): conftest's, made once a session."""
    return square_model_file


# -- items 2 and 3: outputs over files the command did not write ---------------------------
def test_compare_out_keeps_the_users_own_files(tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    (user / "table.csv").write_text("precious\n")
    (user / "activations-boxplots.png").write_text("x\n")
    code, _, err = cli("compare", "activations", "--epochs", "5", "--seeds", "1", "--workers",
                       "1", "--out", "user", "-q", cwd=tmp_path)  # fmt: skip
    one_line(code, err, "--out", "table.csv", "a text file", "--overwrite")
    assert (user / "table.csv").read_text() == "precious\n"
    assert (user / "activations-boxplots.png").read_text() == "x\n"
    assert sorted(os.listdir(user)) == ["activations-boxplots.png", "table.csv"]  # no db


def test_compare_out_replaces_its_own_table_and_overwrite_any(tmp_path):
    argv = ("compare", "activations", "--epochs", "5", "--seeds", "1", "--workers", "1",
            "--out", "c", "-q", "--no-plots")  # fmt: skip
    code, _, err = cli(*argv, cwd=tmp_path)
    assert code == 0, err
    table = (tmp_path / "c" / "table.csv").read_text()
    (tmp_path / "c" / "table.csv").write_text(table.replace("relu", "RELU"))
    code, _, err = cli(*argv, cwd=tmp_path)  # running again is normal: its own table
    assert code == 0, err
    assert (tmp_path / "c" / "table.csv").read_text() == table
    (tmp_path / "c" / "table.csv").write_text("mine\n")
    code, _, err = cli(*argv, "--overwrite", cwd=tmp_path)
    assert code == 0, err
    assert (tmp_path / "c" / "table.csv").read_text() == table


@pytest.mark.parametrize(
    ("flag", "planted", "kind"),
    [
        ("--trials-csv", "model", "a model file"),
        ("--csv", '{"a": 1}\n', "a JSON document"),
        ("--csv", "a,b\n1,2\n", "a text file"),
        ("--trials-csv", "TABLE", "a sweep's table"),
    ],
)
def test_sweep_csv_outputs_refuse_other_files(done_db, model, tmp_path, flag, planted, kind):
    target = tmp_path / "out.file"
    if planted == "model":
        shutil.copy(model, target)
    elif planted == "TABLE":
        target.write_text(backprop.sweep.load(done_db).to_csv())
    else:
        target.write_text(planted)
    before = target.read_bytes()
    code, _, err = cli("sweep", "--show", done_db, flag, target, "-q", cwd=tmp_path)
    one_line(code, err, flag, kind, "--overwrite")
    assert target.read_bytes() == before
    code, _, err = cli("sweep", "--show", done_db, flag, target, "-q", "--overwrite",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert target.read_bytes() != before


def test_sweep_csv_outputs_replace_their_own(done_db, tmp_path):
    argv = ("sweep", "--show", done_db, "--csv", "t.csv", "--trials-csv", "tr.csv", "-q")
    assert cli(*argv, cwd=tmp_path)[0] == 0
    first = (tmp_path / "t.csv").read_text(), (tmp_path / "tr.csv").read_text()
    code, _, err = cli(*argv, cwd=tmp_path)
    assert code == 0, err
    assert ((tmp_path / "t.csv").read_text(), (tmp_path / "tr.csv").read_text()) == first


def test_predict_output_refuses_a_users_csv_and_replaces_its_own(model, tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    code, _, err = cli("predict", model, "--x", "1", "--output", "data.csv", cwd=tmp_path)
    one_line(code, err, "--output", "'data.csv'", "a predictions CSV", "--overwrite")
    assert (tmp_path / "data.csv").read_text() == "a,b\n1,2\n"
    for _ in range(2):  # a new file, then its own: replaced
        code, _, err = cli("predict", model, "--x", "2", "--output", "p.csv", cwd=tmp_path)
        assert code == 0, err
    assert (tmp_path / "p.csv").read_text().startswith("x,y (predicted)\n2,")
    code, _, err = cli("predict", model, "--x", "1", "--output", "data.csv", "--overwrite",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "data.csv").read_text().startswith("x,y (predicted)\n1,")


# -- item 4: an input that overflows float32 inside the network ----------------------------
def test_predict_names_an_input_that_overflows_float32(model, tmp_path):
    import numpy as np

    f = backprop.io.read(model)
    weights = [p._data for p in f.model.parameters()]
    assert all(np.isfinite(w).all() for w in weights)  # the weights are not to blame
    code, out, err = cli("predict", model, "--x", "3e38", "1", cwd=tmp_path)
    assert code == 0, err
    assert out.splitlines()[1] in ("3e+38,nan", "3e+38,inf", "3e+38,-inf")
    assert "1 of 2 predictions are not finite" in err
    for phrase in ("x = 3e+38", "overflowed float32", "±3.4e38", "the weights are finite"):
        assert phrase in err, (phrase, err)
    assert "diverged" not in err


def test_predict_still_blames_weights_that_overflow_on_small_inputs(tmp_path):
    """Weights of 1e30 (a diverged run): 8 ReLU units of 1e30 * (1 + 1) summed by 1e30 are
    1.6e61, past float32 for x = 1 itself, so the weights are named, not the input."""
    model = backprop.nn.MLP([1, 8, 1], "relu")
    for p in model.parameters():
        p._data[...] = 1e30
    backprop.save(model, tmp_path / "huge.safetensors")
    code, _, err = cli("predict", "huge.safetensors", "--x", "1", cwd=tmp_path)
    assert code == 0, err
    assert "largest |w| = 1e+30" in err and "diverged" in err, err
    assert "so large" not in err


# -- item 5: a deleted trial row -----------------------------------------------------------
def test_a_deleted_trial_is_named_on_show_and_run_again_on_resume(done_db, tmp_path):
    stored = {t["id"]: t["final_loss"] for t in backprop.sweep.load(done_db).trials}
    db = edited(done_db, tmp_path, "DELETE FROM trial WHERE id = 1")
    code, _, err = cli("sweep", "--show", db, cwd=tmp_path)
    one_line(code, err, "trial 1 (configuration 0, seed 0)", "missing", "--resume")
    assert "twice" not in err
    code, _, err = cli("sweep", "--resume", db, "--workers", "1", "-q", cwd=tmp_path)
    assert code == 0, err
    again = {t["id"]: t["final_loss"] for t in backprop.sweep.load(db).trials}
    assert again == stored  # the re-run trial's numbers, bit for bit, as it first ran


def test_a_trial_the_plan_does_not_make_is_still_said_so(done_db, tmp_path):
    db = edited(done_db, tmp_path, "UPDATE trial SET seed = 99 WHERE id = 2")
    code, _, err = cli("sweep", "--show", db, cwd=tmp_path)
    one_line(code, err, "trial 2 (configuration 1, seed 99) is not one the plan makes")


# -- item 7: the truth about paths that exist -----------------------------------------------
@pytest.mark.skipif(not os.path.isfile("/proc/1/status"), reason="needs Linux /proc")
def test_proc_paths_are_not_said_to_be_missing(model, tmp_path):
    code, _, err = cli("predict", model, "--x", "1", "--output", "/proc/1/status",
                       "--overwrite", cwd=tmp_path)  # fmt: skip
    one_line(code, err, "--output", "/proc")
    assert "does not exist" not in err
    code, _, err = cli("train", "square", "--epochs", "2", "--out", "/proc/self", "-q",
                       cwd=tmp_path)  # fmt: skip
    one_line(code, err, "--out", "/proc")
    assert "does not exist" not in err


def test_a_cut_short_database_is_damaged(done_db, tmp_path):
    db = tmp_path / "cut.db"
    db.write_bytes(Path(done_db).read_bytes()[:6000])
    code, _, err = cli("sweep", "--show", db, cwd=tmp_path)
    one_line(code, err, "damaged", "cut short, 6,000 bytes")
    assert "not a sweep database" not in err
    con = sqlite3.connect(done_db)  # the untouched one still reads
    con.close()


# -- item 8: empty path flags ---------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ("predict", "MODEL", "--x", "1", "--output", ""),
        ("sweep", "--show", "DB", "--csv", ""),
        ("sweep", "--show", "DB", "--trials-csv", ""),
        ("train", "square", "--epochs", "2", "--out", ""),
        ("sweep", "square", "--db", ""),
        ("compare", "activations", "--out", ""),
    ],
)
def test_an_empty_path_flag_is_refused(model, done_db, tmp_path, argv):
    argv = [{"MODEL": model, "DB": done_db}.get(a, a) for a in argv]
    code, out, err = cli(*argv, cwd=tmp_path)
    flag = argv[-2]
    one_line(code, err, f"{flag} ''", "empty")
    assert out == ""
    assert os.listdir(tmp_path) == []
