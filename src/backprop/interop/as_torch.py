"""Run PyTorch code on backprop unchanged: ``import torch`` resolves to backprop for one run.

``python -m backprop.interop.as_torch script.py [args]`` runs ``script.py`` as ``__main__``
with an import hook in place: ``import torch`` gives backprop, ``import torch.nn as nn`` gives
``backprop.nn``, ``from torch.utils.data import DataLoader`` looks in ``backprop.utils.data``,
and so on (``torch.X.Y`` -> ``backprop.X.Y``). In a notebook, call ``install()`` before the
first ``import torch`` and ``uninstall()`` to go back to PyTorch.

What the script sees is a thin stand-in module per torch package: attribute look-ups go to the
backprop module of the same name, so ``torch.nn.Linear is backprop.nn.Linear``. A name
backprop lacks fails with a message that says so -- "backprop does not provide torch.X yet" --
or, for the parts of PyTorch that are outside the project's scope (convolutions, recurrent
layers, CUDA, distributed, jit, ...), says what the scope is and points to
``backprop.interop.to_torch``. The errors are ``ModuleNotFoundError`` (for imports) and
``AttributeError`` (for attributes), so a script's own ``try: ... except ImportError`` still
works.

This module does not make backprop compute anything differently; it only changes which module
a name resolves to. It is not a sandbox: the script runs with the user's rights.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import runpy
import sys
import types

from ..errors import BackpropError
from ..nn import out_of_scope as _out_of_scope_names

__all__ = ["MissingTorchModule", "MissingTorchName", "install", "installed", "main", "uninstall"]

_PREFIX = "torch"
_TARGET = "backprop"

#: torch modules (first part after ``torch.``) that the project leaves to PyTorch on purpose.
OUT_OF_SCOPE = frozenset(
    [
        "distributed",
        "jit",
        "compiler",
        "_dynamo",
        "_inductor",
        "fx",
        "fft",
        "sparse",
        "quantization",
        "ao",
        "quantized",
        "onnx",
        "export",
        "mps",
        "xpu",
        "cpu.amp",
        "amp",
        "package",
        "profiler",
        "hub",
        "special",
        "signal",
        "masked",
        "nested",
        "_C",
        "_ops",
    ]
)
#: torch.nn names outside the scope (dense MLPs): the layers and functions nn.out_of_scope
#: answers by name (one list for both), and those backprop does not name at all
OUT_OF_SCOPE_NN = frozenset(
    [
        *_out_of_scope_names.LAYERS,
        *_out_of_scope_names.FUNCTIONS,
        "BatchNorm3d",
        "DataParallel",
        "PixelShuffle",
        "Upsample",
        "interpolate",
        "scaled_dot_product_attention",
    ]
)

_SCOPE = (
    "backprop covers CPU, dense (fully connected) networks and what MLP code around them needs; "
    "run this part with PyTorch itself (backprop.interop.to_torch(model) converts a backprop "
    "model to a torch.nn.Sequential)"
)


class MissingTorchName(BackpropError, AttributeError):
    """A ``torch.X`` attribute that backprop does not provide (yet, or by design)."""


class MissingTorchModule(BackpropError, ModuleNotFoundError):
    """A ``torch.X`` module that backprop does not provide (yet, or by design)."""


def _out_of_scope(torch_name: str) -> bool:
    parts = torch_name.split(".")
    if len(parts) > 1 and (parts[1] in OUT_OF_SCOPE or ".".join(parts[1:3]) in OUT_OF_SCOPE):
        return True
    return parts[-1] in OUT_OF_SCOPE_NN and parts[1:2] == ["nn"]


def _message(torch_name: str) -> str:
    if _out_of_scope(torch_name):
        return f"{torch_name} is outside backprop's scope: {_SCOPE}."
    return (
        f"backprop does not provide {torch_name} yet (this script runs with 'import torch' "
        f"resolved to backprop by backprop.interop.as_torch); run it with PyTorch, or see "
        f"docs/compatibility.md for what backprop provides."
    )


def _torch_name(backprop_name: str) -> str:
    return _PREFIX + backprop_name[len(_TARGET) :]


def _backprop_name(torch_name: str) -> str:
    return _TARGET + torch_name[len(_PREFIX) :]


class _TorchView(types.ModuleType):
    """A module named ``torch...`` whose missing attributes are read from a backprop module."""

    def __init__(self, name: str, real: types.ModuleType):
        super().__init__(name, getattr(real, "__doc__", None))
        object.__setattr__(self, "_backprop_module", real)
        if hasattr(real, "__path__"):
            self.__path__ = []  # a package: ``import torch.x.y`` asks the finder below
        self.__file__ = getattr(real, "__file__", None)

    def __getattr__(self, name: str):
        real = object.__getattribute__(self, "_backprop_module")
        full = f"{self.__name__}.{name}"
        try:
            value = getattr(real, name)
        except AttributeError:
            value = None
            if name.startswith("__"):
                raise AttributeError(name) from None
            # a submodule not imported yet (``torch.utils`` used as an attribute)
            with contextlib.suppress(ImportError):
                value = importlib.import_module(f"{real.__name__}.{name}")
            if value is None:
                raise MissingTorchName(_message(full)) from None
        if isinstance(value, types.ModuleType) and value.__name__.startswith(_TARGET + "."):
            value = _view_for(_torch_name(value.__name__), value)
        if callable(value) or isinstance(value, types.ModuleType):
            object.__setattr__(self, name, value)  # functions, classes, modules: look up once
        return value

    def __dir__(self):
        real = object.__getattribute__(self, "_backprop_module")
        return sorted(set(dir(real)) | set(self.__dict__))


def _view_for(torch_name: str, real: types.ModuleType) -> _TorchView:
    view = sys.modules.get(torch_name)
    if isinstance(view, _TorchView) and view._backprop_module is real:
        return view
    view = _TorchView(torch_name, real)
    view.__spec__ = importlib.machinery.ModuleSpec(torch_name, _LOADER, is_package=True)
    view.__loader__ = _LOADER
    sys.modules[torch_name] = view
    return view


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        real = importlib.import_module(_backprop_name(spec.name))
        return _view_for(spec.name, real)

    def exec_module(self, module):
        return None


class _Finder(importlib.abc.MetaPathFinder):
    """Answers every ``torch`` / ``torch.*`` import while installed."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _PREFIX and not fullname.startswith(_PREFIX + "."):
            return None
        target_name = _backprop_name(fullname)
        try:
            found = importlib.util.find_spec(target_name)
        except ImportError:
            found = None
        if found is None:
            raise MissingTorchModule(_message(fullname), name=fullname)
        return importlib.machinery.ModuleSpec(fullname, _LOADER, is_package=True)


_LOADER = _Loader()
_FINDER = _Finder()
_saved: dict[str, types.ModuleType] = {}


def installed() -> bool:
    """True while ``import torch`` resolves to backprop."""
    return _FINDER in sys.meta_path


def install() -> None:
    """Make ``import torch`` (and every ``torch.*``) resolve to backprop until ``uninstall()``.

    A real PyTorch already imported in this process is set aside (not unloaded) and put back
    by ``uninstall()``; objects made with it stay PyTorch objects.
    """
    if installed():
        return
    for name in list(sys.modules):
        if name == _PREFIX or name.startswith(_PREFIX + "."):
            _saved[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    """Undo ``install()``: ``import torch`` finds PyTorch again (if it is installed)."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in list(sys.modules):
        if (name == _PREFIX or name.startswith(_PREFIX + ".")) and isinstance(
            sys.modules[name], _TorchView
        ):
            del sys.modules[name]
    sys.modules.update(_saved)
    _saved.clear()


def _explain(exc: BaseException) -> None:
    """Add a note to an AttributeError raised by a backprop Tensor method the script used."""
    if not isinstance(exc, AttributeError) or isinstance(exc, MissingTorchName):
        return
    obj, name = getattr(exc, "obj", None), getattr(exc, "name", None)
    if obj is None or name is None or name.startswith("__"):
        return
    kind = type(obj)
    if kind.__module__.startswith(_TARGET + ".") and kind.__name__ in {"Tensor", "Parameter"}:
        exc.add_note(_message(f"torch.Tensor.{name}"))


USAGE = "usage: python -m backprop.interop.as_torch script.py [args ...]"


def main(argv: list[str] | None = None) -> int:
    """Run a script with ``import torch`` resolved to backprop; return its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(USAGE)
        print(__doc__.split("\n\n")[1])
        return 0 if args else 2
    script = args[0]
    old_argv, old_path0 = sys.argv, sys.path[0] if sys.path else None
    sys.argv = args
    import os

    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    install()
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException as exc:
        _explain(exc)
        raise
    finally:
        uninstall()
        sys.argv = old_argv
        if sys.path and sys.path[0] != old_path0:
            sys.path.pop(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
