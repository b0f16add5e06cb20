"""Seeded orders of backprop.utils.data against torch 2.13: shuffled DataLoader batches,
random_split, the random samplers, and the global stream a loader leaves behind (torch draws
a base seed on every pass, and RandomSampler a seed of its own). These need backprop's
torch-exact random streams (``randperm``, ``Tensor.random_``, ``randint``, ``multinomial``)."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop.utils import data as bd

torch = pytest.importorskip("torch")
td = torch.utils.data

# Until backprop's generator is torch's (the RANDOM helper's work on issue 14), seeded orders
# cannot match; the probe is randperm, which every order here goes through.
_EXACT = (
    bp.randperm(10, generator=bp.Generator().manual_seed(0)).tolist()
    == torch.randperm(10, generator=torch.Generator().manual_seed(0)).tolist()
)
pytestmark = pytest.mark.skipif(
    not _EXACT, reason="backprop.randperm does not yet follow torch's stream"
)


def batches(loader):
    return [[t.tolist() for t in batch] for batch in loader]


@pytest.mark.parametrize("seed", [0, 1, 42])
@pytest.mark.parametrize("n, batch_size", [(10, 3), (100, 32), (7, 7)])
def test_shuffled_loader_matches_torch_and_leaves_the_same_stream(seed, n, batch_size):
    x = np.arange(n)
    bp.manual_seed(seed)
    torch.manual_seed(seed)
    ours = bd.DataLoader(bd.TensorDataset(bp.tensor(x)), batch_size=batch_size, shuffle=True)
    theirs = td.DataLoader(td.TensorDataset(torch.tensor(x)), batch_size=batch_size, shuffle=True)
    for _ in range(2):  # a new order every epoch
        assert batches(ours) == batches(theirs)
    assert bp.rand(4).tolist() == torch.rand(4).tolist()


@pytest.mark.parametrize("seed", [0, 3])
def test_unshuffled_loader_draws_like_torch(seed):
    bp.manual_seed(seed)
    torch.manual_seed(seed)
    list(bd.DataLoader(list(range(5)), batch_size=2))
    list(td.DataLoader(list(range(5)), batch_size=2))
    assert bp.rand(3).tolist() == torch.rand(3).tolist()


@pytest.mark.parametrize("seed", [0, 7])
def test_loader_generator_matches_torch(seed):
    g_ours, g_theirs = bp.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
    ours = bd.DataLoader(list(range(20)), batch_size=6, shuffle=True, generator=g_ours)
    theirs = td.DataLoader(list(range(20)), batch_size=6, shuffle=True, generator=g_theirs)
    for _ in range(3):
        assert batches(ours) == batches(theirs)


@pytest.mark.parametrize("lengths", [[3, 7], [0.2, 0.3, 0.5], [40, 60]])
@pytest.mark.parametrize("seed", [0, 42])
def test_random_split_matches_torch(lengths, seed):
    n = 10 if sum(lengths) in (1, 10) else sum(lengths)
    ours = bd.random_split(range(n), lengths, generator=bp.Generator().manual_seed(seed))
    theirs = td.random_split(range(n), lengths, generator=torch.Generator().manual_seed(seed))
    assert [s.indices for s in ours] == [s.indices for s in theirs]
    bp.manual_seed(seed)
    torch.manual_seed(seed)
    ours = bd.random_split(range(n), lengths)
    theirs = td.random_split(range(n), lengths)
    assert [s.indices for s in ours] == [s.indices for s in theirs]


@pytest.mark.parametrize("seed", [0, 5])
def test_samplers_match_torch(seed):
    def both(make):
        return list(make(bd, bp)), list(make(td, torch))

    cases = [
        lambda m, lib: m.RandomSampler(range(50), generator=lib.Generator().manual_seed(seed)),
        lambda m, lib: m.RandomSampler(
            range(9), replacement=True, num_samples=70, generator=lib.Generator().manual_seed(seed)
        ),
        lambda m, lib: m.RandomSampler(
            range(9), num_samples=20, generator=lib.Generator().manual_seed(seed)
        ),
        lambda m, lib: m.SubsetRandomSampler(
            [3, 8, 1, 9, 4], generator=lib.Generator().manual_seed(seed)
        ),
        lambda m, lib: m.WeightedRandomSampler(
            [0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 12, generator=lib.Generator().manual_seed(seed)
        ),
        lambda m, lib: m.WeightedRandomSampler(
            [0.9, 0.4, 0.05, 0.2, 0.3, 0.1],
            5,
            replacement=False,
            generator=lib.Generator().manual_seed(seed),
        ),
    ]
    for make in cases:
        ours, theirs = both(make)
        assert ours == theirs
