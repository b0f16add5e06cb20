"""After a run that did not learn (r² < 0, accuracy at chance): try what could help, rank it.

``fit``'s warning can only list what usually helps (more epochs, a larger learning rate,
minibatches, standardised inputs or targets), and one of those can make a run worse: on the
lecture's square at Adam 0.001 × 100 full-batch epochs, ``--standardize`` took r² from
−0.575 to −0.653 while ``--lr 0.01`` reached 0.99. So ``backprop train`` tries each change
it would suggest on the same spec (same data, seed and starting weights), one at a time,
silently and without writing files, as ``lrcheck`` does for a divergence, and prints them
ranked by what ``judged.Judge`` judges on (validation r² or accuracy when the run held rows
out, else training), advising one only when the judge calls it clearly better. A change is
never suggested when it is the run's setting already, and one that did no better than the
run is shown as such, not advised. A trial is run only when it is cheap (``CHEAP``
sample-epochs, at most ``TRY_ROWS`` rows); the others are named as not tried.

A change counts as help only when its run ends clearly better than ignoring the inputs
(``Judge.learned``: r² above 0.174, the mean's rmse over 10 % higher; accuracy above the most
common class's share by ``MARGIN`` and one judged row). A change that would train or be
judged on other rows (another ``--seed`` draws another validation split, and a built-in
set's other rows: ``judged.same_rows``) is not tried but named, with why: its score would
not be this run's with one change. When the run's
steps were too large (its loss grew, or every ReLU of a layer died: fit's warning says "try
a smaller learning rate"), the learning rates tried are lr ÷ 10, ÷ 100, ÷ 1000 and the
default, never larger ones, and the closing advice never says "larger".
"""

from __future__ import annotations

import copy
import math

from .heldlists import hold_poor_fit, unfinished
from .judged import Judge, same_rows
from .lrcheck import CHEAP

__all__ = ["candidates", "hold_poor_fit", "poor_fit", "ranked_advice", "unfinished"]

KEEP = "keep this run's settings"  # the advice tried the changes: none clearly better


def settled(advice: str | None) -> bool:
    """True when ``ranked_advice``'s ``advice`` tried the changes a warning named (more
    epochs, other lrs) on a run that learned and none was clearly better: the warning's
    'unfinished' is then measured away (the README's houses run, still falling at epoch
    100, gains nothing clear from 10x the epochs), so ``Judge.finished`` may hold."""
    return advice is not None and KEEP in advice


# each trial reads its data again (a CSV of 1.5 million rows: seconds and a copy in memory
# per trial), so larger data sets are not tried, only named, however few their epochs
TRY_ROWS = 200_000


def _cheap(epochs: int, rows: int) -> bool:
    return epochs * rows <= CHEAP and rows <= TRY_ROWS


def poor_fit(result) -> tuple[str, float] | None:
    """('r2' or 'accuracy', its value) when the run did no better than ignoring its inputs
    (r² < 0; accuracy at most the most common class's share), else None."""

    if result.diverged:
        return None
    h = result.history.history
    last = {k: v[-1] for k, v in h.items() if v and v[-1] is not None}
    ds = result.dataset
    if ds.task == "regression":
        return ("r2", last["r2"]) if "r2" in last and last["r2"] < 0 else None
    if "accuracy" not in last:
        return None
    judge = Judge.of(result)
    share = Judge.chance_share(result)  # counted: 0.1 + 1e-12 was a tolerance of floats
    right = round(last["accuracy"] * judge.train_rows)
    at_chance = right <= share * judge.train_rows and share < 1
    return ("accuracy", last["accuracy"]) if at_chance else None


def _last_metric(result) -> tuple[str, float] | None:
    metric = "r2" if result.dataset.task == "regression" else "accuracy"
    values = [v for v in result.history.history.get(metric, []) if v is not None]
    return (metric, float(values[-1])) if values else None


def steps_too_large(result) -> bool:
    """Fit's diagnosis is "a smaller learning rate": the training loss grew (or rose 10×
    before it settled), a classifier's ended above a constant model's (``constantloss``), or
    every ReLU unit of some layer is 0 on every training row."""
    from ..train.poorfit import dead_units_note
    from .constantloss import worse_than_constant

    losses = [v for v in result.history.history.get("loss", []) if v is not None]
    if len(losses) > 1 and (losses[-1] > losses[0] or max(losses) > 10 * losses[0] > 0):
        return True
    if worse_than_constant(result) is not None:  # a classifier's loss above a constant's
        return True
    try:
        return dead_units_note(result.net, result.dataset.x) is not None
    except Exception:  # a model the δ engine cannot read: no diagnosis, not a failure
        return False


def default_lr(result) -> float | None:
    """The learning rate the run gets with no --lr: what ``spec.setdefaults`` fills in for
    Adam/AdamW on a built-in set or a CSV, else the optimizer's own default."""
    import inspect

    from ..optim import OPTIMIZERS
    from ..spec.setdefaults import open_settings

    opt = result.spec["optimizer"]
    name = opt.get("name", "adam").lower()
    data = result.spec["data"]
    section = {"csv": data["csv"]} if data.get("csv") else {"name": data.get("name")}
    filled = open_settings({"data": section, "optimizer": name}).get("optimizer.lr")
    if filled is not None:
        return float(filled)
    default = inspect.signature(OPTIMIZERS[name]).parameters.get("lr")
    value = None if default is None else default.default
    return float(value) if isinstance(value, int | float) else None


def default_epochs(result) -> int:
    """The epochs the run gets with no --epochs: a built-in set's (``train --data NAME``),
    else the spec's default (a CSV's)."""
    from ..spec.build import builtin_set_defaults
    from ..spec.schema import TOP

    data = result.spec["data"].get("name")
    if data is not None:
        return int(builtin_set_defaults(data)["epochs"])
    return int(TOP["epochs"])


def _lr_values(result, lr: float | None) -> list[float]:
    """The learning rates to try: ÷10, ÷100, ÷1000 and the default after too large steps;
    else ×1000 … ×10 (a run that crept) and ÷10."""
    if lr is None:
        return []
    if steps_too_large(result):
        values = [lr / 10, lr / 100, lr / 1000, default_lr(result)]
    else:
        values = [lr * f for f in (1000, 100, 10, 0.1) if lr * f <= 1000]
    out = []
    for value in values:
        if value is None:
            continue
        value = float(f"{value:.3g}")
        if value != float(f"{lr:.3g}") and value not in out:
            out.append(value)
    return out


def candidates(result) -> list[tuple[str, dict]]:
    """(the flags, the spec with that change) for each change that is not the run's
    setting already."""
    spec, ds = result.spec, result.dataset
    rows = len(ds.x)
    out = []
    for value in _lr_values(result, _start_lr(result)):
        changed = copy.deepcopy(spec)
        changed["optimizer"] = {**changed["optimizer"], "lr": value}
        out.append((f"--lr {value:g}", changed))
    changed = copy.deepcopy(spec)
    changed["epochs"] = 10 * int(spec["epochs"])
    out.append((f"--epochs {changed['epochs']}", changed))
    if default_epochs(result) > changed["epochs"]:  # a very short run: the default, too
        changed = copy.deepcopy(spec)
        changed["epochs"] = default_epochs(result)
        out.append((f"--epochs {changed['epochs']}", changed))
    batch = spec.get("batch_size")
    if rows > 32 and (batch is None or batch > 32):
        changed = copy.deepcopy(spec)
        changed["batch_size"] = 32
        out.append(("--batch-size 32", changed))
    if getattr(ds, "scaler", None) is None:
        changed = copy.deepcopy(spec)
        changed["data"] = {**changed["data"], "standardize": True}
        out.append(("--standardize", changed))
    if ds.task == "regression" and result.target_scaling is None:
        changed = copy.deepcopy(spec)
        changed["data"] = {**changed["data"], "standardize_target": True}
        out.append(("--standardize-target", changed))
    from .namedfixes import named_fixes, unit_changes

    return named_fixes(result) + unit_changes(result) + out


def _start_lr(result) -> float | None:
    group = result.optimizer.param_groups[0]
    lr = group.get("initial_lr", group.get("lr"))
    return None if lr is None or not math.isfinite(float(lr)) else float(lr)


def _trial(spec: dict, judge: Judge) -> float | None:
    """The final judged metric (r², accuracy, or their validation values: ``Judge``) of
    ``spec``, trained silently; None: diverged."""
    import warnings

    from ..spec import run as run_spec
    from .common import check_interrupt
    from .progress import interrupt_callback

    spec = copy.deepcopy(spec)
    spec["early_stopping"] = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its own warnings are not this run's
        trial = run_spec(spec, callbacks=[interrupt_callback()])
    check_interrupt()
    if trial.diverged:
        return None
    return judge.trial(trial.history.history)


def ranked_advice(
    result, quiet: bool = False, promised: bool = False, command: str | None = None
) -> str | None:
    """Try every candidate on a run that did not learn; print the ranking and the advice
    line. Returns the advice (None: the run learned, nothing to try). ``promised``: the
    warning said the advice follows (``hold_poor_fit``), so it does even when this check,
    on every row, finds the run a little better than fit's, on the training rows.
    ``command``: the command whose flags these are, when not the one that ran (``demo``
    has no --lr: its advice reads 'rerun with backprop train square --lr 1')."""
    found = poor_fit(result) or (_last_metric(result) if promised else None)
    if found is None:
        return None
    _, now = found
    learned = poor_fit(result) is None  # here for a warning (unfinished, wild), not for r² < 0
    judge = Judge.of(result)  # validation rows when the run held some out (judged.py)
    now = judge.now(result)
    if now is None:
        return None
    shown = judge.shown
    if not quiet:
        print("trying each change on this run (nothing is saved) …", flush=True)
    rows = max(1, len(result.dataset.x))
    tried, skipped, moved = [], [], []
    for flags, spec in candidates(result):
        if not same_rows(result.spec, spec):  # its score would be on other rows
            moved.append(flags)
            continue
        if not _cheap(int(spec["epochs"]), rows):
            skipped.append(flags)
            continue
        tried.append((flags, _trial(spec, judge)))
    tried.sort(key=lambda t: -math.inf if t[1] is None else t[1], reverse=True)
    floor_words = judge.floor_words(result)
    width = max((len(f) for f, _ in tried), default=0)
    lines = []
    for flags, value in tried:
        if value is None:
            verdict = "diverged: not advised"
        elif value <= now:
            verdict = f"{shown} {value:.4g}, no better than this run's {now:.4g}: not advised"
        elif not judge.learned(result, value):
            verdict = f"{shown} {value:.3g}, {floor_words}: not advised"
        elif not judge.clearly_better(value, now):
            verdict = (
                f"{shown} {value:.4g}, not clearly better than this run's {now:.4g} "
                f"({judge.rule_words()}): not advised"
            )
        else:
            verdict = f"{shown} {value:.3g}"
        lines.append(f"  {flags:<{width}}  {verdict}")
    if skipped:
        lines.append(f"  not tried (longer than a quick check): {', '.join(skipped)}")
    if moved:
        lines.append(f"  not tried: {', '.join(moved)} ({_other_rows(result)})")
    helped = [(f, v) for f, v in tried if _helps(result, judge, v, now)]
    both = None if helped else _together(result, tried, rows, judge, now)
    cmd = "" if command is None else command + " "
    if helped:
        best, value = helped[0]
        head = f"rerun with {cmd}{best} ({shown} {value:.4g} against {now:.4g} now)"
    elif both is not None and _helps(result, judge, both[1], now):
        head = (
            f"rerun with {cmd}{both[0]} ({shown} {both[1]:.4g} against {now:.4g} now; no change "
            "alone helped)"
        )
    elif tried:
        together = "" if both is None else f", nor {both[0]} together"
        if "step" in result.spec["model"]["activation"]:  # no lr or epoch count trains them
            further = (
                "the step layers do not learn (their gradients are exactly 0), so only the "
                "layers after the last one train, whatever the lr or epochs: change "
                "--activation (relu, tanh, sigmoid)"
            )
        elif steps_too_large(result):
            lr = _start_lr(result)
            lower = "" if lr is None else f" below {float(f'{lr / 1000:.3g}'):g}"
            further = (
                f"the steps were too large: try a learning rate{lower} (--lr), "
                "--activation leaky_relu (its units cannot die) or another network (--hidden)"
            )
        elif learned:
            further = f"{KEEP}: none of these changes is clearly better on " + (
                "the validation rows" if judge.validation else "the training rows"
            )
        else:
            further = (
                "each was one step from this run: try larger ones (--lr, --epochs) or "
                "another network (--hidden, --activation)"
            )
        head = f"no change tried here helped ({shown} {now:.4g} now{together}); {further}"
    else:
        if "step" in result.spec["model"]["activation"]:  # only the activation trains them
            skipped = [f for f in skipped if f.startswith("--activation")] or skipped
        why = (
            f"{rows:,} rows are too many to try them here"
            if rows > TRY_ROWS
            else "none was tried here: each is longer than a quick check"
        )
        head = f"try {', '.join(skipped)} (one at a time; {why})"
    if tried:
        print(
            f"advice: {head}; each change tried alone on this run, judged on {judge.on}"
            f"{judge.unheld_words()} (advised only when clearly better: "
            f"{judge.advised_words()}):"
        )
        print("\n".join(lines))
    else:
        print(f"advice: {head}")
    return head


def _helps(result, judge: Judge, value: float | None, now: float) -> bool:
    """A trial's ``value`` helps: it learned (``Judge.learned``) and is clearly better."""
    return value is not None and judge.learned(result, value) and judge.clearly_better(value, now)


def _other_rows(result) -> str:
    """Why a change that moves the rows is not tried, in words."""
    if isinstance(result.spec.get("validation"), int | float):
        return (
            "another seed also draws another validation split, so its score would be on "
            "other rows: not this run with one change"
        )
    return "another seed also draws the data set's rows, so its score would be on other rows"


def _together(
    result, tried, rows: int, judge: Judge, now: float
) -> tuple[str, float | None] | None:
    """When no change helped alone: the largest learning rate that did not make the run worse
    (lr 10 at r² −5.7e3 was tried with 10× the epochs) and 10×
    the epochs, tried together (a run far from learning may need both), or None."""
    lrs = [f for f, v in tried if f.startswith("--lr ") and v is not None and v >= now]
    epochs = next((f for f, _ in tried if f.startswith("--epochs ")), None)
    if not lrs or epochs is None:
        return None
    lr = max(lrs, key=lambda f: float(f.split()[1]))
    spec = copy.deepcopy(result.spec)
    spec["optimizer"] = {**spec["optimizer"], "lr": float(lr.split()[1])}
    spec["epochs"] = int(epochs.split()[1])
    if not _cheap(spec["epochs"], rows):
        return None
    return f"{lr} {epochs}", _trial(spec, judge)
