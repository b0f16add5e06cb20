"""One trial: an ordinary spec run (``backprop.run``), and what of it the store keeps.

``run_trial(spec)`` is what a worker does for each trial: it trains the spec exactly as
``backprop.run`` (and so ``backprop train``) does, and returns its final metrics, its
per-epoch history packed small (``pack_history``), its timing, host and engine. A spec whose
engine is ``"auto"`` comes back with the engine that ran written in, so the stored spec names
it and re-runs on that engine. Warnings (the step unit's zero gradient, a poor fit) are kept
as the trial's notes, never printed. A spec handed over with its data file's pin
(``pins.attach``) trains only on the bytes pinned (``pins.verifying``).
"""

from __future__ import annotations

import json
import math
import socket
import time
import warnings

import numpy as np

SERIES = ("loss", "val_loss")  # the per-epoch series a trial's history keeps
PACK_VERSION = 1


def pack_history(series: dict[str, list[float]]) -> bytes:
    """Per-epoch series → bytes: a JSON header line, then each series as little-endian
    float64, which keeps every value bit for bit (80 kB for 10,000 epochs). Not compressed:
    zlib saved a sixth of the size and cost milliseconds of the 5 ms per-trial budget."""
    names = [(name, len(values)) for name, values in series.items()]
    head = json.dumps({"version": PACK_VERSION, "series": names}).encode() + b"\n"
    body = b"".join(np.asarray(v, dtype="<f8").tobytes() for v in series.values())
    return head + body


def unpack_history(blob: bytes | None) -> dict[str, list[float]]:
    """``pack_history``'s bytes back as {name: [values]} (empty for None)."""
    if not blob:
        return {}
    head, _, body = bytes(blob).partition(b"\n")
    meta = json.loads(head)
    out, at = {}, 0
    for name, n in meta["series"]:
        out[name] = np.frombuffer(body, dtype="<f8", count=n, offset=at).tolist()
        at += 8 * n
    return out


_NAMES: list = []  # what a trial calls, bound on the first trial (the imports run once)


def _names() -> tuple:
    """(backprop.spec, pins.detach, pins.verifying, prepared.model_for, runner.MODEL_FOR)."""
    if not _NAMES:
        from .. import spec as specs
        from ..spec.runner import MODEL_FOR
        from .pins import detach, verifying
        from .prepared import model_for

        _NAMES.extend((specs, detach, verifying, model_for, MODEL_FOR))
    return tuple(_NAMES)


def _finite_or_none(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def run_trial(spec: dict) -> dict:
    """Train ``spec`` (a normalised trial spec) and return the store's row for it."""
    specs, detach, verifying, model_for, models = _names()
    spec, pin = detach(spec)  # its data file's pin: the bytes read must be those (pins)
    start = time.perf_counter()
    token = models.set(model_for)  # the network's structure made once per configuration
    try:
        with warnings.catch_warnings(record=True) as caught, verifying(pin):
            warnings.simplefilter("always")
            result = specs.run(spec, verbose=False)  # looked up each time: a test may wrap it
    finally:
        models.reset(token)
    history = result.history
    names = history.names()  # its columns read as arrays: no 10,000-float lists
    h = {key: history.column(key) for key in names if key in SERIES}
    metrics = {}
    for key in names:
        value = history.last(key)
        if key not in ("lr", "time") and value is not None:
            metrics[key] = _finite_or_none(value)
    metrics["diverged"] = bool(history.diverged)
    losses = h.get("loss", ())
    final = float(losses[-1]) if len(losses) else math.nan
    ran = dict(spec)
    if ran.get("engine", "auto") == "auto" and getattr(history, "engine", None):
        ran["engine"] = history.engine  # the stored spec re-runs on the engine that ran
    notes = sorted({str(w.message) for w in caught})
    return {
        "spec": ran,
        "final_loss": final,
        "metrics": metrics,
        "history": pack_history({k: h[k] for k in SERIES if len(h.get(k, ()))}),
        "epochs": len(losses),
        "seconds": time.perf_counter() - start,
        "train_seconds": None if history.last("time") is None else float(history.last("time")),
        "host": socket.gethostname(),
        "engine": getattr(history, "engine", None),
        "notes": notes,
    }
