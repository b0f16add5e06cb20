"""Issue 8, item 9: the same spec and seed give bit-identical weights and history.

Each case trains in separate Python processes and compares a SHA-256 of the weights (names,
dtypes and bytes) and of the loss/metric history (every float, JSON ``repr``-exact), for
the NumPy δ path, autograd and the compiled (numba) loop. The history's ``time`` column is
wall-clock time and is left out.
"""

import json
import subprocess
import sys
import time

import pytest

from .engines import engines

SCRIPT = r"""
import hashlib, json, sys
import backprop

spec = json.loads(sys.argv[1])
engine = spec.pop("engine")
if engine == "fused":  # the spec's engine field has no "fused"; fit(engine="fused") has
    from backprop.spec import prepare
    from backprop.train import fit

    r = prepare(spec)
    s = r.spec
    r.history = fit(
        r.model, r.dataset, r.loss, r.optimizer, epochs=s["epochs"],
        batch_size=s["batch_size"], validation=s["validation"], seed=s["seed"],
        engine="fused", scheduler=r.scheduler,
    )
else:
    r = backprop.run({**spec, "engine": engine})
h = hashlib.sha256()
for name, p in sorted(r.model.state_dict().items()):
    a = p.detach().numpy()
    h.update(name.encode() + str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
history = {k: v for k, v in r.history.history.items() if k != "time"}
text = json.dumps(history, sort_keys=True)
print(json.dumps({
    "weights": h.hexdigest(),
    "history": hashlib.sha256(text.encode()).hexdigest(),
    "epochs": len(r.history.epochs),
    "engine": r.history.engine,
    "columns": sorted(history),
}))
"""

SPECS = {
    "square": {
        "seed": 3,
        "data": {"name": "square", "n": 100},
        "model": {"sizes": [1, 8, 8, 1], "activation": "relu"},
        "loss": {"name": "mse"},
        "optimizer": {"name": "adam", "lr": 0.01},
        "epochs": 300,
        "batch_size": 20,
    },
    "xor": {
        "seed": 5,
        "data": {"name": "xor", "noise": 0, "train_ratio": 0.5},
        "model": {"hidden": [8, 8], "activation": "tanh"},
        "loss": {"name": "bce_with_logits"},
        "optimizer": {"name": "sgd", "lr": 0.1, "options": {"momentum": 0.9}},
        "epochs": 300,
        "batch_size": 10,
        "validation": "test",
    },
}


def in_processes(spec: dict, n: int) -> list[dict]:
    """Run ``spec`` in ``n`` separate processes at once; their JSON reports."""
    args = [sys.executable, "-c", SCRIPT, json.dumps(spec)]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(n)]  # fmt: skip
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


@pytest.mark.parametrize("engine", engines())
@pytest.mark.parametrize("name", sorted(SPECS))
def test_same_seed_same_bits_across_processes(name, engine, count):
    n = count(2, 4)
    t0 = time.perf_counter()
    reports = in_processes({**SPECS[name], "engine": engine}, n)
    seconds = time.perf_counter() - t0
    weights = {r["weights"] for r in reports}
    histories = {r["history"] for r in reports}
    first = reports[0]
    print(
        f"determinism: {name}/{engine}: {n} processes, {first['epochs']} epochs "
        f"(ran {first['engine']}), columns {first['columns']}: {len(weights)} distinct "
        f"weight hash(es), {len(histories)} distinct history hash(es), {seconds:.1f} s"
    )
    assert first["epochs"] == SPECS[name]["epochs"]
    assert first["engine"] == engine
    assert len(weights) == 1
    assert len(histories) == 1
