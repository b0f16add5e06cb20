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
import shlex
import socket
import sqlite3
import time

from ..errors import SweepError
from . import pins, storecheck
from .owners import LEASE, alive, my_owner  # noqa: F401 (LEASE: also the store's)
from .paths import check_db

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
CREATE TABLE file (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL);
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
            check_db(self.path)
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
        self._plan: dict | None = None  # the stored plan, once verified
        self._files: dict[str, tuple[str, int]] = {}  # pinned data files: path -> (sha, bytes)

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

        files = pins.measure(s["data"]["csv"] for _, _, s in trials if s["data"]["csv"])

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
            cur.executemany("INSERT INTO file VALUES (?, ?, ?)", files)
            return False

        resumed = self._write(work)
        self.plan()  # the file read back and checked, a resumed one above all
        if resumed:
            self.check_files()
        return resumed

    def _check_same(self, cur, key: str) -> None:
        storecheck.structure(cur, self.label)
        row = cur.execute("SELECT key, format, base, grid, seeds, success FROM sweep").fetchone()
        storecheck.stored_plan(row, self.label, FORMAT)  # damaged, edited, newer: refused
        if row[0] != key:
            other = OtherSweep(
                f"{self.label} holds another sweep ({describe(row)}); give a new file name "
                f"to --db, or --resume {shlex.quote(str(self.path))} to go on with that sweep."
            )
            other.where, other.path, other.held = self.label, self.path, describe(row)
            other.base, other.seeds = json.loads(row[2]), json.loads(row[4])
            raise other

    def plan(self) -> dict:
        """The stored sweep: base spec, grid, seeds, success criterion and key — read once
        and checked against itself (``storecheck``: tables, types, the key, every trial's
        spec, the pinned files); a damaged or edited database is refused naming what."""
        if self._plan is None:
            try:
                storecheck.structure(self.db, self.label)
                row = self.db.execute(
                    "SELECT key, format, base, grid, seeds, success FROM sweep"
                ).fetchone()
                laid = storecheck.stored_plan(row, self.label, FORMAT)
                named = storecheck.trials(self.db, laid, self.label)
                self._files = self._pinned(named)
            except sqlite3.DatabaseError as exc:  # a page damaged past the file's head
                raise SweepError(f"{self.label}: damaged ({exc}); {storecheck.FIX}.") from None
            self._plan = laid
        success = self.db.execute("SELECT success FROM sweep").fetchone()[0]
        return {**self._plan, "success": success}

    def _pinned(self, named: list[str]) -> dict[str, tuple[str, int]]:
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        rows = self.db.execute("SELECT path, sha256, bytes FROM file") if "file" in tables else []
        pinned = {p: (h, n) for p, h, n in rows}
        lacking = [p for p in named if p not in pinned]
        if lacking or set(pinned) - set(named):
            what = f"data file {lacking[0]!r} is not pinned" if lacking else "a pin is not used"
            raise SweepError(f"{self.label}: {what} (its 'file' table); {storecheck.FIX}.")
        return pinned

    def pinned(self) -> dict[str, tuple[str, int]]:
        """The pinned data files: {absolute path: (sha256, bytes)}."""
        self.plan()
        return dict(self._files)

    def check_files(self) -> None:
        """The pinned data files as they were when the sweep was planned (``pins.check``)."""
        self.plan()
        pins.check(self._files, self.label)

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
        """Trials run by processes that are gone go back to ``todo``, and trials that waited
        for a data file put back as pinned (``retry_waiting``); returns how many."""
        return self._reclaim() + self.retry_waiting() + self._retry_lost()

    def _retry_lost(self) -> int:
        """Once per store opened to run (a resume): failed trials whose worker died each
        time they ran (``lost``: out of memory, a killed process — the machine's doing as
        often as the trial's) go back to ``todo`` with their tries counted afresh; a trial
        that kills its worker again fails again after the driver's tries, until the next
        resume. Never twice in one run (that would loop)."""
        if getattr(self, "_lost_retried", False):
            return 0
        self._lost_retried = True
        rows = self.db.execute("SELECT id, error FROM trial WHERE status = 'failed'").fetchall()
        ids = [(tid,) for tid, error in rows if lost(error)]
        if ids:
            self._write(
                lambda cur: cur.executemany(
                    "UPDATE trial SET status = 'todo', error = NULL, owner = NULL, "
                    "attempts = 0 WHERE id = ? AND status = 'failed'",
                    ids,
                )
            )
        return len(ids)

    def _reclaim(self) -> int:

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

    def retry_waiting(self) -> int:
        """Failed trials that waited for a data file (``pins.waiting``) back to ``todo`` when
        every pinned file is as pinned now; returns how many (0 while one still differs)."""
        rows = self.db.execute("SELECT id, error FROM trial WHERE status = 'failed'").fetchall()
        ids = [(tid,) for tid, error in rows if pins.waiting(error)]
        if not ids:
            return 0
        try:
            self.check_files()
        except SweepError:
            return 0  # still changed: they keep waiting (the table says so)
        self._write(
            lambda cur: cur.executemany(
                "UPDATE trial SET status = 'todo', error = NULL, owner = NULL "
                "WHERE id = ? AND status = 'failed'",
                ids,
            )
        )
        return len(ids)

    def claim(self, n: int) -> list[tuple[int, str, int]]:
        """Up to ``n`` trials to run, (id, spec JSON, config), now owned by this process."""

        def work(cur):
            rows = cur.execute(
                "SELECT id, spec, config FROM trial WHERE status = 'todo' "
                "ORDER BY seed / 8, config, seed LIMIT ?",  # seeds by eights: the many-model
                # kernel (sweep.batch) trains a configuration's trials of a chunk together
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

    def trials(self, history: bool = False) -> list[dict]:
        """Every trial's row; its packed history only if asked (a 10,000-epoch history is
        80 kB: a large sweep's histories are read one at a time, ``history``)."""
        columns = [c for c in storecheck.COLUMNS["trial"] if history or c != "history"]
        cur = self.db.execute(f"SELECT {', '.join(columns)} FROM trial ORDER BY config, seed")
        return [dict(zip(columns, row)) for row in cur.fetchall()]

    def trial(self, tid: int) -> dict | None:
        cur = self.db.execute("SELECT * FROM trial WHERE id = ?", (tid,))
        row = cur.fetchone()
        return None if row is None else dict(zip([d[0] for d in cur.description], row))

    def history(self, tid: int) -> dict[str, list[float]]:
        """Trial ``tid``'s per-epoch series, checked (``storecheck.checked_history``)."""
        columns = ", ".join(storecheck.TRIAL)
        row = self.db.execute(f"SELECT {columns} FROM trial WHERE id = ?", (tid,)).fetchone()
        trial = {} if row is None else dict(zip(storecheck.TRIAL, row))
        return storecheck.checked_history(trial, f"{self.label}: trial {tid}'s history")


def lost(error) -> bool:
    """Whether a failed trial's stored error says its worker died (``local``'s and
    ``cluster``'s words): an environmental failure a resume runs again."""
    return isinstance(error, str) and error.startswith(
        ("its worker process died", "its Dask worker died")
    )


def _real(value):
    """SQLite stores NaN as NULL; inf stays inf."""
    return None if value != value else value


class OtherSweep(SweepError):
    """The database holds another sweep. It keeps what the file holds (``where``, ``path``,
    ``held``: the words of ``describe``, ``base``, ``seeds``) so that each caller says the fix
    in its own words: the command line's flags here, ``sweep(db=...)`` in Python
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
