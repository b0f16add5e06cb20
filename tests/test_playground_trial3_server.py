"""The server's items from issue 16's third attacker and teacher trials (A4, A5, A7, A8, A9).

Each test drives the server as a tab does (``Connection.handle`` on the page's messages,
answers kept by a ``Sink``) and checks against what the attacker's scripts found: each fails
on the code the trial ran.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from playground_helpers import Sink, msg

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")


def tab(settings: dict | None = None):
    """A connection with a session, as after the page's ``hello``."""
    from backprop.playground.connection import Connection

    conn = Connection(Sink())
    asyncio.run(conn.handle(msg("hello", url={k: str(v) for k, v in (settings or {}).items()})))
    return conn


def send(conn, message_type: str, /, **fields) -> list[dict]:
    """One message from the page; the messages the server answered with."""
    before = len(conn.ws.sent)
    asyncio.run(conn.handle(json.dumps({"v": 1, "type": message_type, **fields})))
    return conn.ws.sent[before:]


def errors(answers: list[dict]) -> list[str]:
    return [m["message"] for m in answers if m["type"] == "error"]


# -- A5: exports after a divergence --------------------------------------------------------
# the attacker's t13.py: diverges in epoch 0, batch 4 (one sample per batch)
DIVERGES = {"dataset": "plane", "lr": "10", "activation": "relu", "hidden": "16,16,16",
            "batch_size": "1", "seed": "1", "noise": "50"}  # fmt: skip


@pytest.mark.parametrize("what", ["model", "spec"])
def test_exports_after_a_divergence_are_refused_in_words(what):
    conn = tab(DIVERGES)
    send(conn, "step", unit="epoch")
    assert conn.session.status.diverged
    answers = send(conn, "export", what=what)
    said = errors(answers)
    assert said and "diverged" in said[0] and "Reset" in said[0]
    assert not [m for m in answers if m["type"] == "export"]
    send(conn, "reset", **{})
    assert [m for m in send(conn, "export", what=what) if m["type"] == "export"]


# -- A4: a CSV whose range the page cannot draw ----------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_a_csv_column_from_minus_to_plus_1e308_is_refused_whatever_the_split(seed):
    # t7.py: accepted for some seeds, then every step answered only "... is NaN"
    conn = tab({"seed": str(seed)})
    answers = send(conn, "upload", name="a.csv", text="x,y\n1e308,2\n-1e308,4\n5,6\n7,8\n")
    said = errors(answers)
    assert said and "'x'" in said[0] and "-1e+308 to 1e+308" in said[0], said
    assert conn.session.state["dataset"] != "csv"
    assert [m for m in send(conn, "step", unit="epoch") if m["type"] == "snapshot"]
