"""Samplers: the order in which ``DataLoader`` visits a map-style dataset's indices.

``SequentialSampler`` goes 0, 1, …, n − 1. ``RandomSampler`` shuffles with torch's own
recipe, so a seeded run visits torch's order: without a generator it draws a fresh seed from
the global stream (``empty((), dtype=int64).random_()``) and permutes with a new
``Generator`` seeded by it; with one it permutes with that generator directly
(``backprop.randperm``; ``backprop.randint`` in chunks of 32 with replacement).
``SubsetRandomSampler`` permutes a list of indices, ``WeightedRandomSampler`` draws with
``backprop.multinomial``, and ``BatchSampler`` groups any sampler's indices into lists.
"""

from __future__ import annotations

import itertools

from ...errors import ConfigError, DTypeError, ShapeError

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]


def _positive_int(value, name: str, who: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(
            f"{who}: {name} should be a positive integer value, but got {name}={value!r}."
        )
    return value


def _flag(value, name: str, who: str) -> bool:
    if not isinstance(value, bool):
        raise DTypeError(
            f"{who}: {name} should be a boolean value, but got {name}={value!r}; pass True or "
            "False."
        )
    return value


def draw_seed(generator=None) -> int:
    """A 64-bit seed from ``generator`` (the global stream when None), as torch draws one:
    ``empty((), dtype=int64).random_(generator=generator)``."""
    from ...autograd import dtypes
    from ...autograd.factories import empty

    t = empty((), dtype=dtypes.int64)
    if not hasattr(t, "random_"):  # pragma: no cover - before Tensor.random_ exists
        from ...autograd.random import rng

        return int(rng(generator).integers(0, 2**63))
    return int(t.random_(generator=generator).item())


class Sampler:
    """Base class: subclasses define ``__iter__`` (yielding indices) and usually ``__len__``.

    ``data_source`` is accepted for compatibility and not used.
    """

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__(self).")


class SequentialSampler(Sampler):
    """0, 1, …, len(data_source) − 1."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices (a new one every pass), or ``num_samples`` draws with
    replacement."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None) -> None:
        self.data_source = data_source
        self.replacement = _flag(replacement, "replacement", "RandomSampler")
        self._num_samples = num_samples
        self.generator = generator
        _positive_int(self.num_samples, "num_samples", "RandomSampler")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        from ...autograd import dtypes
        from ...autograd.factories import randint, randperm
        from ...autograd.random import Generator

        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            generator = Generator()
            generator.manual_seed(draw_seed())
        wanted = self.num_samples
        if self.replacement:
            for _ in range(wanted // 32):
                yield from randint(0, n, (32,), generator=generator, dtype=dtypes.int64).tolist()
            yield from randint(
                0, n, (wanted % 32,), generator=generator, dtype=dtypes.int64
            ).tolist()
            return
        for _ in range(wanted // n):
            yield from randperm(n, generator=generator).tolist()
        yield from randperm(n, generator=generator).tolist()[: wanted % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (``randperm(len(indices))``), a new one every pass."""

    def __init__(self, indices, generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        from ...autograd.factories import randperm

        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None) -> None:
        from ...autograd import dtypes
        from ...autograd.factories import as_tensor

        _positive_int(num_samples, "num_samples", "WeightedRandomSampler")
        if not isinstance(replacement, bool):
            raise ConfigError(
                f"WeightedRandomSampler: replacement should be a boolean value, but got "
                f"replacement={replacement!r}."
            )
        w = as_tensor(weights, dtype=dtypes.float64)
        if w.ndim != 1:
            raise ShapeError(
                f"WeightedRandomSampler: weights should be a 1d sequence but given weights have "
                f"shape {tuple(w.shape)}."
            )
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        from ... import multinomial

        drawn = multinomial(
            self.weights, self.num_samples, self.replacement, generator=self.generator
        )
        yield from iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler``; the last may be short unless
    ``drop_last``."""

    def __init__(self, sampler, batch_size, drop_last) -> None:
        self.sampler = sampler
        self.batch_size = _positive_int(batch_size, "batch_size", "BatchSampler")
        if not isinstance(drop_last, bool):
            raise ConfigError(
                f"BatchSampler: drop_last should be a boolean value, but got "
                f"drop_last={drop_last!r}."
            )
        self.drop_last = drop_last

    def __iter__(self):
        indices = iter(self.sampler)
        while True:
            batch = list(itertools.islice(indices, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
