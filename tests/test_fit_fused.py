"""fit's compiled path: the same epochs, batches, numbers and NaN-guard stops as the NumPy δ
engine (the reference), and the policy that picks it."""

import subprocess
import sys

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.errors import ConfigError
from backprop.train import Callback, fit

pytest.importorskip("numba")


def setup(seed=0, dtype=bp.float64, lr=0.01, n=120, activation="tanh"):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    y = (x[:, :1] * x[:, 1:2] + np.sin(x[:, 2:])).astype(np.float64)
    bp.manual_seed(seed)
    model = nn.MLP([3, 16, 16, 1], activation=activation).to(dtype)
    return model, optim.Adam(model.parameters(), lr=lr), x, y


def test_fused_fit_equals_the_numpy_delta_engine():
    histories, weights = [], []
    for engine in ("delta", "fused"):
        model, opt, x, y = setup()
        h = fit(model, (x, y), nn.MSELoss(), opt, epochs=15, batch_size=10, validation=0.25,
                seed=3, engine=engine)  # fmt: skip
        assert h.engine == engine
        histories.append(h.history)
        weights.append([p.numpy(force=True).copy() for p in model.parameters()])
    for key in ("loss", "val_loss", "rmse", "val_r2"):
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-9, err_msg=key)
    for a, b in zip(*weights):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)


def test_fused_fit_stops_at_the_same_batch_with_the_same_words():
    results = []
    for engine in ("delta", "fused"):
        model, opt, x, y = setup(lr=1e6, dtype=bp.float32, activation="relu")
        h = fit(model, (x * 100, y * 100), nn.MSELoss(), opt, epochs=30, batch_size=10,
                seed=1, engine=engine)  # fmt: skip
        assert h.stop_reason and all(
            np.isfinite(p.numpy(force=True)).all() for p in model.parameters()
        )
        results.append((h.stopped_epoch, h.stopped_batch, h.stop_reason.split(";")[0]))
    assert results[0] == results[1]
    assert "learning rate" in h.stop_reason


def test_auto_takes_the_compiled_loop_only_when_it_pays():
    # In a fresh process nothing is compiled or loaded: a 24-step run does not pay for numba.
    code = (
        "import numpy as np, backprop as bp\n"
        "from backprop import nn, optim\n"
        "from backprop.train import fit\n"
        "x = np.random.default_rng(0).standard_normal((120, 3)); y = x[:, :1]\n"
        "m = nn.MLP([3, 16, 1]).double()\n"
        "h = fit(m, (x, y), nn.MSELoss(), optim.Adam(m.parameters()), epochs=2, batch_size=10)\n"
        "print(h.engine)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "delta"
    # With the kernel loaded in this process (the tests above), the same run takes it.
    model, opt, x, y = setup()
    fit(model, (x, y), nn.MSELoss(), opt, epochs=1, batch_size=10, engine="fused")
    model, opt, x, y = setup()
    assert fit(model, (x, y), nn.MSELoss(), opt, epochs=2, batch_size=10).engine == "fused"
    # Full-batch epochs too: fit hands the kernel whole spans of epochs, not one at a time.
    model, opt, x, y = setup()
    history = fit(model, (x, y), nn.MSELoss(), opt, epochs=2)
    assert history.engine == "fused" and "already loaded" in history.engine_reason

    class Batches(Callback):
        def on_batch_end(self, state):
            pass

    model, opt, x, y = setup()
    with pytest.raises(ConfigError, match="watches single batches"):
        fit(model, (x, y), nn.MSELoss(), opt, epochs=2, batch_size=10, engine="fused",
            callbacks=[Batches()])  # fmt: skip


def test_compiled_numbers_do_not_depend_on_a_warm_cache(tmp_path):
    # The first run compiles the kernel into an empty cache, the second loads it from there:
    # the same data, weights and steps must give the same bits both times.
    code = (
        "import numpy as np, backprop as bp\n"
        "from backprop import nn, optim, delta\n"
        "from backprop.delta import fused\n"
        "bp.manual_seed(0); x = 5 * bp.randn(100, 1); y = x.square() + bp.randn_like(x)\n"
        "bp.manual_seed(1); m = nn.MLP([1, 8, 8, 1]); delta.flatten_parameters(m)\n"
        "opt = optim.Adam(m.parameters(), lr=0.1)\n"
        "r = fused.train(m, nn.MSELoss(), opt, x.numpy(), y.numpy(), 3000)\n"
        "w = np.concatenate([p.numpy(force=True).ravel() for p in m.parameters()])\n"
        "print(repr(float(r.epoch_losses[-1])), w.tobytes().hex())\n"
    )
    env = {**__import__("os").environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
