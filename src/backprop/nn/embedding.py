"""``nn.Embedding`` and ``F.embedding``: a table of vectors looked up by integer index.

``E = weight[idx]``: a batch of indices (any shape) becomes vectors (that shape + (dim,)).
This is the lookup table ``C[X]`` of makemore-style MLPs, written as a layer. Backward adds
each output row's gradient into the table row it came from, so a row used k times gets the
sum of k gradients; the ``padding_idx`` row gets none. The sums avoid ``np.add.at`` (a loop
per element): a small table takes one ``bincount`` over its cells, a large one a few
unique-index scatters after one sort (see ``_sum_rows_by_rounds``).

Options as in PyTorch: ``padding_idx`` (negative counts from the end), ``max_norm`` (rows
that are looked up and longer than ``max_norm`` are rescaled in place, before the lookup),
``scale_grad_by_freq`` (a row's gradient is divided by its count in the batch).
``sparse=True`` is refused: backprop's gradients are dense.
"""

from __future__ import annotations

import numpy as np

from ..autograd import dtypes as _dt
from ..autograd.factories import empty
from ..autograd.node import Node
from ..autograd.tensor import Tensor, apply_op
from ..errors import ConfigError, DTypeError, IndexingError, ShapeError
from . import init
from .module import Module, Parameter

__all__ = ["Embedding", "embedding"]


class EmbeddingBackward0(Node):
    """out = weight[idx]; ∂E/∂weight[r] = Σ over positions k with idx[k] = r of ∂E/∂out[k]."""

    __slots__ = ("idx", "n_rows", "padding_idx", "scale")

    def forward(self, weight, idx, padding_idx, scale):
        self.idx, self.n_rows = idx, weight.shape[0]
        self.padding_idx, self.scale = padding_idx, scale
        return weight[idx]

    def backward(self, g):
        width = g.shape[-1]
        rows = self.idx.reshape(-1)
        grads = g.reshape(-1, width)
        if self.scale and rows.size:  # each row's gradient over its count in the batch
            counts = np.bincount(rows, minlength=self.n_rows)
            grads = grads / counts[rows, None].astype(g.dtype)
        if self.n_rows * width <= _SMALL_TABLE:
            out = _sum_rows_by_cells(rows, grads, self.n_rows)
        else:
            out = _sum_rows_by_rounds(rows, grads, self.n_rows)
        if self.padding_idx is not None:
            out[self.padding_idx] = 0
        return (out,)


_SMALL_TABLE = 65_536  # table cells up to which one bincount over all of them pays


def _sum_rows_by_cells(rows: np.ndarray, grads: np.ndarray, n_rows: int) -> np.ndarray:
    """Row sums for a small table: one ``bincount`` over (row, column) cells, summed in
    float64 and rounded once (6 µs for makemore's 96 lookups into 27 × 10)."""
    width = grads.shape[1]
    cells = (rows[:, None] * width + np.arange(width)).reshape(-1)
    sums = np.bincount(cells, weights=grads.reshape(-1), minlength=n_rows * width)
    with np.errstate(over="ignore"):  # a float32 sum beyond range is inf, as torch's is
        return sums.reshape(n_rows, width).astype(grads.dtype)


def _sum_rows_by_rounds(rows: np.ndarray, grads: np.ndarray, n_rows: int) -> np.ndarray:
    """Row sums for a large table: sort the rows once; the first use of every row is one
    scatter, and each further round adds the k-th use of the rows used k times or more (a
    scatter with unique indices). Rounds = the largest count, small when the table is
    large; the additions happen in the order of the lookups, as ``np.add.at``'s do (1 ms
    for 4096 lookups into 10 000 × 64, where ``add.at`` takes 4.5)."""
    n = rows.size
    out = np.zeros((n_rows, grads.shape[1]), dtype=grads.dtype)
    if n == 0:
        return out
    order = np.argsort(rows, kind="stable")
    ordered, ordered_grads = rows[order], grads[order]
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    out[ordered[starts]] = ordered_grads[starts]
    if starts.size < n:
        rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
        for k in range(1, int(rank.max()) + 1):
            at = np.flatnonzero(rank == k)
            out[ordered[at]] += ordered_grads[at]
    return out


def _indices(input, n_rows: int, who: str) -> np.ndarray:  # noqa: A002
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise DTypeError(
            f"{who}: indices must be an integer tensor (int64), got dtype {idx.dtype}; convert "
            "them with .long()."
        )
    if idx.size and (idx.min() < 0 or idx.max() >= n_rows):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexingError(
            f"{who}: index out of range in self: index {int(bad)} for a table of {n_rows} "
            f"rows; indices must be in [0, {n_rows - 1}] (num_embeddings = {n_rows})."
        )
    return idx.astype(np.int64, copy=False)


def _padding(padding_idx, n_rows: int, who: str):
    if padding_idx is None:
        return None
    if not -n_rows <= padding_idx < n_rows:
        raise ConfigError(
            f"{who}: padding_idx must be within num_embeddings: got {padding_idx} for "
            f"{n_rows} rows; use a value in [{-n_rows}, {n_rows - 1}] or None."
        )
    return padding_idx % n_rows


def _renorm(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Rescale the looked-up rows whose norm exceeds max_norm to norm max_norm (in place)."""
    rows = np.unique(idx)
    table = weight._data
    norms = np.linalg.norm(table[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        factor = (max_norm / (norms[big] + 1e-7)).astype(table.dtype)
        table[rows[big]] *= factor[:, None]
        weight._bump_version()


def embedding(
    input,  # noqa: A002 - PyTorch's name
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at the integer indices ``input`` (any shape)."""
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        got = list(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise ShapeError(
            f"embedding: weight must be a 2-D tensor (num_embeddings, embedding_dim), got {got}."
        )
    if sparse:
        raise ConfigError(
            "embedding: sparse=True is not supported (backprop's gradients are dense); pass "
            "sparse=False."
        )
    n_rows = weight.shape[0]
    idx = _indices(input, n_rows, "embedding")
    pad = _padding(padding_idx, n_rows, "embedding")
    if max_norm is not None:
        _renorm(weight, idx, float(max_norm), float(norm_type))
    return apply_op(
        EmbeddingBackward0,
        (weight,),
        padding_idx=pad,
        idx=idx,
        scale=bool(scale_grad_by_freq),
    )


class Embedding(Module):
    """A lookup table: ``Embedding(num_embeddings, embedding_dim)(idx)`` → ``weight[idx]``.

    ``weight`` (num_embeddings, embedding_dim) starts as N(0, 1), with the ``padding_idx``
    row (if any) set to zero. Input: integer indices of any shape (*); output (*, dim).

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> _ = bp.manual_seed(0)
        >>> emb = nn.Embedding(10, 3)  # 10 words, 3 numbers each
        >>> emb(bp.tensor([1, 4, 1])).shape
        backprop.Size([3, 3])
        >>> bp.equal(emb(bp.tensor([1]))[0], emb.weight[1])
        True
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx=None,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight=None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(
                    f"Embedding: {name} must be a non-negative whole number, got {value!r}."
                )
        _dt.check_device(device)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding(padding_idx, num_embeddings, "Embedding")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if sparse:
            embedding(Tensor._wrap(np.zeros(0, np.int64)), empty(1, 1), sparse=True)  # refuses
        if _weight is None:
            dtype = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
            if not dtype.is_floating_point:
                raise DTypeError(f"Embedding: dtype must be floating point, got {dtype!r}.")
            self.weight = Parameter(empty(num_embeddings, embedding_dim, dtype=dtype))
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise ShapeError(
                    f"Embedding: Shape of weight {list(_weight.shape)} does not match "
                    f"num_embeddings and embedding_dim [{num_embeddings}, {embedding_dim}]."
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """N(0, 1) for every row, then zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0
            self.weight._bump_version()

    def forward(self, input):  # noqa: A002
        return embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        return text

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        padding_idx=None,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose table is ``embeddings`` (2-D, shared, not copied); ``freeze``
        keeps it out of training (``weight.requires_grad = False``)."""
        if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
            shape = list(embeddings.shape) if isinstance(embeddings, Tensor) else None
            raise ShapeError(
                "Embedding.from_pretrained: Embeddings parameter is expected to be "
                f"2-dimensional (num_embeddings, embedding_dim), got {shape or type(embeddings)}."
            )
        rows, dim = embeddings.shape
        return cls(
            rows,
            dim,
            _weight=embeddings,
            _freeze=freeze,
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
        )
