"""A sweep's results database: one SQLite file (stdlib ``sqlite3``, WAL mode) per sweep.

Tables (docs/sweeps.md, "The store"): ``sweep`` (one row: the base spec, the grid, the seeds
and their hash ``key``), ``config`` (one row per grid point), ``trial`` (one row per
configuration × seed: its spec, status, metrics, packed history, timing, host and engine)
and ``owner`` (the processes running trials now, with a heartbeat).

Every change is one transaction. A process *claims* trials (``todo`` → ``running``, owner
= host:pid:start-time) before it runs them and writes each result only if it still owns the
trial, so two processes on one database never run a trial both, and a trial's row is
written once. A ``running`` trial whose owner is dead — its process gone on this host, or no
heartbeat for ``LEASE`` seconds from another host — goes back to ``todo``: a sweep killed
at any moment (``kill -9``) resumes where it was and loses nothing but its trials in progress.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import time

from ..errors import SweepError
from .owners import LEASE, alive, my_owner  # noqa: F401 (LEASE: also the store's)

FORMAT = 1
BUSY_MS = 60_000  # how long a writer waits for another's transaction

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
"""


def sweep_key(base: dict, grid: dict, seeds: list) -> str:
    """The sweep's identity: a hash of its base spec, grid and seeds."""
    text = json.dumps(
        {"base": base, "grid": [[k, v] for k, v in grid.items()], "seeds": seeds}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


class Store:
    """The database of one sweep. ``path`` None keeps it in memory (the library's default)."""

    def __init__(self, path=None) -> None:
        self.path = None if path is None else os.fspath(path)
        self.label = "the in-memory store" if path is None else f"sweep database {self.path!r}"
        if self.path is not None:
            _check_file(self.path)
        try:
            self.db = sqlite3.connect(
                self.path or ":memory:", isolation_level=None, timeout=BUSY_MS / 1000
            )
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            if self.path is not None:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")  # a crashed process loses nothing
        except sqlite3.DatabaseError as exc:
            raise SweepError(
                f"{self.label}: not a sweep database ({exc}); give a new file "
                "name to --db, or the database a sweep wrote."
            ) from None
        self.owner = my_owner()

    def close(self) -> None:
        self.db.close()

    # -- transactions -------------------------------------------------------------------
    def _write(self, work):
        """Run ``work(cursor)`` in one IMMEDIATE transaction (one writer at a time)."""
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            out = work(cur)
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")
        return out

    def has_sweep(self) -> bool:
        row = self.db.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sweep'"
        ).fetchone()
        return bool(row[0])

    def create(
        self,
        key: str,
        base: dict,
        grid: dict,
        seeds: list,
        configs: list,
        trials: list,
        success: str | None,
    ) -> bool:
        """Make the tables and rows of a new sweep, or check that the file holds this one.

        ``configs``: (point, label, parameters); ``trials``: (config index, seed, spec).
        Returns True when the sweep was already there (a resume)."""
        from .. import __version__

        def work(cur):
            tables = {
                r[0] for r in cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if "sweep" in tables:
                self._check_same(cur, key)
                if success is not None:
                    cur.execute("UPDATE sweep SET success = ?", (success,))
                return True
            if tables:
                raise SweepError(
                    f"{self.label}: a SQLite database of something else (tables "
                    f"{', '.join(sorted(tables))}); give a new file name to --db."
                )
            for statement in DDL.split(";"):
                if statement.strip():
                    cur.execute(statement)
            cur.execute(
                "INSERT INTO sweep VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    FORMAT,
                    json.dumps(base),
                    json.dumps([[k, v] for k, v in grid.items()]),
                    json.dumps(seeds),
                    success,
                    time.time(),
                    __version__,
                ),
            )
            cur.executemany(
                "INSERT INTO config VALUES (?, ?, ?, ?)",
                [(i, json.dumps(p), lab, n) for i, (p, lab, n) in enumerate(configs)],
            )
            cur.executemany(
                "INSERT INTO trial (id, config, seed, spec) VALUES (?, ?, ?, ?)",
                [(i + 1, c, s, json.dumps(spec)) for i, (c, s, spec) in enumerate(trials)],
            )
            return False

        return self._write(work)

    def _check_same(self, cur, key: str) -> None:
        row = cur.execute("SELECT key, format, base, grid, seeds FROM sweep").fetchone()
        if row is None:
            raise SweepError(f"{self.label}: its sweep table is empty; give a new file name.")
        if row[1] > FORMAT:
            raise SweepError(
                f"{self.label}: written by a newer backprop (format {row[1]}, this "
                f"one reads {FORMAT}); upgrade backprop to read it."
            )
        if row[0] != key:
            raise SweepError(
                f"{self.label} holds another sweep ({describe(row)}); give a new "
                "file name to --db, or --resume FILE to go on with that sweep."
            )

    def plan(self) -> dict:
        """The stored sweep: base spec, grid, seeds, success criterion and key."""
        if not self.has_sweep():
            raise SweepError(
                f"{self.label}: holds no sweep (no 'sweep' table); give a database "
                "a sweep wrote (backprop sweep SPEC --grid … --db FILE)."
            )
        row = self.db.execute(
            "SELECT key, format, base, grid, seeds, success FROM sweep"
        ).fetchone()
        if row is None:
            raise SweepError(f"{self.label}: its sweep table is empty; give a new file name.")
        if row[1] > FORMAT:
            raise SweepError(f"{self.label}: written by a newer backprop (format {row[1]}).")
        return {
            "key": row[0],
            "base": json.loads(row[2]),
            "grid": dict(json.loads(row[3])),
            "seeds": json.loads(row[4]),
            "success": row[5],
        }

    # -- claims ---------------------------------------------------------------------------
    def heartbeat(self) -> None:
        host, pid = socket.gethostname(), os.getpid()
        self._write(
            lambda cur: cur.execute(
                "INSERT OR REPLACE INTO owner VALUES (?, ?, ?, ?)",
                (self.owner, host, pid, time.time()),
            )
        )

    def reclaim_dead(self) -> int:
        """Trials run by processes that are gone go back to ``todo``; returns how many."""

        def work(cur):
            now = time.time()
            beats = dict(cur.execute("SELECT id, heartbeat FROM owner"))
            owners = [
                r[0]
                for r in cur.execute("SELECT DISTINCT owner FROM trial WHERE status = 'running'")
            ]
            dead = [o for o in owners if o != self.owner and not alive(o, beats.get(o), now)]
            n = 0
            for o in dead:
                n += cur.execute(
                    "UPDATE trial SET status = 'todo', owner = NULL WHERE "
                    "status = 'running' AND owner = ?",
                    (o,),
                ).rowcount
            gone = [o for o in beats if o != self.owner and not alive(o, beats[o], now)]
            cur.executemany("DELETE FROM owner WHERE id = ?", [(o,) for o in gone])
            return n

        return self._write(work)

    def claim(self, n: int) -> list[tuple[int, str, int]]:
        """Up to ``n`` trials to run, (id, spec JSON, config), now owned by this process."""

        def work(cur):
            rows = cur.execute(
                "SELECT id, spec, config FROM trial WHERE status = 'todo' "
                "ORDER BY seed, config LIMIT ?",
                (n,),
            ).fetchall()
            now = time.time()
            cur.executemany(
                "UPDATE trial SET status = 'running', owner = ?, claimed = ?, "
                "attempts = attempts + 1 WHERE id = ?",
                [(self.owner, now, r[0]) for r in rows],
            )
            return rows

        return self._write(work)

    def finish(self, results: list[tuple[int, dict]]) -> int:
        """Write finished trials (id, ``trial.run_trial``'s dict) still owned by this
        process; returns how many were written."""

        def work(cur):
            n = 0
            for tid, r in results:
                n += cur.execute(
                    "UPDATE trial SET status = 'done', spec = ?, final_loss = ?, metrics = ?, "
                    "history = ?, epochs = ?, seconds = ?, train_seconds = ?, host = ?, "
                    "engine = ?, finished = ?, notes = ?, error = NULL "
                    "WHERE id = ? AND status = 'running' AND owner = ?",
                    (
                        json.dumps(r["spec"]),
                        _real(r["final_loss"]),
                        json.dumps(r["metrics"]),
                        r["history"],
                        r["epochs"],
                        r["seconds"],
                        r["train_seconds"],
                        r["host"],
                        r["engine"],
                        time.time(),
                        json.dumps(r["notes"]),
                        tid,
                        self.owner,
                    ),
                ).rowcount
            return n

        return self._write(work)

    def fail(self, tid: int, error: str, *, final: bool = True) -> None:
        """A trial that raised (``final``: stays failed) or whose worker died (back to todo)."""
        status = "failed" if final else "todo"
        self._write(
            lambda cur: cur.execute(
                "UPDATE trial SET status = ?, error = ?, owner = NULL WHERE id = ? AND owner = ? "
                "AND status = 'running'",
                (status, error, tid, self.owner),
            )
        )

    def attempts(self, tid: int) -> int:
        return self.db.execute("SELECT attempts FROM trial WHERE id = ?", (tid,)).fetchone()[0]

    def release(self) -> None:
        """Every trial this process still holds back to ``todo`` (a clean stop)."""
        self._write(
            lambda cur: cur.execute(
                "UPDATE trial SET status = 'todo', owner = NULL WHERE status = 'running' AND "
                "owner = ?",
                (self.owner,),
            )
        )
        self._write(lambda cur: cur.execute("DELETE FROM owner WHERE id = ?", (self.owner,)))

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, count(*) FROM trial GROUP BY status")
        return {"todo": 0, "running": 0, "done": 0, "failed": 0, **dict(rows)}

    def configs(self) -> list[tuple]:
        return self.db.execute(
            "SELECT id, point, label, parameters FROM config ORDER BY id"
        ).fetchall()

    def trials(self) -> list[sqlite3.Row]:
        cur = self.db.execute("SELECT * FROM trial ORDER BY config, seed")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def trial(self, tid: int) -> dict | None:
        cur = self.db.execute("SELECT * FROM trial WHERE id = ?", (tid,))
        row = cur.fetchone()
        return None if row is None else dict(zip([d[0] for d in cur.description], row))


def _real(value):
    """SQLite stores NaN as NULL; inf stays inf."""
    return None if value != value else value


def describe(row) -> str:
    """A stored sweep in a few words: base spec's name, grid keys, seeds."""
    base, grid, seeds = json.loads(row[2]), json.loads(row[3]), json.loads(row[4])
    keys = ", ".join(f"{k} ×{len(v)}" for k, v in grid) or "no grid"
    return f"spec {base.get('name')!r}, grid {keys}, {len(seeds)} seed(s)"


def _check_file(path: str) -> None:
    """A path that cannot be a database: a folder, or a file that is not SQLite."""
    if os.path.isdir(path):
        raise SweepError(
            f"sweep database {path!r}: is a folder; give a file name such as "
            f"{os.path.join(path, 'sweep.db')!r}."
        )
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SweepError(f"sweep database {path!r}: cannot be read ({exc.strerror}).") from None
    if head and head != b"SQLite format 3\x00":
        raise SweepError(
            f"sweep database {path!r}: not a SQLite file (it starts with "
            f"{head[:8]!r}); give a new file name to --db, or the database a "
            "sweep wrote."
        )
