"""Options of an optimizer or a loss in a spec, checked against the class's own defaults.

A spec's ``optimizer.options`` and ``loss.options`` go to the class as keyword arguments. A
value of the wrong type would pass silently where Python's truthiness takes it
(``"amsgrad": "no"`` turns AMSGrad on), so each option whose default is a bool must be
true or false, and each whose default is a number a finite number (``schema._number``).
"""

from __future__ import annotations

from .schema import _number, fail

_SIGNATURES: dict = {}  # class -> its parameters (inspect.signature: 0.1 ms for Adam, per spec)


def _parameters(cls):
    """``inspect.signature(cls).parameters``, looked up once per class (None: it has none
    that inspect can read)."""
    params = _SIGNATURES.get(cls, _SIGNATURES)
    if params is _SIGNATURES:
        import inspect

        try:
            params = inspect.signature(cls).parameters
        except (TypeError, ValueError):
            params = None
        _SIGNATURES[cls] = params
    return params


def typed_options(options: dict, cls, path: str) -> dict:
    """Options of a class (an optimizer, a loss, a schedule) of the type its own defaults
    are: true/false where the default is a bool (``amsgrad``: the string "no" is truthy and
    would turn it on), a finite number where it is a number. Names the class does not take
    are left to it (it refuses them, naming them)."""
    params = _parameters(cls)
    if params is None:
        return options
    for name, value in options.items():
        default = params[name].default if name in params else None
        where = f"{path}.{name}"
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise fail(where, f"must be true or false (default {str(default).lower()})", value)
        elif isinstance(default, int | float) and isinstance(value, bool | int | float):
            _number(value, where)
    return options
