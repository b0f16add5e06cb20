"""Issue 16, seventh attacker: a cleaned header rewrote the file's rows (item 1), features
kept when the data's dimension changes (item 2), hidden settings named in notes (item 3)."""

from __future__ import annotations

import pytest

from backprop.playground import uploads
from backprop.playground.protocol import ProtocolError

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")

PLAIN, HIDDEN = "a,b,y", "a,b,\u200by"  # the second header is cleaned on upload
ROWS = [f"{i % 7 / 3:.3f},{i % 5 / 2:.3f},{i % 2}" for i in range(12)]


def outcome(text: str):
    """What an upload makes of ``text``: the words of its refusal, or the rows it read."""
    try:
        parsed = uploads.prepare("f.csv", text, 75, 1)
    except ProtocolError as exc:
        return "refused", str(exc)
    data = parsed.data
    return "read", len(data.x) + len(data.x_test), data.x.tolist(), data.y.tolist()


# -- item 1: only the header record is cleaned; the body is read as the file has it -------------
# before: the whole text was re-joined by str.splitlines, which also ends a line at \x0c, \x85
# or U+2028 (CSV does not): a \x0c inside a row became two rows, U+2028-separated rows were
# accepted, and error messages quoted a file the user never wrote
@pytest.mark.parametrize(
    "body",
    [
        "\n".join([*ROWS[:6], "1.0,2.0\x0c0.5,3.0,1", *ROWS[6:]]),  # \x0c inside a row
        "\u2028".join(ROWS),  # rows separated by U+2028 only
        "\n".join([*ROWS[:6], "1.0,2.0\x85x,1", *ROWS[6:]]),  # a bad cell holding \x85
        "\r\n".join([*ROWS[:4], "1.0,2.0\x1e3.0,0", *ROWS[4:]]),
    ],
    ids=["x0c-in-a-row", "u2028-rows", "x85-in-a-cell", "x1e-in-a-row"],
)
def test_the_body_is_judged_the_same_with_or_without_a_cleaned_header(body):
    plain, hidden = outcome(f"{PLAIN}\n{body}\n"), outcome(f"{HIDDEN}\n{body}\n")
    assert hidden == plain


def test_a_cleaned_header_leaves_the_rows_byte_for_byte():
    body = "1,2\x0c3,0\r\n4,5\u2028,1\r5,6,\x851\n"
    _, text, notes, renamed = uploads.clean_upload("f.csv", f"\n{HIDDEN}\r\n{body}")
    assert notes and text == f"\n{PLAIN}\r\n{body}"
    assert renamed == (("\u200by", "y"),)


# before: the exported spec named the cleaned target 'y' and said nothing, so
# `backprop train spec.json` next to the uploaded file failed ("target must be a column")
def test_the_export_says_the_columns_were_renamed():
    from backprop.playground.session import Session

    session = Session({"seed": 1})
    session.upload("f.csv", HIDDEN + "\n" + "\n".join(ROWS) + "\n")
    gaps = session.spec_gaps()
    assert any("\\u200by" in g and "rename" in g for g in gaps), gaps
    assert session.spec()["data"]["target"] == "y"
