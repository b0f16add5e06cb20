"""Lesson links: what a link hides, locks and asks; the controls a lesson names.

A teacher hands out a link that opens an exercise with some controls hidden or locked and
a one-line task shown on the page. Besides the settings (``fields``), a link may carry::

    lesson=abs              one of PRESETS: its settings are the start, the link's own
                            settings override them; the page offers what the preset has
                            (the |x − 1| preset's "show solution")
    hide=lr,optimizer       controls the page does not show (names from CONTROLS)
    lock=network,dataset    controls shown but not usable; the server refuses their changes
    task=Find%20the%20...   the task, shown on the page as plain text (never HTML)

TensorFlow Playground keeps one ``<control>_hide=true`` key per hidden control and has no
locks; here ``hide`` and ``lock`` are lists, so one key says it (``lr_hide=true`` is read
too, for a control of this page). ``start(url)`` splits these
keys from a link, checks them like any other input (unknown names, oversized or malformed
values and control characters are dropped with a note; the task is at most ``MAX_TASK``
characters) and returns the settings to start from; ``table`` is what the page gets of
the lessons: the exercises (``exercises.PRESETS``, the lecture's, which ``lesson=`` names)
and the controls. This module trains nothing.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from . import fields, plaintext, tflinks
from .exercises import PRESETS, called
from .fields import ProtocolError
from .locks import BY_TEACHER, REFUSED_WITH
from .plaintext import MAX_MARKS
from .settings import CSV_INSTEAD

MAX_TASK = 200  # characters of the task line (decoded; the dialog allows as many)
TASK_RULE = "counted as Unicode code points after NFC normalisation, as the dialog counts"
MAX_ENCODED = 12 * MAX_TASK  # characters of a lesson entry as the link carries it
TASK_READ = 8 * MAX_ENCODED  # of a longer task entry, what is read (and cleaned, cut)
LESSON_KEYS = ("lesson", "hide", "lock", "task")

# control name -> (what the "copy lesson link" dialog calls it, the settings it changes)
CONTROLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "presets": ("Lecture exercises (preset buttons)", ()),
    "solution": ("Show solution button", ()),
    "dataset": ("Dataset, problem type and data size", ("dataset", "problem", "n")),
    "features": ("Input features", ("features",)),
    "network": ("Hidden layers and neurons", ("hidden",)),
    "activation": ("Activation", ("activation",)),
    "lr": ("Learning rate", ("lr",)),
    "optimizer": ("Optimizer", ("optimizer",)),
    "regularization": ("Regularization and its rate", ("regularization", "reg_rate")),
    "loss": ("Loss", ("loss",)),
    "noise": ("Noise", ("noise",)),
    "train_ratio": ("Ratio of training to test data", ("train_ratio",)),
    "batch_size": ("Batch size", ("batch_size",)),
    "classes": ("Classes", ("classes",)),
    "seed": ("Seed and Regenerate", ("seed",)),
    "upload": ("Upload CSV", ()),
    "weights": ("Typing weights and biases", ()),
    "view": ("Backward view", ("view",)),
    "show_test": ("Show test data", ("show_test",)),
    "discretize": ("Discretize output", ("discretize",)),
    "speed": ("Speed", ("speed",)),
    "stop": ("Stop conditions", ("stop_epochs", "stop_loss")),
    "export": ("Exports", ()),
    "lesson_link": ("Copy lesson link", ()),
}


def table(lesson: dict | None = None) -> dict:
    """What the page gets in ``ready``: the presets and the controls' names. A lesson that
    hides or locks Show solution or typing weights (the server refuses the solution then:
    ``locks.check_action``) gets no solution weights (``solution`` is only ``true``)."""
    shut = {*(lesson or {}).get("hide", ()), *(lesson or {}).get("lock", ())}
    presets = PRESETS if not shut & {"solution", "weights"} else {
        name: {**p, "solution": True, "solution_text": ""} if p.get("solution") else p
        for name, p in PRESETS.items()
    }  # fmt: skip
    return {
        "presets": presets,
        "controls": {name: label for name, (label, _) in CONTROLS.items()},
        # the settings each control owns: the page greys out an exercise a lock would refuse
        "settings": {name: list(keys) for name, (_, keys) in CONTROLS.items() if keys},
        "max_task": MAX_TASK,
        "task_rule": "nfc_code_points",  # the page's dialog counts as _task does
        "max_marks": MAX_MARKS,
        "refused_with": {name: list(others) for name, others in REFUSED_WITH.items()},
        "by_teacher": BY_TEACHER,  # how a refusal ends (locks.py): who chose the lock
        "csv_instead": CSV_INSTEAD,  # what a link from a CSV page opens on, by problem
    }


def empty() -> dict:
    return {"preset": "", "hide": [], "lock": [], "task": "", "hash": ""}


EXERCISE_NETWORK = ("dataset", "hidden", "activation")  # what makes a page an exercise


def marked(lesson: dict | None, state: dict, keys=("dataset",)) -> tuple[dict | None, str]:
    """``lesson`` with its exercise mark only while ``state`` has the exercise's ``keys``
    (a link: its data and network, ``EXERCISE_NETWORK``; a change: its data, which an
    upload or another dataset replaces), and the note saying a mark was dropped ("").
    A page marked "y = x²" on an uploaded CSV, or "Sigmoid × 6" on a 4-2 tanh net, named
    an exercise it was not set up as; its link carried ``lesson=`` on."""
    name = (lesson or {}).get("preset")
    if not name or name not in PRESETS:
        return lesson, ""
    want = PRESETS[name]["settings"]
    if all(state.get(k) == want[k] for k in keys if k in want):
        return lesson, ""
    lesson = {**lesson, "preset": ""}
    lesson["hash"] = to_url(lesson)
    what = "data" if keys == ("dataset",) else "data and network"
    return lesson, (
        f"{called(name, lesson)} is not marked: this page's {what} are not the "
        "exercise's; its button starts it."
    )


def start(url: dict) -> tuple[dict, dict, list[str]]:
    """A link's ``key: text`` pairs → (the settings it names, its lesson, notes).

    The lesson keys are taken out and checked here; the settings are checked by
    ``fields.from_url``, on top of the preset's when the link names one.
    """
    if not isinstance(url, dict):
        raise ProtocolError("hello: 'url' must be an object of key: text.")
    url, notes = repeated(url)
    url, tf = tflinks.translate(url)  # TensorFlow Playground's names, read as ours
    notes += tf
    rest = {k: v for k, v in url.items() if k not in LESSON_KEYS and not _tf_hide(k)}
    lesson, more = read(url)
    chosen, most = fields.from_url(rest)
    base = dict(PRESETS[lesson["preset"]]["settings"]) if lesson["preset"] else {}
    return {**base, **chosen}, lesson, notes + more + most


MAX_REPEATS = 32  # times one key may appear in a link (the page sends a list of its texts)


def repeated(url: dict) -> tuple[dict, list[str]]:
    """A link's keys given more than once (the page sends their texts as a list, in order):
    ``hide`` and ``lock`` are merged (every control any of them names: a link never drops
    a lock without a word), a ``_hide`` key hides when any of its texts says so; any other
    key counts when all its texts agree and is ignored, with a note, when they differ (the
    browser would keep one silently: ``lr=0.1&lr=3``, ``lesson=abs&lesson=square``)."""
    out, notes = {}, []
    for key, value in url.items():
        if not isinstance(value, list) or not value:
            out[key] = value
            continue
        texts = value[:MAX_REPEATS]
        if len(value) > MAX_REPEATS:
            notes.append(f"link: ignored {fields.show_key(key)}: given {len(value):,} "
                         f"times (at most {MAX_REPEATS}).")  # fmt: skip
            continue
        if not all(isinstance(t, str) for t in texts):
            out[key] = value  # malformed: refused with the others, in from_url's words
            continue
        if key in ("hide", "lock"):
            out[key] = ",".join(texts)
        elif _tf_hide(key):
            on = [t for t in texts if t.strip().lower() in ("true", "1")]
            out[key] = on[0] if on else texts[0]
        elif len(set(texts)) == 1:
            out[key] = texts[0]
        else:
            said = ", ".join(fields.show(t[:20]) for t in texts[:4])
            notes.append(
                f"link: ignored {fields.show_key(key)}: given {len(texts)} times with different "
                f"values ({said}{', …' if len(texts) > 4 else ''}); a link gives each key "
                "once. Keep the one you mean."
            )
    return out, notes


def read(url: dict) -> tuple[dict, list[str]]:
    """The lesson part of a link, checked: unknown or malformed entries dropped with a note."""
    lesson, notes = empty(), []
    for key in LESSON_KEYS:
        if key not in url:
            continue
        raw = url[key]
        # measured again on the decoded text; encoded, one character takes up to 12 (%XX
        # for each of its 4 UTF-8 bytes), so this bound never cuts what the dialog makes
        # (it puts the task in the link as _task keeps it). A longer task is read from its
        # first TASK_READ characters (a hand-made link: 300 zero-width spaces) and kept,
        # cut, with a note on the page: the students never lose their task without a word
        long_task = key == "task" and isinstance(raw, str) and len(raw) > MAX_ENCODED
        if long_task:
            raw = raw[:TASK_READ]
            raw = raw[: len(raw) - 2] if "%" in raw[-2:] else raw  # no half of a %XX
        if not isinstance(raw, str) or (len(raw) > MAX_ENCODED and not long_task):
            notes.append(
                f"link: ignored a malformed {key!r} entry (text of at most {MAX_TASK} "
                f"characters, {MAX_ENCODED} once percent-encoded, expected)."
            )
            continue
        try:
            # a long task cut above may end inside a character's UTF-8 bytes: that one goes
            text = unquote(raw, errors="ignore" if long_task else "strict")
        except UnicodeDecodeError:
            notes.append(f"link: ignored {key!r}: not UTF-8 text.")
            continue
        if key == "task":
            lesson["task"], note = _task(text)
            if long_task and len(url[key]) > TASK_READ:
                note = (
                    f"link: the task's text was {len(url[key]):,} characters long in the link; "
                    f"read from its first {TASK_READ:,}. {note}"
                ).strip()
        elif key == "lesson":
            lesson["preset"], note = _preset(text)
        else:
            lesson[key], note = _names(key, text)
        if note:
            notes.append(note)
    tf_keys = [k for k in url if _tf_hide(k)]
    if len(tf_keys) > len(CONTROLS):
        notes.append(
            f"link: ignored {len(tf_keys) - len(CONTROLS)} '_hide' entries past the first "
            f"{len(CONTROLS)} (this page has {len(CONTROLS)} controls)."
        )
    for key in tf_keys[: len(CONTROLS)]:  # TF's form: lr_hide=true
        name, on = key[: -len("_hide")].lower(), str(url[key]).strip().lower()
        if name not in CONTROLS or on not in ("true", "1", "false", "0"):
            notes.append(f"link: ignored {fields.show(key[:40])}: not a control of this page "
                         "set to true or false.")  # fmt: skip
        elif on in ("true", "1") and name not in lesson["hide"]:
            lesson["hide"].append(name)
    # a control both hidden and locked is hidden
    lesson["lock"] = [c for c in lesson["lock"] if c not in lesson["hide"]]
    lesson["hash"] = to_url(lesson)
    return lesson, notes


def _tf_hide(key) -> bool:
    return isinstance(key, str) and key.endswith("_hide")


def _task(text: str) -> tuple[str, str]:
    """One line of plain text (``plaintext.clean``: control characters become spaces;
    invisible and direction-changing characters, blanks and combining marks stacked past
    ``MAX_MARKS`` are removed, with a note, so the task reads as it is stored).

    Its length is counted in Unicode code points after NFC normalisation (``TASK_RULE``),
    the one rule the lesson dialog counts by too (lessons.js's taskClean)."""
    clean, invisible, stacked = plaintext.clean(text)
    notes = []
    if invisible:
        notes.append("link: removed invisible or direction-changing characters from the task.")
    if stacked:
        notes.append(
            f"link: removed {stacked} combining mark(s) stacked past {MAX_MARKS} on one "
            "character of the task (they would pile over the page)."
        )
    if len(clean) > MAX_TASK:
        notes.append(
            f"link: task: at most {MAX_TASK} characters ({TASK_RULE}); this one has "
            f"{len(clean)}: cut to {MAX_TASK} (ending '…'). Shorten it in “Copy lesson link…”."
        )
        clean = plaintext.cut(clean, MAX_TASK - 1).rstrip() + "…"  # no character split
    return clean, " ".join(notes)


def _preset(text: str) -> tuple[str, str]:
    name = text.strip().lower()
    if name in PRESETS:
        return name, ""
    shown = fields.show(text[:40])
    return "", (f"link: ignored lesson={shown}: not an exercise; known: {', '.join(PRESETS)}.")


def _names(key: str, text: str) -> tuple[list[str], str]:
    out, bad = [], []
    parts = text.split(",")
    cut = len(parts) - 4 * len(CONTROLS)
    for part in parts[: 4 * len(CONTROLS)]:
        name = part.strip().lower()
        if not name:
            continue
        if name in CONTROLS:
            if name not in out:
                out.append(name)
        else:
            bad.append(fields.show(part.strip()[:30]))
    notes = []
    if bad:
        notes.append(
            f"link: {key}: ignored unknown control(s) {', '.join(bad[:5])}; "
            f"known: {', '.join(CONTROLS)}."
        )
    if cut > 0:
        notes.append(f"link: {key}: ignored {cut} entries past the first {4 * len(CONTROLS)}.")
    return out, " ".join(notes)


def to_url(lesson: dict) -> str:
    """The lesson's part of a link (without ``&`` in front; empty without a lesson)."""
    parts = []
    if lesson.get("preset"):
        parts.append(f"lesson={lesson['preset']}")
    for key in ("hide", "lock"):
        if lesson.get(key):
            parts.append(f"{key}={','.join(lesson[key])}")
    if lesson.get("task"):
        parts.append(f"task={quote(lesson['task'], safe='')}")
    return "&".join(parts)
