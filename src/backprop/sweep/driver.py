"""The sweep's driver: plan the trials, store them, run them, write what comes back.

``sweep(spec, grid, seeds)`` checks everything before any training — the spec, every grid
key and value, the number of trials (``grid.MAX_TRIALS``), and each configuration by
building it once (``spec.prepare``: data, model, loss, optimizer) — then writes the sweep
and its trials to the store, claims trials a chunk at a time, hands the chunks to an
executor (``local.Inline`` for one worker, ``local.Pool`` for more, ``cluster.DaskExecutor``
given ``cluster=ADDRESS``) and writes each result as it arrives. ``resume(db)`` goes on with
a stored sweep; ``load(db)`` reads its table.

Each configuration's ``engine: "auto"`` is settled once, at planning (``planning``): the
compiled kernel when numba is installed and the setup is one it runs (its numbers differ
from the NumPy engine's in the last bits, and which one ``"auto"`` picks depends on what the
process ran before), so every trial's spec names the engine it ran on and ``backprop train``
gives the same numbers.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ..apinames import python_api
from ..errors import ConfigError
from . import criteria, pins, rowcheck
from . import grid as grids
from .planning import base_spec, plan  # noqa: F401 (checks and trials, no training)
from .results import Results, parse_success
from .store import OtherSweep, Store


def trial_progress(progress, who: str):
    """``progress=`` as the driver calls it (display/trials.py: a bar, a function or None)."""
    from ..display.trials import trial_progress as resolve

    return resolve(progress, who)


def close_bar(progress) -> None:
    from ..display.trials import close

    close(progress)


MAX_WORKERS = 256
LOST_TRIES = 3  # a trial whose worker died this many times is marked failed
HEARTBEAT = 10.0  # seconds between heartbeats (and looks for dead processes' trials)
CHUNK_MAX = 32  # trials handed to a worker at once, at most
BATCH = 8  # trials the many-model kernel trains at once (sweep.batch, fused_many.lanes)


@dataclass
class Progress:
    """What a ``progress`` callback gets after each finished trial."""

    done: int  # finished trials of the sweep, earlier runs included
    failed: int
    total: int
    ran: int  # trials this call finished
    elapsed: float  # seconds since this call started
    label: str = ""  # the last trial's configuration
    loss: float | None = None  # its final loss


def _masked(cluster) -> str:
    from .dask_connect import masked

    return masked(cluster)


def check_workers(workers, cluster=None) -> int:
    if cluster is not None and workers is not None:
        raise ConfigError(
            f"sweep workers={workers!r} and cluster={_masked(cluster)!r}: on a cluster its "
            "workers run "
            "the trials; drop workers (or cluster, to run on this machine)."
        )
    if cluster is not None:
        from .cluster import check

        check(cluster)  # the address's form and the extra, before any database is made
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise ConfigError(
            f"sweep workers: must be a whole number from 1 to {MAX_WORKERS} "
            f"(default: this machine's {os.cpu_count()} cores); got {workers!r}."
        )
    return workers


def _setting_hint(key: str) -> str:
    from .pyargs import spec_setting_hint

    return spec_setting_hint(key)


@python_api("sweep", hint=_setting_hint)
def sweep(
    spec,
    grid=None,
    seeds=None,
    *,
    epochs=None,
    db=None,
    workers=None,
    success=None,
    progress="auto",
    chunk=None,
    cluster=None,
) -> Results:
    """Run ``spec`` once per grid point and seed; returns the ``Results`` table.

    ``spec``: a spec dict, a file's path or a built-in name ("square"). ``grid``: spec paths
    to lists of values, ``{"model.hidden": [[8], [8, 8]], "optimizer.lr": [0.1, 0.01]}``.
    ``seeds``: a count (10 → 0..9), "0..9", or a list (default: the spec's own seed).
    ``epochs``: every trial trains this many epochs instead of the spec's own (as compare's).
    ``db``: a SQLite file that keeps every trial (resumable; default: in memory).
    ``workers``: processes (default: the machine's cores; 1 runs here). ``success``: a
    criterion such as "loss<1e-3". ``progress``: "auto" (a bar over the trials in a notebook,
    none elsewhere), True (a bar anywhere: rich's on stderr outside a notebook), False or None
    (none), or a function called with a ``Progress`` after each trial (display/trials.py).
    ``cluster``: a Dask scheduler's address ("tcp://host:8786"): the trials run on its
    workers instead of local processes, to the same numbers (docs/sweeps.md).

    Examples:
        >>> import backprop
        >>> square = {"data": {"name": "square", "n": 50}, "model": {"hidden": [4]},
        ...           "optimizer": {"name": "adam", "lr": 0.1}, "epochs": 50}
        >>> table = backprop.sweep(square, {"model.hidden": [[4], [8, 8]]}, seeds=2, workers=1)
        >>> [(row.label, row.done) for row in table]
        [('model.hidden=4', 2), ('model.hidden=8x8', 2)]
    """
    criterion_text = success
    parse_success(criterion_text)  # a bad criterion is refused before work starts
    workers = check_workers(workers, cluster)
    check_chunk(chunk)
    if epochs is not None:
        from .pyargs import with_epochs

        spec = with_epochs(spec, epochs, grid)
    show = trial_progress(progress, "sweep")
    laid = plan(spec, grid, seeds, success)
    store = Store(db)
    try:
        try:
            store.create(
                laid["key"],
                laid["base"],
                laid["grid"],
                laid["seeds"],
                laid["configs"],
                laid["trials"],
                criterion_text,
            )
        except OtherSweep as exc:  # in Python's words, not the command line's
            raise exc.reworded(
                f"{exc.where} holds another sweep ({exc.held}); give sweep(db=...) a new file "
                f"name, or backprop.sweep.resume({exc.path!r}) to go on with that sweep."
            ) from None
        _drive_said(store, workers, show, chunk, cluster)
        return read(store, criterion_text)
    finally:
        store.close()
        close_bar(show)


@python_api("sweep.resume")
def resume(db, *, workers=None, success=None, progress="auto", chunk=None, cluster=None) -> Results:
    """Go on with the sweep stored in ``db``: finished trials are kept, the rest run (on the
    Dask cluster at ``cluster``, if given). ``progress``: as ``sweep``'s."""
    show = trial_progress(progress, "resume")
    parse_success(success)
    workers = check_workers(workers, cluster)
    check_chunk(chunk)
    store = _existing(db)
    try:
        criteria.check_stored(success, store)
        if success is not None:
            store._write(lambda cur: cur.execute("UPDATE sweep SET success = ?", (success,)))
        _drive_said(store, workers, show, chunk, cluster)
        return read(store, success)
    finally:
        store.close()
        close_bar(show)


def _drive_said(store, workers, show, chunk, cluster) -> None:
    """``drive``, a lost scheduler's fix said in Python's words with the database's file."""
    from .cluster import LostScheduler

    try:
        drive(store, workers, show, chunk, cluster)
    except LostScheduler as exc:
        if store.path is None:
            fix = "the sweep was in memory, so its trials are gone; give db=FILE to keep them."
        else:
            resume = f"backprop.sweep.resume({str(store.path)!r}, cluster={exc.address!r})"
            fix = f"finished trials are kept in {str(store.path)!r}: {resume} goes on."
        raise exc.resumed_by(fix) from None


@python_api("sweep.load")
def load(db, *, success=None) -> Results:
    """The table of the sweep stored in ``db``, as far as it has run (nothing is run)."""
    parse_success(success)
    store = _existing(db)
    try:
        criteria.check_stored(success, store)
        return read(store, success)
    finally:
        store.close()


def _existing(db) -> Store:
    from ..errors import SweepError

    if db is None or not os.path.exists(os.fspath(db)):
        raise SweepError(
            f"sweep database {None if db is None else os.fspath(db)!r}: no such "
            "file; give the --db file a sweep wrote."
        )
    store = Store(db)
    store.plan()  # refuses a file that holds no sweep
    return store


def read(store: Store, success=None) -> Results:
    laid = store.plan()
    rowcheck.every_history(store.db, store.label)  # the table's numbers are the histories'
    criterion = success if success is not None else laid["success"]
    trials = store.trials(history=store.path is None)  # a file's: read when asked
    return Results(
        laid, store.configs(), trials, success=criterion, path=store.path, history=_history_of
    )


def _history_of(path: str, tid: int) -> dict:
    """Trial ``tid``'s history, read from the database at ``path`` alone."""
    store = Store(path)
    try:
        return store.history(tid)
    finally:
        store.close()


def check_chunk(chunk) -> None:
    """``chunk``: None (chosen by the sweep's size) or trials per hand-out to a worker."""
    if chunk is not None and (
        isinstance(chunk, bool) or not isinstance(chunk, int) or not 1 <= chunk <= grids.MAX_TRIALS
    ):
        raise ConfigError(
            f"sweep chunk: trials handed to a worker at once, a whole number from 1 to "
            f"{grids.MAX_TRIALS:,} (default: chosen by the sweep's size); got {grids.show(chunk)}."
        )


def _chunk_size(todo: int, workers: int, chunk) -> int:
    if chunk is not None:
        return chunk
    size = max(1, min(CHUNK_MAX, todo // (workers * 4)))
    if todo >= max(BATCH, workers * BATCH // 2):
        # Whole eights: the many-model kernel trains a configuration's trials eight at a time
        # (batch), at about half a trial's cost alone, so a worker's share of half an eight
        # or more goes faster as whole eights (10 seeds on 2 workers: 8 + 2, not 1 by 1).
        size = min(CHUNK_MAX, max(BATCH, -(-size // BATCH) * BATCH))
    return size


def drive(store: Store, workers: int, progress=None, chunk=None, cluster=None) -> int:
    """Run the store's ``todo`` trials to the end, here or on the Dask cluster at
    ``cluster``; returns how many this call finished."""
    from .local import Inline, Pool

    labels = {cid: lab for cid, _, lab, _ in store.configs()}
    store.check_files()  # the data files as planned, before a trial reads them
    pinned = store.pinned()  # and each trial checks the bytes it reads (pins.verifying)
    store.heartbeat()
    store.reclaim_dead()
    counts = store.counts()
    total = sum(counts.values())
    done, failed = counts["done"], counts["failed"]
    if counts["todo"] and cluster is None:  # a cold kernel: compiled here, said, unclocked
        from .warm import warm

        warm(store)
    if hasattr(progress, "begin"):  # a TrialBar shows at once, not after the first trial
        progress.begin(total, done + failed)
    if counts["todo"] == 0:  # all finished (or running in a live process): start no worker
        store.release()
        return _others(store, workers, progress, chunk, cluster, 0)
    if cluster is not None:
        from .cluster import DaskExecutor

        try:
            executor = DaskExecutor(cluster)
        except BaseException:
            store.release()
            raise
        workers = executor.workers
    else:
        workers = min(workers, counts["todo"])
        executor = Inline() if workers == 1 else Pool(workers)
    start = last_beat = time.monotonic()
    ran = 0
    config_of: dict[int, int] = {}
    ticked: set[int] = set()  # ran on a cluster, result not back yet ("ran" events)
    try:
        while True:
            now = time.monotonic()
            if now - last_beat > HEARTBEAT:
                store.heartbeat()
                store.reclaim_dead()
                last_beat = now
            while executor.capacity() > 0:
                todo = store.counts()["todo"]
                rows = store.claim(_chunk_size(todo, workers, chunk)) if todo else []
                if not rows:
                    break
                config_of.update((tid, cid) for tid, _, cid in rows)
                executor.submit([(tid, pins.attach(text, pinned)) for tid, text, _ in rows])
            if executor.busy() == 0:
                if store.reclaim_dead():  # another process died holding trials: run them
                    continue
                break
            events = executor.poll(0.5)
            finished = [(tid, row) for kind, tid, row in events if kind == "done"]
            if finished:
                store.finish(finished)
            for kind, tid, why in events:
                if kind == "error":
                    store.fail(tid, why)
                    failed += 1
                elif kind == "lost":
                    final = store.attempts(tid) >= LOST_TRIES
                    store.fail(tid, f"{why}, {LOST_TRIES} times" if final else why, final=final)
                    failed += final
            for kind, tid, row in events:
                shown = tid in ticked
                if kind == "ran":
                    ticked.add(tid)
                else:
                    ticked.discard(tid)
                if kind == "done":
                    done += 1
                    ran += 1
                if (
                    progress is not None
                    and not shown
                    and (kind != "lost" or failed_now(store, tid))
                ):
                    label = labels.get(config_of.get(tid), "")
                    loss = row["final_loss"] if kind == "done" else row if kind == "ran" else None
                    elapsed = time.monotonic() - start
                    n = len(ticked)
                    progress(Progress(done + n, failed, total, ran + n, elapsed, label, loss))
    except BaseException:
        executor.close(wait=False)
        store.release()
        raise
    executor.close()
    store.release()
    return _others(store, workers, progress, chunk, cluster, ran)


def _others(store, workers, progress, chunk, cluster, ran: int) -> int:
    """Wait for trials another live process holds (``owners.wait``); run those it let go."""
    from .owners import wait

    if wait(store, progress, Progress):  # a holder died: its trials are ours to run
        return ran + drive(store, workers, progress, chunk, cluster)
    return ran


def failed_now(store: Store, tid: int) -> bool:
    """Whether a lost trial was marked failed (its worker died ``LOST_TRIES`` times)."""
    row = store.trial(tid)
    return row is not None and row["status"] == "failed"
