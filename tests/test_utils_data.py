"""backprop.utils.data against torch.utils.data (torch 2.13 as the oracle): batches, lengths,
collation, argument rules and errors. Seeded orders are in test_utils_data_random.py."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop.utils import data as bd

torch = pytest.importorskip("torch")
td = torch.utils.data


def plain(x):
    """A batch (nested tensors/containers) as comparable Python: arrays with their dtype."""
    if isinstance(x, torch.Tensor | bp.Tensor):
        arr = x.numpy()
        return ("tensor", str(arr.dtype), arr.shape, arr.tolist())
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, *[plain(v) for v in x])
    if isinstance(x, list | tuple):
        return (type(x).__name__, [plain(v) for v in x])
    return x


def pair(data: np.ndarray):
    return bp.tensor(data), torch.tensor(data)


Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize(
    "make",
    [
        lambda T: [T(np.arange(3.0, dtype=np.float32)), T(np.ones(3, dtype=np.float32))],
        lambda T: [np.arange(3, dtype=np.float32), np.zeros(3, dtype=np.float32)],
        lambda T: [np.float64(1.5), np.float64(2.5)],
        lambda T: [np.int64(1), np.int64(2)],
        lambda T: [1.5, 2.0, 3.25],
        lambda T: [1, 2, 3],
        lambda T: [True, False],
        lambda T: ["a", "b"],
        lambda T: [(1.0, 2, "x"), (3.0, 4, "y")],
        lambda T: [[1, 2], [3, 4]],
        lambda T: [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
        lambda T: [Point(1, 2.0), Point(3, 4.0)],
        lambda T: [(T(np.ones((2, 2), dtype=np.float64)), 0), (T(np.zeros((2, 2))), 1)],
    ],
)
def test_default_collate_matches_torch(make):
    ours = bd.default_collate(make(lambda a: bp.from_numpy(np.asarray(a))))
    theirs = td.default_collate(make(lambda a: torch.from_numpy(np.asarray(a))))
    assert plain(ours) == plain(theirs)


def test_default_convert_matches_torch():
    sample = {"x": np.arange(3), "y": (np.float32(2.0), "s"), "z": 4}
    assert plain(bd.default_convert(sample)) == plain(td.default_convert(sample))


def test_collate_errors_like_torch():
    for batch in ([object(), object()], [np.array(["a"]), np.array(["b"])]):
        with pytest.raises(TypeError):
            td.default_collate(batch)
        with pytest.raises(TypeError, match="collate_fn"):
            bd.default_collate(batch)
    with pytest.raises(RuntimeError):
        td.default_collate([[1, 2], [3]])
    with pytest.raises(ValueError, match="equal size"):
        bd.default_collate([[1, 2], [3]])


@pytest.mark.parametrize(
    "n, batch_size, drop_last",
    [(10, 3, False), (10, 3, True), (8, 4, False), (5, 7, True), (5, 7, False)],
)
def test_sequential_batches_match_torch(n, batch_size, drop_last):
    data = np.random.default_rng(n).normal(size=(n, 2)).astype(np.float32)
    labels = np.arange(n)
    (xb, xt), (yb, yt) = pair(data), pair(labels)
    ours = bd.DataLoader(bd.TensorDataset(xb, yb), batch_size=batch_size, drop_last=drop_last)
    theirs = td.DataLoader(td.TensorDataset(xt, yt), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]


def test_tensor_dataset_items_and_grad_batches():
    x, xt = pair(np.arange(12.0).reshape(6, 2))
    x.requires_grad_(True)
    xt.requires_grad_(True)
    ds, dt = bd.TensorDataset(x), td.TensorDataset(xt)
    assert len(ds) == len(dt) == 6
    assert plain(ds[2][0].detach()) == plain(dt[2][0].detach())
    (ours,) = next(iter(bd.DataLoader(ds, batch_size=4)))
    (theirs,) = next(iter(td.DataLoader(dt, batch_size=4)))
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
    assert ours.grad_fn.name() == theirs.grad_fn.name() == "StackBackward0"


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError):
        td.TensorDataset(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match=r"first dimensions are \[3, 4\]"):
        bd.TensorDataset(bp.zeros(3), bp.zeros(4))


class Squares:
    """A map-style dataset written against either library (duck-typed, no base class)."""

    def __init__(self, n, lib):
        self.n, self.lib = n, lib

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"x": self.lib.tensor([float(i), float(i * i)]), "label": i % 2}


@pytest.mark.parametrize("batch_size", [1, 4, None])
def test_map_dataset_dict_samples(batch_size):
    ours = list(bd.DataLoader(Squares(7, bp), batch_size=batch_size))
    theirs = list(td.DataLoader(Squares(7, torch), batch_size=batch_size))
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]


def test_collate_fn_and_batch_sampler():
    def collate(batch):
        return len(batch), batch[0]

    sampler_args = dict(batch_size=3, drop_last=False)
    ours = bd.DataLoader(
        list(range(10)),
        batch_sampler=bd.BatchSampler(bd.SequentialSampler(range(10)), **sampler_args),
        collate_fn=collate,
    )
    theirs = td.DataLoader(
        list(range(10)),
        batch_sampler=td.BatchSampler(td.SequentialSampler(range(10)), **sampler_args),
        collate_fn=collate,
    )
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


class Stream:
    def __init__(self, n, base):
        self.n, self.base = n, base

    def __iter__(self):
        return iter(float(i) for i in range(self.n))

    def __len__(self):
        return self.n


@pytest.mark.parametrize("batch_size, drop_last", [(3, False), (3, True), (None, False)])
def test_iterable_dataset(batch_size, drop_last):
    ours_cls = type("S", (Stream, bd.IterableDataset), {})
    theirs_cls = type("S", (Stream, td.IterableDataset), {})
    ours = bd.DataLoader(ours_cls(8, None), batch_size=batch_size, drop_last=drop_last)
    theirs = td.DataLoader(theirs_cls(8, None), batch_size=batch_size, drop_last=drop_last)
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]
    assert len(ours) == len(theirs)
    chained_ours = list(ours_cls(2, None) + ours_cls(3, None))
    chained_theirs = list(theirs_cls(2, None) + theirs_cls(3, None))
    assert chained_ours == chained_theirs


def test_concat_and_subset():
    a, b = list(range(3)), list(range(10, 15))
    ours, theirs = bd.ConcatDataset([a, b]), td.ConcatDataset([a, b])
    assert len(ours) == len(theirs) and ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-8, 8)] == [theirs[i] for i in range(-8, 8)]
    with pytest.raises(ValueError):
        theirs[-9]
    with pytest.raises(ValueError, match="should not exceed"):
        ours[-9]
    with pytest.raises(IndexError):
        ours[8]
    sub_ours, sub_theirs = bd.Subset(b, [4, 0, 2]), td.Subset(b, [4, 0, 2])
    assert [sub_ours[i] for i in range(3)] == [sub_theirs[i] for i in range(3)]
    assert plain(list(bd.DataLoader(sub_ours, batch_size=2))) == plain(
        list(td.DataLoader(sub_theirs, batch_size=2))
    )
    both = bd.Subset(a, [0]) + bd.Subset(b, [1])
    assert isinstance(both, bd.ConcatDataset) and [both[0], both[1]] == [0, 11]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(shuffle=True, sampler=[0, 1]),
        dict(batch_sampler=[[0]], batch_size=2),
        dict(batch_sampler=[[0]], drop_last=True),
        dict(batch_size=None, drop_last=True),
        dict(num_workers=-1),
        dict(prefetch_factor=2),
        dict(persistent_workers=True),
    ],
)
def test_argument_rules_match_torch(kwargs):
    with pytest.raises(ValueError):
        td.DataLoader(list(range(4)), **kwargs)
    with pytest.raises(ValueError, match="DataLoader"):
        bd.DataLoader(list(range(4)), **kwargs)


def test_iterable_refuses_shuffle_and_sampler():
    ours_cls = type("S", (Stream, bd.IterableDataset), {})
    for kwargs in (dict(shuffle=True), dict(sampler=[0])):
        with pytest.raises(ValueError, match="IterableDataset"):
            bd.DataLoader(ours_cls(3, None), **kwargs)


def test_attributes_frozen_after_init():
    loader = bd.DataLoader(list(range(4)), batch_size=2)
    with pytest.raises(ValueError, match="should not be set"):
        loader.batch_size = 3
    loader.num_workers = 0  # not frozen in torch either


def test_num_workers_in_process_warns_once(monkeypatch):
    from backprop.utils.data import dataloader

    monkeypatch.setattr(dataloader, "_warned_workers", False)
    calls = []
    loader = bd.DataLoader(
        list(range(5)),
        batch_size=2,
        num_workers=2,
        persistent_workers=True,
        pin_memory=True,
        worker_init_fn=calls.append,
    )
    with pytest.warns(UserWarning, match="num_workers=2 loads in this process"):
        first = [b.tolist() for b in loader]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = [b.tolist() for b in loader]
    assert first == second == [[0, 1], [2, 3], [4]]
    assert calls == [0, 0]


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.34, 0.33, 0.33], [0.5, 0.5, 0.0]])
def test_random_split_lengths_match_torch(lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = bd.random_split(range(10), lengths)
        theirs = td.random_split(range(10), lengths)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s.indices) == list(range(10))


def test_random_split_errors():
    for lengths in ([3, 3], [1.2, -0.2]):
        with pytest.raises(ValueError):
            td.random_split(range(10), lengths)
        with pytest.raises(ValueError, match="random_split"):
            bd.random_split(range(10), lengths)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.RandomSampler(range(3), num_samples=0),
        lambda m: m.RandomSampler(range(3), replacement=1),
        lambda m: m.BatchSampler(range(3), 0, False),
        lambda m: m.BatchSampler(range(3), 2, 1),
        lambda m: m.WeightedRandomSampler([1.0, 2.0], 0),
        lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 1),
    ],
)
def test_sampler_argument_errors_match_torch(make):
    with pytest.raises((ValueError, TypeError)) as theirs:
        make(td)
    with pytest.raises(theirs.type):
        make(bd)


def test_batch_sampler_and_lengths():
    for drop_last in (False, True):
        ours = bd.BatchSampler(bd.SequentialSampler(range(10)), 4, drop_last)
        theirs = td.BatchSampler(td.SequentialSampler(range(10)), 4, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert len(bd.RandomSampler(range(5), replacement=True, num_samples=40)) == 40
    assert sorted(bd.RandomSampler(range(6))) == list(range(6))
    assert sorted(bd.SubsetRandomSampler([7, 3, 5])) == [3, 5, 7]


def test_reachable_as_torch_utils_data():
    assert bp.utils.data.DataLoader is bd.DataLoader
    from backprop.utils.data import DataLoader, TensorDataset  # noqa: F401


def test_iterator_has_next_and_len_like_torch():
    ours = iter(bd.DataLoader(list(range(5)), batch_size=2))
    theirs = iter(td.DataLoader(list(range(5)), batch_size=2))
    assert len(ours) == len(theirs) == 3
    assert next(ours).tolist() == next(theirs).tolist() == [0, 1]
    assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]
