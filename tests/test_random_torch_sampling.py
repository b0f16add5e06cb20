"""Sampling and initialisation against PyTorch 2.13, bit for bit after the same seed.

bernoulli (scalar and tensor p, float32 and float64), multinomial (makemore's one sample
per row with ``generator=``, with and without replacement), dropout masks, the default
initialisation of ``nn.Linear`` and ``nn.Embedding`` and the ``nn.init`` fills. The scalar
bernoulli is PyTorch's non-MKL path, which PyTorch takes on every CPU that is not Intel's
(this test machine's): on Intel CPUs PyTorch draws a scalar-p bernoulli from MKL's stream.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import backprop as bp
from backprop.autograd.random import dropout_mask

torch = pytest.importorskip("torch")

SEEDS = [0, 1, 42, 2**32 + 5, 2**63 - 1, -7]
FLOATS = [("float32", np.uint32), ("float64", np.uint64)]


def same_bits(ours, theirs, uint):
    a = np.asarray(ours.detach().numpy() if hasattr(ours, "detach") else ours)
    b = theirs.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, a.shape, b.dtype, b.shape)
    assert np.array_equal(a.view(uint), b.view(uint)), f"{np.sum(a != b)} of {a.size} differ"


def seed_both(seed):
    bp.manual_seed(seed)
    torch.manual_seed(seed)


def _intel() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return "GenuineIntel" in f.read(4096)
    except OSError:
        return False


mkl_bernoulli = pytest.mark.skipif(
    _intel() and torch.backends.mkl.is_available(),
    reason="PyTorch draws scalar-p bernoulli from MKL's stream on Intel CPUs",
)


@mkl_bernoulli
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,uint", FLOATS)
def test_bernoulli_scalar_and_tensor_p(seed, name, uint):
    seed_both(seed)
    ours, theirs = getattr(bp, name), getattr(torch, name)
    for n in (1, 5, 16, 100, 1000):
        p = np.linspace(0, 1, n).astype(name)
        same_bits(bp.bernoulli(bp.tensor(p)), torch.bernoulli(torch.from_numpy(p)), uint)
        a, b = bp.empty(n, dtype=ours), torch.empty(n, dtype=theirs)
        same_bits(a.bernoulli_(0.3), b.bernoulli_(0.3), uint)
        same_bits(a.bernoulli_(bp.tensor(p)), b.bernoulli_(torch.from_numpy(p)), uint)
        x, y = bp.zeros(n, dtype=ours), torch.zeros(n, dtype=theirs)
        same_bits(bp.bernoulli(x, 0.7), torch.bernoulli(y, 0.7), uint)


@pytest.mark.parametrize("seed", SEEDS[:4])
@pytest.mark.parametrize("name", ["float32", "float64"])
def test_multinomial_every_form(seed, name):
    rows = np.abs(np.sin(np.arange(4 * 27) * 0.37)).reshape(4, 27).astype(name)
    rows[1, 3:9] = 0  # zero-weight categories are never drawn
    seed_both(seed)
    w, tw = bp.tensor(rows), torch.from_numpy(rows)
    for args in [(1, True), (1, False), (20, True), (5, False), (21, False)]:
        same_bits(bp.multinomial(w, *args), torch.multinomial(tw, *args), np.int64)
        same_bits(bp.multinomial(w[2], *args), torch.multinomial(tw[2], *args), np.int64)


def test_makemore_sampling_loop_with_a_generator():
    """makemore's name sampler: one ``multinomial`` per character from a seeded Generator."""
    rng = np.random.default_rng(0)
    table = rng.random((27, 27)).astype(np.float32) ** 3
    table /= table.sum(1, keepdims=True)
    g, tg = bp.Generator().manual_seed(2147483647), torch.Generator().manual_seed(2147483647)
    P, tP = bp.tensor(table), torch.from_numpy(table)
    for _ in range(20):
        ours, theirs, ix, tix = [], [], 0, 0
        while len(ours) < 30:
            ix = bp.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
            tix = torch.multinomial(tP[tix], num_samples=1, replacement=True, generator=tg).item()
            ours.append(ix)
            theirs.append(tix)
            if ix == 0:
                break
        assert ours == theirs


@mkl_bernoulli
@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize("name,uint", FLOATS)
def test_dropout_mask_is_torchs_dropout(seed, name, uint):
    for shape in [(5,), (4, 7), (32, 100), (3, 4, 5)]:
        for p in (0.1, 0.25, 0.5, 0.9):
            seed_both(seed)
            x = torch.ones(shape, dtype=getattr(torch, name))
            same_bits(
                dropout_mask(shape, p, np.dtype(name)), torch.nn.functional.dropout(x, p), uint
            )
            same_bits(bp.rand(3), torch.rand(3), np.uint32)  # both streams moved alike


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,uint", FLOATS)
def test_linear_and_embedding_default_init(seed, name, uint):
    ours, theirs = getattr(bp, name), getattr(torch, name)
    for shape in [(3, 4), (784, 512), (10, 1), (2, 17)]:
        seed_both(seed)
        layer, tlayer = bp.nn.Linear(*shape, dtype=ours), torch.nn.Linear(*shape, dtype=theirs)
        same_bits(layer.weight, tlayer.weight, uint)
        same_bits(layer.bias, tlayer.bias, uint)
        emb, temb = bp.nn.Embedding(27, 10, dtype=ours), torch.nn.Embedding(27, 10, dtype=theirs)
        same_bits(emb.weight, temb.weight, uint)


@pytest.mark.parametrize("name,uint", FLOATS)
def test_nn_init_fills(name, uint):
    seed_both(5)
    ours, theirs = getattr(bp, name), getattr(torch, name)
    a, b = bp.empty(64, 30, dtype=ours), torch.empty(64, 30, dtype=theirs)
    fills = [
        ("xavier_uniform_", {"gain": 1.3}),
        ("xavier_normal_", {}),
        ("kaiming_uniform_", {"a": math.sqrt(5)}),
        ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
        ("uniform_", {"a": -2.0, "b": 0.5}),
        ("normal_", {"mean": 0.1, "std": 0.02}),
    ]
    for fill, kwargs in fills:
        getattr(bp.nn.init, fill)(a, **kwargs)
        getattr(torch.nn.init, fill)(b, **kwargs)
        same_bits(a, b, uint)
    g, tg = bp.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    same_bits(bp.nn.init.normal_(a, generator=g), torch.nn.init.normal_(b, generator=tg), uint)


def test_seeded_training_prints_torchs_losses():
    """Seeded init + seeded data + SGD: the losses agree to float rounding of the arithmetic."""

    def run(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 1))
        x, y = lib.randn(32, 4), lib.randn(32, 1)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for _ in range(20):
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    np.testing.assert_allclose(run(bp), run(torch), rtol=1e-5)


def test_numpy_generator_still_accepted():
    g = np.random.default_rng(3)
    assert bp.randn(4, generator=g).shape == (4,)
    assert bp.multinomial(bp.ones(5), 2, generator=g).shape == (2,)
    assert dropout_mask((3, 3), 0.5, np.float32, generator=g).dtype == np.float32


def test_sampling_errors_name_the_rule():
    with pytest.raises(bp.errors.ConfigError, match="without replacement"):
        bp.multinomial(bp.ones(3), 4)
    with pytest.raises(bp.errors.ConfigError, match=">= 0"):
        bp.multinomial(bp.tensor([0.5, -0.1]), 1)
    with pytest.raises(bp.errors.ConfigError, match="sum to 0"):
        bp.multinomial(bp.zeros(3), 1)
    with pytest.raises(bp.errors.ConfigError, match=r"\[0, 1\]"):
        bp.empty(3).bernoulli_(1.5)
    with pytest.raises(bp.errors.ConfigError, match="strictly between"):
        dropout_mask((2,), 1.0, np.float32)
    with pytest.raises(bp.errors.ConfigError, match="from <= to"):
        bp.empty(3).uniform_(1.0, 0.0)
    with pytest.raises(bp.errors.ConfigError, match="size="):
        bp.normal(0.0, 1.0)


@mkl_bernoulli
def test_tensor_methods_and_torch_random_module():
    seed_both(4)
    w = np.abs(np.cos(np.arange(12.0))).reshape(3, 4).astype(np.float32)
    same_bits(bp.tensor(w).multinomial(2), torch.from_numpy(w).multinomial(2), np.int64)
    same_bits(bp.tensor(w / 2).bernoulli(), torch.from_numpy(w / 2).bernoulli(), np.uint32)
    bp.random.manual_seed(9)
    torch.random.manual_seed(9)
    with bp.random.fork_rng():
        bp.randn(50)
    with torch.random.fork_rng():
        torch.randn(50)
    same_bits(bp.randn(3), torch.randn(3), np.uint32)
    assert (
        bp.random.default_generator.initial_seed() == torch.random.default_generator.initial_seed()
    )


@pytest.mark.parametrize("seed", SEEDS[:4])
@pytest.mark.parametrize("name,uint", FLOATS)
def test_cauchy_log_normal_geometric_fills(seed, name, uint):
    seed_both(seed)
    fills = [
        ("cauchy_", ()),
        ("cauchy_", (1.5, 0.3)),
        ("log_normal_", ()),
        ("log_normal_", (0.0, 0.5)),
        ("geometric_", (0.3,)),
        ("geometric_", (0.9,)),
    ]
    for n in (1, 3, 16, 17, 1000):  # log_normal_ always takes the scalar path and its cache
        for fill, args in fills:
            ours = getattr(bp.empty(n, dtype=getattr(bp, name)), fill)(*args)
            same_bits(ours, getattr(torch.empty(n, dtype=getattr(torch, name)), fill)(*args), uint)
    same_bits(bp.randn(3), torch.randn(3), np.uint32)
    with pytest.raises(bp.errors.ConfigError, match="strictly between"):
        bp.empty(2).geometric_(1.0)
