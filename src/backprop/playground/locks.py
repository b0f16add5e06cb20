"""What a lesson link's hidden and locked controls forbid, checked on the state a change makes.

A lesson (``lessons.read``) names controls from ``lessons.CONTROLS``; each control owns
settings, and every setting of ``fields.FIELDS`` belongs to one control (``owner``). A
``set``, an upload or a preset is checked on the settings it RESULTS in, after
``settings.reconcile`` has made them agree: a locked setting that a change would move — by
naming it, or through another setting (a 1-D dataset swaps the input features; a new layer
needs an activation) — is refused, whatever the message named. A locked activation follows
the layer count as the lesson opened it (layer i keeps its activation, new layers take the
last, with a note when the change asked for another), so adding and removing layers never
leads to a refusal that cannot be undone; a message that changes the activation of a layer
that exists is refused.
Actions that are not settings (typing a weight, an upload, an export, the solution) are
checked by ``check_action``. This module trains nothing and sends nothing.
"""

from __future__ import annotations

import re

from . import fields
from .fields import FIELDS, ProtocolError

# what a refusal tells the student: who chose the lock, not how to take it off (how a
# teacher makes a link without it is in docs/playground.md and the lesson dialog)
BY_TEACHER = "Your teacher set this for the exercise."

# control -> the other controls whose lock or hiding refuses every use of it too (the
# actions' ``check_action`` calls: an upload is refused with the dataset locked, the
# solution with typing locked). The page draws such a control disabled with that reason
# (lessons.js), and the lesson dialog warns when a link would show it useless.
REFUSED_WITH: dict[str, tuple[str, ...]] = {"upload": ("dataset",), "solution": ("weights",)}


def hides_backward(lesson: dict | None, state: dict) -> bool:
    """Whether the page shows no backward numbers (∂E/∂w, ∂E/∂b, mean |δ|): the lesson hides
    the Backward view control and the view is the weights. The snapshots then leave them out
    (a lesson link guides, it does not guard; what it hides is not sent where that is cheap).
    Each layer's gradient norm and their curve (one number a layer an epoch; the page hides
    their chart) are still sent: the curves' bookkeeping (``curves``) stays one path."""
    return "view" in (lesson or {}).get("hide", ()) and state.get("view") != "gradients"


# control -> the words by which a server note (or why a run stopped) names its setting: the
# page prints a hidden control's setting nowhere (lessons.js ``setting``), and the server's
# notes went round that rule ("Adam's first step ... the learning rate" with the optimizer and
# the learning rate hidden; "Stopped at epoch 5, past the 3 epochs set" with stop hidden)
_SETS = "|".join(d for d in fields.DATASETS if d != "csv")
NAMED_BY: dict[str, re.Pattern] = {
    name: re.compile(words, re.IGNORECASE)
    for name, words in {
        "lr": r"learning[ -]rate|\blr\b|η",
        "optimizer": r"\b(?:adam|rmsprop|sgd|momentum|optimi[sz]er)\b",
        "stop": r"\bstop(?:ped|s)?\b|stop_epochs|stop_loss",
        "regularization": r"regulari[sz]ation|\bL[12]\b|reg_rate",
        "loss": r"\b(?:" + "|".join(fields.LOSSES[1:]) + r")\b|cross-entropy",
        "batch_size": r"\bbatch(?:es|_size)?\b",
        "activation": r"\b(?:activations?|relu|tanh|sigmoid|step function|linear)\b",
        "network": r"\bhidden layers?\b|\bneurons?\b",
        "features": r"\bfeatures?\b|\bx[12]\b|sin x|x²",
        "dataset": rf"\b(?:{_SETS})\b|\buploaded CSV\b|\bdataset\b",
        "noise": r"\bnoise\b",
        "train_ratio": r"\btrain(?:ing)? ratio\b|train_ratio",
        "seed": r"\bseed\b",
        "classes": r"\bclasses\b",
    }.items()
}
NOTE_HIDDEN = "(A note naming a setting hidden by this lesson is not shown.)"
STOP_HIDDEN = "Stopped (why names a setting hidden by this lesson; Reset starts again)."


def names_hidden(lesson: dict | None, text: str) -> bool:
    """Whether ``text`` names the setting of a control the lesson hides (``NAMED_BY``)."""
    hidden = (lesson or {}).get("hide", ())
    return any(c in NAMED_BY and NAMED_BY[c].search(text) for c in hidden)


def screen(lesson: dict | None, notes: list[str]) -> list[str]:
    """The server's notes as the page may print them under ``lesson``: each one naming a
    hidden control's setting in its place says only that it is not shown (once). The link's
    own notes ("link: ...") stay: they are about the link's text, which the page has, and so
    does a note marked ``notes.names_hidden`` (Adam's first step at a minimum)."""
    out = [
        n
        if n.startswith("link:") or getattr(n, "names_hidden", False) or not names_hidden(lesson, n)
        else NOTE_HIDDEN
        for n in notes
    ]
    return list(dict.fromkeys(out))


def owner(name: str) -> str:
    """The control a setting belongs to (every setting has one)."""
    from .lessons import CONTROLS

    for control, (_, names) in CONTROLS.items():
        if name in names:
            return control
    raise KeyError(name)


def closed(lesson: dict | None) -> dict[str, str]:
    """The lesson's unusable controls: name -> 'hidden' or 'locked'."""
    if not lesson:
        return {}
    out = {c: "locked" for c in lesson["lock"]}
    out.update({c: "hidden" for c in lesson["hide"]})
    return out


def guard(lesson: dict | None, new: dict, old: dict, changes: dict, start: dict) -> list[str]:
    """Refuse the resulting settings ``new`` if they move a locked or hidden setting.

    ``old`` is the state before the change, ``changes`` what the message named, ``start``
    the state the lesson opened with (a locked activation follows its layers). ``new`` is
    the state after ``settings.reconcile``; a locked activation is set in it here. Returns
    the notes for the page: a new layer that takes the locked activation where the change
    asked for another says so (it was silent: relu became tanh).
    """
    shut = closed(lesson)
    notes: list[str] = []
    if not shut:
        return notes
    if "activation" in shut:
        acts = list(start.get("activation") or old["activation"] or ["tanh"])
        follow = [acts[min(i, len(acts) - 1)] for i in range(len(new["hidden"]))]
        asked, kept = changes.get("activation", []), old["activation"]
        if any(a != kept[i] for i, a in enumerate(asked[: len(kept)])):  # a layer's own
            _refuse(lesson, "activation", shut["activation"], "activation")
        wanted = list(new["activation"])
        moved = [i for i in range(len(kept), len(follow)) if i < len(wanted)
                 and wanted[i] != follow[i]]  # fmt: skip
        if moved:
            from .lessons import CONTROLS

            layers = ", ".join(str(i + 1) for i in moved)
            notes.append(
                f"{CONTROLS['activation'][0]} is {shut['activation']} by this lesson link: "
                f"the new layer{'s' if len(moved) > 1 else ''} {layers} "
                f"use{'' if len(moved) > 1 else 's'} {follow[moved[0]]}, the lesson's, not "
                f"{wanted[moved[0]]}."
            )
        new["activation"] = follow
    for name in FIELDS:
        control = owner(name)
        if control in shut and control != "activation" and new[name] != old[name]:
            named = name if name in changes else next(iter(changes), name)
            _refuse(lesson, control, shut[control], name, named)
    return notes


def _refuse(lesson, control: str, how: str, name: str, named: str | None = None) -> None:
    from .lessons import CONTROLS

    label = CONTROLS[control][0]
    through = "" if named in (None, name) else f" (it would change {name})"
    raise ProtocolError(
        f"set {named or name}: {label} is {how} by this lesson link{through}. {BY_TEACHER}",
        named or name,
    )


def check_locked(lesson: dict | None, changes: dict, state: dict) -> list[str]:
    """``guard`` for changes that need no reconciling (tests, a quick check)."""
    return guard(lesson, {**state, **changes}, state, changes, state)


def check_action(lesson: dict | None, *controls: str) -> None:
    """Refuse an action (typing a weight: ``weights``; an upload: ``upload``, ``dataset``;
    ``export``; the solution: ``solution``, ``weights``) the lesson locks or hides."""
    from .lessons import CONTROLS

    shut = closed(lesson)
    for control in controls:
        if control in shut:
            raise ProtocolError(
                f"{CONTROLS[control][0]} is {shut[control]} by this lesson link. {BY_TEACHER}"
            )


def hold_stop(lesson: dict | None, session, what: str) -> None:
    """Refuse Play, Step or 1 batch (``what``) once a run has met the stop the lesson locks
    or hides (``stop_epochs`` reached, or the loss target met). Without such a lesson a stop
    met is a pause point, not a wall: Play and Step train on from it until the next stop set
    or a pause (``training``'s epochs, ``curves.StopAtLoss.passed``). A lesson's locked or
    hidden stop is the exercise's end, so it holds: only Reset, from epoch 0, goes on."""
    how = closed(lesson).get("stop")
    stop = session.state["stop_epochs"]
    if how is None or session.status.diverged:
        return
    if not (0 < stop <= session.epoch or session.status.stopped):
        return
    from .lessons import CONTROLS

    # a hidden stop's epoch is not said (the page prints a hidden setting nowhere)
    why = "the end this exercise sets" if how == "hidden" else (
        f"its stop condition at epoch {session.epoch}")  # fmt: skip
    session.status.running = False
    raise ProtocolError(
        f"{what}: {CONTROLS['stop'][0]} is {how} by this lesson link and the run has met "
        f"{why}; press Reset to train again from epoch 0. {BY_TEACHER}"
    )
