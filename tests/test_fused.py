"""The fused compiled training loop (``delta.fused``) against the NumPy δ engine and autograd.

The compiled loop must leave the same weights, last gradients and optimizer state as
``delta.Plan`` + ``optimizer.step()`` over the same minibatches, and as the autograd tape
(``loss.backward()``): float64 to 1e-10 after a few hundred steps, float32 to 1e-4. The
combinations below cover every fused activation, loss and optimizer option at least once,
full batch and minibatch; ``test_compiles_every_kernel`` compiles both dtypes up front (the
numba compile is the slow part: a few seconds per dtype on a cold cache).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip(
    "numba", reason="numba is not installed: the compiled path is optional (extra 'fast')"
)

import backprop as bp  # noqa: E402
import backprop.nn as nn  # noqa: E402
import backprop.optim as optim  # noqa: E402
from backprop import delta  # noqa: E402
from backprop.delta import DeltaEngineError, fused, fused_loop, fused_policy  # noqa: E402

N = 40
N_IN = 3

ACTIVATIONS = {
    "identity": nn.Identity,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": lambda: nn.LeakyReLU(0.1),
}
LOSSES = {
    "mse": (nn.MSELoss, 2),
    "half_mse": (nn.HalfMSELoss, 2),
    "cross_entropy": (nn.CrossEntropyLoss, 4),
    "bce_with_logits": (nn.BCEWithLogitsLoss, 3),
}
OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.05),
    "momentum": lambda p: optim.SGD(p, lr=0.02, momentum=0.9, dampening=0.1, weight_decay=1e-3),
    "nesterov": lambda p: optim.SGD(p, lr=0.02, momentum=0.8, nesterov=True, maximize=False),
    "adam": lambda p: optim.Adam(p, lr=0.01, weight_decay=1e-3),
    "adamw": lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.05),
}


def _model(act: str, n_out: int, dtype, seed: int = 3, bias: bool = True, output=None):
    bp.manual_seed(seed)
    layers = [
        nn.Linear(N_IN, 6, bias=bias),
        ACTIVATIONS[act](),
        nn.Linear(6, 5),
        ACTIVATIONS[act](),
        nn.Linear(5, n_out, bias=bias),
    ]
    if output is not None:
        layers.append(ACTIVATIONS[output]())
    model = nn.Sequential(*layers)
    return model.double() if dtype == np.float64 else model


def _data(loss: str, n_out: int, dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((N, N_IN)).astype(dtype)
    if loss == "cross_entropy":
        y = rng.integers(0, n_out, N).astype(np.int64)
    elif loss == "bce_with_logits":
        y = (rng.random((N, n_out)) < 0.4).astype(dtype)
    else:
        y = rng.standard_normal((N, n_out)).astype(dtype)
    return x, y


def _batches(n: int, size: int, epochs: int, seed: int):
    """The rows of every minibatch, drawn as fit draws them."""
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(n) if size < n else np.arange(n)
        for lo in range(0, n, size):
            yield order[lo : lo + size]


def _numpy_path(model, loss, opt, x, y, epochs, size, seed):
    delta.flatten_parameters(model)
    plan = delta.Plan(model, loss)
    losses = []
    for rows in _batches(len(x), size, epochs, seed):
        opt.zero_grad()
        losses.append(plan.step(x[rows], y[rows]))
        opt.step()
    return np.array(losses)


def _autograd_path(model, loss, opt, x, y, epochs, size, seed):
    losses = []
    for rows in _batches(len(x), size, epochs, seed):
        opt.zero_grad()
        value = loss(model(bp.tensor(x[rows])), bp.tensor(y[rows]))
        value.backward()
        losses.append(float(value.item()))
        opt.step()
    return np.array(losses)


def _assert_same(a_model, a_opt, b_model, b_opt, tol: float) -> None:
    for (name, p), q in zip(a_model.named_parameters(), b_model.parameters()):
        np.testing.assert_allclose(p._data, q._data, rtol=0, atol=tol, err_msg=name)
        np.testing.assert_allclose(p.grad._data, q.grad._data, rtol=0, atol=tol, err_msg=name)
    sa, sb = a_opt.state_dict()["state"], b_opt.state_dict()["state"]
    assert sa.keys() == sb.keys()
    for i in sa:
        assert sa[i].keys() == sb[i].keys()
        for key in sa[i]:
            np.testing.assert_allclose(
                sa[i][key]._data, sb[i][key]._data, rtol=0, atol=tol, err_msg=f"{i} {key}"
            )


def _run_three(act, loss_name, opt_name, dtype, size, epochs, output=None, bias=True):
    loss_cls, n_out = LOSSES[loss_name]
    x, y = _data(loss_name, n_out, dtype)
    runs = []
    for path in ("fused", "numpy", "autograd"):
        model = _model(act, n_out, dtype, bias=bias, output=output)
        opt = OPTIMIZERS[opt_name](model.parameters())
        loss = loss_cls()
        if path == "fused":
            assert fused.supported(model, loss, opt, y) is True
            result = fused.train(model, loss, opt, x, y, epochs, size, shuffle_seed=11)
            losses = result.batch_losses.reshape(-1)
            assert result.steps == len(losses)
        elif path == "numpy":
            losses = _numpy_path(model, loss, opt, x, y, epochs, size, 11)
        else:
            losses = _autograd_path(model, loss, opt, x, y, epochs, size, 11)
        runs.append((model, opt, losses))
    return runs


def test_compiles_every_kernel():
    seconds = fused.warm_up((np.float32, np.float64))
    assert set(seconds) == {"float32", "float64"}
    assert fused.cache_state(np.float32) == "memory"
    assert fused.cache_state(np.float64) == "memory"


# (activation, loss, optimizer, batch size, output activation); 200 steps each in float64
CASES = [
    ("relu", "mse", "adam", N, None),
    ("tanh", "half_mse", "momentum", 16, "sigmoid"),
    ("sigmoid", "cross_entropy", "adamw", 16, None),
    ("leaky_relu", "bce_with_logits", "nesterov", N, None),
    ("identity", "mse", "sgd", 7, "tanh"),
    ("tanh", "cross_entropy", "adam", 9, None),
    ("relu", "half_mse", "adamw", 16, "leaky_relu"),
    ("sigmoid", "bce_with_logits", "momentum", 13, None),
]


@pytest.mark.parametrize(("act", "loss", "opt", "size", "output"), CASES)
def test_float64_equals_numpy_and_autograd(act, loss, opt, size, output):
    epochs = 200 * size // N if size < N else 200
    (fm, fo, fl), (nm, no, nl), (am, ao, al) = _run_three(
        act, loss, opt, np.float64, size, max(epochs, 1), output
    )
    _assert_same(fm, fo, nm, no, 1e-10)
    _assert_same(fm, fo, am, ao, 1e-10)
    np.testing.assert_allclose(fl, nl, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fl, al, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("act", "loss", "opt", "size"),
    [("relu", "mse", "adam", N), ("tanh", "cross_entropy", "momentum", 16)],
)
def test_float32_equals_numpy_and_autograd(act, loss, opt, size):
    (fm, fo, fl), (nm, no, nl), (am, ao, _) = _run_three(act, loss, opt, np.float32, size, 60)
    assert fm[0].weight._data.dtype == np.float32
    _assert_same(fm, fo, nm, no, 1e-4)
    _assert_same(fm, fo, am, ao, 1e-4)
    np.testing.assert_allclose(fl, nl, rtol=1e-4, atol=1e-5)


def test_no_bias_and_sum_reduction():
    x, y = _data("mse", 2, np.float64)
    a, b = _model("tanh", 2, np.float64, bias=False), _model("tanh", 2, np.float64, bias=False)
    oa, ob = optim.Adam(a.parameters(), lr=0.01), optim.Adam(b.parameters(), lr=0.01)
    fused.train(a, nn.MSELoss(reduction="sum"), oa, x, y, 30, 16, shuffle_seed=2)
    _numpy_path(b, nn.MSELoss(reduction="sum"), ob, x, y, 30, 16, 2)
    _assert_same(a, oa, b, ob, 1e-10)


def test_state_written_back_continues_like_numpy():
    """Fused for 40 epochs, then 40 NumPy epochs == 80 NumPy epochs: step, moments carry."""
    x, y = _data("mse", 2, np.float64)
    a, b = _model("relu", 2, np.float64), _model("relu", 2, np.float64)
    oa, ob = optim.Adam(a.parameters(), lr=0.01), optim.Adam(b.parameters(), lr=0.01)
    fused.train(a, nn.MSELoss(), oa, x, y, 40)
    assert float(oa.state[a[0].weight]["step"]._data) == 40.0
    assert oa.state[a[0].weight]["step"]._data.dtype == np.float32
    _numpy_path(a, nn.MSELoss(), oa, x, y, 40, N, 0)
    _numpy_path(b, nn.MSELoss(), ob, x, y, 80, N, 0)
    _assert_same(a, oa, b, ob, 1e-10)
    # and the other way round: NumPy first, fused continues from its (flat) state
    c = _model("relu", 2, np.float64)
    oc = optim.SGD(c.parameters(), lr=0.02, momentum=0.9)
    d = _model("relu", 2, np.float64)
    od = optim.SGD(d.parameters(), lr=0.02, momentum=0.9)
    _numpy_path(c, nn.MSELoss(), oc, x, y, 10, N, 0)
    fused.train(c, nn.MSELoss(), oc, x, y, 10)
    _numpy_path(d, nn.MSELoss(), od, x, y, 20, N, 0)
    _assert_same(c, oc, d, od, 1e-10)


def test_minibatch_orders_seed_generator_and_table_agree():
    """A seed, a generator, a table and a function giving fit's permutations: same run."""
    x, y = _data("mse", 2, np.float64)
    rng = np.random.default_rng(5)
    table = np.stack([rng.permutation(N) for _ in range(6)])
    orders = [
        {"shuffle_seed": 5},
        {"shuffle_seed": np.random.default_rng(5)},
        {"permutations": table},
        {"permutations": table.__getitem__},
    ]
    results = []
    for kwargs in orders:
        model = _model("tanh", 2, np.float64)
        opt = optim.SGD(model.parameters(), lr=0.05)
        result = fused.train(model, nn.MSELoss(), opt, x, y, 6, 16, chunk_epochs=4, **kwargs)
        results.append(result.batch_losses)
    for other in results[1:]:
        np.testing.assert_array_equal(results[0], other)
    assert results[0].shape == (6, 3)


def test_epoch_losses_and_callback():
    x, y = _data("mse", 2, np.float64)
    model = _model("relu", 2, np.float64)
    opt = optim.Adam(model.parameters(), lr=0.01)
    seen = []

    def on_epochs(done, losses):
        seen.append((done, len(losses)))
        return done >= 6

    result = fused.train(
        model, nn.MSELoss(), opt, x, y, 10, 16, shuffle_seed=1, chunk_epochs=3, on_epochs=on_epochs
    )
    assert seen == [(3, 3), (6, 3)]
    assert result.batch_losses.shape == (6, 3) and result.steps == 18
    weights = np.array([16, 16, 8]) / N
    np.testing.assert_allclose(result.epoch_losses, result.batch_losses @ weights)


def test_guard_stops_before_a_non_finite_step():
    x, y = _data("mse", 2, np.float64)
    y = y * 1e200
    model = _model("identity", 2, np.float64)
    opt = optim.SGD(model.parameters(), lr=1.0)
    result = fused.train(model, nn.MSELoss(), opt, x, y, 50)
    assert result.stopped is not None
    epoch, batch = result.stopped
    assert result.steps == epoch - 1 and batch == 1
    assert all(np.isfinite(p._data).all() for p in model.parameters())
    assert not np.isfinite(result.epoch_losses[-1])


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("gelu", "gelu"),
        ("softmax", "softmax"),
        ("l1", "l1"),
        ("amsgrad", "amsgrad"),
        ("groups", "groups"),
        ("rmsprop", "RMSprop"),
        ("logits_after_sigmoid", "logits"),
        ("smoothing", "label_smoothing"),
    ],
)
def test_supported_says_why_not(change, words):
    model = _model("relu", 3, np.float64)
    if change == "gelu":
        model = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 3))
    if change == "softmax":
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3), nn.Softmax(dim=1))
    if change == "logits_after_sigmoid":
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3), nn.Sigmoid())
    loss = {
        "l1": nn.L1Loss(),
        "logits_after_sigmoid": nn.BCEWithLogitsLoss(),
        "smoothing": nn.CrossEntropyLoss(label_smoothing=0.1),
    }.get(change, nn.MSELoss())
    params = list(model.parameters())
    if change == "amsgrad":
        opt = optim.Adam(params, amsgrad=True)
    elif change == "groups":
        opt = optim.SGD([{"params": params[:2]}, {"params": params[2:], "lr": 0.1}], lr=0.01)
    elif change == "rmsprop":
        opt = optim.RMSprop(params)
    else:
        opt = optim.SGD(params, lr=0.1)
    reason = fused.supported(model, loss, opt)
    assert isinstance(reason, str) and words in reason
    with pytest.raises(DeltaEngineError, match="NumPy path"):
        fused.train(model, loss, opt, np.zeros((2, 3)), np.zeros((2, 3)), 1)


def test_supported_checks_targets():
    model = _model("relu", 4, np.float64)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss()
    assert fused.supported(model, loss, opt, np.array([0, 3, 1])) is True
    assert "ignore_index" in fused.supported(model, loss, opt, np.array([0, -100, 1]))
    assert "probability" in fused.supported(model, loss, opt, np.full((3, 4), 0.25))


def test_decide_policy(monkeypatch):
    model = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = optim.Adam(model.parameters())
    mse = nn.MSELoss()
    # the NumPy span loop's measured 31.5 µs a step on the lecture job, 10,000 steps
    assert fused.estimate_numpy_seconds([1, 8, 8, 1], 10_000, 100) == pytest.approx(0.315, rel=0.1)
    fused.warm_up((np.float32,))
    use, why = fused.decide(model, mse, opt, steps=10, batch=100)
    assert use and "already loaded" in why  # no fixed cost left, even for a short run
    monkeypatch.setattr(fused_policy, "_loaded", lambda dtype: False)
    for where, steps, expected, words in [
        ("disk", 10, False, "short run"),
        ("cold", 40_000, False, "would not pay"),
        ("disk", 40_000, True, "disk cache"),
        ("cold", 200_000, True, "pays for a cold compile"),
    ]:
        monkeypatch.setattr(fused_policy, "cache_state", lambda dtype, where=where: where)
        use, why = fused.decide(model, mse, opt, steps=steps, batch=100)
        assert use is expected and words in why, (where, steps, why)
    use, why = fused.decide(model, nn.L1Loss(), opt, steps=100_000, batch=100)
    assert not use and "l1" in why


def test_short_runs_in_one_process_add_up_to_loading_the_kernel(monkeypatch):
    """A notebook: each 10,000-epoch run is too short to pay for numba, but the kernel is
    loaded once the process has spent numba's load time on NumPy runs it could have run."""
    model = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    opt, mse = optim.Adam(model.parameters()), nn.MSELoss()
    monkeypatch.setattr(fused_policy, "_loaded", lambda dtype: False)
    monkeypatch.setattr(fused_policy, "cache_state", lambda dtype=None: "disk")
    monkeypatch.setattr(fused_policy, "NUMPY_SPENT", [0.0])
    use, why = fused.decide(model, mse, opt, steps=10_000, batch=100)
    assert not use and "short run" in why
    fused_policy.note_numpy_seconds(0.8)
    use, why = fused.decide(model, mse, opt, steps=10_000, batch=100)
    assert use and "already trained" in why


def test_the_kernel_file_names_the_digest_of_its_update_file():
    """numba caches train_loop by fused_kernels.py's stamp only: an edit of fused_update.py
    must come with an edit of fused_kernels.py (its digest there), or a stale kernel loads."""
    import hashlib
    from pathlib import Path

    from backprop.delta import fused_kernels

    for name, digest in [
        ("fused_update.py", fused_kernels.FUSED_UPDATE_SHA256),
        ("fma.py", fused_kernels.FMA_SHA256),
    ]:
        source = Path(fused_kernels.__file__).with_name(name).read_bytes()
        assert hashlib.sha256(source).hexdigest()[:16] == digest, name


@pytest.mark.parametrize("size", [64, 200])
def test_wide_layers_through_blas_equal_numpy_and_autograd(size):
    """Layers big enough for BLAS, the first one fed one row per sample: the same numbers as
    the NumPy engine and autograd (float64, shuffled minibatches and the full batch)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((200, 40))
    y = rng.integers(0, 4, 200).astype(np.int64)
    runs = []
    for path in ("fused", "numpy", "autograd"):
        bp.manual_seed(2)
        model = nn.MLP([40, 64, 32, 4], activation="relu").double()
        opt = optim.Adam(model.parameters(), lr=0.01)
        loss = nn.CrossEntropyLoss()
        if path == "fused":
            result = fused.train(model, loss, opt, x, y, 3, size, shuffle_seed=11)
            losses = result.batch_losses.reshape(-1)
        elif path == "numpy":
            losses = _numpy_path(model, loss, opt, x, y, 3, size, 11)
        else:
            losses = _autograd_path(model, loss, opt, x, y, 3, size, 11)
        runs.append((model, opt, losses))
    (fm, fo, fl), (nm, no, nl), (am, ao, al) = runs
    assert size * 40 * 64 >= fused_loop.BLAS_MIN_WORK  # the first layer calls BLAS
    _assert_same(fm, fo, nm, no, 1e-10)
    _assert_same(fm, fo, am, ao, 1e-10)
    np.testing.assert_allclose(fl, nl, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fl, al, rtol=1e-10, atol=1e-12)


def test_a_tensor_valued_loss_option_declines_to_fuse_in_words():
    """A class weight (a Tensor) is not fused: the check says so instead of raising while
    comparing the tensor with its None default (found by the SKLEARN helper, issue 15)."""
    bp.manual_seed(0)
    model = nn.MLP([2, 4, 2])
    loss = nn.CrossEntropyLoss(weight=bp.tensor([1.0, 2.0]))
    why = fused.supported(model, loss, optim.Adam(model.parameters()), np.zeros(3, np.int64))
    assert isinstance(why, str) and "weight=a Tensor is not fused" in why


def test_what_a_numpy_run_counts_towards_the_kernel_does_not_depend_on_the_clock(monkeypatch):
    """fit counts the cost model's seconds of a NumPy run the kernel could have taken, not the
    wall time: on a busy machine the same runs in the same order get the same engines (two
    runs of one spec in one process stay bit-identical). A run made 50 ms slower counts the
    same, and a run stopped halfway counts half."""
    import time as clock

    from backprop.delta import numpy_loop
    from backprop.train import EarlyStopping, fit

    monkeypatch.setattr(fused_policy, "_loaded", lambda dtype: False)
    monkeypatch.setattr(fused_policy, "cache_state", lambda dtype=None: "cold")
    x = np.linspace(-2, 2, 100, dtype=np.float32).reshape(-1, 1)
    y = x**2
    want = fused_policy.estimate_numpy_seconds([1, 8, 8, 1], 200, 100)
    slow_run = numpy_loop.NumpyLoop.run

    def slow(self, *args, **kwargs):
        clock.sleep(0.05)
        return slow_run(self, *args, **kwargs)

    for patched in (False, True):
        if patched:
            monkeypatch.setattr(numpy_loop.NumpyLoop, "run", slow)
        monkeypatch.setattr(fused_policy, "NUMPY_SPENT", [0.0])
        model = nn.MLP([1, 8, 8, 1])
        history = fit(model, (x, y), nn.MSELoss(), optim.Adam(model.parameters()), epochs=200)
        assert history.engine == "delta"
        assert fused_policy.NUMPY_SPENT[0] == pytest.approx(want, rel=1e-12)
    monkeypatch.setattr(fused_policy, "NUMPY_SPENT", [0.0])
    model = nn.MLP([1, 8, 8, 1])
    stop = EarlyStopping(monitor="loss", patience=0, min_delta=1e9)  # stops after epoch 2
    history = fit(model, (x, y), nn.MSELoss(), optim.Adam(model.parameters()), epochs=200,
                  callbacks=[stop])  # fmt: skip
    done = len(history.epochs)
    assert done < 200
    assert fused_policy.NUMPY_SPENT[0] == pytest.approx(want * done / 200, rel=1e-12)
