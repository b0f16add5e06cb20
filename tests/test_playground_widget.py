"""The playground widget's Python side, without a browser (issue 17).

A view's messages go in as the frame sends them (``{"text": json}`` through the widget's
``_on_msg``, also from another thread, as ipykernel 7's subshell calls it); what the kernel
sends out is caught from ``widget.send``. The checks: the page's ``hello`` gets ready, data
and a snapshot of the widget's own session (made in Python first, not replaced); ``set``
and ``play`` change ``w.model`` and ``w.spec``; the weights trained by the widget equal
``backprop.run(w.spec)``'s bit for bit (the spec runner is the oracle, as for the server);
snapshots carry the epoch the kernel is at; hostile messages get the server's refusals;
bad arguments raise ``ConfigError`` naming what to fix; a model's weights are the start
and Reset goes back to them. The same page in a real JupyterLab: test_playground_widget_lab.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading

import numpy as np
import pytest

pytest.importorskip("anywidget", reason="the notebook extra (anywidget) is not installed")
pytest.importorskip("starlette", reason="the connection's types come from starlette")

from backprop import nn  # noqa: E402
from backprop.errors import ConfigError  # noqa: E402
from backprop.playground import protocol, widget  # noqa: E402
from backprop.playground.nbwidget import page_html  # noqa: E402


def msg(kind: str, /, **fields) -> dict:
    return {"text": json.dumps({"v": 1, "type": kind, **fields})}


class View:
    """A view of a widget: sends the page's messages, keeps what the kernel sent."""

    def __init__(self, w) -> None:
        self.w, self.out = w, []
        w.send = lambda content, buffers=None: self.out.append(content)

    def send(self, kind: str, /, **fields) -> None:
        self.w._on_msg(self.w, msg(kind, **fields), [])

    def messages(self, kind: str | None = None) -> list[dict]:
        got = [json.loads(c["text"]) for c in self.out if "text" in c]
        return [m for m in got if kind is None or m["type"] == kind]

    async def until(self, cond, seconds: float = 10.0):
        for _ in range(int(seconds / 0.01)):
            if cond():
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"timed out; the kernel sent {[m['type'] for m in self.messages()]}")


def params(model) -> np.ndarray:
    return np.concatenate([p._data.ravel() for p in model.parameters()])


def test_hello_shows_the_widgets_own_session_and_set_changes_model_and_spec():
    async def main():
        w = widget(dataset="xor", hidden=[3], activation=["relu"], seed=5)
        model = w.model
        v = View(w)
        v.send("hello", url={"dataset": "spiral"})  # a view's link does not replace it
        await v.until(lambda: v.messages("snapshot"))
        assert [m["type"] for m in v.messages()] == ["ready", "data", "snapshot"]
        ready = v.messages("ready")[0]
        assert ready["state"]["dataset"] == "xor" and ready["state"]["hidden"] == [3]
        assert "lesson_link" in ready["lesson"]["hide"]  # a notebook has no page URL
        assert w.model is model
        v.send("set", changes={"hidden": [5, 4], "activation": ["tanh", "tanh"]})
        await v.until(lambda: len(v.messages("snapshot")) >= 2)
        assert [tuple(p.shape) for p in w.model.parameters()] == [
            (5, 2), (5,), (4, 5), (4,), (1, 4), (1,)
        ]  # fmt: skip
        assert w.spec["model"] == {"hidden": [5, 4], "activation": ["tanh", "tanh"]}
        assert v.messages("state")[-1]["state"]["hidden"] == [5, 4]

    asyncio.run(main())


def test_play_trains_the_live_model_and_run_of_its_spec_gives_the_same_weights():
    from backprop.spec import run

    async def main():
        w = widget(dataset="circle", hidden=[4], activation=["tanh"], seed=9, optimizer="adam",
                   lr=0.01, stop_epochs=6, speed="fast")  # fmt: skip
        start = params(w.model)
        v = View(w)
        v.send("hello", url={})
        await v.until(lambda: v.messages("snapshot"))
        v.send("play")
        await v.until(lambda: w.session.status.stopped)  # stops itself after 6 epochs
        assert w.epoch == 6
        last = v.messages("snapshot")[-1]
        assert last["epoch"] == 6 and last["running"] is False
        return w, start

    w, start = asyncio.run(main())
    assert not np.array_equal(params(w.model), start)
    r = run(w.spec)
    np.testing.assert_array_equal(params(w.model), params(r.net))


def test_train_from_code_equals_the_spec_run_and_sends_a_snapshot():
    from backprop.spec import run

    w = widget("abs", stop_epochs=0)
    v = View(w)
    w.train(epochs=25)
    assert w.epoch == 25
    assert v.messages("snapshot")[-1]["epoch"] == 25
    np.testing.assert_array_equal(params(w.model), params(run(w.spec).model))


def test_settings_from_the_built_in_spec_are_the_specs():
    from backprop.spec import builtin

    spec = builtin("square")
    s = widget("square").settings
    assert [len(s["features"]), *s["hidden"], 1] == spec["model"]["sizes"]
    assert s["activation"] == [spec["model"]["activation"]] * 2
    assert (s["optimizer"], s["lr"], s["seed"]) == ("adam", spec["optimizer"]["lr"], spec["seed"])
    assert (s["dataset"], s["stop_epochs"]) == ("square", spec["epochs"])


def test_a_model_is_the_start_and_reset_goes_back_to_its_weights():
    import backprop

    backprop.manual_seed(3)
    m = nn.MLP([2, 3, 1], activation="relu")
    w = widget(m, lr=0.1)
    assert w.settings["hidden"] == [3] and w.settings["activation"] == ["relu"]
    np.testing.assert_array_equal(params(w.model), params(m))
    w.train(epochs=2)
    assert not np.array_equal(params(w.model), params(m))
    w.session.reset()
    np.testing.assert_array_equal(params(w.model), params(m))
    assert w.model is not m  # the student's model is left as it was


def test_messages_from_another_thread_reach_the_kernels_loop():
    async def main():
        w = widget(seed=1)
        v = View(w)
        t = threading.Thread(target=v.send, args=("hello",), kwargs={"url": {}})
        t.start()
        t.join()
        await v.until(lambda: v.messages("snapshot"))

    asyncio.run(main())


def test_hostile_messages_are_refused_and_the_widget_keeps_working():
    async def main():
        w = widget(seed=2)
        v = View(w)
        v.send("hello", url={})
        await v.until(lambda: v.messages("snapshot"))
        hostile = [
            {"text": "not json"},
            {"text": json.dumps({"v": 2, "type": "play"})},
            {"text": json.dumps({"v": 1, "type": "rm -rf"})},
            msg("set", changes={"lr": 1e9}),
            msg("set", changes={"hidden": [99]}),
            msg("set", changes={"__class__": 1}),
            msg("edit", kind="weight", layer=7, row=0, col=0, value=1.0),
            {"nope": 1},
            "text",
            {"text": 12},
        ]
        for content in hostile:
            w._on_msg(w, content, [])
            await asyncio.sleep(0.05)
        await v.until(lambda: len(v.messages("error")) >= len(hostile))
        errors = [m["message"] for m in v.messages("error")]
        assert any("lr" in e for e in errors) and any("hidden" in e for e in errors)
        assert w.settings["lr"] == 0.03 and w.settings["hidden"] == [4, 2]
        v.send("set", changes={"lr": 0.1})  # still answering
        await v.until(lambda: w.settings["lr"] == 0.1)

    asyncio.run(main())


def test_an_oversized_message_closes_the_view_and_a_new_hello_reconnects():
    async def main():
        w = widget(seed=2)
        v = View(w)
        w._on_msg(w, {"text": "x" * (protocol.MAX_MESSAGE + 1)}, [])
        await v.until(lambda: any("closed" in c for c in v.out))
        assert [c["closed"] for c in v.out if "closed" in c] == [1009]
        v.send("hello", url={})  # the page's Reconnect button
        await v.until(lambda: v.messages("snapshot"))

    asyncio.run(main())


@pytest.mark.parametrize(
    ("args", "kwargs", "words"),
    [
        ((42,), {}, "spec_or_model must be"),
        (("nope",), {}, "neither one of the page's exercises"),
        (({"data": {"name": "digits"}, "model": {"hidden": [4]}},), {}, "playground's sets"),
        ((nn.MLP([3, 4, 1]),), {}, "1 or 2"),
        ((nn.MLP([2, 4, 1], output_activation="sigmoid"),), {}, "output"),
        ((), {"lr": 100}, "lr"),
        ((), {"hidden": [99]}, "hidden"),
        ((), {"colour": "red"}, "unknown"),
        ((), {"dataset": "csv"}, "Upload CSV"),
    ],
)
def test_bad_arguments_raise_config_errors_that_say_what_to_do(args, kwargs, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        widget(*args, **kwargs)


def test_train_refuses_a_bad_epoch_count():
    w = widget(seed=0)
    for bad in (-1, 1.5, True):
        with pytest.raises(ConfigError, match="epochs must be a whole number"):
            w.train(bad)


def test_the_page_is_the_served_pages_own_scripts_inlined():
    from importlib import resources

    static = resources.files("backprop.playground").joinpath("static")
    index = static.joinpath("index.html").read_text("utf-8")
    html = page_html()
    assert "/static/" not in html  # nothing to fetch: the frame has no server
    served = re.findall(r'<script src="/static/([\w.]+)"', index)
    order = [*served[:-1], "bridge.js", served[-1]]
    assert served[-1] == "app.js"
    positions = [html.index(static.joinpath(n).read_text("utf-8")) for n in order]
    assert positions == sorted(positions)
    for css in re.findall(r'href="/static/([\w.]+\.css)"', index):
        assert static.joinpath(css).read_text("utf-8") in html


def test_close_stops_the_training():
    async def main():
        w = widget(seed=3, speed="fast")
        v = View(w)
        v.send("hello", url={})
        v.send("play")
        await v.until(lambda: w.epoch > 2)
        w.close()
        await asyncio.sleep(0.05)
        stopped = w.epoch
        await asyncio.sleep(0.3)
        assert w.epoch == stopped
        assert w._task.done()

    asyncio.run(main())


def test_an_exercise_by_name_is_the_pages_exercise():
    from backprop.playground import lessons

    async def main():
        w = widget("abs")
        preset = lessons.PRESETS["abs"]["settings"]
        assert all(w.settings[k] == v for k, v in preset.items() if k != "batch_size")
        assert w.session.batch_size == w.session.x.shape[0]  # "all": one batch
        v = View(w)
        v.send("hello", url={})
        await v.until(lambda: v.messages("ready"))
        lesson = v.messages("ready")[0]["lesson"]
        assert lesson["preset"] == "abs" and "lesson_link" in lesson["hide"]

    asyncio.run(main())


def test_the_pages_exports_come_from_the_kernel(tmp_path):
    import base64

    from backprop.io import load

    async def main():
        w = widget(dataset="xor", seed=6)
        w.train(epochs=3)
        v = View(w)
        v.send("hello", url={})
        v.send("export", what="spec")
        v.send("export", what="model")
        await v.until(lambda: len(v.messages("export")) == 2)
        return w, {m["what"]: m for m in v.messages("export")}

    w, got = asyncio.run(main())
    assert json.loads(base64.b64decode(got["spec"]["data"])) == w.spec
    path = tmp_path / "model.safetensors"
    path.write_bytes(base64.b64decode(got["model"]["data"]))
    np.testing.assert_array_equal(params(load(path)), params(w.model))


def test_without_the_notebook_extra_widget_says_what_to_install(monkeypatch):
    """A kernel without anywidget: one error naming the extra (was a bare ModuleNotFoundError
    from inside the module)."""
    import builtins
    import sys

    from backprop.playground import WidgetDependencyError, widget

    real = builtins.__import__

    def without_anywidget(name, *args, **kwargs):
        if name == "anywidget":
            raise ModuleNotFoundError("No module named 'anywidget'", name="anywidget")
        return real(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "backprop.playground.nbwidget", raising=False)
    monkeypatch.setattr(builtins, "__import__", without_anywidget)
    with pytest.raises(WidgetDependencyError) as error:
        widget("abs")
    # said for a notebook: a cell's %pip with the project's own folder (a cell runs in the
    # notebook's folder, where ".[notebook]" names no project), and the terminal's line
    from pathlib import Path

    import backprop

    root = Path(backprop.__file__).resolve().parents[2]
    assert f'%pip install -e "{root}[notebook]"' in str(error.value)
    assert f'in a terminal: pip install -e "{root}[notebook]"' in str(error.value)
    assert issubclass(WidgetDependencyError, ImportError)


def test_one_activation_name_is_every_hidden_layer_s_as_in_nn_mlp():
    """widget(activation="sigmoid") was refused ("must be a list") though nn.MLP takes a
    string; one name now means every hidden layer."""
    from backprop.playground import widget

    w = widget(dataset="spiral", hidden=[8, 8], activation="sigmoid")
    assert w.settings["activation"] == ["sigmoid", "sigmoid"]
    assert [type(m).__name__ for m in w.model if not hasattr(m, "weight")][:2] == [
        "Sigmoid",
        "Sigmoid",
    ]
    w.close()


def test_the_widgets_page_speaks_of_the_notebook_not_of_an_address_bar():
    # the footer said "The link in the address bar reproduces this setup": a notebook has
    # no address bar; the widget's footer names what does (.spec), the served page keeps its own
    from importlib import resources

    index = resources.files("backprop.playground").joinpath("static", "index.html")
    assert "address bar" in index.read_text("utf-8")  # the served page: a browser tab
    shown = re.sub(r"<script>.*?</script>|<style>.*?</style>", "", page_html(), flags=re.S)
    assert "address bar" not in shown
    footer = re.search(r'<footer class="foot">(.*?)</footer>', shown, re.S).group(1)
    assert "kernel" in footer and "<code>.spec</code>" in footer
    assert "backprop.run(w.spec)" in footer


def test_a_ping_is_answered_at_once_from_any_thread():
    # widget.js pings to learn whether the kernel is still there (a restarted kernel never
    # answers, and the view says so): the answer comes at once, without the event loop
    w = widget(seed=1)
    v = View(w)
    t = threading.Thread(target=w._on_msg, args=(w, {"ping": 7}, []))
    t.start()
    t.join()
    w._on_msg(w, {"ping": 8}, [])
    assert v.out == [{"pong": 7}, {"pong": 8}]
