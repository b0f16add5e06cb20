"""Parameters as one flat vector and back (``parameters_to_vector``,
``vector_to_parameters``), in the order ``parameters()`` yields them."""

from __future__ import annotations

from ...autograd.tensor import Tensor
from ...errors import DTypeError, ShapeError

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and concatenated (recorded, so gradients flow back)."""
    from ...autograd.functional import cat

    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters) -> None:
    """Copy consecutive slices of ``vec`` into the parameters' values, in place."""
    if not isinstance(vec, Tensor):
        raise DTypeError(f"vector_to_parameters: expected a Tensor, but got: {type(vec).__name__}.")
    flat = vec._data.reshape(-1)
    start = 0
    for p in parameters:
        n = p._data.size
        if start + n > flat.size:
            raise ShapeError(
                f"vector_to_parameters: the vector has {flat.size} elements, fewer than the "
                "parameters hold; build it with parameters_to_vector(model.parameters())."
            )
        p._data[...] = flat[start : start + n].reshape(p._data.shape).astype(p._data.dtype)
        p._bump_version()
        start += n
    if start != flat.size:
        raise ShapeError(
            f"vector_to_parameters: the vector has {flat.size} elements but the parameters "
            f"hold {start}."
        )
