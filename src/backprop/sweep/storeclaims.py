"""Who runs which trial of a sweep's database: claims, results, failures and reclaims.

``Claims`` is the half of ``store.Store`` that changes trials' status, each change one
transaction (``Store._write``). A process *claims* trials (``todo`` → ``running``, owner =
host:pid:start-time, ``owners.my_owner``) before it runs them and writes each result only
if it still owns the trial, so two processes on one database never run a trial both, and a
trial's row is written once. A ``running`` trial whose owner is dead — its process gone on
this host, or no heartbeat for ``LEASE`` seconds from another host — goes back to ``todo``;
a finished one never does. Reading the plan and the rows stays in ``store``.
"""

from __future__ import annotations

import json
import os
import socket
import time

from ..errors import SweepError
from . import pins
from .owners import alive


class Claims:
    """Trials' status changes for ``Store`` (which gives ``db``, ``owner``, ``_write``,
    ``check_files``)."""

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


def lost(error) -> bool:
    """Whether a failed trial's stored error says its worker died (``local``'s and
    ``cluster``'s words): an environmental failure a resume runs again."""
    return isinstance(error, str) and error.startswith(
        ("its worker process died", "its Dask worker died")
    )


def _real(value):
    """SQLite stores NaN as NULL; inf stays inf."""
    return None if value != value else value
