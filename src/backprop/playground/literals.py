"""The playground's numbers and quotes: a number from the wire checked against its range, a
literal judged on its whole text, and a value quoted as a refusal or note shows it.

``number`` is the one check every number of a message, a link or the notebook widget goes
through: it raises nothing but ``ProtocolError`` (naming where, the rule and the value).
``read_float`` keeps a decimal literal's text so it is judged exactly (``Decimal``), not as
the float it rounds to; ``BigInteger`` is a JSON integer too long for ``int()``. ``show``
and ``show_key`` quote values and keys with bidi and invisible characters escaped (JSON's
ASCII escapes). ``fields`` re-exports these; this module knows no setting.
"""

from __future__ import annotations

import itertools
import json
import math
import numbers
import re
from decimal import Decimal, InvalidOperation
from typing import Any


class ProtocolError(ValueError):
    """A message or setting the server refuses; ``str(err)`` is shown in the page."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Literal(float):
    """A float read from decimal ``text``, which ``number`` judges (not what it rounds to)."""

    text: str


class Underflow(Literal):
    """0.0 read from a literal that is not zero (``1e-400``)."""


def read_float(text: str) -> float:
    """A decimal literal as a ``Literal`` (whole ``text``: judged whole, quoted by
    ``quote_literal``); one that is nonzero but reads as 0 (past float64's 4.9e-324) as an
    ``Underflow``, refused in words (sixth attacker P7: ``set stop_loss 1e-400`` turned the
    stop off; seventh attacker 6: a link's lr=0.0000099999…, below the 1e-5 minimum, was
    taken as 1e-05)."""
    value = float(text)
    zero = value == 0 and _NONZERO.search(text.lstrip("+-").split("e")[0].split("E")[0])
    value = (Underflow if zero else Literal)(value)
    value.text = text.strip()
    return value


def quote_literal(text: str) -> str:
    """A literal as a refusal quotes it: whole up to 40 characters, else its first 24 and
    last 12 characters and its length, so a cut never reads as another number (eighth
    attacker 1: "1." and 300 zeros "e39" was quoted as 1.000…0, a number in range)."""
    if len(text) <= 40:
        return text
    return f"{text[:24]}…{text[-12:]} ({len(text):,} characters)"


class BigInteger:
    """A JSON integer past Python's 4,300 digits of text (``int()`` refuses to read it):
    valid JSON, refused by ``number`` as out of range, naming its field (eighth attacker 10:
    it was "message is not valid JSON", cut mid-word)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        digits = self.text.lstrip("-")
        sign = self.text[: len(self.text) - len(digits)]
        return f"{sign}{digits[:12]}…{digits[-4:]} ({len(digits):,} digits)"


_NONZERO = re.compile("[1-9]")


def number(where: str, value: Any, low, high, whole: bool = False, field: str | None = None):
    """A number from the wire (a message or the notebook widget, JSON types), checked
    against ``low`` … ``high``: the one check every number of ``protocol`` goes through.

    It raises nothing but ``ProtocolError`` (naming ``where``, the rule and the value, cut
    to ``show``'s length): a JSON integer has no size limit, and one of 400 digits
    overflowed ``math.isfinite`` and ``float`` (fourth attacker trial: "Exception in ASGI
    application", the socket closed without a word). Integers are compared as integers,
    never converted before they are known to be in range; ``whole`` takes a float that is
    a whole number (1.0) as the integer, as JSON writers may send it. Returns an ``int``
    when ``whole``, else a ``float``."""
    kind = "a whole number" if whole else "a finite number"
    if isinstance(value, BigInteger):  # past int()'s 4,300 digits: past every range here
        raise ProtocolError(
            f"{where}: must be between {_num(low)} and {_num(high)}; got {value!r}.", field
        )
    if isinstance(value, Underflow):  # a nonzero literal that float() read as 0
        raise ProtocolError(
            f"{where}: {quote_literal(value.text)} is not 0 but too small for any number here "
            "(it would be read as 0, below float64's smallest, about 4.9e-324); type 0 for "
            "zero, or a larger value.",
            field,
        )
    if not isinstance(value, bool | int | float):  # NumPy's scalars (the notebook widget;
        if isinstance(value, numbers.Integral):  # numpy.bool_ is neither, as it should be)
            value = int(value)
        elif isinstance(value, numbers.Real):
            value = float(value)
    if isinstance(value, float) and whole and value.is_integer() and _integral(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"{where}: must be {kind}; got {show(value)}.", field)
    if isinstance(value, float) and not math.isfinite(value):
        if isinstance(value, Literal):  # 1e400: a number, past float64's range
            raise ProtocolError(
                f"{where}: must be between {_num(low)} and {_num(high)}; got "
                f"{quote_literal(value.text)}.",
                field,
            )
        raise ProtocolError(f"{where}: must be {kind}; got {show(value)}.", field)
    if whole and not isinstance(value, int):
        raise ProtocolError(f"{where}: must be {kind}; got {show(value)}.", field)
    if not _within(value, low, high):
        got = show(value) if not isinstance(value, Literal) else quote_literal(value.text)
        raise ProtocolError(
            f"{where}: must be between {_num(low)} and {_num(high)}; got {got}.", field
        )
    return value if whole else float(value)


def _integral(value: float) -> bool:
    """Whether a whole float is whole as written too (1.0000000000000000001 reads as 1.0)."""
    if not isinstance(value, Literal):
        return True
    try:
        exact = Decimal(value.text)
    except InvalidOperation:
        return True
    return exact == exact.to_integral_value()


def _within(value, low, high) -> bool:
    """``low <= value <= high``; a ``Literal`` on its text, exactly (``Decimal``), against
    the bounds as written (``repr``: 1e-05 is 0.00001, not its binary value)."""
    try:
        exact = Decimal(value.text) if isinstance(value, Literal) else None
    except InvalidOperation:  # text float() reads but Decimal does not: judged as read
        exact = None
    if exact is None:
        return low <= value <= high
    return Decimal(repr(low)) <= exact <= Decimal(repr(high))


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def show(value: Any) -> str:
    """A value as the refusal quotes it (JSON, at most 60 characters; an integer too long
    for that as its first and last digits and its count of digits)."""
    if isinstance(value, BigInteger | Literal):  # a literal as written
        return repr(value) if isinstance(value, BigInteger) else quote_literal(value.text)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**50:
        sign = "-" if value < 0 else ""
        if abs(value).bit_length() > 13_000:  # past Python's 4,300 digits of int -> str
            size = f"{abs(value).bit_length() * 0.30103:,.0f}"
            return f"a{' negative' if sign else 'n'} integer of about {size} digits"
        digits = str(abs(value))
        return f"{sign}{digits[:12]}…{digits[-4:]} ({len(digits)} digits)"
    value = _head(value)
    text = json.dumps(value) if _jsonable(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def show_key(key: Any, limit: int = 30) -> str:
    """A link's or message's key as a note names it: bare when it is printable ASCII (``lr``,
    ``task``), else as ``show`` quotes it (bidi controls and invisible characters escaped:
    eighth attacker 5, U+202E in a repeated key's note turned the status line around)."""
    if isinstance(key, str) and key[:limit].isascii() and key[:limit].isprintable():
        return key[:limit]
    return show(key[:limit] if isinstance(key, str) else key)


def _head(value: Any, depth: int = 0) -> Any:
    """As much of ``value`` as its first 60 characters of JSON can show: a list or object
    of more than 30 entries (at least 61 characters) as its first 30, a text of more than
    60 characters as its first 60, nested as deep as 60; so a message's value of a
    million entries is quoted at the cost of a few (issue 16, fifth attacker H3)."""
    if depth > 60:  # 61 brackets already fill the quote
        return None
    if isinstance(value, str):
        return value[:61]
    if isinstance(value, list):
        return [_head(v, depth + 1) for v in value[:31]]
    if isinstance(value, dict):
        return {k: _head(v, depth + 1) for k, v in itertools.islice(value.items(), 31)}
    return value


def _jsonable(value) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
