"""What clears a note: each note the server sends lasts as long as what it describes.

A note is plain text in a state message's ``notes``. Most answer the change just made (a
link's value ignored, a loss set to ``auto``) and stay until the next note replaces them.
Two kinds describe something that can change without a note: the **weights** (the |x − 1|
solution's measured loss, what the next Step does at a minimum) end when the weights
change — a Step, training, a typed weight, Reset, a new network; the **data** (a CSV's
standardised target, a constant column, a cleaned name) end when the data changes — the next
upload, another dataset or problem. The state message lists those in ``held``, each with
the weights or data it describes (``at``): the page drops one from its status line once a
snapshot's weights (``net``/``edits``/``steps``) or a data message's ``id`` differ (tenth
teacher: the solution's "training loss 5.4e-15" stayed after Reset beside a loss of 4.9; a
regression CSV's note stayed on the next, classification, file). Not a place for maths:
this only tags text.
"""

from __future__ import annotations

ENDS = ("weights", "data")


class Note(str):
    """A note's text, with what ends it (``ends``: 'weights' or 'data')."""

    ends = "change"
    names_hidden = False  # may name a setting the lesson hides (``locks.screen`` keeps it)


def names_hidden(note: Note) -> Note:
    """``note``, kept whole by ``locks.screen`` though it names a hidden setting: only for a
    fact the page would be a mystery without (Adam's first step at a minimum)."""
    note.names_hidden = True
    return note


def about(ends: str, text: str) -> Note:
    """``text`` as a note that lasts while the ``ends`` ('weights' or 'data') it describes."""
    if ends not in ENDS:
        raise ValueError(f"notes.about: ends must be one of {ENDS}; got {ends!r}.")
    note = Note(text)
    note.ends = ends
    return note


def weights_at(session) -> str:
    """The weights a snapshot shows: the network, the edits on it and the steps taken."""
    return f"{session.builds}/{session.edits}/{session.steps}"


def held(session, notes: list[str]) -> list[dict]:
    """The notes among ``notes`` (as sent) that end with the weights or data they describe."""
    at = {"weights": weights_at(session), "data": session.data_id}
    return [
        {"text": str(n), "ends": n.ends, "at": at[n.ends]}
        for n in notes
        if getattr(n, "ends", "change") in ENDS
    ]
