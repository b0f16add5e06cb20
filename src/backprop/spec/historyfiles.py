"""The text of a run folder's ``history.csv`` and ``history.json``, column by column.

``History.to_csv`` and ``History.to_json`` (``backprop.train.history``) define the two files;
this module writes the same bytes without walking a run row by row in Python: the CSV is
joined from whole columns, and the JSON's long number lists go through the C encoder, then
are laid out as ``json.dumps(..., indent=2)`` lays them out (one value a line). A 10,000-epoch
run's history is a few milliseconds instead of a fifth of a second; the tests compare both
files byte for byte with ``History``'s own writers. It formats; it does not write files.
"""

from __future__ import annotations

import csv
import io
import json

_LONG = 16  # lists of numbers at least this long go through the C encoder
_PLAIN = frozenset({int, float, bool, type(None)})  # what the C encoder spells as Python does


def history_texts(history) -> tuple[str, str]:
    """The text of ``history.csv`` and of ``history.json`` (each value is turned into text once:
    ``repr`` of a float is also its JSON spelling)."""
    reprs = {key: list(map(repr, values)) for key, values in history.history.items()}
    return _csv(history, reprs), _json(history, reprs)


def _csv(history, reprs: dict[str, list[str]]) -> str:
    """What ``history.to_csv`` writes: ``epoch,<metric>,…``, a row per epoch, floats as
    ``repr``, an empty cell where a metric was not measured that epoch."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(["epoch", *history.history])
    epochs = history.epochs
    if not epochs:
        return header.getvalue()
    columns = [list(map(str, epochs))]
    for key, texts in reprs.items():
        at = history.epochs_of(key)
        if at == epochs:
            columns.append(texts)
        else:
            measured = dict(zip(at, texts))
            columns.append([measured.get(epoch, "") for epoch in epochs])
    return header.getvalue() + "\n".join(map(",".join, zip(*columns))) + "\n"


def _json(history, reprs: dict[str, list[str]]) -> str:
    """What ``history.to_json`` writes: ``to_dict()`` as strict JSON, indented by 2."""
    data = history.to_dict()
    lists = data.get("history")
    if not isinstance(lists, dict) or list(lists) != list(reprs):
        return json.dumps(data, indent=2, allow_nan=False) + "\n"
    for key, texts in reprs.items():
        if len(lists[key]) != len(texts):
            return json.dumps(data, indent=2, allow_nan=False) + "\n"
        # to_dict writes a non-finite value as null
        if not _NOT_FINITE.isdisjoint(texts):
            texts = [t if t not in _NOT_FINITE else "null" for t in texts]
        lists[key] = _Spelt(texts)
    return dumps_indent2(data) + "\n"


_NOT_FINITE = frozenset({"nan", "inf", "-inf"})


class _Spelt(list):
    """A list whose values are already spelt as JSON."""


def dumps_indent2(obj) -> str:
    """``json.dumps(obj, indent=2, allow_nan=False)``, the same text, faster when ``obj``
    holds long lists of numbers (each is encoded in C, then set one value a line)."""
    lists: list[list[str]] = []
    shell = _hollow(obj, lists)
    if not lists:
        return json.dumps(obj, indent=2, allow_nan=False)
    text = json.dumps(shell, indent=2, allow_nan=False)
    pieces = []
    start = 0
    for i, values in enumerate(lists):
        token = json.dumps(_token(i))
        at = text.find(token, start)
        if at < 0 or text.count(token) != 1:  # a string in obj looked like a token
            return json.dumps(_filled(obj), indent=2, allow_nan=False)
        line = text[text.rfind("\n", 0, at) + 1 : at]  # the key's line; values one level in
        depth = len(line) - len(line.lstrip(" "))
        inner = "\n" + " " * (depth + 2)
        pieces.append(text[start:at])
        pieces.append("[" + inner + ("," + inner).join(values) + "\n" + " " * depth + "]")
        start = at + len(token)
    pieces.append(text[start:])
    return "".join(pieces)


def _hollow(obj, lists: list[list[str]]):
    """``obj`` with every long list of plain numbers replaced by a token; ``lists`` gets
    the JSON spelling of each list's values."""
    if isinstance(obj, _Spelt):
        if not obj:
            return []
        lists.append(obj)
        return _token(len(lists) - 1)
    if isinstance(obj, dict):
        return {key: _hollow(value, lists) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        if len(obj) >= _LONG and _PLAIN.issuperset(map(type, obj)):
            lists.append(json.dumps(obj, allow_nan=False)[1:-1].split(", "))
            return _token(len(lists) - 1)
        return [_hollow(value, lists) for value in obj]
    return obj


def _filled(obj):
    """``obj`` with its ``_Spelt`` lists read back as numbers (the slow path's input)."""
    if isinstance(obj, _Spelt):
        return [json.loads(v) for v in obj]
    if isinstance(obj, dict):
        return {key: _filled(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [_filled(value) for value in obj]
    return obj


def _token(i: int) -> str:
    return f"\ue000history-list-{i}\ue000"
