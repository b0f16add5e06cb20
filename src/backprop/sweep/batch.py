"""Trials of one configuration trained together (``local.run_chunk``'s many-model path).

The trials of a chunk whose specs differ only in the seed, on the fused engine, full batch,
with no validation, schedule or early stopping, can share one many-model kernel call
(``delta.fused_many``): each trial's ordinary code path (``trial.run_trial``) runs once up
to its kernel call (``capture``), the group trains at once (``train_many``), then each
trial's code path runs again with its recorded steps in place of the kernel
(``replaying``). So each row is made by the same code as a trial alone, from the same
numbers: bit for bit what a sweep without batching stores. The kernel trains eight models a
call, so a group trains in whole eights and the rest of it alone (a call filled up with
copies costs as much as a full one). Anything the batch cannot take, and any trial whose
batched run fails in any way, runs alone as before.

A row's ``seconds`` and ``train_seconds`` include its share of the group's kernel time. On a
machine where the many-model kernel was never compiled, a group trains together only if it
is long enough to pay for the compile (``fused_many.worth``; about a minute, once: numba
keeps it on disk).
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
    kernel can batch together, the others alone."""
    from ..delta import fused_many
    from .trial import run_trial

    alone, calls, started = [], {}, {}
    for tid, text, spec in members:
        began = time.perf_counter()
        try:
            call = fused_many.capture(lambda text=text: run_trial(json.loads(text)))
        except Exception:  # its own error: alone, it says so as it always did
            call = None
        if call is None or fused_many.batchable(call, spec["epochs"]) is not None:
            alone.append((tid, text))
            continue
        key = fused_many.group_key(call, spec["epochs"])
        calls.setdefault(key, []).append((tid, text, spec, call))
        started[tid] = time.perf_counter() - began
    for group in calls.values():
        epochs = group[0][2]["epochs"]
        whole = len(group) - len(group) % fused_many.lanes()  # the rest would run as padding
        alone.extend((tid, text) for tid, text, _, _ in group[whole:])
        group = group[:whole]
        if len(group) < max(MIN_GROUP, 1) or not fused_many.worth([c for *_, c in group], epochs):
            alone.extend((tid, text) for tid, text, _, _ in group)
            continue
        began = time.perf_counter()
        try:
            tracks = fused_many.train_many([c for *_, c in group], epochs)
        except Exception:  # a fault of the batch, not of the trials: each runs alone
            alone.extend((tid, text) for tid, text, _, _ in group)
            continue
        share = (time.perf_counter() - began) / len(group)
        for (tid, text, _, _), track in zip(group, tracks):
            try:
                with fused_many.replaying(track):
                    row = run_trial(json.loads(text))
            except Exception:
                yield run_one(tid, text)  # alone, from the start
                continue
            row["seconds"] += share + started[tid]
            if row.get("train_seconds") is not None:
                row["train_seconds"] += share
            yield ("done", tid, row)
    for tid, text in alone:
        yield run_one(tid, text)
