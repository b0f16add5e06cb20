"""Containers: ``nn.Sequential`` (a chain of modules run one after another), and the holders
``ModuleList``, ``ModuleDict``, ``ParameterList``, ``ParameterDict``.

Children are registered under ``'0'``, ``'1'``, … (or the names of an ordered dict), which
is what makes state-dict keys such as ``0.weight`` match PyTorch's. Indexing, slicing,
``len``, iteration, ``append``/``insert``/``extend``/``pop`` and deletion behave as in
PyTorch (deletion renumbers the remaining children). ``ModuleList`` shares those list
mechanics but has no ``forward`` (and is not a ``Sequential``, so nothing reads it as a
chain of layers). They compute nothing themselves.
"""

from __future__ import annotations

from collections import OrderedDict

from ..errors import DTypeError, IndexingError
from .module import Module

__all__ = [
    "ModuleDict",
    "ModuleIndexError",
    "ModuleList",
    "ParameterDict",
    "ParameterList",
    "Sequential",
]


class ModuleIndexError(IndexingError):
    """An index outside a container's children.

    Examples:
        >>> from backprop import nn
        >>> model = nn.Sequential(nn.Linear(1, 1), nn.ReLU())
        >>> try:
        ...     model[5]
        ... except nn.ModuleIndexError as error:
        ...     print(error)
        index 5 is out of range for Sequential of length 2.
    """


class _ModuleSequence(Module):
    """The list mechanics of ``Sequential`` and ``ModuleList``: children named '0', '1', …"""

    def _slice(self, idx: slice):
        return type(self)(list(self._modules.values())[idx])

    def _index(self, idx: int) -> int:
        n = len(self._modules)
        if not isinstance(idx, int):
            raise DTypeError(
                f"{type(self).__name__} indices must be integers or slices, got "
                f"{type(idx).__name__}."
            )
        if not -n <= idx < n:
            raise ModuleIndexError(
                f"index {idx} is out of range for {type(self).__name__} of length {n}."
            )
        return idx % n

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self._slice(idx)
        return list(self._modules.values())[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[self._index(idx)]
        self.add_module(key, module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        doomed = keys[idx] if isinstance(idx, slice) else [keys[self._index(idx)]]
        for key in doomed:
            del self._modules[key]
        modules = list(self._modules.values())
        self._modules.clear()
        for index, module in enumerate(modules):
            self._modules[str(index)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))

    def append(self, module: Module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module):
        """Put ``module`` before position ``index`` (renumbering the ones after it)."""
        n = len(self._modules)
        if not -n <= index <= n:
            raise ModuleIndexError(f"insert: index {index} is out of range for length {n}.")
        if index < 0:
            index += n
        if not isinstance(module, Module):
            raise DTypeError(f"insert: {type(module).__name__} is not a Module subclass.")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(modules):
            self._modules[str(i)] = m
        return self

    def pop(self, index: int = -1) -> Module:
        module = self[index]
        del self[index]
        return module


class Sequential(_ModuleSequence):
    """``Sequential(m0, m1, ...)`` or ``Sequential(OrderedDict(name=module, ...))``.

    ``forward(x)`` returns ``m_last(...m1(m0(x)))``.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> _ = bp.manual_seed(0)
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
        >>> model
        Sequential(
          (0): Linear(in_features=2, out_features=3, bias=True)
          (1): Tanh()
          (2): Linear(in_features=3, out_features=1, bias=True)
        )
        >>> model(bp.zeros(5, 2)).shape
        backprop.Size([5, 1])
        >>> [name for name, _ in model.named_parameters()]
        ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], dict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def _slice(self, idx: slice):
        return Sequential(OrderedDict(list(self._modules.items())[idx]))

    def forward(self, input):  # noqa: A002 - PyTorch's name
        for module in self:
            input = module(input)  # noqa: A001
        return input

    def _repr_html_(self) -> str:
        """In a notebook: ``backprop.summary``'s table and the network diagram."""
        from ..display import model_html  # a floor above, imported when a front end asks

        return model_html(self)

    def plot(self, path=None, **kwargs):
        """The network diagram (``plots.network_diagram``): the Figure, or the path when
        one is given."""
        from ..plots import network_diagram

        return network_diagram(self, path, **kwargs)


class ModuleList(_ModuleSequence):
    """A list of modules, registered (their parameters are the model's) but not called in a
    chain: the owner's ``forward`` decides how to use them.

    Examples:
        >>> from backprop import nn
        >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        >>> len(layers), len(list(layers.parameters()))
        (3, 6)
    """

    def __init__(self, modules=None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __add__(self, other) -> ModuleList:
        return ModuleList([*self, *other])

    def __iadd__(self, other) -> ModuleList:
        return self.extend(other)

    def __repr__(self) -> str:
        reprs = [repr(m) for m in self]
        if not reprs:
            return f"{self._get_name()}()"
        blocks = []  # [first, last, text] of runs of equal reprs, as torch prints them
        for i, text in enumerate(reprs):
            if blocks and blocks[-1][2] == text:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, text])
        lines = []
        for first, last, text in blocks:
            head = f"({first})" if first == last else f"({first}-{last}): {last - first + 1} x"
            line = f"{head}: {text}" if first == last else f"{head} {text}"
            lines.append(line.replace("\n", "\n  "))
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of named modules, registered under their keys (state-dict keys ``key.weight``).

    Examples:
        >>> from backprop import nn
        >>> heads = nn.ModuleDict({'mean': nn.Linear(4, 1), 'scale': nn.Linear(4, 1)})
        >>> list(heads.keys())
        ['mean', 'scale']
    """

    def __init__(self, modules=None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules))

    def __contains__(self, key) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module


def _as_parameter(value):
    from ..autograd.tensor import Tensor
    from .parameter import Parameter

    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _parameter_line(key, p) -> str:
    kind = "Parameter containing" if getattr(p, "_is_param", False) else "Tensor"
    return f"({key}): {kind}: [{p.dtype!r} of size {'x'.join(map(str, p.shape))}]"


class ParameterList(Module):
    """A list of parameters (tensors given are wrapped as ``Parameter``), registered under
    '0', '1', …

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> ps = nn.ParameterList([nn.Parameter(bp.ones(2)) for _ in range(3)])
        >>> len(ps), ps[0].shape
        (3, backprop.Size([2]))
        >>> [name for name, _ in ps.named_parameters()]
        ['0', '1', '2']
    """

    def __init__(self, values=None) -> None:
        super().__init__()
        self._size = 0
        for value in values or ():
            self.append(value)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(self._size)[idx]])
        if not -self._size <= idx < self._size:
            raise ModuleIndexError(
                f"index {idx} is out of range for ParameterList of length {self._size}."
            )
        return getattr(self, str(idx % self._size))

    def __setitem__(self, idx: int, value) -> None:
        self.register_parameter(str(idx % self._size), _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return iter([self[i] for i in range(self._size)])

    def __iadd__(self, values) -> ParameterList:
        return self.extend(values)

    def append(self, value) -> ParameterList:
        self._size += 1
        self.register_parameter(str(self._size - 1), _as_parameter(value))
        return self

    def extend(self, values) -> ParameterList:
        for value in values:
            self.append(value)
        return self

    def __repr__(self) -> str:  # torch's layout: one line per parameter, indented by four
        lines = [_parameter_line(i, p) for i, p in enumerate(self)]
        if not lines:
            return f"{self._get_name()}()"
        return f"{self._get_name()}(" + "".join(f"\n    {line}" for line in lines) + "\n)"


class ParameterDict(Module):
    """A dict of named parameters (tensors given are wrapped as ``Parameter``).

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> ps = nn.ParameterDict({'b': nn.Parameter(bp.zeros(1)), 'w': nn.Parameter(bp.ones(2))})
        >>> list(ps.keys())
        ['b', 'w']
        >>> [name for name, _ in ps.named_parameters()]
        ['b', 'w']
    """

    def __init__(self, parameters=None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        return self._parameters[key]

    def __setitem__(self, key: str, value) -> None:
        self.register_parameter(key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(list(self._parameters))

    def __contains__(self, key) -> bool:
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def items(self):
        return self._parameters.items()

    def values(self):
        return self._parameters.values()

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def get(self, key: str, default=None):
        return self._parameters.get(key, default)

    def update(self, parameters) -> None:
        pairs = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in pairs:
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(_parameter_line(k, p) for k, p in self.items())
