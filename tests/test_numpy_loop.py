"""``delta.numpy_loop.NumpyLoop`` (the NumPy δ span loop) against the per-batch path and PyTorch.

The reference is this project's existing slower path, step by step: ``optimizer.zero_grad();
delta.backward(model, xb, yb, loss); optimizer.step()`` over the same batches (the engine's
unbuffered recursion, ``engine.compute``; the span runner's ``penalize`` after it for TF
Playground's weight penalty; ``numpy_loop_helpers.py``). The loop claims the same numbers BIT
FOR BIT: batch losses, weights, ``.grad`` and ``optimizer.state_dict()``, whether it runs the
steps in one span or cut anywhere, including the optimizers it hands back to ``optimizer.step()``
(RMSprop, AMSGrad, two parameter groups). PyTorch 2.13 is the outside oracle for a few steps
from the same initial weights (float64 to 1e-10, float32 to 1e-5).
"""

from __future__ import annotations

import itertools
from unittest import mock

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.optim as optim
from backprop.delta import DeltaEngineError, Plan, numpy_step
from backprop.delta.numpy_loop import NumpyLoop
from backprop.errors import ConfigError, ShapeError
from numpy_loop_helpers import (
    BATCHING,
    LOSSES,
    N_IN,
    OPTIMIZERS,
    N,
    _assert_identical,
    _data,
    _model,
    _per_batch,
    _perms,
    _snapshot,
)


def _compare(loss, opt_name, dtype, batch, n=120, cuts=(7,), penalty=("none", 0.0), act=nn.ReLU):
    x, y = _data(loss, dtype)
    size, _ = BATCHING[batch]
    perms = _perms(batch, n)
    ref_model = _model(loss, dtype, act)
    ref_opt = OPTIMIZERS[opt_name](list(ref_model.parameters()))
    want_losses = _per_batch(
        ref_model, LOSSES[loss][0](), ref_opt, x, y, size, perms, 0, n, penalty
    )
    model = _model(loss, dtype, act)
    opt = OPTIMIZERS[opt_name](list(model.parameters()))
    loop = NumpyLoop(model, LOSSES[loss][0](), opt, x, y, size, penalty=penalty)
    losses = np.full(n, np.nan)
    bounds = [0, *cuts, n]
    engine_loss = []  # calls of the engine's loss function: none where a fast formula runs
    original = numpy_step.loss_and_output_delta

    def counted(*args):
        engine_loss.append(1)
        return original(*args)

    with mock.patch.object(numpy_step, "loss_and_output_delta", counted):
        for lo, hi in itertools.pairwise(bounds):
            assert loop.run(perms, lo, hi - lo, losses[lo:], guard=True) == (hi - lo, None)
            loop.sync()
            loop.reload()
    what = f"{loss}/{opt_name}/{np.dtype(dtype).name}/{batch}"
    fast = opt_name not in ("rmsprop", "amsgrad", "two_groups")  # the rest: a flat update here
    assert (loop.state.mode is not None) == fast, f"{what}: update path {loop.state.mode}"
    fast_loss = {"mse": "mse", "mse_sum": "mse", "half_mse": "half_mse"}
    fast_loss["cross_entropy"] = "cross_entropy"
    assert loop.stepper.loss_kind == fast_loss.get(loss, "generic"), f"{what}: loss path"
    assert (len(engine_loss) == n) == (loop.stepper.loss_kind == "generic"), what
    assert np.array_equal(losses, want_losses), f"{what}: batch losses"
    _assert_identical(_snapshot(model, opt), _snapshot(ref_model, ref_opt), what)
    return model, opt, loop


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("opt_name", list(OPTIMIZERS))
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_every_optimizer_matches_the_per_batch_path_bit_for_bit(loss, opt_name, dtype):
    _compare(loss, opt_name, dtype, "shuffled", n=200)


@pytest.mark.parametrize("batch", list(BATCHING))
@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_loss_and_batching_matches_bit_for_bit(loss, batch):
    _compare(loss, "adam", np.float32, batch, n=150)


@pytest.mark.parametrize("act", [nn.Tanh, nn.Sigmoid, lambda: nn.LeakyReLU(0.1), nn.Identity])
def test_other_activations_match_bit_for_bit(act):
    _compare("mse", "momentum", np.float64, "partial", act=act)
    _compare("cross_entropy", "adam", np.float32, "shuffled", act=act)


@pytest.mark.parametrize("cuts", [(1, 8), (3, 50, 51, 99), tuple(range(1, 100))])
@pytest.mark.parametrize("batch", ["full", "shuffled"])
def test_spans_cut_anywhere_equal_one_span(cuts, batch):
    _compare("mse", "adam", np.float32, batch, n=100, cuts=cuts)
    _compare("cross_entropy", "nesterov", np.float32, batch, n=100, cuts=cuts)


def test_reload_without_sync_keeps_the_loops_state():
    """reload() right after run(), before any sync(): the updates since are not lost."""
    x, y = _data("mse", np.float32)
    runs = []
    for reload_between in (False, True):
        model = _model("mse", np.float32)
        opt = optim.Adam(list(model.parameters()), lr=0.02)
        loop, losses = NumpyLoop(model, nn.MSELoss(), opt, x, y, 16), np.zeros(40)
        loop.run(None, 0, 10, losses, guard=False)
        loop.sync()
        loop.run(None, 10, 10, losses[10:], guard=False)
        if reload_between:
            loop.reload()
        loop.run(None, 20, 20, losses[20:], guard=False)
        loop.sync()
        runs.append((losses, _snapshot(model, opt)))
    assert np.array_equal(runs[0][0], runs[1][0])
    _assert_identical(runs[1][1], runs[0][1], "reload without sync")


def test_parameters_at_different_adam_steps_stay_with_the_optimizer():
    x, y = _data("mse", np.float64)
    runs = []
    for use_loop in (False, True):
        model = _model("mse", np.float64)
        opt = optim.Adam(list(model.parameters()), lr=0.01)
        _per_batch(model, nn.MSELoss(), opt, x, y, 16, None, 0, 3)
        first = opt.state[next(iter(model.parameters()))]  # its own t, not the shared one
        first["step"] = bp.tensor(np.array(1.0, np.float32))
        if use_loop:
            loop, losses = NumpyLoop(model, nn.MSELoss(), opt, x, y, 16), np.zeros(20)
            assert loop.state.mode is None
            loop.run(None, 3, 20, losses, guard=False)
            loop.sync()
        else:
            losses = _per_batch(model, nn.MSELoss(), opt, x, y, 16, None, 3, 20)
        runs.append((np.asarray(losses), _snapshot(model, opt)))
    assert np.array_equal(runs[0][0], runs[1][0])
    _assert_identical(runs[1][1], runs[0][1], "steps differ")


def test_spans_without_sync_in_between_equal_one_span():
    x, y = _data("mse", np.float32)
    runs = []
    for cuts in ((), (1, 8, 40)):
        model = _model("mse", np.float32)
        opt = optim.Adam(list(model.parameters()), lr=0.02)
        loop, losses, bounds = (
            NumpyLoop(model, nn.MSELoss(), opt, x, y, 16),
            np.zeros(60),
            [0, *cuts, 60],
        )
        for lo, hi in itertools.pairwise(bounds):
            loop.run(None, lo, hi - lo, losses[lo:], guard=False)
        loop.sync()
        runs.append((losses, _snapshot(model, opt)))
    assert np.array_equal(runs[0][0], runs[1][0])
    _assert_identical(runs[1][1], runs[0][1], "no sync")


@pytest.mark.parametrize("penalty", [("l1", 0.3), ("l2", 0.5)])
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_penalty_equals_the_span_runners_penalize(penalty, opt_name):
    model, _, _ = _compare("mse", opt_name, np.float32, "partial", n=80, penalty=penalty)
    if penalty[0] == "l1":  # the proximal step makes weights exactly zero
        assert any((m.weight._data == 0).any() for m in model.modules() if isinstance(m, nn.Linear))


def test_unflattened_model_takes_the_optimizer_step_path_with_the_same_numbers():
    x, y = _data("mse", np.float64)
    ref = _model("mse", np.float64)
    ref_opt = optim.Adam(list(ref.parameters()), lr=0.01)
    want = _per_batch(ref, nn.MSELoss(), ref_opt, x, y, 16, None, 0, 40)
    model = _model("mse", np.float64, flat=False)
    opt = optim.Adam(list(model.parameters()), lr=0.01)
    loop, losses = NumpyLoop(model, nn.MSELoss(), opt, x, y, 16), np.zeros(40)
    loop.run(None, 0, 40, losses, guard=False)
    loop.sync()
    assert loop.state.mode is None and np.array_equal(losses, want)
    for a, b in zip(model.parameters(), ref.parameters()):
        assert np.array_equal(a._data, b._data) and np.array_equal(a.grad._data, b.grad._data)


def test_lr_and_state_changed_between_spans_are_read_back():
    """A scheduler's lr, a weights restore and a loaded optimizer checkpoint between spans."""
    x, y = _data("cross_entropy", np.float32)
    results = []
    for use_loop in (False, True):
        model = _model("cross_entropy", np.float32)
        opt = optim.Adam(list(model.parameters()), lr=0.02)
        loop = NumpyLoop(model, nn.CrossEntropyLoss(), opt, x, y, 16) if use_loop else None
        losses = np.zeros(90)

        def span(lo, hi, model=model, opt=opt, loop=loop, losses=losses):
            if loop is None:
                losses[lo:hi] = _per_batch(
                    model, nn.CrossEntropyLoss(), opt, x, y, 16, None, lo, hi - lo
                )
            else:
                loop.run(None, lo, hi - lo, losses[lo:], guard=False)
                loop.sync()

        span(0, 20)
        saved_weights, saved_opt = model.state_dict(), opt.state_dict()
        opt.param_groups[0]["lr"] = 0.005
        span(20, 50)
        model.load_state_dict(saved_weights)
        opt.load_state_dict(saved_opt)
        if loop is not None:
            loop.reload()
        span(50, 90)
        results.append((losses, _snapshot(model, opt)))
    assert np.array_equal(results[0][0], results[1][0])
    _assert_identical(results[1][1], results[0][1], "reload")


def _diverging(lr, dtype=np.float32):
    x, y = _data("mse", dtype)
    model = _model("mse", dtype)
    return x, y, model, optim.SGD(list(model.parameters()), lr=lr)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_guard_stops_where_the_per_batch_path_with_a_check_stops():
    x, y, ref, ref_opt = _diverging(1e6)
    plan, want_stop = Plan(ref, nn.MSELoss()), None
    for s in range(200):
        xb, yb = x[(s % 4) * 16 : (s % 4) * 16 + 16], y[(s % 4) * 16 : (s % 4) * 16 + 16]
        ref_opt.zero_grad()
        value = float(plan.step(xb, yb))
        grads_ok = all(np.isfinite(p.grad._data).all() for p in ref.parameters())
        if not (np.isfinite(value) and grads_ok):
            want_stop = s
            break
        ref_opt.step()
    assert want_stop is not None and want_stop > 0
    _, _, model, opt = _diverging(1e6)
    loop, losses = NumpyLoop(model, nn.MSELoss(), opt, x, y, 16), np.zeros(200)
    done, stop = loop.run(None, 0, 120, losses, guard=True)
    if stop is None:  # the stop may fall in a later span
        done, stop = loop.run(None, 120, 80, losses[120:], guard=True)
        done, stop = done + 120, stop + 120
    loop.sync()
    assert (done, stop) == (want_stop, want_stop)
    assert not loop.restored
    assert all(np.isfinite(p._data).all() for p in model.parameters())
    _assert_identical(_snapshot(model, opt), _snapshot(ref, ref_opt), "guard")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_guard_restores_weights_an_update_overflowed():
    x, y, model, opt = _diverging(1e39)  # lr is inf in float32: weights ±inf or NaN at once
    before = [p._data.copy() for p in model.parameters()]
    loop, losses = NumpyLoop(model, nn.MSELoss(), opt, x, y, N), np.zeros(5)
    assert loop.run(None, 0, 5, losses, guard=True) == (1, 1)
    assert loop.restored and np.isfinite(losses[0]) and not np.isfinite(losses[1])
    for p, b in zip(model.parameters(), before):
        assert np.array_equal(p._data, b)
    loop.sync()
    assert any(not np.isfinite(p.grad._data).all() for p in model.parameters())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_without_guard_the_loop_never_stops():
    x, y, model, opt = _diverging(1e38)
    loop, losses = NumpyLoop(model, nn.MSELoss(), opt, x, y, N), np.zeros(5)
    assert loop.run(None, 0, 5, losses, guard=False) == (5, None)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_without_guard_a_diverging_run_keeps_the_per_batch_numbers():
    """Past the point a guard would stop, infinite δ meet switched-off ReLUs: the loop's
    fast sign(a) gate would turn inf·0 into NaN where the select gives 0, so it takes the step
    again with the select (numpy_step.Step.gradients): losses, weights and .grad stay those of
    the per-batch path, NaN for NaN."""
    x, y, ref, ref_opt = _diverging(1e6)
    _, _, model, opt = _diverging(1e6)
    loop, losses = NumpyLoop(model, nn.MSELoss(), opt, x, y, 16), np.zeros(1)
    finite = []
    for s in range(8):  # step by step: each step's .grad, not only the last (all NaN by then)
        want = _per_batch(ref, nn.MSELoss(), ref_opt, x, y, 16, None, s, 1)
        assert loop.run(None, s, 1, losses, guard=False) == (1, None)
        loop.sync()
        assert np.array_equal(losses, want, equal_nan=True), f"step {s}"
        _assert_identical(_snapshot(model, opt), _snapshot(ref, ref_opt), f"step {s}")
        finite.append(all(np.isfinite(p.grad._data).all() for p in ref.parameters()))
    assert finite[0] and not all(finite)  # the run did diverge


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_against_pytorch(loss, dtype, tol):
    torch = pytest.importorskip("torch")
    x, y = _data(loss, dtype)
    model = _model(loss, dtype)
    tmodel = torch.nn.Sequential(
        torch.nn.Linear(N_IN, 8), torch.nn.ReLU(), torch.nn.Linear(8, 6), torch.nn.ReLU(),
        torch.nn.Linear(6, LOSSES[loss][1]),
    ).to(torch.float64 if dtype == np.float64 else torch.float32)  # fmt: skip
    with torch.no_grad():
        for tp, p in zip(tmodel.parameters(), model.parameters()):
            tp.copy_(torch.from_numpy(p._data.copy()))
    opt = optim.Adam(list(model.parameters()), lr=0.01)
    topt = torch.optim.Adam(tmodel.parameters(), lr=0.01)
    tloss = torch.nn.MSELoss() if loss == "mse" else torch.nn.CrossEntropyLoss()
    perms = _perms("shuffled", 12)
    loop, losses = NumpyLoop(model, LOSSES[loss][0](), opt, x, y, 16), np.zeros(12)
    loop.run(perms, 0, 12, losses, guard=False)
    loop.sync()
    for s in range(12):
        e, b = divmod(s, 4)
        rows = torch.from_numpy(perms[e, b * 16 : b * 16 + 16])
        topt.zero_grad()
        value = tloss(tmodel(torch.from_numpy(x)[rows]), torch.from_numpy(y)[rows])
        value.backward()
        topt.step()
        np.testing.assert_allclose(losses[s], value.item(), rtol=tol, atol=tol)
    for tp, p in zip(tmodel.parameters(), model.parameters()):
        np.testing.assert_allclose(p._data, tp.detach().numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(p.grad._data, tp.grad.numpy(), rtol=tol, atol=tol)


def test_bad_inputs_name_the_parameter():
    x, y = _data("mse", np.float32)
    model = _model("mse", np.float32)
    opt = optim.SGD(list(model.parameters()), lr=0.1)
    with pytest.raises(ConfigError, match="batch_size must be in"):
        NumpyLoop(model, nn.MSELoss(), opt, x, y, 0)
    with pytest.raises(ShapeError, match="x has shape"):
        NumpyLoop(model, nn.MSELoss(), opt, x[:, :2], y, 10)
    with pytest.raises(ShapeError, match="y has shape"):
        NumpyLoop(model, nn.MSELoss(), opt, x, y[:10], 10)
    for bad in (("l3", 0.1), ("l2", -1.0), ("l2", "0.1"), "l2", ("l1", float("nan"))):
        with pytest.raises(ConfigError, match="penalty must be"):
            NumpyLoop(model, nn.MSELoss(), opt, x, y, 10, penalty=bad)
    NumpyLoop(model, nn.MSELoss(), opt, x, y, 10, penalty=None)
    loop = NumpyLoop(model, nn.MSELoss(), opt, x, y, 10)
    with pytest.raises(ShapeError, match="perms must be"):
        loop.run(np.zeros((1, N), np.int64), 0, 12, np.zeros(12), guard=False)
    with pytest.raises(ShapeError, match="row numbers 0 … 49"):
        loop.run(np.full((2, N), N, np.int64), 0, 6, np.zeros(6), guard=False)
    with pytest.raises(ShapeError, match="row numbers"):
        loop.run(np.zeros((2, N)), 0, 6, np.zeros(6), guard=False)
    assert loop.run(np.zeros((0, N), np.int64), 0, 0, np.zeros(0), guard=True) == (0, None)
    conv = nn.Sequential(nn.ReLU(), nn.Linear(N_IN, 2))
    with pytest.raises(DeltaEngineError):
        NumpyLoop(conv, nn.MSELoss(), opt, x, y, 10)


@pytest.mark.parametrize("loss", ["mse", "mse_sum"])
def test_best_epoch_is_the_lowest_epoch_loss_of_the_per_batch_path(loss):
    """track_best: spans as ``train.spans`` cuts them (perms from the call's first epoch,
    ``epoch_base`` epochs before it) give the epoch whose E (Σ E_b·m_b/N, or Σ E_b for a sum)
    is lowest, and the weights it started with, as the per-batch path measures them."""
    x, y = _data(loss, np.float32)
    perms, nb, epochs = _perms("shuffled", 40), 4, 10
    ref = _model(loss, np.float32)
    lr = 0.3 if loss == "mse" else 0.6 / N
    ref_opt = optim.SGD(list(ref.parameters()), lr=lr, momentum=0.9)  # it overshoots: E rises
    starts, epoch_losses = [], []
    for e in range(epochs):
        starts.append(np.concatenate([p._data.reshape(-1) for p in ref.parameters()]))
        batch = _per_batch(ref, LOSSES[loss][0](), ref_opt, x, y, 16, perms, e * nb, nb)
        sizes = [16, 16, 16, 2]
        total = 0.0
        for value, m in zip(batch, sizes):
            total += value if loss == "mse_sum" else value * m / N
        epoch_losses.append(total)
    want = int(np.argmin(epoch_losses))
    assert 0 < want < epochs - 1, epoch_losses  # the lowest is neither the first nor the last
    model = _model(loss, np.float32)
    opt = optim.SGD(list(model.parameters()), lr=lr, momentum=0.9)
    loop = NumpyLoop(model, LOSSES[loss][0](), opt, x, y, 16)
    loop.track_best(0)
    losses = np.zeros(epochs * nb)
    for lo, hi in itertools.pairwise([0, 3, 9, 10, 27, 40]):
        first_epoch, last_epoch = lo // nb, (hi - 1) // nb
        rows = perms[first_epoch : last_epoch + 1]
        loop.run(rows, lo - first_epoch * nb, hi - lo, losses[lo:], False, epoch_base=first_epoch)
    epoch, value, weights = loop.best_weights()
    assert (epoch, value) == (want + 1, epoch_losses[want])
    assert np.array_equal(weights, starts[want])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_non_finite_logits_give_the_engines_loss():
    """Logits of ±inf (class 1's bias): whatever the registry's rule makes of them (+inf or
    NaN), the loop's batch losses are the engine's: it hands such batches to the engine."""
    x, y = _data("cross_entropy", np.float32)
    for bias in (-np.inf, np.inf):
        runs = []
        for use_loop in (False, True):
            model = _model("cross_entropy", np.float32)
            model[4].bias._data[1] = bias  # class 1's logit is ±inf on every row
            opt = optim.SGD(list(model.parameters()), lr=0.1)
            if use_loop:
                loop, losses = NumpyLoop(model, nn.CrossEntropyLoss(), opt, x, y, 16), np.zeros(3)
                loop.run(_perms("shuffled", 3), 0, 3, losses, guard=False)
            else:
                losses = _per_batch(
                    model, nn.CrossEntropyLoss(), opt, x, y, 16, _perms("shuffled", 3), 0, 3
                )
            runs.append(np.asarray(losses))
        assert np.array_equal(runs[0], runs[1], equal_nan=True), (bias, runs)
        assert not np.isfinite(runs[1]).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_wide_layers_take_the_select_and_keep_the_per_batch_numbers(dtype):
    """Layers of at least numpy_step.SELECT_SIZE numbers a batch apply ReLU's g' as the
    registry's select (a bitwise AND) instead of sign(a)·δ: the same numbers, bit for bit,
    as the per-batch path — here 50 rows × 96 and × 90 units, Adam, shuffled batches of 48."""
    from backprop.delta import flatten_parameters

    def model():
        bp.manual_seed(5)
        m = nn.Sequential(nn.Linear(N_IN, 96), nn.ReLU(), nn.Linear(96, 90), nn.ReLU(),
                          nn.Linear(90, 2))  # fmt: skip
        if dtype == np.float64:
            m.double()
        flatten_parameters(m)
        return m

    x, y = _data("mse", dtype)
    rng = np.random.default_rng(2)
    perms = np.stack([rng.permutation(N) for _ in range(6)])
    ref = model()
    ref_opt = optim.Adam(list(ref.parameters()), lr=0.01)
    want = _per_batch(ref, nn.MSELoss(), ref_opt, x, y, 48, perms, 0, 10)
    ours = model()
    opt = optim.Adam(list(ours.parameters()), lr=0.01)
    loop, losses = NumpyLoop(ours, nn.MSELoss(), opt, x, y, 48), np.zeros(10)
    assert numpy_step.SELECT_SIZE <= 48 * 90 and all(loop.batches[48].select[1:3])
    assert loop.run(perms, 0, 10, losses, guard=True) == (10, None)
    loop.sync()
    assert np.array_equal(losses, want)
    _assert_identical(_snapshot(ours, opt), _snapshot(ref, ref_opt), "wide")
