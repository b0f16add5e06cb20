"""A sweep's trials of one configuration build their network's structure once (issue 18).

``sweep.prepared.model_for`` keeps the first trial's network as the configuration's template
and gives each later seed a fresh copy with its weights drawn as ``spec.build.model_for``
draws them. Compared against ``model_for`` itself (the path every ``backprop.run`` takes)
and against a trial re-run alone with ``backprop.run``: the same weights and the same rows,
bit for bit. The spec checks' parameter lookup (``optiontypes``) is made once per class.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import backprop
from backprop import spec as specs
from backprop.spec import build
from backprop.sweep import local, prepared


def lecture(**change) -> dict:
    spec = specs.normalize(specs.builtin("square"))
    spec.update({"epochs": 30, **change})
    return specs.normalize(spec)


NETWORKS = {
    "lecture 1-8-8-1 relu": {},
    "tanh 1-4-4-1 on abs": {
        "data": {"name": "abs", "n": 50},
        "model": {"sizes": [1, 4, 4, 1], "activation": "tanh"},
    },
    "float64, no bias, two activations, sigmoid output": {
        "model": {
            "sizes": [1, 5, 3, 1],
            "activation": ["sigmoid", "leaky_relu"],
            "output_activation": "tanh",
            "bias": False,
            "dtype": "float64",
        },
    },
    "xor 2-4-1 classifier": {
        "data": {"name": "xor"},
        "model": {"sizes": [2, 4, 1]},
        "loss": {"name": "bce_with_logits"},
    },
}


def _prepared(spec: dict):
    """prepare(spec) with the sweep's per-configuration builder, as a trial runs it."""
    from backprop.spec.runner import MODEL_FOR, prepare

    token = MODEL_FOR.set(prepared.model_for)
    try:
        return prepare(spec)
    finally:
        MODEL_FOR.reset(token)


def _weights(model) -> list:
    return [(name, p._data.dtype, p._data.tobytes(), p.requires_grad)
            for name, p in model.named_parameters()]  # fmt: skip


@pytest.fixture(autouse=True)
def fresh_templates(monkeypatch):
    monkeypatch.setattr(prepared, "_templates", {})


@pytest.mark.parametrize("name", NETWORKS)
def test_each_seed_gets_model_fors_weights_and_leaves_the_rng_where_it_does(name):
    from backprop.spec.runner import prepare

    for seed in (0, 1, 7, 4242):
        spec = lecture(seed=seed, **NETWORKS[name])
        backprop.manual_seed(5)  # the caller's stream: prepare puts it back as it found it
        ours = _prepared(spec)
        ours_next = backprop.rand(4).numpy().tobytes()  # what fit would draw next
        backprop.manual_seed(5)
        theirs = prepare(spec)
        theirs_next = backprop.rand(4).numpy().tobytes()
        assert _weights(ours.net) == _weights(theirs.net)
        assert repr(ours.net) == repr(theirs.net)
        assert ours_next == theirs_next


def test_a_configuration_builds_its_network_once_and_each_copy_is_its_own(monkeypatch):
    built: list[int] = []
    real = build.model_for

    def counting(spec, dataset, loss_name):
        built.append(spec["seed"])
        return real(spec, dataset, loss_name)

    monkeypatch.setattr(build, "model_for", counting)
    nets = [_prepared(lecture(seed=seed)).net for seed in range(5)]
    assert built == [0]  # the first seed's; the other four are copies of its structure
    arrays = [p._data for net in nets for p in net.parameters()]
    assert len({id(a) for a in arrays}) == len(arrays)  # no weight array shared
    assert len({a.tobytes() for a in arrays[:6]} & {a.tobytes() for a in arrays[6:12]}) == 0


def test_a_network_with_its_own_init_or_a_warning_is_built_every_time(monkeypatch):
    built: list[int] = []
    real = build.model_for

    def counting(spec, dataset, loss_name):
        built.append(spec["seed"])
        return real(spec, dataset, loss_name)

    monkeypatch.setattr(build, "model_for", counting)
    for seed in range(3):
        _prepared(lecture(seed=seed, model={"sizes": [1, 8, 1], "init": "xavier_uniform"}))
    assert built == [0, 1, 2]
    built.clear()
    for seed in range(3):  # hidden [1, 4, 1] on one input and output: model_for warns
        with pytest.warns(backprop.errors.BackpropWarning, match="model.sizes"):
            _prepared(lecture(seed=seed, model={"hidden": [1, 4, 1]}))
    assert built == [0, 1, 2]


def test_a_chunks_rows_equal_each_trial_run_alone():
    spec = lecture(engine="delta", epochs=25)
    chunk = [(s, json.dumps({**spec, "seed": s})) for s in range(4)]
    rows = {tid: row for kind, tid, row in local.run_chunk(chunk) if kind == "done"}
    assert sorted(rows) == [0, 1, 2, 3]
    for seed, row in rows.items():
        alone = backprop.run({**spec, "seed": seed}, verbose=False)
        losses = np.asarray(alone.history.column("loss"), dtype="<f8")
        assert row["history"].endswith(losses.tobytes())
        assert row["final_loss"] == float(losses[-1]) or math.isnan(row["final_loss"])


def test_an_options_class_signature_is_read_once(monkeypatch):
    import inspect

    from backprop.spec import optiontypes

    monkeypatch.setattr(optiontypes, "_SIGNATURES", {})
    calls: list = []
    real = inspect.signature

    def counting(obj, *args, **kwargs):
        calls.append(obj)
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(inspect, "signature", counting)
    for seed in range(4):
        specs.normalize(
            {
                **lecture(seed=seed),
                "optimizer": {"name": "adam", "lr": 0.1, "options": {"amsgrad": True}},
            }
        )
    assert len(calls) == len(set(calls)) == 2  # Adam's and MSELoss's, once each
    with pytest.raises(backprop.errors.SpecError, match="amsgrad"):
        specs.normalize({**lecture(), "optimizer": {"name": "adam", "options": {"amsgrad": "no"}}})
