"""The playground's messages: what the page and the server send, and their checks.

Every message between page and server is one JSON object with ``"v": 1`` (``VERSION``)
and a ``"type"``. ``parse(text)`` checks a message from the page — JSON, size, type, every
field's kind and range (the settings by ``fields.check_changes``) — and returns it as a
dict, or raises ``ProtocolError`` whose text is sent back to the page as an ``error``
message; a key given twice in one object is refused (``json`` would keep the last one
silently). ``dumps`` (``wire.dumps``) writes a message to the page. This module trains
nothing and draws nothing.

Messages from the page::

    hello       {"url": {key: text}}            start (or restart) the tab's session; a key
                                                the link gives more than once: a list of its
                                                texts, in order (``lessons.repeated``)
    set         {"changes": {field: value},     change settings (partial); ``base``: the
                 "base": rev}                   state's ``rev`` the page made lists from
    play, pause, reset, regenerate, ping
    step        {"unit": "epoch" | "batch"}
    edit        {"kind": "weight" | "bias", "layer": l, "row": j, "col": i, "value": v,
                 "net": n}                      (``net``: the snapshot's, required, refused if
                                                rebuilt; no ``col`` for a bias)
    upload      {"name": file name, "text": CSV text}
    export      {"what": "model" | "spec"}
    ack         {"seq": n}                      the page drew snapshot n
    resync                                      send the whole curves (the page lost track)
    visibility  {"hidden": true | false}        the page was hidden or shown (no snapshots
                                                while hidden; a whole one when shown)
    preset      {"name": exercise}              start one of ``lessons.PRESETS`` (one change)
    solution                                    set the exercise's solution weights (checked
                                                against the network's shape and inputs)

Messages to the page: ``ready`` (state, URL hash, dataset previews, the link's lesson and
the exercises: ``lessons``), ``state``, ``data``
(points and feature thumbnails after a rebuild), ``snapshot``, ``export``, ``error``,
``pong``, ``edited`` (an edit was set; the snapshot after it shows it: the page's editor
stays open until then, or until the edit's ``error``).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import struct
from typing import Any

from .fields import (
    VERSION,
    BigInteger,
    ProtocolError,
    check_changes,
    number,
    read_float,
    show,
)
from .wire import dumps  # noqa: F401 - protocol.dumps, as the callers know it

MAX_MESSAGE = 1_500_000  # characters of one message; larger ones close the connection
MAX_CSV_BYTES = 1_000_000  # of an upload message, UTF-8 (the page refuses larger ones
# before sending: past MAX_MESSAGE bytes the transport closes the connection)
MAX_CSV_ROWS = 5_000
MAX_NAME = 200


TYPES = (
    "hello", "set", "play", "pause", "reset", "regenerate", "ping",
    "step", "edit", "upload", "export", "ack", "resync", "visibility", "preset", "solution",
)  # fmt: skip


# A literal's float is its text, as far as any range here can tell, when it has at most 15
# digits (float64 keeps 15 significant digits: distinct such decimals are distinct floats, in
# order) and an exponent of at most two digits (no underflow, no overflow). A message with a
# float (JSON's "." or "e" before a digit) that may be another (16 digits or dots in a row,
# e-400, 1e308, "1." and 300 zeros) has every float read by ``read_float`` and judged on its
# whole text (eighth attacker 1: 10.0000000000000000001 was taken as 10, "1" and 400 zeros
# "e-400" judged on its first 40 characters); the rest at json's own speed (no Python call per
# number: a message of 370,000 floats 0.17 s, not 1.3 s; the scans are C: 0.007 s over
# 700,000 zeros, where json.loads takes 0.13 s)
_FLOATS = re.compile(r"[.eE][+-]?[0-9]")
_INEXACT = re.compile(r"[0-9.]{16}|[eE][+-]?[0-9]{3}")


def parse(text: Any) -> dict:
    """One message from the page, checked; raises ``ProtocolError`` with what is wrong."""
    if isinstance(text, bytes):
        raise ProtocolError("messages must be JSON text, not binary frames.")
    if not isinstance(text, str):
        raise ProtocolError("messages must be JSON text.")
    if len(text) > MAX_MESSAGE:
        raise ProtocolError(f"message too large ({len(text)} characters; limit {MAX_MESSAGE}).")
    try:
        # a literal small enough to read as 0 (1e-400) is read by ``read_float``, which
        # marks it for ``number`` to refuse; the rest at json's own speed (no call per number)
        inexact = _FLOATS.search(text) and _INEXACT.search(text)
        exact = read_float if inexact else None
        msg = _loads(text, exact)
    except _Twice as exc:
        raise ProtocolError(
            f"message: the key {show(exc.args[0])} appears twice in one object; JSON does not "
            "say which one counts, so the message is refused. Send each key once.",
            exc.args[0] if isinstance(exc.args[0], str) else None,
        ) from None
    except (ValueError, RecursionError) as exc:
        why = str(exc)
        why = why if len(why) <= 80 else why[: why.rfind(" ", 0, 80)] + " …"
        raise ProtocolError(f"message is not valid JSON ({why}).") from None
    if not isinstance(msg, dict):
        raise ProtocolError("a message must be a JSON object with 'v' and 'type'.")
    if msg.get("v") != VERSION:
        raise ProtocolError(
            f"protocol version {show(msg.get('v'))} is not supported; this server speaks "
            f"v={VERSION}. Reload the page."
        )
    kind = msg.get("type")
    if kind not in TYPES:
        raise ProtocolError(f"unknown message type {show(kind)}; known: {', '.join(TYPES)}.")
    check = _CHECKS.get(kind)
    body = {k: v for k, v in msg.items() if k not in ("v", "type")}
    try:
        # the type's own check first: it refuses unknown fields and wrong kinds before
        # anything walks the message (a ping with a list of 700,000 numbers is refused by
        # its keys, not after a walk over every number: issue 16, fifth attacker H3)
        suspect = _MAYBE_SURROGATE.search(text) is not None or not _utf8(text)
        suspect = suspect and not _utf8(json.dumps(body, ensure_ascii=False))
        try:
            out = {"type": kind, **(check(body) if check else _no_fields(kind, body))}
        except ProtocolError:
            if suspect:  # a lone surrogate is the first thing to say (it names its place)
                _no_lone_surrogates(kind, body)
            raise
        if suspect:
            _no_lone_surrogates(kind, body)
            raise ProtocolError(  # past the walk's first _WALK items
                f"{kind}: holds a lone UTF-16 surrogate (past its first {_WALK:,} values), "
                "which is not a character; send UTF-8 text."
            )
        return out
    except ProtocolError:
        raise
    except Exception as exc:  # a check of ours that failed: refused in words, and logged
        logging.getLogger("backprop.playground").exception("playground: a check failed")
        raise ProtocolError(
            f"{kind}: the server could not check this message ({type(exc).__name__}); it was "
            "not used. Reload the page; if it happens again, report it with the message."
        ) from None


# JSON's \\uD800-\\uDFFF escapes (either case of the hex digits); a message without one (and
# without raw surrogates, which a socket's UTF-8 never holds) cannot hold a lone surrogate.
# One with one is written again (json.dumps, C) and encoded: only one that holds a lone
# surrogate is walked, to name its place, and that walk is capped (_WALK values). Every
# step costs within a small multiple of json.loads (issue 16, fifth attacker H3)
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_WALK = 10_000  # values looked at to name a lone surrogate's place


def _no_lone_surrogates(kind: str, body: dict) -> None:
    """Refuse text JSON's \\ud800 escapes made into lone UTF-16 surrogates: they are no
    characters, and no file, link or page could hold them (UTF-8 cannot encode them).
    Called on a message known to hold one (``json.dumps`` of it is no UTF-8): looks at
    ``_WALK`` values at most, naming the first one it finds."""
    todo: list = [((kind,), body)]  # (path as a chain of (parent, key), container)
    limit = _WALK
    while todo and limit > 0:
        where, value = todo.pop()
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        pairs = itertools.islice(pairs, limit)
        limit -= len(value)
        for key, item in pairs:
            for text in (key, item):
                if type(text) is str and not text.isascii() and not _utf8(text):
                    _refuse_surrogate(where, key, text)
            if isinstance(item, dict | list) and item:
                todo.append(((where, key), item))


def _refuse_surrogate(where: tuple, key, text: str) -> None:
    parts: list = []
    node: tuple = (where, key)
    while len(node) == 2:
        node, step = node
        parts.append(f"[{step}]" if isinstance(step, int) else f".{_safe(step)}")
    path = node[0] + "".join(reversed(parts))
    field = path.split(".", 1)[1].split(".")[0].split("[")[0] if "." in path else None
    if len(path) > 120:  # nested deep: its start and its end
        path = f"{path[:70]}…{path[-40:]}"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        at = exc.start
    raise ProtocolError(
        f"{path}: holds a lone UTF-16 surrogate (U+{ord(text[at]):04X} at character {at}), "
        "which is not a character; send UTF-8 text (save the file or name as UTF-8 and try "
        "again).",
        field,
    ) from None


def _safe(key: str) -> str:
    return key.encode("utf-8", "backslashreplace").decode("utf-8")  # \\ud800 as 6 characters


class _Twice(Exception):
    """A key given twice in one JSON object (``json`` would keep the last silently)."""


def _object(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set = set()
        for key, _ in pairs:
            if key in seen:
                raise _Twice(key)
            seen.add(key)
    return out


def _loads(text: str, exact) -> Any:
    """``json.loads`` with this protocol's rules; an integer past Python's 4,300 digits (valid
    JSON, which ``int()`` refuses to read) read again as a ``BigInteger`` for ``number`` to
    refuse as out of range, naming its field (only then: no call per integer)."""
    hooks = {"parse_constant": _no_constant, "object_pairs_hook": _object, "parse_float": exact}
    try:
        return json.loads(text, **hooks)
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
    return json.loads(text, parse_int=_int, **hooks)


def _int(text: str) -> int | BigInteger:
    try:
        return int(text)
    except ValueError:  # past sys.get_int_max_str_digits()
        return BigInteger(text)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _no_fields(kind: str, body: dict) -> dict:
    if body:
        raise ProtocolError(f"{kind}: takes no fields; got {', '.join(sorted(body))[:80]}.")
    return {}


def _only(kind: str, body: dict, allowed: tuple) -> None:
    extra = sorted(set(body) - set(allowed))
    if extra:
        raise ProtocolError(f"{kind}: unknown field(s) {', '.join(extra)[:80]}.")


def _hello(body: dict) -> dict:
    _only("hello", body, ("url",))
    url = body.get("url", {})
    if not isinstance(url, dict):
        raise ProtocolError("hello: 'url' must be an object of key: text.")
    return {"url": url}


def _set(body: dict) -> dict:
    _only("set", body, ("changes", "base"))
    out = {"changes": check_changes(body.get("changes"))}
    if "base" in body:  # the state (its ``rev``) the page made the changes from
        out["base"] = number("set: 'base'", body["base"], 0, 2**53, whole=True, field="base")
    return out


def _step(body: dict) -> dict:
    _only("step", body, ("unit",))
    unit = body.get("unit", "epoch")
    if unit not in ("epoch", "batch"):
        raise ProtocolError(f"step: 'unit' must be 'epoch' or 'batch'; got {show(unit)}.")
    return {"unit": unit}


FLOAT32_TINY = 1.1754943508222875e-38  # float32's smallest normal number


def _edit(body: dict) -> dict:
    kind = body.get("kind")
    if kind not in ("weight", "bias"):
        raise ProtocolError(f"edit: 'kind' must be 'weight' or 'bias'; got {show(kind)}.")
    if kind == "bias" and "col" in body:
        raise ProtocolError(
            "edit: a bias has no 'col' (it belongs to one neuron: 'layer' and 'row'); got "
            f"col={show(body['col'])}. Send a bias without 'col', or kind 'weight'."
        )
    _only("edit", body, ("kind", "layer", "row", "col", "value", "net"))
    out: dict = {"kind": kind}
    for key in ("layer", "row") + (("col",) if kind == "weight" else ()):
        out[key] = number(f"edit: '{key}'", body.get(key), 0, 10_000, whole=True,
                          field=f"edit.{key}")  # fmt: skip
    name = weight_name(out)
    value = number(f"edit: {name}", body.get("value"), -1e4, 1e4, field="edit.value")
    # refused when float32 holds it as 0 or a subnormal (fewer digits): float32's rounding
    # decides, not the float64 value (1.17549435e-38 is float32's smallest normal, exactly)
    if value != 0 and abs(struct.unpack("f", struct.pack("f", value))[0]) < FLOAT32_TINY:
        raise ProtocolError(
            f"edit: {name} = {value!r} is too small for the network's float32 numbers (the "
            f"smallest is ±1.1754944e-38; {value!r} would be stored as 0 or without its "
            "digits). Type 0, or a value of at least 1.1754944e-38 in size.",
            "edit.value",
        )
    out["value"] = value
    # the snapshot's ``net``: the network the value was typed on (a value typed on another
    # network, or naming none, is never set on the current one)
    if "net" not in body:
        raise ProtocolError(
            "edit: 'net' must be the snapshot's 'net' the value was typed on (a whole number "
            "≥ 0); got none. Send the snapshot's 'net'.",
            "edit.net",
        )
    out["net"] = number("edit: 'net'", body["net"], 0, 2**53, whole=True, field="edit.net")
    return out


def weight_name(edit: dict) -> str:
    """The edited number in the lecture's notation, as the page's editor names it: w[l]ᵢⱼ
    from neuron i of layer l−1 to neuron j of layer l, b[l]ⱼ (1-based; PyTorch's weight
    [row = to j, col = from i]); indices past 9 separated by a comma (w[1]₁₀,₃)."""
    if edit["kind"] == "bias":
        return f"b[{edit['layer']}]{_sub(edit['row'] + 1)}"
    return f"w[{edit['layer']}]{_sub(edit['col'] + 1, edit['row'] + 1)}"


def _sub(*numbers: int) -> str:
    parts = [str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")) for n in numbers]
    return ("," if any(n > 9 for n in numbers) else "").join(parts)


def _upload(body: dict) -> dict:
    _only("upload", body, ("name", "text"))
    name, text = upload_name(body.get("name", "data.csv")), body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ProtocolError("upload: the file is empty; a CSV needs a header row and data rows.")
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_CSV_BYTES:
        raise ProtocolError(
            f"upload: the file is too large ({size:,} bytes as UTF-8; the playground takes "
            f"up to {MAX_CSV_BYTES:,}). Use a sample of it, or train it with 'backprop train'."
        )
    return {"name": name, "text": text}


def upload_name(name: Any) -> str:
    """An uploaded file's name, checked: its last part (after any folder; the page sends
    the name only) is a name. ``filenames.kept`` makes it the name the session and the
    exported spec keep (folders dropped, ...), saying any change in a note."""
    plain = isinstance(name, str) and len(name) <= MAX_NAME
    plain = plain and not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in name)
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() if plain else ""
    if base in ("", ".", ".."):
        raise ProtocolError(
            f"upload: 'name' must be the file's name: text of at most {MAX_NAME} characters, "
            "without control characters (NUL, newline, tab), not '.' or '..'; got "
            f"{show(name)}. Rename the file and upload it again."
        )
    return name


def _export(body: dict) -> dict:
    _only("export", body, ("what",))
    what = body.get("what")
    if what not in ("model", "spec"):
        raise ProtocolError(f"export: 'what' must be 'model' or 'spec'; got {show(what)}.")
    return {"what": what}


def _preset(body: dict) -> dict:
    _only("preset", body, ("name",))
    name = body.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= 40:
        raise ProtocolError(f"preset: 'name' must be an exercise's name; got {show(name)}.")
    return {"name": name}


def _ack(body: dict) -> dict:
    _only("ack", body, ("seq",))
    return {"seq": number("ack: 'seq'", body.get("seq"), 0, 2**53, whole=True, field="seq")}


def _visibility(body: dict) -> dict:
    _only("visibility", body, ("hidden",))
    hidden = body.get("hidden")
    if not isinstance(hidden, bool):
        raise ProtocolError(f"visibility: 'hidden' must be true or false; got {show(hidden)}.")
    return {"hidden": hidden}


_CHECKS = {
    "hello": _hello,
    "set": _set,
    "step": _step,
    "edit": _edit,
    "upload": _upload,
    "export": _export,
    "ack": _ack,
    "preset": _preset,
    "visibility": _visibility,
}
