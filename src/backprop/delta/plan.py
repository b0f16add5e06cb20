"""The δ engine in a training loop: ``Plan`` (the model parsed and the loss resolved once,
then one ``step(x, y)`` per batch) and ``flatten_parameters`` (every parameter in one buffer,
so the gradients land in one flat buffer too) (floor 3).

The maths is ``engine.py``'s; ``numpy_step.py`` is the buffered step a small batch takes.
"""

from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from .engine import Gradients, _as_input, _write_grads, compute
from .network import layers

# Rows × Σ layer widths above which Plan.step computes without the buffers it keeps per batch
# size: they save Python overhead that only small batches feel and would hold memory that
# big ones feel (a full batch of 1.5 million rows kept 590 MB).
BUFFERED_NUMBERS = 1 << 22


class Plan:
    """The δ engine bound to one model and loss, for training loops.

    Parsing the model and resolving the loss happen once, here, instead of on every call;
    ``step(x, y)`` then runs ``compute`` and writes the gradients into ``.grad``. When the
    model's parameters live in one flat buffer (``flatten_parameters``), the gradients are
    computed straight into one flat gradient buffer laid out the same way, so an optimizer
    can update all of them with a single array operation per formula term, and the step
    runs ``numpy_step.Step`` (the same operations, with f, a and δ in buffers kept per batch
    size; ``.grad`` then holds views that the next step overwrites). Rebuild the plan if the
    model's layers change.

    Examples:
        >>> import backprop as bp
        >>> from backprop import delta, nn
        >>> _ = bp.manual_seed(0)
        >>> model = nn.MLP([1, 8, 1], activation='tanh')
        >>> x = bp.linspace(-1, 1, 10).reshape(10, 1)
        >>> y = x**2
        >>> plan = delta.Plan(model, nn.MSELoss())
        >>> loss = plan.step(x, y)  # writes .grad, returns E
        >>> by_delta = [p.grad.clone() for p in model.parameters()]
        >>> model.zero_grad()
        >>> nn.MSELoss()(model(x), y).backward()  # autograd, for comparison
        >>> all(bp.allclose(d, p.grad, atol=1e-6) for d, p in zip(by_delta, model.parameters()))
        True
    """

    def __init__(self, model, loss=None) -> None:
        from .losses import resolve

        self.model = model
        self.loss = loss
        self.net = layers(model)
        self.resolved = None if loss is None else resolve(loss)
        self.params = [p for layer in self.net for p in (layer.weight, layer.bias) if p is not None]
        self._flat = None  # (parameter buffer, [(param, grad view)], out arrays per layer)

    def compute(self, x, y=None) -> Gradients:
        return compute(self.model, x, y, self.loss, self.net, self.resolved)

    def step(self, x, y=None, accumulate: bool = True) -> float:
        """One backward pass into ``.grad`` (accumulating, like autograd); returns E."""
        flat = self._flat_views()
        if flat is not None and (not accumulate or all(p._grad is None for p in self.params)):
            if self.resolved is None:
                value = compute(self.model, x, y, None, self.net, None, out=flat[2]).loss
            elif len(x) * self._widths > BUFFERED_NUMBERS:  # a big batch: no kept buffers
                value = compute(self.model, x, y, self.loss, self.net, self.resolved, out=flat[2])
                value = value.loss
            else:
                value = self._buffered(x, y)
            for param, view in flat[1]:
                param._grad = view
            return value
        grads = self.compute(x, y)
        _write_grads(grads, accumulate)
        return grads.loss

    @property
    def _widths(self) -> int:
        return self.net[0].n_in + sum(layer.n_out for layer in self.net)

    def _buffered(self, x, y) -> float:
        """The same step with f[l], a[l], δ[l] in buffers kept per batch size
        (``numpy_step.Step``: the same operations, so the same numbers)."""
        from .numpy_step import loss_kind

        step = self._step
        xb = _as_input(x, step.dtype, self.net[0].n_in)
        m = xb.shape[0]
        buf = self._batches.get(m)
        if buf is None:
            if len(self._batches) >= 4:
                self._batches.clear()
            buf = self._batches[m] = step.batch(m)
        yb = y._data if isinstance(y, Tensor) else y
        formula = "generic"
        if isinstance(yb, np.ndarray):
            formula = loss_kind(self.resolved, self.net[-1], yb, rows=m)
        value = step.gradients(buf, xb, yb, y, formula)
        if step.gated and not step.finite(value):  # see Step.gradients: the exact select
            value = step.gradients(buf, xb, yb, y, formula, exact=True)
        return value

    def _flat_views(self):
        """Gradient views into one buffer laid out like the flat parameter buffer, or None."""
        params = self.params
        base = params[0]._data.base
        if self._flat is not None and self._flat[0] is base:
            return self._flat
        if (
            base is None
            or any(p._data.base is not base or not p._requires_grad for p in params)
            or base.size != sum(p._data.size for p in params)
        ):
            return None
        buffer = np.zeros_like(base)
        origin = base.__array_interface__["data"][0]
        views = {}
        for p in params:
            start = (p._data.__array_interface__["data"][0] - origin) // base.itemsize
            views[id(p)] = Tensor._wrap(buffer[start : start + p._data.size].reshape(p._data.shape))
        pairs = [(p, views[id(p)]) for p in params]
        out = [
            (
                views[id(layer.weight)]._data,
                None if layer.bias is None else views[id(layer.bias)]._data,
            )
            for layer in self.net
        ]
        self._flat = (base, pairs, out)
        from .numpy_step import Step

        self._step, self._batches = Step(self), {}
        self._step.bind({id(p): view._data for p, view in pairs}, flat=buffer)
        return self._flat


def flatten_parameters(model) -> np.ndarray:
    """Move every parameter of ``model`` into one contiguous buffer (values unchanged).

    Each Parameter keeps its identity and shape; its ``_data`` becomes a view of the
    returned buffer, so optimizers and the δ engine can treat all of them as one array. Do
    this before handing out views of the parameters (``p.data``), which would keep the old
    storage.

    Examples:
        >>> import backprop as bp
        >>> import numpy as np
        >>> from backprop import delta, nn
        >>> model = nn.MLP([2, 3, 1])
        >>> before = [p.detach().clone() for p in model.parameters()]
        >>> flat = delta.flatten_parameters(model)  # the values stay, the storage moves
        >>> flat.shape  # 2·3 + 3 + 3·1 + 1
        (13,)
        >>> all(bp.equal(b, p.detach()) for b, p in zip(before, model.parameters()))
        True
        >>> np.shares_memory(flat, model[0].weight.detach().numpy())
        True
    """
    params = list(model.parameters())
    if not params:
        return np.zeros(0)
    dtype = params[0]._data.dtype
    if any(p._data.dtype != dtype for p in params):
        from ..errors import DTypeError

        raise DTypeError(
            "flatten_parameters: all parameters must share one dtype; convert the model "
            "first (model.float() or model.double())."
        )
    buffer = np.empty(sum(p._data.size for p in params), dtype=dtype)
    offset = 0
    for p in params:
        n = p._data.size
        view = buffer[offset : offset + n].reshape(p._data.shape)
        view[...] = p._data
        p._data = view
        if p._grad is not None:
            p._grad = Tensor._wrap(p._grad._data.copy())
        offset += n
    return buffer
