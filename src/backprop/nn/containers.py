"""``nn.Sequential``: a chain of modules run one after another.

Children are registered under ``'0'``, ``'1'``, … (or the names of an ordered dict), which
is what makes state-dict keys such as ``0.weight`` match PyTorch's. Indexing, slicing,
``len``, iteration, ``append``/``insert``/``extend``/``pop`` and deletion behave as in
PyTorch (deletion renumbers the remaining children). It computes nothing itself.
"""

from __future__ import annotations

from collections import OrderedDict

from ..errors import DTypeError, IndexingError
from .module import Module

__all__ = ["ModuleIndexError", "Sequential"]


class ModuleIndexError(IndexingError):
    """An index outside a container's children."""


class Sequential(Module):
    """``Sequential(m0, m1, ...)`` or ``Sequential(OrderedDict(name=module, ...))``.

    ``forward(x)`` returns ``m_last(...m1(m0(x)))``.
    """

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], dict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

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
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
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

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
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

    def forward(self, input):  # noqa: A002 - PyTorch's name
        for module in self:
            input = module(input)  # noqa: A001
        return input
