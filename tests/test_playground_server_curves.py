"""The playground's curves and hidden tabs, without a socket.

Snapshots carry the loss and ‖∂E/∂W‖ curves as the points added since the last snapshot
sent (whole after a new session, a reset, a ``resync`` or when the page is shown again);
``merge`` below does what the page does with them (app.js ``mergeCurves``), so the page's
curves must come out equal to the server's. The gradient norms are recorded by the
training, not by the snapshots. A hidden page gets no snapshots and leaves the budget.
"""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from backprop.playground import views
from backprop.playground.curves import Series
from backprop.playground.session import Session
from playground_helpers import Sink, msg

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")

COLUMNS = {"history": ("train", "test"), "grad_history": ("norms",)}


def merge(have: dict | None, part: dict, columns) -> dict:
    """The page's merge (app.js mergeCurves), in Python."""
    if part["full"]:
        return {"stride": part["stride"], "epochs": part["epochs"], **{c: part[c] for c in columns}}
    assert have is not None
    if part["stride"] != have["stride"]:
        keep = [i for i, e in enumerate(have["epochs"]) if e % part["stride"] == 0]
        have = {
            "stride": part["stride"],
            **{k: [have[k][i] for i in keep] for k in ("epochs", *columns)},
        }
    assert len(have["epochs"]) == part["at"], "the page would ask for a resync"
    return {"stride": have["stride"], **{k: have[k] + part[k] for k in ("epochs", *columns)}}


def test_a_curve_sent_in_parts_equals_the_curve_sent_whole_across_thinning():
    series = Series(limit=8)
    page, last = None, None
    for x in range(100):
        series.add(x, x * 0.5)
        if x % 3 == 0:  # a snapshot every third point; the series thins at 9, 17, 33, 65
            part = views.curve(series, last, lambda rows: {"v": list(rows)})
            page = merge(page, part, ("v",))
            last = series.x[-1]
            whole = views.curve(series, None, lambda rows: {"v": list(rows)})
            assert page["epochs"] == whole["epochs"] == series.x
            assert page["v"] == whole["v"]
    assert series.stride == 16


def test_snapshots_send_only_the_new_points_and_the_page_keeps_the_whole_curves():
    from backprop.playground.connection import Connection

    async def main():
        conn = Connection(Sink())
        await conn.hello({"seed": "3", "dataset": "spiral"})
        s, first = conn.session, conn.ws.snapshots()[0]  # hello's: the whole curves
        pages = {key: merge(None, first[key], cols) for key, cols in COLUMNS.items()}
        sizes = []
        for _ in range(12):
            s.train(10.0, max_epochs=7)
            text = conn.snapshot_text()
            sizes.append(len(text))
            snap = json.loads(text)
            for key, cols in COLUMNS.items():
                pages[key] = merge(pages.get(key), snap[key], cols)
        assert len(snap["history"]["epochs"]) == 7  # the epochs since the last snapshot
        whole = views.snapshot(s)
        for key, cols in COLUMNS.items():
            for k in ("epochs", *cols):
                assert pages[key][k] == whole[key][k], key
        assert whole["history"]["epochs"] == list(range(85))
        await conn.handle(msg("resync"))  # the page asks: the whole curves
        assert conn.ws.snapshots()[-1]["history"]["full"]
        await conn.handle(msg("step", unit="epoch"))
        assert not conn.ws.snapshots()[-1]["history"]["full"]
        await conn.handle(msg("reset"))  # a new network: whole (short) curves
        after_reset = conn.ws.snapshots()[-1]
        assert after_reset["history"]["full"] and after_reset["history"]["epochs"] == [0]
        assert after_reset["grad_history"]["full"]
        return sizes

    sizes = asyncio.run(main())
    assert sizes[-1] < sizes[0] + 300  # 85 epochs in, a snapshot is no bigger than at 7


def test_gradient_norms_are_recorded_by_the_training_not_by_the_snapshots():
    s = Session(
        {"dataset": "spiral", "seed": 4, "hidden": [4, 4, 4], "activation": ["sigmoid"] * 3}
    )
    s.train(30.0, max_epochs=12)  # no snapshot taken
    assert s.grad_history.x == list(range(13))
    grads = s.plan.compute(s.x, s.y)
    norms = [np.linalg.norm(g.astype(np.float64)) for g in grads.weight_grads[1:]]
    np.testing.assert_allclose(s.grad_history.rows[-1], norms, rtol=1e-5)
    full_batch = Session({"dataset": "sine", "seed": 4, "batch_size": 2000})
    assert full_batch.steps_per_epoch() == 1
    full_batch.train(30.0, max_epochs=10)  # one step an epoch: every 4th epoch
    assert full_batch.grad_history.x == [0, 4, 8]


def test_visibility_message_is_checked():
    from backprop.playground import protocol

    assert protocol.parse(msg("visibility", hidden=True)) == {"type": "visibility", "hidden": True}
    for bad in ({"hidden": "yes"}, {}, {"hidden": True, "x": 1}):
        with pytest.raises(protocol.ProtocolError, match="visibility"):
            protocol.parse(msg("visibility", **bad))


def test_a_hidden_tab_trains_without_snapshots_and_leaves_the_budget():
    """Two tabs train; one page is hidden: it gets no snapshots while its training goes on,
    the snapshot budget counts only the visible tab, and shown again it gets a whole one."""
    from backprop.playground.connection import Connection
    from backprop.playground.pacing import Turns

    async def main():
        turns = Turns()
        shown, hidden = Connection(Sink(), turns), Connection(Sink(), turns)
        for conn, seed in ((shown, "1"), (hidden, "2")):
            await conn.hello({"seed": seed, "speed": "fast"})
            conn.acked = 10**9  # pages that draw everything at once
        await hidden.handle(msg("visibility", hidden=True))
        for conn in (shown, hidden):
            await conn.handle(msg("play"))
        before = len(hidden.ws.snapshots())
        steps = hidden.session.steps
        await asyncio.sleep(0.6)
        counts = turns.training, turns.showing()
        got = len(hidden.ws.snapshots()) - before
        trained = hidden.session.steps - steps
        await hidden.handle(msg("visibility", hidden=False))
        last = hidden.ws.snapshots()[-1]
        counts_after = turns.showing()
        for conn in (shown, hidden):
            conn.stop()
        await asyncio.sleep(0.05)
        return counts, got, trained, last, counts_after, len(shown.ws.snapshots()), turns

    counts, got, trained, last, counts_after, shown_snaps, turns = asyncio.run(main())
    assert counts == (2, 1) and counts_after == 2
    assert got == 0 and trained > 100
    assert last["history"]["full"] and last["grad_history"]["full"] and last["epoch"] > 0
    assert shown_snaps >= 8  # the visible tab kept about one a frame
    assert turns.training == 0 and turns.hidden == 0
