"""Text form of tensors, character for character as PyTorch 2.13 prints them.

This module turns a NumPy array plus a little metadata (dtype label, autograd flags) into the
string that ``repr(torch.tensor(...))`` would give for the same values, so printouts can be
compared line by line with the lecture's PyTorch sessions. It knows nothing about ``Tensor``:
the tensor's ``__repr__`` and ``__format__`` call :func:`tensor_repr` and :func:`tensor_format`.
The process-wide options (:func:`set_printoptions`, :func:`get_printoptions`) mirror
``torch.set_printoptions``. It is not a general pretty-printer: complex, sparse and
low-precision dtypes are out of scope.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

__all__ = ["get_printoptions", "set_printoptions", "tensor_format", "tensor_repr"]

_PREFIX = "tensor("


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTIONS = _PrintOptions()

# profile name -> (precision, threshold, edgeitems, linewidth), as torch.set_printoptions
_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """Set the printing options, with the semantics of ``torch.set_printoptions``.

    ``profile`` ('default', 'short' or 'full') is applied first, then any explicit option
    overrides it. As in PyTorch, ``sci_mode`` is always assigned, so a call that omits it
    resets it to ``None`` (automatic choice).

    Examples:
        >>> import backprop as bp
        >>> bp.set_printoptions(precision=2)
        >>> bp.tensor([1 / 3, 2 / 3])
        tensor([0.33, 0.67])
        >>> bp.set_printoptions(profile="default")
        >>> bp.tensor([1 / 3, 2 / 3])
        tensor([0.3333, 0.6667])
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}"
            )
        preset = _PROFILES[profile]
        _OPTIONS.precision, _OPTIONS.threshold, _OPTIONS.edgeitems, _OPTIONS.linewidth = preset
    if precision is not None:
        _OPTIONS.precision = precision
    if threshold is not None:
        _OPTIONS.threshold = threshold
    if edgeitems is not None:
        _OPTIONS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTIONS.linewidth = linewidth
    _OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current options, as keyword arguments that :func:`set_printoptions` accepts.

    Examples:
        >>> import backprop as bp
        >>> bp.get_printoptions()['precision']
        4
    """
    return dataclasses.asdict(_OPTIONS)


@dataclasses.dataclass
class _ElementStyle:
    """How every element of one tensor is written: one shared width and notation."""

    floating: bool
    int_mode: bool = True  # every finite float is integer-valued: print "3." not "3.0000"
    sci_mode: bool = False
    width: int = 1

    def format(self, value) -> str:
        precision = _OPTIONS.precision
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:.{precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{precision}f}"
        return text.rjust(self.width)


def _element_style(values: np.ndarray) -> _ElementStyle:
    """Choose the notation and column width from the values that will be shown."""
    flat = values.reshape(-1)
    if not np.issubdtype(flat.dtype, np.floating):
        width = max((len(f"{v}") for v in flat.tolist()), default=1)
        return _ElementStyle(floating=False, width=max(width, 1))

    style = _ElementStyle(floating=True)
    shown = flat[np.isfinite(flat) & (flat != 0)]
    if shown.size == 0:
        return style  # only zeros, nan and inf: they set neither notation nor width
    style.int_mode = bool(np.all(shown == np.ceil(shown)))
    magnitudes = np.abs(shown)
    # float() widens exactly; the ratio below must be a float64 division, as in PyTorch
    smallest, largest = float(magnitudes.min()), float(magnitudes.max())
    if _OPTIONS.sci_mode is None:
        style.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
    else:
        style.sci_mode = bool(_OPTIONS.sci_mode)

    precision = _OPTIONS.precision
    if style.sci_mode:
        lengths = (len(f"{v:.{precision}e}") for v in shown.tolist())
    elif style.int_mode:
        lengths = (len(f"{v:.0f}") + 1 for v in shown.tolist())  # + 1 for the trailing "."
    else:
        lengths = (len(f"{v:.{precision}f}") for v in shown.tolist())
    style.width = max(style.width, *lengths)
    return style


def _shown_part(array: np.ndarray) -> np.ndarray:
    """The sub-array a summarised printout shows: the edge items along every axis."""
    edge = _OPTIONS.edgeitems
    for axis, size in enumerate(array.shape):
        if size > 2 * edge:
            keep = np.r_[0:edge, size - edge : size]
            array = np.take(array, keep, axis=axis)
    return array


def _vector_text(vector: np.ndarray, indent: int, summarize: bool, style: _ElementStyle) -> str:
    edge = _OPTIONS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and vector.shape[0] > 2 * edge:
        head = [style.format(v) for v in vector[:edge].tolist()]
        tail = [style.format(v) for v in vector[-edge:].tolist()]
        items = [*head, " ...", *tail]
    else:
        items = [style.format(v) for v in vector.tolist()]

    # Each item takes its width plus ", "; at least one item goes on every line.
    per_line = max(1, (_OPTIONS.linewidth - indent) // (style.width + 2))
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _body_text(array: np.ndarray, indent: int, summarize: bool, style: _ElementStyle) -> str:
    """The bracketed values; ``indent`` is the column of this level's opening bracket."""
    if array.ndim == 0:
        return style.format(array.item())
    if array.ndim == 1:
        return _vector_text(array, indent, summarize, style)

    edge = _OPTIONS.edgeitems
    count = array.shape[0]
    if summarize and count > 2 * edge:
        head = [_body_text(array[i], indent + 1, summarize, style) for i in range(edge)]
        tail = [
            _body_text(array[i], indent + 1, summarize, style) for i in range(count - edge, count)
        ]
        blocks = [*head, "...", *tail]
    else:
        blocks = [_body_text(row, indent + 1, summarize, style) for row in array]
    # Blocks of a k-D tensor are separated by k - 1 line breaks (a blank line from 3-D on).
    separator = "," + "\n" * (array.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(blocks) + "]"


def _join_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, moving one to a new line when it would pass the linewidth."""
    # PyTorch's bookkeeping counts the current line as 2 longer than it is until the first
    # wrap, and exactly afterwards; reproduced here so wraps happen at the same places.
    line_len = len(text) - (text.rfind("\n") + 1) + 2
    parts = [text]
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > _OPTIONS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _implicit_dtype_name(dtype: np.dtype) -> str | None:
    """Label of an integer or bool dtype, which an empty tensor must show (no values hint it)."""
    if dtype == np.bool_:
        return "backprop.bool"
    if np.issubdtype(dtype, np.integer):
        return f"backprop.{dtype.name}"
    return None


def tensor_repr(
    array: np.ndarray,
    *,
    dtype_name: str | None = None,
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    parameter: bool = False,
) -> str:
    """The text ``repr`` of a tensor holding ``array``, identical to PyTorch's.

    Parameters
    ----------
    array : np.ndarray
        The values, any shape (0-d for a scalar); float32, float64, int64 or bool.
    dtype_name : str or None
        Text after ``dtype=`` (e.g. ``"backprop.float64"``), or None when the dtype is implied
        (default float dtype, int64, bool). An empty integer or bool array still shows its dtype,
        as in PyTorch, since no value reveals it.
    requires_grad : bool
        Adds ``requires_grad=True`` when there is no ``grad_fn_name``.
    grad_fn_name : str or None
        Adds ``grad_fn=<name>``.
    parameter : bool
        Prefix ``Parameter containing:`` as ``torch.nn.Parameter`` does.

    >>> tensor_repr(np.array([0.5, 2.0], dtype=np.float32))
    'tensor([0.5000, 2.0000])'
    >>> tensor_repr(np.zeros((0, 3)), dtype_name="backprop.float64")
    'tensor([], size=(0, 3), dtype=backprop.float64)'
    """
    array = np.asarray(array)
    indent = len(_PREFIX)
    suffixes = []
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if dtype_name is None:
            dtype_name = _implicit_dtype_name(array.dtype)
    else:
        summarize = array.size > _OPTIONS.threshold
        style = _element_style(_shown_part(array) if summarize else array)
        body = _body_text(array, indent, summarize, style)
        if not _OPTIONS.edgeitems:
            suffixes.append(f"size={tuple(array.shape)}")
    if dtype_name is not None:
        suffixes.append(f"dtype={dtype_name}")
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")

    text = _join_suffixes(_PREFIX + body, suffixes, indent)
    if parameter:
        text = "Parameter containing:\n" + text
    return text


def tensor_format(
    array: np.ndarray,
    format_spec: str,
    *,
    dtype_name: str | None = None,
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    parameter: bool = False,
) -> str:
    """``format(tensor, format_spec)`` as PyTorch does it.

    A 0-d (non-Parameter) tensor formats its Python scalar, so ``f"{loss}"`` of a float32
    scalar gives all the digits of the float32 value widened to a Python float. Any other
    tensor gives its repr, and only with an empty ``format_spec``.

    >>> tensor_format(np.array(0.741550087928772, dtype=np.float32), "")
    '0.741550087928772'
    >>> tensor_format(np.array(0.741550087928772, dtype=np.float32), ".2f")
    '0.74'
    """
    array = np.asarray(array)
    if array.ndim == 0 and not parameter:
        return format(array.item(), format_spec)
    if format_spec:
        raise TypeError("unsupported format string passed to Tensor.__format__")
    return tensor_repr(
        array,
        dtype_name=dtype_name,
        requires_grad=requires_grad,
        grad_fn_name=grad_fn_name,
        parameter=parameter,
    )
