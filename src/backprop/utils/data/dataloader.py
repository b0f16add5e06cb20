"""``DataLoader``: batches of a dataset, in the order of a sampler, through a collate function.

It follows ``torch.utils.data.DataLoader``'s rules for its arguments (which combinations
are allowed, what ``len`` is, what ``shuffle`` builds) and its use of random numbers, so a
seeded script gets torch's batches: every pass starts by drawing a base seed from
``generator`` (or the global stream) even without shuffling, and ``shuffle=True`` makes a
``RandomSampler`` (which draws its own seed when the loader has no generator).

Everything runs in this process. ``num_workers > 0`` is accepted and loads in-process (the
same batches in the same order, since torch's workers only parallelise the fetching), with
one warning; ``get_worker_info()`` is None, so an ``IterableDataset`` is read once (torch's
workers would each read a copy unless the dataset splits itself by worker). ``pin_memory`` is
accepted and means nothing on the CPU. For a
``TensorDataset`` with the default collate function a batch is fetched with one indexing per
tensor instead of one per sample, which gives the same values.
"""

from __future__ import annotations

import warnings

from ...errors import ConfigError
from .collate import default_collate, default_convert
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, draw_seed

__all__ = ["DataLoader", "get_worker_info"]

_warned_workers = False
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset")


def get_worker_info():
    """None: batches are always loaded in the main process."""
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args: ``batch_size`` (1; None turns batching off), ``shuffle``, ``sampler``,
    ``batch_sampler``, ``num_workers``, ``collate_fn``, ``pin_memory``, ``drop_last``,
    ``timeout``, ``worker_init_fn``, ``generator``, ``prefetch_factor``,
    ``persistent_workers`` — as in PyTorch.
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers=False,
        pin_memory_device="",
        in_order=True,
    ) -> None:
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers)
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in (False, None):
                raise ConfigError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but "
                    f"got shuffle={shuffle!r}; an IterableDataset yields its own order."
                )
            for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value is not None:
                    raise ConfigError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, "
                        f"but got {name}={value!r}."
                    )
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ConfigError(
                "DataLoader: sampler option is mutually exclusive with shuffle; drop "
                "shuffle=True (the sampler decides the order)."
            )
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ConfigError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last; the batch sampler decides all of them."
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ConfigError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last."
            )
        if sampler is None and not iterable:
            if shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        auto = batch_size is not None or batch_sampler is not None
        object.__setattr__(self, "_ready", False)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.num_workers = num_workers
        self.collate_fn = collate_fn or (default_collate if auto else default_convert)
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._iterable = iterable
        self._auto_collation = auto
        object.__setattr__(self, "_ready", True)

    def __setattr__(self, name: str, value) -> None:
        if self._ready and name in _FROZEN:
            raise ConfigError(
                f"DataLoader: {name} attribute should not be set after DataLoader is "
                "initialized; build a new DataLoader instead."
            )
        object.__setattr__(self, name, value)

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                whole, rest = divmod(n, self.batch_size)
                n = whole if self.drop_last or not rest else whole + 1
            return n
        return len(self._index_sampler)

    def __iter__(self):
        global _warned_workers
        if self.num_workers > 0 and not _warned_workers:
            _warned_workers = True
            warnings.warn(
                f"DataLoader: num_workers={self.num_workers} loads in this process in backprop "
                "(same batches, same order, no worker processes); pass num_workers=0 to "
                "silence this warning.",
                stacklevel=2,
            )
        if self.num_workers > 0 and self.worker_init_fn is not None:
            self.worker_init_fn(0)
        if self._iterable:
            draw_seed(self.generator)  # torch draws a base seed for its workers every pass
            return _LoaderIter(self._stream(iter(self.dataset)), self)
        order = iter(self._index_sampler)
        draw_seed(self.generator)
        return _LoaderIter(self._batches(order), self)

    def _batches(self, order):
        fetch = self._fetcher()
        for index in order:
            yield fetch(index)

    def _fetcher(self):
        dataset, collate = self.dataset, self.collate_fn
        if not self._auto_collation:
            return lambda index: collate(dataset[index])
        if type(dataset) is TensorDataset and collate is default_collate:
            fast = _rows_at_once(dataset)
            if fast is not None:
                return fast
        many = getattr(dataset, "__getitems__", None)
        if callable(many):
            return lambda indices: collate(many(indices))
        return lambda indices: collate([dataset[i] for i in indices])

    def _stream(self, items):
        collate = self.collate_fn
        if not self._auto_collation:
            for item in items:
                yield collate(item)
            return
        while True:
            batch = []
            for item in items:
                batch.append(item)
                if len(batch) == self.batch_size:
                    break
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield collate(batch)


class _LoaderIter:
    """One pass over a loader: ``next()`` gives a batch, ``len()`` the loader's length."""

    def __init__(self, batches, loader: DataLoader) -> None:
        self._batches, self._loader = batches, loader

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._batches)

    def __len__(self) -> int:
        return len(self._loader)


def _rows_at_once(dataset: TensorDataset):
    """Fetch a batch of a TensorDataset as ``[t[indices] for t in tensors]`` (one gather per
    tensor; equal to stacking the rows one by one). Not used for tensors that require grad
    (stacking records a different graph)."""
    import numpy as np

    from ...autograd.tensor import Tensor

    tensors = dataset.tensors
    if not all(isinstance(t, Tensor) and not t.requires_grad for t in tensors):
        return None
    n = len(dataset)

    def fetch(indices):
        rows = np.asarray(indices, dtype=np.int64)
        if rows.size and (rows.min() < -n or rows.max() >= n):
            return default_collate([dataset[i] for i in indices])  # its own IndexError
        return [Tensor._wrap(t._data[rows]) for t in tensors]

    return fetch


def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    if not isinstance(num_workers, int) or num_workers < 0:
        raise ConfigError(
            f"DataLoader: num_workers option should be non-negative, got {num_workers!r}; use "
            "num_workers=0 to disable multiprocessing."
        )
    if timeout < 0:
        raise ConfigError(f"DataLoader: timeout option should be non-negative, got {timeout!r}.")
    if num_workers == 0 and prefetch_factor is not None:
        raise ConfigError(
            "DataLoader: prefetch_factor option could only be specified in multiprocessing; "
            "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to "
            "None."
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ConfigError(
            f"DataLoader: prefetch_factor option should be non-negative, got {prefetch_factor}."
        )
    if persistent_workers and num_workers == 0:
        raise ConfigError(
            "DataLoader: persistent_workers option needs num_workers > 0; drop "
            "persistent_workers=True or set num_workers."
        )
