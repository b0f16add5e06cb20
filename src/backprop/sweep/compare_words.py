"""The plain words of a comparison, drawn from its numbers and never written in advance.

``words(question, rows, fits)`` reads the table's rows (``results.Row``: median and spread
of the final loss, success rate, parameters) and the refits' evidence (``compare.Fit``:
which layers never moved from their initial weights) and says, in a few sentences:

- where the knee is: the smallest network (fewest parameters) whose median final loss is
  within the question's factor of the best median, and what the largest one buys beyond it;
- where the lecture's own choice (8x8) stands;
- which configurations never succeed and why, from the trials: layers whose weights never
  moved in any trial trained again (a zero gradient below them), or else the closest any
  seed came;
- which configuration is the most reliable over seeds;
- first, when the trials trained fewer epochs than the question's own, that a verdict may be
  the short budget's (``budget_words``).

A different table gives different words; nothing here knows which activation is which.
"""

from __future__ import annotations

import math

import numpy as np


def _g(value: float) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.3g}"


def _pct(rate) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _params(n) -> str:
    return "?" if n is None else f"{n:,} parameter{'s' if n != 1 else ''}"


def _name(row) -> str:
    """A configuration in few words: '8x8', 'relu, 2 units'."""
    point = row.point or {}
    hidden = point.get("model.hidden")
    act = point.get("model.activation")
    if act is not None and hidden is not None:
        units = _sizes(hidden) if hidden else "no hidden layer"
        n = sum(hidden) if hidden else 0
        return f"{_word(act)} with {units} hidden unit{'s' if n != 1 else ''}"
    if hidden is not None:
        return _sizes(hidden) if hidden else "no hidden layer"
    return row.label


def _sizes(hidden) -> str:
    """Layer sizes as the lecture writes them: [8, 8] → 8x8."""
    return "x".join(str(h) for h in hidden)


def _word(value) -> str:
    from .results import shown

    return shown(value)


def knee(rows, factor: float):
    """(knee row, best row): the fewest-parameter row whose median final loss is at most
    ``factor`` × the best median; (None, None) when no row has a median."""
    ranked = [r for r in rows if r.median is not None and math.isfinite(r.median)]
    if not ranked:
        return None, None
    best = min(ranked, key=lambda r: r.median)
    near = [r for r in ranked if r.median <= factor * best.median]
    return min(near, key=lambda r: (r.parameters or 0, r.median)), best


# a median this many times lower than the knee's says something; nearer is "about the same"
CLEAR = 1.5


def _versus(row, at) -> str:
    """Row's median against the knee's in words: 'N× lower', 'N× higher' only when the ratio
    is at least ``CLEAR`` (a 1.01 ratio printed as '1× lower' said nothing), else 'about the
    same'."""
    if not (row.median is not None and math.isfinite(row.median)) or row.median < 0:
        return "that is not finite"
    if row.median == 0 or at.median == 0:
        same = row.median == at.median
        return "of 0 as well" if same else f"of {_g(row.median)} (the knee's is {_g(at.median)})"
    gain = at.median / row.median
    if gain >= CLEAR:
        return f"{_times(gain)} lower ({_g(row.median)})"
    if 1 / gain >= CLEAR:
        return f"{_times(1 / gain)} higher ({_g(row.median)})"
    return f"about the same ({_g(row.median)} vs {_g(at.median)})"


def _times(ratio: float) -> str:
    """24×, 1.4×, 1,200×: a ratio as a person writes it (never 1.2e+02×)."""
    return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.2g}×"


def _beyond(rows, at, best) -> list[str]:
    """What the networks past the knee buy: the best median (when it is not the knee's) and
    the largest network (when it is neither), each against the knee in ``_versus``'s words."""
    largest = max(rows, key=lambda r: r.parameters or 0)
    out = []
    pairs = [(best, "Beyond it, the best median")]
    if largest is not best:
        pairs.append((largest, "The largest network"))
    for row, who in pairs:
        if row is at or not at.parameters or not row.parameters:
            continue
        out.append(
            f"{who}, {_name(row)}, has {_times(row.parameters / at.parameters)} the parameters "
            f"and a median loss {_versus(row, at)}."
        )
    return out


def _knee_words(rows, factor: float) -> list[str]:
    at, best = knee(rows, factor)
    if at is None:
        return ["No configuration finished a trial, so there is no knee to show yet."]
    out = [
        f"The knee: {_name(at)} ({_params(at.parameters)}) is the smallest network whose "
        f"median final loss ({_g(at.median)}) is within {factor:g}× of the best median "
        f"({_g(best.median)}, {_name(best)})."
    ]
    out.extend(_beyond(rows, at, best))
    smaller = [r for r in rows if (r.parameters or 0) < (at.parameters or 0)]
    if smaller:
        below = min(smaller, key=lambda r: r.median if math.isfinite(r.median) else math.inf)
        out.append(
            f"Below it the loss climbs: the best smaller network, {_name(below)}, has a "
            f"median of {_g(below.median)}."
        )
    lecture = next((r for r in rows if (r.point or {}).get("model.hidden") == [8, 8]), None)
    if lecture is not None:
        where = (
            "the knee itself"
            if lecture is at
            else "past the knee: it works, with more parameters than needed"
            if (lecture.parameters or 0) > (at.parameters or 0)
            and lecture.median <= factor * best.median
            else "past the knee in size, but its median is not within the factor"
            if (lecture.parameters or 0) > (at.parameters or 0)
            else "below the knee"
        )
        out.append(
            f"The lecture's 8x8 ({_params(lecture.parameters)}): median {_g(lecture.median)}, "
            f"success {_pct(lecture.success)} of seeds — {where}."
        )
    return out


def _groups(rows) -> dict[str, list]:
    """Rows by activation when the grid has one, else each row alone."""
    out: dict[str, list] = {}
    for r in rows:
        act = (r.point or {}).get("model.activation")
        out.setdefault(_word(act) if act is not None else _name(r), []).append(r)
    return out


def _trained_again(fits: list, of: int) -> str:
    """'all 6 trials trained again' with what they are: a student asked why 6 (of 20)."""
    n = len(fits)
    seeds = ", ".join(str(s) for s in sorted({f.seed for f in fits}))
    seeds = f"seed{'s' if ', ' in seeds else ''} {seeds}"
    what = "the 1 trial trained again" if n == 1 else f"all {n} trials trained again"
    if n >= of:
        return f"{what} to look inside (every trial; {seeds})"
    return (
        f"{what} to look inside ({n} of its {of} trials, {seeds}, spread from the best final "
        "loss to the worst: as many as compare's refit time allows)"
    )


def _closest(loss: float, need: str | None) -> str:
    """The closest final loss, to 4 digits (0.0001732 vs 0.0001727), with the criterion in
    the loss's unit when there is one (``criteria.in_loss_units``: 'loss<1e-6')."""
    text = "-" if loss is None or not math.isfinite(loss) else f"{loss:.4g}"
    return f"{text} (success needs about {need.replace('<', ' < ')})" if need else text


def _never_words(rows, fits, need: str | None = None) -> list[str]:
    """Activations: one sentence per one that never succeeds, with why. Sizes: one
    sentence for all of them, and one for refits whose lower layers never moved. ``need``:
    the criterion in the loss's unit, if it has one."""
    never = []
    for group, members in _groups(rows).items():
        ran = [r for r in members if r.done]
        if ran and all(r.success is not None and r.success == 0 for r in ran):
            never.append((group, ran))
    if not never:
        return []
    by_activation = any("model.activation" in (r.point or {}) for r in rows)
    out = []
    if not by_activation:
        names = ", ".join(g for g, _ in never)
        closest = min(
            ((r.best, g) for g, ran in never for r in ran if math.isfinite(r.best)),
            default=(math.nan, "-"),
        )
        out.append(
            f"Never succeed on any seed: {names}; the closest any of them came was a final "
            f"loss of {_closest(closest[0], need)} ({closest[1]})."
        )
        stuck = [f for f in fits if f.layers > 1 and 1 in f.unmoved]
        if stuck:
            labels = sorted({_name(r) for r in rows for f in stuck if f.config == r.config})
            flat = sum(float(np.ptp(f.y)) == 0.0 for f in stuck)
            out.append(
                f"In {len(stuck)} of {len(fits)} trials trained again ({', '.join(labels)}), "
                "layer 1's weights and biases ended exactly at their initial values: no "
                f"gradient reached them; {flat} of these networks output one constant."
            )
        return out
    for group, ran in never:
        trials = sum(r.done for r in ran)
        ids = {r.config for r in ran}
        mine = [f for f in fits if f.config in ids]
        below = [f for f in mine if f.layers > 1 and 1 in f.unmoved]
        if mine and len(below) == len(mine):
            frozen = sorted({n for f in mine for n in f.unmoved})
            layers = ", ".join(f"layer {n} (W[{n}], b[{n}])" for n in frozen)
            out.append(
                f"{group} never succeeds (0 of {trials} trials). Why, from the trials: in "
                f"{_trained_again(mine, trials)}, the weights and biases of {layers} ended "
                "exactly at their initial values — the gradient reaching them was zero, so "
                "only the layers above learnt."
            )
            continue
        closest = min((r.best for r in ran if math.isfinite(r.best)), default=math.nan)
        moved = (  # a sentence of its own: inside parentheses it nested three deep
            f" It trained, though: every layer's weights moved in {_trained_again(mine, trials)}."
            if mine and not any(f.unmoved for f in mine)
            else ""
        )
        out.append(
            f"{group} never succeeds (0 of {trials} trials): the closest any seed came was a "
            f"final loss of {_closest(closest, need)}.{moved}"
        )
    return out


def _reliable_words(rows) -> list[str]:
    rated = [r for r in rows if r.done and r.success is not None]
    if not rated:
        return []
    top = max(r.success for r in rated)
    if top == 0:
        return ["No configuration succeeded on any seed."]
    best = sorted(
        (r for r in rated if r.success == top),
        key=lambda r: r.median if math.isfinite(r.median) else math.inf,
    )
    names = ", ".join(_name(r) for r in best[:3]) + (" …" if len(best) > 3 else "")
    lead = best[0]
    spread = "" if not math.isfinite(lead.std) else f", std {_g(lead.std)}"
    whose = "" if len(best) == 1 else f"{_name(lead)}: "
    return [
        f"Most reliable over seeds: {names} — {_pct(top)} of seeds succeed "
        f"({whose}median final loss {_g(lead.median)}{spread})."
    ]


def _lecture_net_words(rows) -> list[str]:
    """Where the lecture's own |x − 1| network (relu, 2 hidden units) stands."""
    for r in rows:
        point = r.point or {}
        if point.get("model.activation") == "relu" and point.get("model.hidden") == [2] and r.done:
            return [
                f"The lecture's network, relu with 2 hidden units ({_params(r.parameters)}): "
                f"{_pct(r.success)} of seeds succeed; its best seed reached a final loss of "
                f"{_g(r.best)}, its median is {_g(r.median)}."
            ]
    return []


def budget_words(rows, epochs, own, quick) -> list[str]:
    """When the trials trained fewer epochs than the question's own: what that may do to
    the verdicts. 300 epochs × 2 seeds of width-depth put the knee at 16x16 and gave 8x8 0 %
    (10,000 epochs: knee at 8, 8x8 70 %), and 300 of activations had relu never succeed
    (10,000: relu with 8 units the most reliable) — a short run reads as a network that
    cannot learn. ``quick`` is (epochs, seeds) measured to keep the full run's words."""
    if epochs is None or own is None or epochs >= own:
        return []
    rated = [r for r in rows if r.done and r.success is not None]
    fix = f"--epochs {quick[0]} --seeds {quick[1]} (--quick) kept the full run's conclusions"
    if epochs == quick[0] and rated and max(r.success for r in rated) > 0:
        return [
            f"The quick mode's {epochs:,} epochs (the question's own: {own:,}): measured to "
            "keep the full run's conclusions; a configuration near the criterion can land on "
            "the other side of it."
        ]
    if rated and max(r.success for r in rated) == 0:
        return [
            f"Too short to judge: no configuration succeeded in {epochs:,} epochs (the "
            f"question's own run trains {own:,}), so the words below tell a short budget "
            f"apart from nothing: a network that needs more steps looks like one that cannot "
            f"learn. {fix} when measured; judge by that or the full run."
        ]
    return [
        f"These trials trained {epochs:,} epochs, not the question's {own:,}: where a "
        "configuration never succeeds below, or the knee sits at a larger network, that may be "
        f"the short budget rather than the network; {fix} when measured."
    ]


def words(question, rows, fits=(), epochs=None, own=None, need=None) -> list[str]:
    """The comparison's sentences, from ``rows`` (the table) and ``fits`` (the refits);
    ``epochs`` the trials trained and ``own`` the question's own (a short budget is said
    first, ``budget_words``); ``need`` the criterion in the final loss's unit
    (``criteria.in_loss_units``), said beside the closest loss of what never succeeds."""
    rows = list(rows)
    out = budget_words(rows, epochs, own, getattr(question, "quick", None) or (own, 10))
    if question.name == "width-depth":
        out += _knee_words(rows, question.factor)
    out += _reliable_words(rows)
    out += _lecture_net_words(rows)
    out += _never_words(rows, list(fits), need)
    changed = [f for f in fits if not f.same]
    if changed:
        out.append(
            f"Note: {len(changed)} trial(s) trained again ended at another final loss than "
            "stored (a different engine or machine); their curves are the new run's."
        )
    return out


def other_run(q, exc, cli: bool) -> str:
    """Why compare cannot go on in ``exc.where`` (``store.OtherSweep``), and the fix in the
    caller's words: this question's run with other seeds or epochs keeps its database, so
    more seeds need another --out (out=), or the same seeds and epochs go on with it."""
    seeds = list(exc.seeds or [])
    epochs = (exc.base or {}).get("epochs")
    same_question = (exc.base or {}).get("name") == q.base
    if seeds == list(range(len(seeds))):
        given, py_seeds = f"--seeds {len(seeds)}", f"seeds={len(seeds)}"
        said = f"seeds 0..{len(seeds) - 1}" if len(seeds) > 1 else "seed 0"
    else:
        text = ",".join(map(str, seeds))
        given, py_seeds, said = f"--seeds {text}", f"seeds={seeds!r}", f"seeds {text}"
    other = "another --out folder (or --db FILE)" if cli else "compare(db=...) another file"
    if not same_question:
        return f"compare {q.name}: {exc.where} holds another sweep ({exc.held}); give {other}."
    again = f"{given} --epochs {epochs}" if cli else f"{py_seeds}, epochs={epochs}"
    return (
        f"compare {q.name}: {exc.where} holds this question's run with {said} and "
        f"{epochs:,} epochs; a run with other seeds or epochs keeps its own database: give "
        f"{other}, or {again} to go on with that run."
    )
