"""``Module`` and ``Parameter``: the containers every layer, activation and loss is built on.

A ``Module`` registers the ``Parameter``s, buffers and submodules assigned to it as
attributes, and from that registration alone offers PyTorch's whole bookkeeping API:
``named_parameters()``, ``state_dict()``/``load_state_dict()`` (keys exactly PyTorch's, such
as ``linear.weight`` or ``0.bias``), ``train()``/``eval()``, ``zero_grad()``, ``to(dtype)``,
forward hooks and PyTorch's ``repr`` layout. It holds no maths: layers say what ``forward``
computes, autograd (or the δ engine) computes gradients. Devices other than the CPU are
refused.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict

from ..autograd import dtypes as _dt
from ..autograd.tensor import Tensor
from ..errors import BackpropError, ConfigError, DTypeError
from . import state as _state
from .parameter import Parameter

__all__ = ["Module", "ModuleAttributeError"]


class ModuleAttributeError(BackpropError, AttributeError):
    """A module attribute used wrongly (assigned before ``Module.__init__``, or missing).

    Examples:
        >>> from backprop import nn
        >>> try:
        ...     nn.Linear(1, 1).weigth
        ... except nn.ModuleAttributeError as error:
        ...     print(error)
        'Linear' object has no attribute 'weigth'
    """


class _RemovableHandle:
    """Returned by the hook registrations; ``remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self.id = next(self._ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)


def _check_name(kind: str, name) -> None:
    if not isinstance(name, str):
        raise ConfigError(f"{kind} name should be a string, got {type(name).__name__}.")
    if not name or "." in name:
        raise ConfigError(
            f"{kind} name {name!r} is invalid: it must be non-empty and contain no '.' (dots "
            "separate the levels of state_dict keys)."
        )


def _type_label(value) -> str:
    if isinstance(value, Tensor):
        return f"Tensor of dtype {value.dtype!r}"
    return type(value).__name__


class Module:
    """Base class of all layers and models (PyTorch's ``nn.Module``).

    Subclasses call ``super().__init__()`` first, assign ``Parameter``s, submodules and
    buffers as attributes, and define ``forward``; calling the module runs ``forward``.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> class TwoLayer(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = nn.Linear(1, 8)
        ...         self.out = nn.Linear(8, 1)
        ...
        ...     def forward(self, x):
        ...         return self.out(bp.relu(self.hidden(x)))
        ...
        >>> _ = bp.manual_seed(0)
        >>> model = TwoLayer()
        >>> model(bp.zeros(4, 1)).shape
        backprop.Size([4, 1])
        >>> [name for name, p in model.named_parameters()]
        ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
        >>> sum(p.numel() for p in model.parameters())
        25
    """

    training: bool

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments {args or ''}"
                f"{kwargs or ''}; Module.__init__ takes none."
            )
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", {})
        setattr_(self, "_buffers", {})
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_modules", {})
        setattr_(self, "_forward_pre_hooks", OrderedDict())
        setattr_(self, "_forward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function; '
            "define forward(self, x) in the subclass."
        )

    def __call__(self, *args, **kwargs):
        if not self._forward_pre_hooks and not self._forward_hooks:
            return self.forward(*args, **kwargs)  # no hooks: the common case, one call
        for hook in list(self._forward_pre_hooks.values()):
            out = hook(self, args)
            if out is not None:
                args = out if isinstance(out, tuple) else (out,)
        result = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            out = hook(self, args, result)
            if out is not None:
                result = out
        return result

    def register_forward_pre_hook(self, hook) -> _RemovableHandle:
        """Call ``hook(module, args)`` before ``forward``; it may return replacement args."""
        handle = _RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook) -> _RemovableHandle:
        """Call ``hook(module, args, output)`` after ``forward``; it may return a new output."""
        handle = _RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # -- registration --------------------------------------------------------------------
    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a Parameter, or None for "no such weight") under ``name``."""
        if "_parameters" not in self.__dict__:
            raise ModuleAttributeError(
                "cannot assign parameters before Module.__init__() call; call "
                "super().__init__() first in your module's __init__."
            )
        _check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise ConfigError(f"attribute {name!r} already exists; choose another name.")
        if param is not None and not isinstance(param, Parameter):
            raise DTypeError(
                f"cannot assign {_type_label(param)} as parameter {name!r} (nn.Parameter or None "
                "expected); wrap it: nn.Parameter(tensor)."
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a non-learnable tensor (saved in ``state_dict`` when ``persistent``)."""
        if "_buffers" not in self.__dict__:
            raise ModuleAttributeError(
                "cannot assign buffer before Module.__init__() call; call super().__init__() first."
            )
        _check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise ConfigError(f"attribute {name!r} already exists; choose another name.")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise DTypeError(
                f"cannot assign {_type_label(tensor)} as buffer {name!r} (Tensor or None expected)."
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child under ``name`` (as ``self.name = module`` does)."""
        if module is not None and not isinstance(module, Module):
            raise DTypeError(f"add_module: {type(module).__name__} is not a Module subclass.")
        if "_modules" not in self.__dict__:
            raise ModuleAttributeError(
                "cannot assign module before Module.__init__() call; call super().__init__() first."
            )
        _check_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise ConfigError(f"attribute {name!r} already exists; choose another name.")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise ModuleAttributeError(
                    "cannot assign parameters before Module.__init__() call; call "
                    "super().__init__() first in your module's __init__."
                )
            self._forget(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise DTypeError(
                    f"cannot assign {_type_label(value)} as parameter {name!r} (nn.Parameter or "
                    "None expected). To change its values, use `with backprop.no_grad(): "
                    f"module.{name}.copy_(value)`; to replace it, wrap: nn.Parameter(value)."
                )
            params[name] = None
        elif isinstance(value, Module):
            if d.get("_modules") is None:
                raise ModuleAttributeError(
                    "cannot assign module before Module.__init__() call; call "
                    "super().__init__() first in your module's __init__."
                )
            self._forget(name)
            self._modules[name] = value
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise DTypeError(
                    f"cannot assign {_type_label(value)} as child module {name!r} (Module or None "
                    "expected)."
                )
            d["_modules"][name] = None
        elif d.get("_buffers") is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise DTypeError(
                    f"cannot assign {_type_label(value)} as buffer {name!r} (Tensor or None "
                    "expected)."
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Drop ``name`` from every registry and the instance dict (before re-registering)."""
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            d[key].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name: str):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            registry = d.get(key)
            if registry is not None and name in registry:
                return registry[name]
        raise ModuleAttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if name in d.get(key, {}):
                del d[key][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        extra = [*self._parameters, *self._buffers, *self._modules]
        return sorted(set(super().__dir__()) | set(extra))

    # -- traversal -------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """Yield ``(name, module)`` for self and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            sub = f"{prefix}.{name}" if prefix else name
            yield from child.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, module)`` for the direct children."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        """Yield ``(name, Parameter)``: own parameters first, then each child's, recursively."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def get_submodule(self, target: str) -> Module:
        """The descendant at dotted path ``target`` (``''`` is self)."""
        module = self
        for part in target.split(".") if target else ():
            child = module._modules.get(part)
            if child is None:
                raise ModuleAttributeError(
                    f"{type(module).__name__} has no submodule {part!r} (looking up {target!r}); "
                    f"its children are {list(module._modules)}."
                )
            module = child
        return module

    # -- state ---------------------------------------------------------------------------
    def state_dict(self, *, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ordered dict of every parameter and persistent buffer, keyed by dotted name.

        Values share storage with the module (detached unless ``keep_vars``).
        """
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(
                    destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars
                )
        return destination

    def _state_entries(self, prefix: str = ""):
        """(key, module, local name, kind) for every entry ``state_dict`` would hold."""
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, self, name, "_parameters"
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                yield prefix + name, self, name, "_buffers"
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_entries(f"{prefix}{name}.")

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values from ``state_dict`` (Tensors or NumPy arrays) into this module, in place.

        Shapes must match; with ``strict`` the key sets must match too (else a
        ``StateDictError`` listing every problem). Returns ``(missing_keys,
        unexpected_keys)``. ``assign=True`` adopts the given values instead of copying.
        """
        return _state.load_state_dict(self, state_dict, strict, assign)

    def train(self, mode: bool = True) -> Module:
        """Set training mode on self and every descendant; returns self."""
        if not isinstance(mode, bool):
            raise ConfigError(f"train: training mode is expected to be boolean, got {mode!r}.")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (to None, or to zeros in place)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.detach_()
                param.grad._data[...] = 0
                param.grad._vc.value += 1

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every descendant (children first) and then on self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- dtype and device ------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Module:
        """Convert floating parameters and buffers to a dtype, in place (same Parameter objects).

        Accepts ``to(dtype)``, ``to(device)``, ``to(tensor)`` and the keyword forms; the
        only device is the CPU.
        """
        target = None
        for arg in (*args, kwargs.get("device"), kwargs.get("dtype"), kwargs.get("tensor")):
            if arg is None:
                continue
            if isinstance(arg, Tensor):
                target = arg.dtype
                continue
            if isinstance(arg, _dt.unsupported_dtype):
                arg.refuse()  # float16 and friends: said in words, not taken for a device
            try:
                target = _dt.to_dtype(arg)
            except DTypeError:
                _dt.check_device(arg)  # not a dtype: the CPU, or a DeviceError
        if target is not None and not target.is_floating_point:
            raise DTypeError(
                f"Module.to only accepts floating point dtypes, but got desired dtype={target!r}; "
                "use backprop.float32 or backprop.float64."
            )
        if target is not None:
            self._cast(target)
        return self

    def _cast(self, target: _dt.dtype) -> None:
        for module in self.modules():
            for registry in ("_parameters", "_buffers"):
                for value in module.__dict__[registry].values():
                    if value is None or not value.is_floating_point():
                        continue
                    if value._data.dtype != target.np:
                        value._data = value._data.astype(target.np)
                    grad = value._grad
                    if grad is not None and grad._data.dtype != target.np:
                        grad._data = grad._data.astype(target.np)

    def float(self) -> Module:
        return self.to(_dt.float32)

    def double(self) -> Module:
        return self.to(_dt.float64)

    def half(self) -> Module:
        raise DTypeError("half: float16 is not supported by backprop; use float() or double().")

    def type(self, dst_type) -> Module:  # noqa: A003 - PyTorch's name
        return self.to(dst_type)

    def cpu(self) -> Module:
        return self

    def cuda(self, device=None) -> Module:
        _dt.check_device("cuda")
        return self

    # -- printing ----------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside this module's parentheses; subclasses override (``Linear`` does)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = []
        for name, child in self._modules.items():
            text = repr(child).replace("\n", "\n  ")
            child_lines.append(f"({name}): {text}")
        if not child_lines and len(extra_lines) <= 1:
            return f"{self._get_name()}({extra})"
        body = "\n  ".join(extra_lines + child_lines)
        return f"{self._get_name()}(\n  {body}\n)"
