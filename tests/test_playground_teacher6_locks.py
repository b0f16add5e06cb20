"""Issue 16, the sixth teacher's lock findings on the server's side (no browser).

A refusal told students how to remove the lock ("open the playground without the lesson
part of the link"); it now says who chose it. The controls whose every use another lock
refuses (``locks.REFUSED_WITH``: an upload with the dataset locked, the solution with
typing locked) are what the page draws disabled, so each pair is checked against what the
server really refuses. Each test fails on the code the teacher ran.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from backprop.playground import lessons, locks
from backprop.playground.connection import Connection
from playground_helpers import Sink, msg

CSV = "a,b,label\n" + "\n".join(f"{i % 7 - 3},{i % 5 - 2},{i % 2}" for i in range(40)) + "\n"
# what each control's use is, as a message
USES = {"upload": ("upload", {"name": "mine.csv", "text": CSV}), "solution": ("solution", {})}


def _open(url: dict) -> Connection:
    conn = Connection(Sink())
    asyncio.run(conn.handle(msg("hello", url={"v": "1", "seed": "3", **url})))
    return conn


def _errors(conn: Connection, type_: str, **body) -> list[str]:
    conn.ws.sent.clear()
    asyncio.run(conn.handle(json.dumps({"v": 1, "type": type_, **body})))
    return [m["message"] for m in conn.ws.sent if m["type"] == "error"]


@pytest.mark.parametrize(
    ("control", "other"),
    [(c, o) for c, others in locks.REFUSED_WITH.items() for o in others],
)
@pytest.mark.parametrize("how", ["lock", "hide"])
def test_every_use_of_a_control_is_refused_while_the_table_says(control, other, how):
    kind, body = USES[control]
    conn = _open({"lesson": "abs", how: other})
    said = _errors(conn, kind, **body)
    assert said, (control, other)
    label = lessons.CONTROLS[other][0]
    assert label in said[0] and locks.BY_TEACHER in said[0], said
    assert lessons.table(conn.lesson)["refused_with"][control] == list(locks.REFUSED_WITH[control])
    free = _open({"lesson": "abs"})  # without the lock the same use goes through
    assert not _errors(free, kind, **body)


@pytest.mark.parametrize(
    ("url", "kind", "body"),
    [
        ({"lock": "lr"}, "set", {"changes": {"lr": 1}}),
        ({"hide": "network"}, "set", {"changes": {"hidden": [3]}}),
        ({"lock": "export"}, "export", {"what": "spec"}),
        ({"lock": "weights"}, "edit", {"kind": "bias", "layer": 1, "row": 0, "value": 1.0}),
    ],
)
def test_a_refusal_says_the_teacher_set_it_and_not_how_to_remove_it(url, kind, body):
    conn = _open({"lesson": "abs", **url})
    if kind == "edit":
        body = {**body, "net": conn.session.builds}
    said = _errors(conn, kind, **body)
    assert said and "by this lesson link" in said[0], said
    assert "teacher" in said[0], said
    assert "lesson part" not in said[0] and "open the playground" not in said[0], said
