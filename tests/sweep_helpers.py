"""What the sweep attack suites share: a small spec, its two-trial grid, and a finished
sweep's database that a test copies and edits (a lying file made from a true one)."""

import shutil
import sqlite3

SMALL = {
    "name": "small",
    "data": {"name": "square", "n": 30},
    "model": {"hidden": [3], "activation": "relu"},
    "optimizer": {"name": "adam", "lr": 0.1},
    "epochs": 20,
    "engine": "delta",
}
GRID = {"optimizer.lr": [0.1, 0.2]}


def edited(done_db, tmp_path, *sql) -> str:
    """A copy of ``done_db`` in ``tmp_path`` with each SQL statement run on it: a statement
    is a text, or a tuple of a text and its parameters."""
    db = tmp_path / "edited.db"
    shutil.copy(done_db, db)
    con = sqlite3.connect(db)
    for statement in sql:
        text, *params = (statement,) if isinstance(statement, str) else statement
        con.execute(text, *params)
    con.commit()
    con.close()
    return str(db)
