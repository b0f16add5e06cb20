"""The rules every spec field's check uses: one error form, whole numbers, finite numbers,
choices, objects, known fields (floor 5, beside ``schema``).

``fail(path, rule, value)`` is the one error of a spec ('spec field PATH: RULE; got VALUE.',
with a did-you-mean when the choices are known); the others check one value against one
rule and return it normalised. ``schema`` re-exports them (``schema.fail``, ``schema._number``,
as before) and holds the fields themselves.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import SpecError


def fail(path: str, rule: str, value: Any, choices=None) -> SpecError:
    """'spec field PATH: RULE; got VALUE.' — with a did-you-mean when ``choices`` are given."""
    from ..errors import did_you_mean

    hint = did_you_mean(value, choices) if choices and len(str(value)) <= 100 else ""
    return SpecError(f"spec field {path}: {rule.rstrip('.')}; got {_shown(_short(value))}.{hint}")


def _fields(section: dict, known: dict, path: str) -> dict:
    """``section`` with defaults filled in; unknown keys raise with a suggestion."""
    if not isinstance(section, dict):
        raise fail(path or "(top level)", "must be a JSON object", section)
    for key in section:
        if key not in known:
            where = f"{path}.{key}" if path else key
            from .synonyms import nested_hint, suggest  # only an unknown field needs it

            close = suggest(key, known, path)  # a synonym (learning_rate: lr) or a spelling
            hint = f" — did you mean {close!r}{nested_hint(key, path)}?" if close else ""
            raise SpecError(
                f"spec field {where}: unknown field{hint or '.'} Known fields here: "
                f"{', '.join(sorted(known))}."
            )
    return {**known, **section}


def every_unknown(spec, tables: dict) -> None:
    """Before the fields are checked one by one: more than one unknown field (the top level's
    and its sections', ``tables``: path -> known fields) is one message naming each with its
    did-you-mean (a spec with 'epocs' and 'optimiser' named only the first). One unknown
    field is left to ``_fields``, whose message is as before."""
    if not isinstance(spec, dict):
        return
    from .synonyms import nested_hint, suggest

    found, seen = [], []
    for path, known in tables.items():
        section = spec if not path else spec.get(path)
        if not isinstance(section, dict):
            continue
        unknown = [key for key in section if key not in known]
        for key in unknown:
            close = suggest(key, known, path)
            hint = f"did you mean {close!r}{nested_hint(key, path)}?" if close else "no close field"
            found.append(f"{path + '.' if path else ''}{key} ({hint})")
        if unknown:
            where = f"in {path}" if path else "at the top level"
            seen.append(f"{where}: {', '.join(sorted(known))}")
    if len(found) > 1:
        raise SpecError(
            f"spec: {len(found)} unknown fields: {'; '.join(found)}. Known fields "
            f"{'; '.join(seen)}."
        )


def _int(value, path: str, low: int, high: int | None = None, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(path, "must be a whole number", value)
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise fail(path, f"must be {bound}", _short(value))
    return value


def _number(value, path: str, low: float | None = None, high: float | None = None,
            allow_none=False, strict_low=False):  # fmt: skip
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
        raise fail(path, "must be a finite number", value)
    if low is not None and (value < low or (strict_low and value == low)):
        raise fail(path, f"must be {'greater than' if strict_low else 'at least'} {low}", value)
    if high is not None and value > high:
        percent = high <= 1 < value <= 100  # a fraction given as a percentage: 20 for 0.2
        hint = f" (a fraction of the rows: for {value:g} % give {value / 100:g})" if percent else ""
        raise fail(path, f"must be at most {high}{hint}", value)
    return float(value) if isinstance(value, float) else value


def _finite(value: int | float) -> bool:
    """A number a float holds: not inf or NaN, and not a whole number past 1.8e308 (which
    ``float()`` and ``math.isfinite`` raise OverflowError on)."""
    if isinstance(value, int):
        return abs(value) <= MAX_FLOAT_INT
    return math.isfinite(value)


MAX_FLOAT_INT = int(1.7976931348623157e308)


def _short(value) -> Any:
    """A long list shown as its length (an error message stays one short line)."""
    if isinstance(value, list) and len(value) > 10:
        return f"a list of {len(value):,} items"
    if isinstance(value, int) and abs(value) >= 10**100:  # repr() stops at 4,300 digits
        return f"a whole number of about {value.bit_length() * 0.30103:,.0f} digits"
    return value


def _choice(value, path: str, choices) -> str:
    if not isinstance(value, str) or value.lower() not in choices:
        raise fail(path, f"must be one of {', '.join(choices)}", value, choices)
    return value.lower()


def _object(value, path: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail(path, "must be a JSON object of option names to values", value)
    return dict(value)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:70]}… ({len(text)} characters)"
