"""Issue 17, the sixth Jupyter student's findings (student17f).

Item 2: a tab closed or reloaded while the widget played left the kernel training with
nothing on screen, and ``w.model`` changed between cells with no visible sign. Now each
view sends heartbeats (widget.js) and the widget pauses when the last view that showed
it goes silent; ``print(w)`` and ``w.model`` say when it plays. Tested on the widget's
Python side, its views' messages sent as widget.js sends them.
"""

from __future__ import annotations

import asyncio
import json
import warnings

import pytest

pytest.importorskip("anywidget", reason="the notebook extra (anywidget) is not installed")
pytest.importorskip("starlette", reason="the connection's types come from starlette")

from backprop.playground import nbwidget_views, widget  # noqa: E402


def _text(kind: str, **fields) -> dict:
    return {"text": json.dumps({"v": 1, "type": kind, **fields})}


async def _until(cond, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


def _beat(w, view: str = "v1", **more) -> None:
    w._on_msg(w, {"view": view, "hidden": False, **more}, [])


def test_the_widget_pauses_when_its_last_view_goes_silent(monkeypatch):
    monkeypatch.setattr(nbwidget_views, "GONE_AFTER", 0.4)

    async def main():
        w = widget(seed=3, speed="fast")
        w.send = lambda content, buffers=None: None
        _beat(w)
        w._on_msg(w, _text("hello", url={}), [])
        w._on_msg(w, _text("play"), [])
        await _until(lambda: w.epoch > 2)
        for _ in range(3):  # the view is there: training goes on past GONE_AFTER
            _beat(w)
            await asyncio.sleep(0.2)
        assert w.session.status.running
        assert "playing" in repr(w) and "w.pause()" in repr(w)
        # the tab reloads: no heartbeat, no goodbye
        await _until(lambda: not w.session.status.running, seconds=5)
        stopped = w.epoch
        await asyncio.sleep(0.3)
        assert w.epoch == stopped  # w.model no longer changes between cells
        said = repr(w)
        assert "paused when its last view closed" in said and "w.play()" in said, said
        # a new view (the cell shown again) and its ▶: training goes on
        _beat(w, "v2")
        w._on_msg(w, _text("play"), [])
        await _until(lambda: w.epoch > stopped + 2)
        assert "paused" not in repr(w)
        w.close()

    asyncio.run(main())


def test_a_view_that_says_goodbye_pauses_it_soon(monkeypatch):
    monkeypatch.setattr(nbwidget_views, "GRACE", 0.2)

    async def main():
        w = widget(seed=3, speed="fast")
        w.send = lambda content, buffers=None: None
        _beat(w)
        w._on_msg(w, _text("hello", url={}), [])
        w._on_msg(w, _text("play"), [])
        await _until(lambda: w.epoch > 2)
        _beat(w, gone=True)  # the cell's output cleared
        await _until(lambda: not w.session.status.running, seconds=5)
        w.close()

    asyncio.run(main())


def test_played_from_code_with_no_view_it_trains_and_says_so():
    async def main():
        w = widget(seed=3, speed="fast")
        w.send = lambda content, buffers=None: None
        w.play()
        await _until(lambda: w.epoch > 2)
        assert "no view showing it" in repr(w) and "w.pause()" in repr(w)
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            w.model  # noqa: B018 - the property warns while the widget plays
        said = " ".join(str(g.message) for g in got)
        assert "change between cells" in said and "w.pause()" in said, said
        w.pause()
        await _until(lambda: not w.session.status.running)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            w.model  # noqa: B018 - paused: no warning
        w.close()

    asyncio.run(main())


def test_a_busy_kernel_is_not_taken_for_a_closed_tab(monkeypatch):
    clock = [100.0]
    views = nbwidget_views.Views(clock=lambda: clock[0])
    views.heard({"view": "a", "hidden": False})
    assert not views.all_gone()
    clock[0] += 60  # a cell ran for a minute: no heartbeat could be heard, no check ran
    assert not views.all_gone() and views.live()
    clock[0] += 0.5
    assert not views.all_gone()
    for _ in range(30):  # then silence while the kernel is free: gone
        clock[0] += 0.5
        if views.all_gone():
            break
    else:
        raise AssertionError("never gone")
    views.heard({"view": "b", "hidden": True})  # a hidden tab's throttled timers
    clock[0] += 60
    for _ in range(120):
        clock[0] += 0.5
        assert not views.all_gone()
