"""Datasets in PyTorch's shape: a map ``index -> sample`` (``Dataset``) or a stream
(``IterableDataset``), and the ways of combining them that MLP scripts use.

``TensorDataset(X, y)`` pairs tensors row by row; ``Subset`` views some indices of a dataset;
``ConcatDataset`` (also ``ds1 + ds2``) and ``ChainDataset`` put datasets one after another;
``random_split`` shuffles the indices with ``backprop.randperm`` (so a seeded split follows
torch's stream) and cuts them into lengths or fractions. Nothing here batches or shuffles
per epoch: that is ``DataLoader``'s job.
"""

from __future__ import annotations

import bisect
import math
import warnings

from ...errors import ConfigError, IndexingError, ShapeError

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "StackDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and usually ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(
            f"{type(self).__name__} must define __getitem__(self, index) to be a Dataset."
        )

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream-style dataset: subclasses define ``__iter__``; ``DataLoader`` batches what it
    yields in order (no sampler, no shuffle)."""

    def __iter__(self):
        raise NotImplementedError(
            f"{type(self).__name__} must define __iter__(self) to be an IterableDataset."
        )

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Sample ``i`` is ``(t[i] for t in tensors)``; every tensor has the same first dimension."""

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ConfigError("TensorDataset: give at least one tensor, e.g. TensorDataset(X, y).")
        sizes = [_first_size(t, k) for k, t in enumerate(tensors)]
        if any(size != sizes[0] for size in sizes):
            raise ShapeError(
                f"TensorDataset: Size mismatch between tensors: their first dimensions are "
                f"{sizes}; every tensor needs one row per sample (the same first dimension)."
            )
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return _first_size(self.tensors[0], 0)


def _first_size(t, k: int) -> int:
    shape = getattr(t, "shape", None)
    if shape is None or len(shape) == 0:
        raise ShapeError(
            f"TensorDataset: tensor {k} has no first dimension (got "
            f"{type(t).__name__}{'' if shape is None else ' of shape ' + str(list(shape))}); "
            "each tensor must have one row per sample."
        )
    return int(shape[0])


class StackDataset(Dataset):
    """Sample ``i`` is ``tuple(d[i] for d in args)`` or ``{k: d[i] for k, d in kwargs}``."""

    def __init__(self, *args, **kwargs) -> None:
        if args and kwargs:
            raise ConfigError(
                "StackDataset: give datasets either positionally (samples are tuples) or by "
                "keyword (samples are dicts), not both."
            )
        parts = list(args) or list(kwargs.values())
        if not parts:
            raise ConfigError("StackDataset: give at least one dataset.")
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ShapeError(
                f"StackDataset: Size mismatch between datasets: lengths {[len(d) for d in parts]}."
            )
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list) -> list:
        inner = getattr(self.dataset, "__getitems__", None)
        if callable(inner):
            return inner([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Datasets one after another: index ``i`` runs through the first, then the second, …"""

    def __init__(self, datasets) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ConfigError("ConcatDataset: datasets should not be an empty iterable.")
        for k, d in enumerate(self.datasets):
            if isinstance(d, IterableDataset):
                raise ConfigError(
                    f"ConcatDataset does not support IterableDataset (dataset {k} is a "
                    f"{type(d).__name__}); chain streams with ChainDataset instead."
                )
        self.cumulative_sizes = self.cumsum(self.datasets)

    @staticmethod
    def cumsum(sequence) -> list[int]:
        sizes, total = [], 0
        for d in sequence:
            total += len(d)
            sizes.append(total)
        return sizes

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ConfigError(
                    f"ConcatDataset: absolute value of index should not exceed dataset length "
                    f"(index {idx}, length {n})."
                )
            idx += n
        if idx >= n:
            raise IndexingError(f"ConcatDataset: index {idx} is out of range for length {n}.")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets streamed one after another."""

    def __init__(self, datasets) -> None:
        self.datasets = datasets

    def _check(self, d) -> None:
        if not isinstance(d, IterableDataset):
            raise ConfigError(
                f"ChainDataset only supports IterableDataset, got {type(d).__name__}; use "
                "ConcatDataset for map-style datasets."
            )

    def __iter__(self):
        for d in self.datasets:
            self._check(d)
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            self._check(d)
            total += len(d)
        return total


def random_split(dataset, lengths, generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping ``Subset``s of the given ``lengths``.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1: each
    fraction gets ``floor(f · n)`` samples and the remainder is dealt out one by one from the
    first split on. The indices are ``backprop.randperm(n, generator=generator)`` (the global
    generator when ``generator`` is None), so a seeded split picks torch's samples.
    """
    from ...autograd.factories import randperm

    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ConfigError(
                    f"random_split: Fraction at index {i} is not between 0 and 1 (got {frac})."
                )
            counts.append(math.floor(n * frac))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=2,
                )
        lengths = counts
    if sum(lengths) != n:
        raise ConfigError(
            f"random_split: Sum of input lengths does not equal the length of the input "
            f"dataset! lengths {lengths} sum to {sum(lengths)}, the dataset has {n} samples; "
            "give counts that sum to len(dataset) or fractions that sum to 1."
        )
    indices = randperm(n, generator=generator).tolist()
    splits, end = [], 0
    for length in lengths:
        splits.append(Subset(dataset, indices[end : end + length]))
        end += length
    return splits
