"""The tables of a sweep's database and the words for the sweep a file holds.

``DDL`` lays out the five tables (docs/sweeps.md, "The store"): ``sweep`` (one row: the
base spec, the grid, the seeds and their hash ``key``), ``config`` (one row per grid
point), ``trial`` (one row per configuration × seed: its spec, status, metrics, packed
history, timing, host and engine), ``owner`` (the processes running trials now, with a
heartbeat) and ``file`` (the pinned data files). ``sweep_key`` is a sweep's identity;
``OtherSweep`` and ``describe`` say which sweep a file holds when it is not the one asked
for. Opening, checking and claiming are ``store.Store``'s; this module runs nothing.
"""

from __future__ import annotations

import hashlib
import json

from ..errors import SweepError

FORMAT = 1

DDL = """
CREATE TABLE sweep (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key TEXT NOT NULL,
    format INTEGER NOT NULL,
    base TEXT NOT NULL,
    grid TEXT NOT NULL,
    seeds TEXT NOT NULL,
    success TEXT,
    created REAL NOT NULL,
    backprop TEXT NOT NULL
);
CREATE TABLE config (
    id INTEGER PRIMARY KEY,
    point TEXT NOT NULL,
    label TEXT NOT NULL,
    parameters INTEGER
);
CREATE TABLE trial (
    id INTEGER PRIMARY KEY,
    config INTEGER NOT NULL REFERENCES config(id),
    seed INTEGER NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'running', 'done', 'failed')),
    owner TEXT,
    claimed REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    final_loss REAL,
    metrics TEXT,
    history BLOB,
    epochs INTEGER,
    seconds REAL,
    train_seconds REAL,
    host TEXT,
    engine TEXT,
    finished REAL,
    notes TEXT,
    error TEXT,
    UNIQUE (config, seed)
);
CREATE INDEX trial_status ON trial (status, seed, config);
CREATE TABLE owner (id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,
                    heartbeat REAL NOT NULL);
CREATE TABLE file (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL);
"""


def sweep_key(base: dict, grid: dict, seeds: list) -> str:
    """The sweep's identity: a hash of its base spec, grid and seeds."""
    text = json.dumps(
        {"base": base, "grid": [[k, v] for k, v in grid.items()], "seeds": seeds}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


class OtherSweep(SweepError):
    """The database holds another sweep. It keeps what the file holds (``where``, ``path``,
    ``held``: the words of ``describe``, ``base``, ``seeds``) so that each caller says the fix
    in its own words: the command line's flags (``Store._check_same``), ``sweep(db=...)`` in Python
    (``driver.sweep``), compare's --out and --seeds (``compare_words.other_run``)."""

    where = path = held = base = seeds = None

    def reworded(self, message: str) -> OtherSweep:
        """The same refusal in other words (the caller's)."""
        new = OtherSweep(message)
        new.__dict__.update(self.__dict__)
        return new


def describe(row) -> str:
    """A stored sweep in a few words: base spec's name, grid keys, seeds."""
    base, grid, seeds = json.loads(row[2]), json.loads(row[3]), json.loads(row[4])
    keys = ", ".join(f"{k} ×{len(v)}" for k, v in grid) or "no grid"
    return f"spec {base.get('name')!r}, grid {keys}, {len(seeds)} seed(s)"
