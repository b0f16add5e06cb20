"""Lazy package attributes (PEP 562): a package names what it offers and where each name
lives, and the module that holds it is imported on first use.

``__getattr__, __dir__ = lazy(__name__, {"fit": ".fit", "History": ".history"}, globals())``
in a package's ``__init__`` makes ``package.fit`` import ``package.fit`` (the module) and
return its attribute ``fit``; ``{"lr_scheduler": (".lr_scheduler", None)}`` returns the module
itself. Once looked up, a name is an ordinary global of the package. ``from package import *``
and ``dir(package)`` see every name. This keeps ``import backprop.train`` from loading backups,
``import backprop.data`` from loading the CSV reader, and so on, until they are used.
"""

from __future__ import annotations

import importlib
import sys
import types


class _Package(types.ModuleType):
    """A package where a function shares its name with the submodule that defines it
    (``backprop.train.fit``, ``backprop.delta.trace``): importing that submodule does not
    replace the function with the module, as it would not once an eager ``from .fit import
    fit`` had run. (The module stays in ``sys.modules``.)"""

    _shadowed: frozenset = frozenset()

    def __setattr__(self, name: str, value) -> None:
        if (
            name in type(self)._shadowed
            and isinstance(value, types.ModuleType)
            and value.__name__ == f"{self.__name__}.{name}"
        ):
            return
        super().__setattr__(name, value)


def lazy(package: str, table: dict, namespace: dict):
    """``(__getattr__, __dir__)`` for ``package``: ``table`` maps a name to the module that
    holds it (relative, ``".fit"``), or to ``(module, attribute)``; attribute None is the
    module itself."""
    shadowed = frozenset(
        name
        for name, target in table.items()
        if target == f".{name}" or target == (f".{name}", name)
    )
    if shadowed:
        sys.modules[package].__class__ = type(
            "LazyPackage", (_Package,), {"_shadowed": shadowed, "__module__": __name__}
        )

    def __getattr__(name: str):
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, attribute = target if isinstance(target, tuple) else (target, name)
        module = importlib.import_module(module_name, package)
        value = module if attribute is None else getattr(module, attribute)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
