"""``nn.Parameter``: the tensor type of a module's learnable weights.

Assigning a ``Parameter`` to a module attribute registers it (``Module.__setattr__``), which
is how ``parameters()``, ``state_dict()`` and the optimizers find the weights. A Parameter
is an ordinary leaf ``Tensor`` otherwise: it shares the storage of the tensor it wraps and
adds only the ``Parameter containing:`` prefix to its repr. It holds no maths.
"""

from __future__ import annotations

import numpy as np

from ..autograd import dtypes as _dt
from ..autograd.tensor import Tensor
from ..errors import DTypeError

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A tensor that is a module's learnable weight: assigning it to a module registers it.

    ``Parameter(data)`` shares ``data``'s storage (no copy) and is a leaf that requires grad
    (unless ``requires_grad=False``). ``Parameter()`` is an empty float tensor.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> w = nn.Parameter(bp.zeros(2, 3))
        >>> w.requires_grad, w.shape
        (True, backprop.Size([2, 3]))
        >>> class Model(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.w = nn.Parameter(bp.ones(2))
        >>> [name for name, _ in Model().named_parameters()]
        ['w']
    """

    _is_param = True

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            data = Tensor._wrap(np.empty((0,), dtype=_dt.get_default_dtype().np))
        if not isinstance(data, Tensor):
            raise DTypeError(
                f"Parameter: data must be a Tensor, got {type(data).__name__}; wrap it first: "
                "nn.Parameter(backprop.tensor(values))."
            )
        self._init(data._data, None, False)
        self._vc = data._vc  # same storage, so the same in-place change counter
        if requires_grad:
            self.requires_grad_(True)

    def __deepcopy__(self, memo) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        copy = Parameter(Tensor._wrap(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            copy._grad = Tensor._wrap(self._grad._data.copy())
        memo[id(self)] = copy
        return copy

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self._requires_grad))


def _rebuild_parameter(data, requires_grad) -> Parameter:
    return Parameter(Tensor._wrap(np.array(data, copy=True)), requires_grad)
