"""Collation: turning a list of samples into one batch, as ``torch.utils.data`` does.

``default_collate`` stacks along a new first dimension and recurses into containers:
tensors are stacked; NumPy arrays become tensors and are stacked; NumPy scalars become one
tensor; Python floats a float64 tensor, ints an int64 tensor (bools a bool tensor); strings
and bytes stay a list; a dict gives a dict of batches, a namedtuple a namedtuple of batches,
a tuple or list a *list* of batches (torch's rule: tuples come back as lists). Anything
else is a TypeError naming the type. ``default_convert`` (what the loader uses when it does
not batch) only turns NumPy arrays into tensors, recursing the same way.
"""

from __future__ import annotations

import collections.abc
import copy

import numpy as np

from ...errors import DTypeError, ShapeError

__all__ = ["default_collate", "default_convert"]

_NOT_NUMERIC = "SaUO"  # NumPy kinds: strings, bytes, unicode, objects


def _tensor_type():
    from ...autograd.tensor import Tensor

    return Tensor


def _refuse(kind) -> DTypeError:
    return DTypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {kind}. Pass DataLoader(collate_fn=...) to batch other types."
    )


def default_collate(batch):
    """One batch from a list of samples (see the module docstring for the rules)."""
    from ... import as_tensor, stack, tensor
    from ...autograd import dtypes

    Tensor = _tensor_type()
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in _NOT_NUMERIC:
            raise _refuse(elem.dtype)
        return default_collate([as_tensor(b) for b in batch])
    if isinstance(elem, np.bool_ | np.number):
        return as_tensor(np.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=dtypes.float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        parts = {key: default_collate([d[key] for d in batch]) for key in elem}
        return _same_container(elem, parts)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch, strict=False)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise ShapeError(
                "default_collate: each element in list of batch should be of equal size; got "
                f"lengths {sorted({len(s) for s in batch})}. Pad the samples (e.g. "
                "nn.utils.rnn.pad_sequence in a collate_fn) or batch them yourself."
            )
        columns = [default_collate(s) for s in zip(*batch, strict=False)]
        if isinstance(elem, tuple):
            return columns
        return _same_sequence(elem, columns)
    raise _refuse(type(elem))


def _same_container(elem, parts: dict):
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(parts)
            return clone
        return type(elem)(parts)
    except TypeError:
        return parts


def _same_sequence(elem, columns: list):
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, column in enumerate(columns):
                clone[i] = column
            return clone
        return type(elem)(columns)
    except TypeError:
        return columns


def default_convert(data):
    """NumPy arrays (and scalars) inside ``data`` become tensors; everything else is kept."""
    from ... import as_tensor

    if isinstance(data, _tensor_type()):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in _NOT_NUMERIC else as_tensor(data)
    if isinstance(data, np.bool_ | np.number):
        return as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _same_container(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, str | bytes):
        return _same_sequence(data, [default_convert(d) for d in data])
    return data
