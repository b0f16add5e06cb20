"""Trials of one configuration trained together (``local.run_chunk``'s many-model path).

The trials of a chunk whose specs differ only in the seed, on the fused engine, full batch,
with no validation, schedule or early stopping, can share one many-model kernel call
(``delta.fused_many``): each trial's ordinary code path (``trial.run_trial``) runs in a
thread of its own up to its kernel call and waits there (``fused_many_pause.Paused``), the
group trains at once (``train_many``), then each trial goes on with its recorded steps in
place of the kernel and finishes. Its code runs once; each row is made by the same code as
a trial alone, from the same numbers: bit for bit what a sweep without batching stores.
The kernel trains eight models a call, so a group trains in whole eights and the rest of it
alone (a call filled up with copies costs as much as a full one): a paused run left out goes
on from its kernel call with the one-run kernel (``fused_many_pause.ALONE``), its code
before that call run once, not again from the start. Anything the batch cannot take, and any
trial whose batched run fails in any way, runs alone from the start as before.

A row's ``seconds`` and ``train_seconds`` include its share of the group's kernel time, not
the time it waited while the others ran. On a machine where the many-model kernel was never
compiled, a group trains together only if it is long enough to pay for the compile
(``fused_many.worth``; about a minute, once: numba keeps it on disk).
"""

from __future__ import annotations

import json
import time

MIN_GROUP = 2  # a group of one runs alone
MAX_STEPS = 1 << 20  # spans.SPAN_STEPS: a longer run is cut into spans with control between


def candidate(spec: dict) -> bool:
    """Whether a trial's spec may join a group (the capture checks the rest)."""
    epochs = spec.get("epochs")
    return (
        spec.get("engine") == "fused"
        and spec.get("batch_size") is None
        and spec.get("validation") is None
        and spec.get("early_stopping") is None
        and spec.get("schedule") is None
        and isinstance(epochs, int)
        and 1 <= epochs <= MAX_STEPS
    )


def plan(chunk: list) -> list[list[tuple]]:
    """The chunk's trials as runs: lists of (id, text, spec), a list of several for trials
    that may be trained together, else one each; in the chunk's order of first trials."""
    runs: list[list[tuple]] = []
    where: dict[str, int] = {}
    for tid, text in chunk:
        try:
            spec = json.loads(text)
        except ValueError:
            spec = None
        if not isinstance(spec, dict) or not candidate(spec):
            runs.append([(tid, text, None)])
            continue
        key = json.dumps({k: v for k, v in spec.items() if k != "seed"}, sort_keys=True)
        if key in where:
            runs[where[key]].append((tid, text, spec))
        else:
            where[key] = len(runs)
            runs.append([(tid, text, spec)])
    return runs


def run_group(members: list[tuple], run_one):
    """Events of a group's trials (``run_one(tid, text)`` runs one alone): those the
    kernel can batch together, the others alone. Each trial's code runs once, paused at its
    first kernel call while the group trains (``fused_many_pause``)."""
    from ..delta import fused_many
    from ..delta.fused_many_pause import ALONE, Paused, resume_all
    from .trial import run_trial

    if len(members) < fused_many.lanes():  # no eight to train together: each alone, its
        for tid, text, _ in members:  # event as it ends (paused, all would end together)
            yield run_one(tid, text)
        return
    runs: list = []  # Paused, in the order started
    waiting: dict[bytes, list[int]] = {}  # group key -> positions in runs
    tracks: dict[int, object] = {}  # position in runs -> its Track
    ids: list[int] = []  # trial ids of runs, by position
    ended: dict[int, object] = {}  # trial id -> a run that went on alone at once
    try:
        for tid, text, spec in members:
            run = Paused(lambda text=text: run_trial(json.loads(text))).start()
            if run.call is None or fused_many.batchable(run.call, spec["epochs"]) is not None:
                run.resume(ALONE)  # ends now (before the next starts), on its own kernel
                ended[tid] = run
                continue
            waiting.setdefault(fused_many.group_key(run.call, spec["epochs"]), []).append(len(runs))
            runs.append(run)
            ids.append(tid)
        share: dict[int, float] = {}
        for positions in waiting.values():
            epochs = members[0][2]["epochs"]
            whole = len(positions) - len(positions) % fused_many.lanes()
            group = positions[:whole]  # the rest would run as padding: alone
            calls = [runs[at].call for at in group]
            if len(group) < max(MIN_GROUP, 1) or not fused_many.worth(calls, epochs):
                continue
            began = time.perf_counter()
            try:
                trained = fused_many.train_many(calls, epochs)
            except Exception:  # a fault of the batch, not of the trials: each runs alone
                continue
            seconds = (time.perf_counter() - began) / len(group)
            for at, track in zip(group, trained):
                tracks[at], share[at] = track, seconds
        for at in range(len(runs)):  # left out of every group: each its own kernel, from
            tracks.setdefault(at, ALONE)  # where it waits (its code before it runs once)
    finally:
        resume_all(runs, tracks)  # last first; those without a track (an error) unwind
    rows = {}
    for at, run in enumerate(runs):
        if at in tracks and run.error is None and isinstance(run.result, dict):
            row = run.result
            row["seconds"] += share.get(at, 0.0) - run.waited
            if row.get("train_seconds") is not None:
                row["train_seconds"] += share.get(at, 0.0) - run.waited
            rows[ids[at]] = row
    for tid, run in ended.items():
        if run.error is None and isinstance(run.result, dict):
            rows[tid] = run.result  # it never waited: its seconds are its own
    for tid, text, _ in members:
        if tid in rows:
            yield ("done", tid, rows[tid])
        else:
            yield run_one(tid, text)  # alone, from the start
