"""Function forms of tensor methods (``backprop.sigmoid(x)``, ``backprop.cat``, …) (floor 1).

The lecture writes ``torch.sigmoid(w1*x)`` and ``torch.square(x)``; these are those
functions. Most forward to the method of the same name; ``cat``, ``stack`` and ``where``
take several tensors and live here.
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, ShapeError
from . import dtypes as _dt
from . import examples_binary as _ex_binary
from . import examples_elementwise as _ex_elementwise
from . import examples_reduce as _ex_reduce
from . import examples_shape as _ex_shape
from .ops_matmul import AddmmBackward0, LinearNoBiasBackward
from .ops_shape import CatBackward0, StackBackward0, WhereBackward0
from .tensor import Tensor, apply_op, as_tensor_operand


def _method(name: str, doc: str):
    def fn(input, *args, out=None, **kwargs):  # noqa: A002 - PyTorch's name
        if not isinstance(input, Tensor):
            raise DTypeError(
                f"{name}(): argument 'input' must be a Tensor, got {type(input).__name__}; "
                f"wrap it with backprop.tensor(...)."
            )
        result = getattr(input, name)(*args, **kwargs)
        return result if out is None else _write_out(result, out, name)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = _with_example(doc, name)
    return fn


# every function form's doctest example, by name (the tables are data only)
_EXAMPLES = {
    **_ex_elementwise.EXAMPLES,
    **_ex_binary.EXAMPLES,
    **_ex_reduce.EXAMPLES,
    **_ex_shape.EXAMPLES,
}


def _with_example(doc: str, name: str) -> str:
    """``doc`` followed by an ``Examples:`` section holding ``_EXAMPLES[name]`` (if any)."""
    example = _EXAMPLES.get(name)
    if example is None:
        return doc
    lines = [">>> import backprop as bp", *example.strip("\n").split("\n")]
    return doc + "\n\nExamples:\n" + "\n".join("    " + line for line in lines) + "\n"


_METHODS = {
    "sigmoid": "Logistic sigmoid σ(x) = 1/(1+e^-x), elementwise.",
    "tanh": "Hyperbolic tangent, elementwise.",
    "relu": "max(0, x), elementwise.",
    "exp": "e^x, elementwise.",
    "log": "Natural logarithm, elementwise.",
    "sqrt": "Square root, elementwise.",
    "abs": "|x|, elementwise.",
    "square": "x², elementwise.",
    "neg": "−x.",
    "pow": "x ** exponent.",
    "clamp": "Limit values to [min, max].",
    "clip": "Alias of clamp.",
    "sum": "Sum of all elements, or over dim.",
    "mean": "Mean of all elements, or over dim.",
    "max": "Maximum; with dim returns (values, indices).",
    "min": "Minimum; with dim returns (values, indices).",
    "amax": "Maximum values (no indices).",
    "argmax": "Index of the maximum.",
    "argmin": "Index of the minimum.",
    "var": "Variance (Bessel-corrected by default).",
    "std": "Standard deviation (Bessel-corrected by default).",
    "norm": "p-norm (Euclidean by default).",
    "matmul": "Matrix product.",
    "mm": "Product of two 2-D matrices.",
    "maximum": "Elementwise maximum of two tensors.",
    "minimum": "Elementwise minimum of two tensors.",
    "softmax": "Softmax over dim.",
    "log_softmax": "Log of softmax over dim, computed stably.",
    "reshape": "The same elements in a new shape.",
    "flatten": "Flatten dims start_dim..end_dim into one.",
    "squeeze": "Remove dimensions of size 1.",
    "unsqueeze": "Insert a dimension of size 1.",
    "transpose": "Swap two dimensions.",
    "permute": "Reorder dimensions.",
    "t": "Transpose of a matrix.",
    "clone": "A copy that stays in the graph.",
    "detach": "The same storage without history.",
    "isnan": "Where the values are NaN.",
    "isinf": "Where the values are ±inf.",
    "isfinite": "Where the values are finite.",
    "allclose": "Whether two tensors are elementwise close.",
    "equal": "Whether two tensors have the same shape and values.",
    "numel": "Number of elements.",
}

globals().update({name: _method(name, doc) for name, doc in _METHODS.items()})


def _write_out(result, out, name: str):
    """``torch.f(..., out=t)``: the result written into ``t`` (resized to the result's shape
    if needed, in ``t``'s dtype); like PyTorch, refused while recording a graph."""
    from ..errors import AutogradError
    from .grad_mode import is_grad_enabled

    if isinstance(result, tuple):
        for r, o in zip(result, out):
            _write_out(r, o, name)
        return out
    if not isinstance(out, Tensor):
        raise DTypeError(f"{name}(): 'out' must be a Tensor, got {type(out).__name__}.")
    if is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise AutogradError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad; call it without out= "
            "(y = f(x)) or under backprop.no_grad()."
        )
    data = result._data
    if not np.can_cast(data.dtype, out._data.dtype, "same_kind"):
        raise DTypeError(
            f"{name}(): result type {result.dtype!r} can't be cast to the desired output "
            f"type {out.dtype!r} of 'out'."
        )
    if out._data.shape != data.shape:
        out._data = np.empty(data.shape, dtype=out._data.dtype)
    out._data[...] = data
    out._bump_version()
    return out


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a tensor.

    Examples:
        >>> import backprop as bp
        >>> bp.is_tensor(bp.tensor([1.0]))
        True
        >>> bp.is_tensor([1.0])
        False
    """
    return isinstance(obj, Tensor)


def _same_dtype(tensors, who: str):
    if not tensors:
        raise ShapeError(f"{who}: expected a non-empty list of tensors.")
    ts = [as_tensor_operand(t) for t in tensors]
    res = _dt.result_dtype(ts)
    return ts, [t._data if t._data.dtype == res.np else t._data.astype(res.np) for t in ts]


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension.

    Examples:
        >>> import backprop as bp
        >>> a = bp.tensor([[1, 2]])
        >>> b = bp.tensor([[3, 4]])
        >>> bp.cat([a, b])
        tensor([[1, 2],
                [3, 4]])
        >>> bp.cat([a, b], dim=1)
        tensor([[1, 2, 3, 4]])
    """
    ts, arrays = _same_dtype(list(tensors), "cat")
    axis = ts[0]._dim(dim)
    ref = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.ndim != len(ref) or any(
            n != m for j, (n, m) in enumerate(zip(a.shape, ref)) if j != axis
        ):
            raise ShapeError(
                f"cat: sizes of tensors must match except in dimension {axis}; tensor 0 has "
                f"shape {list(ref)} and tensor {i} has shape {list(a.shape)}."
            )
    return apply_op(CatBackward0, tuple(ts), arrays=arrays, axis=axis)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of equal shape along a new dimension.

    Examples:
        >>> import backprop as bp
        >>> a = bp.tensor([1, 2])
        >>> b = bp.tensor([3, 4])
        >>> bp.stack([a, b])
        tensor([[1, 2],
                [3, 4]])
        >>> bp.stack([a, b], dim=1)
        tensor([[1, 3],
                [2, 4]])
    """
    ts, arrays = _same_dtype(list(tensors), "stack")
    for i, a in enumerate(arrays):
        if a.shape != arrays[0].shape:
            raise ShapeError(
                f"stack: expects each tensor to be equal size, but got {list(arrays[0].shape)} "
                f"at entry 0 and {list(a.shape)} at entry {i}."
            )
    nd = arrays[0].ndim + 1
    if not -nd <= dim < nd:
        raise ShapeError(f"stack: dim {dim} out of range [{-nd}, {nd - 1}].")
    return apply_op(StackBackward0, tuple(ts), arrays=arrays, axis=dim % nd, stack=True)


def where(condition, input=None, other=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Elementwise ``input if condition else other`` (broadcasting); ``where(condition)``
    alone is ``condition.nonzero(as_tuple=True)``.

    Examples:
        >>> import backprop as bp
        >>> x = bp.tensor([-1.0, 0.5, 2.0])
        >>> bp.where(x > 0, x, 0.0)
        tensor([0.0000, 0.5000, 2.0000])
        >>> bp.where(x > 0)
        (tensor([1, 2]),)
    """
    if input is None and other is None:
        return as_tensor_operand(condition).nonzero(as_tuple=True)
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise DTypeError(
            f"where: condition must be a bool tensor, got dtype {cond.dtype}; compare first "
            "(x > 0)."
        )
    res = _dt.result_dtype([input, other])
    a = as_tensor_operand(input, dtype=res)
    b = as_tensor_operand(other, dtype=res)
    xa = a._data.astype(res.np, copy=False)
    xb = b._data.astype(res.np, copy=False)
    try:
        return apply_op(WhereBackward0, (a, b), arrays=(xa, xb), cond=cond)
    except ValueError:
        raise ShapeError(
            f"where: condition {list(cond.shape)}, input {list(xa.shape)} and other "
            f"{list(xb.shape)} cannot be broadcast together."
        ) from None


def linear(input, weight, bias=None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias`` (PyTorch's ``F.linear``), recorded as one node.

    Examples:
        >>> import backprop as bp
        >>> a = bp.tensor([[1.0, 2.0]])  # one sample, two inputs
        >>> W = bp.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])  # 3 outputs × 2 inputs
        >>> b = bp.tensor([0.0, 0.5, 1.0])
        >>> bp.linear(a, W, b)  # a Wᵀ + b
        tensor([[ 1.0000,  3.5000, -1.0000]])
    """
    x, w = as_tensor_operand(input), as_tensor_operand(weight)
    if x._data.dtype != w._data.dtype:
        model_fix = f" or the model (model.to({x.dtype!r}))" if x.dtype.is_floating_point else ""
        raise DTypeError(
            f"linear: input dtype {x.dtype!r} and weight dtype {w.dtype!r} differ; convert the "
            f"input (x.to({w.dtype!r})){model_fix}."
        )
    if x._data.ndim == 0 or x._data.shape[-1] != w._data.shape[-1]:
        raise ShapeError(
            f"linear: input of shape {list(x.shape)} cannot be multiplied by a weight of shape "
            f"{list(w.shape)} (out_features, in_features): the input's last dimension must be "
            f"{w._data.shape[-1]} (in_features). Check the data's feature count or the layer "
            "sizes."
        )
    if bias is None:
        return apply_op(LinearNoBiasBackward, (x, w))
    return apply_op(AddmmBackward0, (x, w, as_tensor_operand(bias)))
