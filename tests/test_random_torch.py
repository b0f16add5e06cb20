"""backprop's random streams against PyTorch 2.13's CPU generator, bit for bit.

Seeds x sizes x dtypes for the factories whose algorithm changes with the size (normal's
scalar path below 16 elements, the 16-wide Box-Muller from 16 on, the redrawn tail when the
size is not a multiple of 16; randint's 64-bit draws from a range of 2**28), interleaved call
sequences (one stream), independent Generator objects and the state round trip. Equality is
on the bits (``.view(uint)``), never approximate.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp

torch = pytest.importorskip("torch")

SEEDS = [0, 1, 42, 2**32 + 5, 2**63 - 1, -7]
SIZES = [*range(1, 21), 31, 100, 1000, 4097]
SHAPES = [(3, 4), (2, 17), (5, 3, 7), (16, 16)]
FLOATS = [("float32", np.uint32), ("float64", np.uint64)]


def bits(t, uint=None):
    a = np.asarray(t.detach().numpy() if hasattr(t, "detach") else t.numpy())
    return a.view(uint) if uint is not None else a


def same_bits(ours, theirs, uint):
    a, b = bits(ours), bits(theirs)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, a.shape, b.dtype, b.shape)
    assert np.array_equal(a.view(uint), b.view(uint)), f"{np.sum(a != b)} of {a.size} differ"


def seed_both(seed):
    bp.manual_seed(seed)
    torch.manual_seed(seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,uint", FLOATS)
def test_rand_and_randn_every_size(seed, name, uint):
    seed_both(seed)
    for n in SIZES:
        same_bits(
            bp.rand(n, dtype=getattr(bp, name)), torch.rand(n, dtype=getattr(torch, name)), uint
        )
        same_bits(
            bp.randn(n, dtype=getattr(bp, name)), torch.randn(n, dtype=getattr(torch, name)), uint
        )


@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name,uint", FLOATS)
def test_shapes_and_like_forms(seed, shape, name, uint):
    seed_both(seed)
    ours, theirs = getattr(bp, name), getattr(torch, name)
    same_bits(bp.randn(*shape, dtype=ours), torch.randn(*shape, dtype=theirs), uint)
    same_bits(bp.rand(shape, dtype=ours), torch.rand(shape, dtype=theirs), uint)
    x, y = bp.zeros(shape, dtype=ours), torch.zeros(shape, dtype=theirs)
    same_bits(bp.randn_like(x), torch.randn_like(y), uint)
    same_bits(bp.rand_like(x), torch.rand_like(y), uint)


@pytest.mark.parametrize("seed", SEEDS)
def test_randint_ranges_and_dtypes(seed):
    seed_both(seed)
    for low, high in [(0, 10), (-5, 17), (0, 2**28 - 1), (0, 2**28), (-(2**40), 2**40)]:
        for n in (1, 7, 100):
            same_bits(bp.randint(low, high, (n,)), torch.randint(low, high, (n,)), np.int64)
    same_bits(bp.randint(10, (3, 4)), torch.randint(10, (3, 4)), np.int64)
    ours = bp.randint(0, 50, (9,), dtype=bp.float32)
    same_bits(ours, torch.randint(0, 50, (9,), dtype=torch.float32), np.uint32)
    x, y = bp.zeros(2, 3), torch.zeros(2, 3)
    same_bits(bp.randint_like(x, 5, 9), torch.randint_like(y, 5, 9), np.uint32)


@pytest.mark.parametrize("seed", SEEDS)
def test_randperm_small_and_large(seed):
    seed_both(seed)
    for n in [0, 1, 2, 3, 10, 31, 1000, 60_000]:
        same_bits(bp.randperm(n), torch.randperm(n), np.int64)


@pytest.mark.parametrize("seed", SEEDS[:4])
@pytest.mark.parametrize("name,uint", FLOATS)
def test_in_place_fills_with_parameters(seed, name, uint):
    seed_both(seed)
    ours, theirs = getattr(bp, name), getattr(torch, name)
    for n in (1, 5, 15, 16, 17, 33, 1000):
        a, b = bp.empty(n, dtype=ours), torch.empty(n, dtype=theirs)
        same_bits(a.uniform_(-0.3, 0.7), b.uniform_(-0.3, 0.7), uint)
        same_bits(a.normal_(1.5, 0.3), b.normal_(1.5, 0.3), uint)
        same_bits(a.normal_(0.0, 0.02), b.normal_(0.0, 0.02), uint)
        same_bits(a.exponential_(2.0), b.exponential_(2.0), uint)
        same_bits(a.random_(), b.random_(), uint)
        same_bits(a.random_(3, 12), b.random_(3, 12), uint)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_torch_normal_forms(seed):
    seed_both(seed)
    same_bits(bp.normal(2.0, 3.0, (4, 5)), torch.normal(2.0, 3.0, (4, 5)), np.uint32)
    mean = np.linspace(-1, 1, 20).astype(np.float32)
    std = np.linspace(0.1, 2, 20).astype(np.float32)
    bm, bs = bp.tensor(mean), bp.tensor(std)
    tm, ts = torch.from_numpy(mean), torch.from_numpy(std)
    same_bits(bp.normal(bm, bs), torch.normal(tm, ts), np.uint32)
    same_bits(bp.normal(bm, 0.5), torch.normal(tm, 0.5), np.uint32)
    same_bits(bp.normal(0.25, bs), torch.normal(0.25, ts), np.uint32)
    same_bits(bp.normal(bm[:5], bs[:5]), torch.normal(tm[:5], ts[:5]), np.uint32)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_interleaved_calls_share_one_stream(seed):
    seed_both(seed)
    for _ in range(3):
        same_bits(bp.randint(0, 9, (5,)), torch.randint(0, 9, (5,)), np.int64)
        same_bits(bp.rand(3), torch.rand(3), np.uint32)
        same_bits(bp.randn(3, dtype=bp.float64), torch.randn(3, dtype=torch.float64), np.uint64)
        same_bits(bp.randn(1), torch.randn(1), np.uint32)  # the cached second sample
        same_bits(bp.randn(40), torch.randn(40), np.uint32)
        same_bits(bp.randperm(7), torch.randperm(7), np.int64)


def test_generators_are_independent_of_the_global_stream():
    seed_both(3)
    g, tg = bp.Generator().manual_seed(11), torch.Generator().manual_seed(11)
    assert g.initial_seed() == tg.initial_seed() == 11
    same_bits(bp.randn(20, generator=g), torch.randn(20, generator=tg), np.uint32)
    same_bits(bp.rand(5), torch.rand(5), np.uint32)  # the global stream did not move
    same_bits(bp.randperm(9, generator=g), torch.randperm(9, generator=tg), np.int64)
    same_bits(
        bp.randint(0, 4, (6,), generator=g), torch.randint(0, 4, (6,), generator=tg), np.int64
    )
    a, b = bp.empty(30), torch.empty(30)
    same_bits(a.normal_(generator=g), b.normal_(generator=tg), np.uint32)
    assert bp.Generator().initial_seed() == torch.Generator().initial_seed()


@pytest.mark.parametrize("seed", [0, 42, 2**63 - 1])
def test_state_bytes_equal_torch_and_round_trip(seed):
    seed_both(seed)
    assert np.array_equal(bp.get_rng_state().numpy(), torch.get_rng_state().numpy())
    bp.randn(3, dtype=bp.float64)  # leaves a cached normal in the state
    torch.randn(3, dtype=torch.float64)
    bp.rand(700)  # crosses a twister refill
    torch.rand(700)
    assert np.array_equal(bp.get_rng_state().numpy(), torch.get_rng_state().numpy())
    saved = bp.get_rng_state()
    first = bp.randn(5, dtype=bp.float64).numpy()
    bp.set_rng_state(saved)
    assert np.array_equal(bp.randn(5, dtype=bp.float64).numpy(), first)
    bp.set_rng_state(torch.get_rng_state())  # PyTorch's own state bytes load too
    same_bits(bp.randn(9), torch.randn(9), np.uint32)
    g = bp.Generator().manual_seed(5)
    state = g.get_state()
    x = bp.rand(4, generator=g).numpy()
    assert np.array_equal(bp.rand(4, generator=g.set_state(state)).numpy(), x)


def test_default_generator_and_seeds():
    assert bp.default_generator is bp.autograd.random.default_generator()
    bp.default_generator.manual_seed(8)
    torch.default_generator.manual_seed(8)
    assert bp.initial_seed() == torch.initial_seed() == 8
    same_bits(bp.rand(3), torch.rand(3), np.uint32)
    s = bp.seed()
    assert bp.initial_seed() == s and 0 <= s < 2**64
    bp.manual_seed(-1)
    torch.manual_seed(-1)
    assert bp.initial_seed() == torch.initial_seed()
    same_bits(bp.randn(4), torch.randn(4), np.uint32)


def test_bad_seeds_and_states_are_refused_with_the_rule():
    with pytest.raises(bp.errors.ConfigError, match="whole number"):
        bp.manual_seed(1.5)
    with pytest.raises(bp.errors.ConfigError, match="2\\*\\*64"):
        bp.manual_seed(2**64)
    with pytest.raises(bp.errors.ConfigError, match="5056"):
        bp.set_rng_state(bp.zeros(10, dtype=bp.int64))
    state = bp.get_rng_state().numpy().copy()
    state[8:12] = 255  # a twister position no generator has
    with pytest.raises(bp.errors.ConfigError, match="twister position"):
        bp.set_rng_state(state)
    with pytest.raises(bp.errors.ConfigError, match="cpu"):
        bp.Generator(device="cuda")


def test_randperm_swaps_equal_the_sequential_fisher_yates():
    """``apply_swaps`` (no Python loop) against the loop it replaces, on edge-case swap lists."""
    from backprop.autograd.random_draws import apply_swaps

    def loop(z):
        perm = list(range(len(z) + 1))
        for i, j in enumerate(z.tolist()):
            perm[i], perm[j] = perm[j], perm[i]
        return perm

    rng = np.random.default_rng(0)
    cases = []
    for n in (2, 3, 5, 9, 50, 70_000):  # 70 000: past the 16-bit radix sort
        k = np.arange(n - 1)
        cases += [k, np.full(n - 1, n - 1), np.minimum(k + 1, n - 1)]
        cases.append(k + rng.integers(0, 2**32, n - 1) % (n - k))
    for z in cases:
        assert apply_swaps(z.astype(np.int64)).tolist() == loop(z)


@pytest.mark.parametrize(
    "fill,args",
    [
        ("uniform_", ()),
        ("normal_", (1.0, 2.0)),
        ("bernoulli_", (0.3,)),
        ("random_", (0, 10)),
        ("exponential_", ()),
    ],
)
def test_fills_of_views_follow_memory_order(fill, args):
    """A transposed or permuted view is filled in memory order, and takes the scalar normal path."""
    views = [lambda x: x.t(), lambda x: x[:, ::2], lambda x: x.t()[::2]]
    for shape, view in zip([(5, 7), (4, 6), (20, 30)], views, strict=True):
        seed_both(0)
        a, b = bp.zeros(*shape), torch.zeros(*shape)
        getattr(view(a), fill)(*args)
        getattr(view(b), fill)(*args)
        same_bits(a, b, np.uint32)
    seed_both(1)
    a, b = bp.zeros(3, 4, 5, dtype=bp.float64), torch.zeros(3, 4, 5, dtype=torch.float64)
    getattr(a.permute(2, 0, 1), fill)(*args)
    getattr(b.permute(2, 0, 1), fill)(*args)
    same_bits(a, b, np.uint64)
