"""A sweep's results database: one SQLite file (stdlib ``sqlite3``, WAL mode) per sweep.

``Store`` opens the file, makes a new sweep's tables and rows or checks that the file
holds this sweep (``create``), reads the stored plan back checked (``plan``,
``storecheck``) and the rows (``counts``, ``trials``, ``history``). Its tables are laid out
in ``storetables``; claiming, finishing, failing and reclaiming trials — the rule that a
trial is run and counted once, so that a sweep killed at any moment (``kill -9``) resumes
where it was and loses nothing but its trials in progress — are ``storeclaims.Claims``.
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import time

from ..errors import SweepError
from . import pins, storecheck
from .owners import LEASE, my_owner  # noqa: F401 (LEASE: also the store's)
from .paths import check_db
from .storeclaims import Claims, lost  # noqa: F401 (lost: results and tests read it here)
from .storetables import DDL, FORMAT, OtherSweep, describe, sweep_key  # noqa: F401

BUSY_MS = 60_000  # how long a writer waits for another's transaction


class Store(Claims):
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
        except sqlite3.DatabaseError as exc:  # check_db let only a SQLite head through
            raise SweepError(storecheck.damaged(self.path, self.label, exc)) from None
        self.owner = my_owner()
        self._plan: dict | None = None  # the stored plan, once verified
        self._files: dict[str, tuple[str, int]] = {}  # pinned data files: path -> (sha, bytes)
        self._missing = None  # storecheck.MissingTrials: deleted rows, made again on resume

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
                try:
                    named = storecheck.trials(self.db, laid, self.label)
                except storecheck.MissingTrials as exc:  # refused on reading, made on resume
                    self._missing, named = exc, exc.files
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

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, count(*) FROM trial GROUP BY status")
        counts = {"todo": 0, "running": 0, "done": 0, "failed": 0, **dict(rows)}
        counts["todo"] += 0 if self._missing is None else len(self._missing.gone)
        return counts

    def reclaim_dead(self) -> int:
        """``Claims.reclaim_dead``, after making the trial rows ``plan`` found deleted again
        (as todo, each with its configuration's spec and its seed): going on runs them."""
        made = 0
        if self._missing is not None:
            gone, self._missing = self._missing.gone, None
            stored = self.db.execute("SELECT config, spec FROM trial GROUP BY config")
            specs = {cid: json.loads(text) for cid, text in stored}  # a sibling's, engine too
            laid = self.plan()

            def work(cur):
                from . import grid as grids

                points = grids.points(laid["grid"])
                for tid, cid, seed in gone:
                    spec = specs.get(cid) or grids.apply(laid["base"], points[cid])
                    cur.execute(
                        "INSERT INTO trial (id, config, seed, spec) VALUES (?, ?, ?, ?)",
                        (tid, cid, seed, json.dumps({**spec, "seed": seed})),
                    )
                return len(gone)

            made = self._write(work)
        return made + super().reclaim_dead()

    def _refuse_missing(self) -> None:
        """Reading a sweep whose trial rows were deleted: say which, and that resume runs it."""
        if self._missing is not None:
            said = str(self._missing).replace("(--resume)", f"(--resume {self.path})")
            raise SweepError(said)

    def configs(self) -> list[tuple]:
        return self.db.execute(
            "SELECT id, point, label, parameters FROM config ORDER BY id"
        ).fetchall()

    def trials(self, history: bool = False) -> list[dict]:
        """Every trial's row; its packed history only if asked (a 10,000-epoch history is
        80 kB: a large sweep's histories are read one at a time, ``history``)."""
        self._refuse_missing()
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
