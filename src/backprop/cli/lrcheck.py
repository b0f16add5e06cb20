"""After a run diverged on a learning rate too high: find a lower one that learns, by trying.

The NaN guard can only guess ("try a tenth"); a tenth of a learning rate that diverged often
diverges too (a newcomer followed "try lr=100" and hit the same wall). ``backprop train``
therefore checks its advice before it gives it: it trains the same spec again (same data,
seed, weights) with the learning rate 10×, 100×, … smaller, silently and without writing
files, and names the first one that LEARNS, with how far it was checked (every epoch of the
run when that is cheap, else the first ones). Only lower values are tried.

"Learns" is more than "no NaN": an lr that stays finite while the loss climbs from 1316 to
1.6e10 is no advice (a third trial followed such advice). A trial learns when every loss is
finite, the last one is below the first, none rose above ``BLOWUP`` × the first, and the
model learned by the advice's one rule (``judged.Judge.learned``: clearly better than one
that ignores its inputs, r² above 0.174, accuracy above chance by a margin). SGD at lr 0.01
on square lowered the loss to the targets' variance with every ReLU dead (r² 0); after
``square --optimizer sgd --lr 100 --activation tanh`` diverged, lr 0.1 was said to have
"learned" at r² 0.0134 (above 0, not clearly above the mean).

The guard's other causes are not the lr's: "the inputs are not scaled … add --standardize"
is checked too (``standardize_verdict``: the run's lr with --standardize, as long as the lr
check), and the stop message says what that check found.
"""

from __future__ import annotations

import math

__all__ = [
    "BLOWUP",
    "CHEAP",
    "SEE_ADVICE",
    "TRIES",
    "check_lower_lr",
    "checked_advice",
    "learning_failure",
    "settled_reason",
]

TRIES = 6  # lr/10 … lr/10**6
CHEAP = 2_000_000  # sample-epochs a check may run whole (square's 100 × 10,000: ≈ 1 s)
SHORT = 100  # else at least this many epochs, and 10× the epochs the run lasted
BLOWUP = 10.0  # a loss above this many times the first one is a blow-up, even if it recovers


def checked_advice(result, quiet: bool = False) -> tuple[str, str] | None:
    """After a divergence the guard blames on the lr: check lower learning rates (before the
    result line and the files). Returns (the 'advice:' line's text, the exit line's short
    form), or None: nothing to check, the generic advice stays. ``settled_reason`` then puts
    it in place of the guard's untested guess, on screen and in the files."""
    if not result.diverged:
        return None
    if not quiet:
        print("checking lower learning rates on this run (nothing is saved) …", flush=True)
    checked = check_lower_lr(result)
    if checked is not None:
        _check_standardize(result)
    return checked


UNSCALED = "the inputs are not scaled"  # the guard's cause that names standardising


def _check_standardize(result) -> None:
    """The guard's "the inputs are not scaled … standardise" is a guess like its lr: train
    the run's spec with standardised inputs at the run's own lr (as long as the lr check)
    and put what that did beside the suggestion in the stop reason."""
    reason = result.history.stop_reason or ""
    lr = _start_lr(result)
    if UNSCALED not in reason or lr is None or result.spec["data"].get("standardize"):
        return
    import copy

    spec = copy.deepcopy(result.spec)
    spec["data"] = {**spec["data"], "standardize": True}
    verdict = _trial(spec, lr, _checked_epochs(result))
    said = "it learned" if verdict is None else f"it {verdict}"
    end = reason.find(")", reason.index(UNSCALED))  # the suggestion ends its parenthesis
    end = reason.find(")", end + 1) if end >= 0 else -1
    if end < 0:
        return
    result.history.stop_reason = (
        reason[: end + 1]
        + f" (checked on this run: with it, at lr={lr:g}, {said})"
        + reason[end + 1 :]
    )


SEE_ADVICE = "lower it to the learning rate 'advice:' below names, checked on this run"


def settled_reason(reason: str, advice: str) -> str:
    """The guard's stop reason with its generic advice ("lower it step by step … (lr=0.5,
    then 0.05, …) until a run does not diverge") replaced by ``advice``: on screen
    ``SEE_ADVICE``, in the model file and history.json the checked advice itself, so
    ``summary`` never repeats 'lr=0.5' after this check found that lr=0.5 did not learn."""
    import re

    generic = re.compile(
        r"lower it step by step, 10× at a time \(lr=[^)]*\) until a run does not diverge"
    )
    return generic.sub(lambda _: advice, reason, count=1)


def check_lower_lr(result) -> tuple[str, str] | None:
    """(the advice for the 'advice:' line, the short form for the exit line), or None when
    the run's learning rate is not the cause the guard named (see ``guard.LR_TOO_HIGH``)."""
    from ..train.guard import LR_SCHEDULE, LR_TOO_HIGH

    reason = result.history.stop_reason or ""
    if LR_TOO_HIGH not in reason or LR_SCHEDULE in reason:
        return None
    lr = _start_lr(result)
    if lr is None or not math.isfinite(lr) or lr <= 0:
        return None
    spec = result.spec
    epochs = int(spec["epochs"])
    checked = _checked_epochs(result)
    failed = []
    for k in range(1, TRIES + 1):
        candidate = float(f"{lr / 10**k:.3g}")
        verdict = _trial(spec, candidate, checked)
        if verdict is None:
            span = f"all {epochs:,}" if checked == epochs else f"the first {checked:,}"
            span += " epochs"
            tried = f" ({_listed(failed)})" if failed else ""
            advice = (
                f"lr={candidate:g} trained {span} of this run with the loss finite and "
                f"falling, and ended clearly better than ignoring the inputs{tried}: rerun with "
                f"--lr {candidate:g}"
            )
            return advice, f"--lr {candidate:g} learned ({span} checked)"
        failed.append(f"lr={candidate:g} {verdict}")
    advice = (
        f"no lower learning rate learned ({_listed(failed)}), so the learning rate is not "
        "the only cause (see 'stopped:' above)"
    )
    return advice, "no lr down to a millionth learned: see the causes in 'stopped:' above"


def _checked_epochs(result) -> int:
    """Every epoch of the run when that is cheap, else the first ones (``SHORT``, 10×)."""
    epochs = int(result.spec["epochs"])
    rows = max(1, int(result.dataset.x.shape[0]))
    stopped = int(result.history.stopped_epoch or 1)
    return epochs if epochs * rows <= CHEAP else min(epochs, max(SHORT, 10 * stopped))


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _start_lr(result) -> float | None:
    group = result.optimizer.param_groups[0]
    lr = group.get("initial_lr", group.get("lr"))
    return None if lr is None else float(lr)


def _trial(spec: dict, lr: float, epochs: int) -> str | None:
    """Train ``spec`` with this lr for ``epochs`` epochs (silently, no files): None when it
    learned, else what went wrong ('diverged', 'loss rose 1.3e+03 → 1.6e+10', …)."""
    import copy
    import warnings

    from ..spec import run as run_spec

    trial = copy.deepcopy(spec)
    opt = trial["optimizer"] if isinstance(trial["optimizer"], dict) else {}
    trial["optimizer"] = {**opt, "lr": lr}
    trial["epochs"] = epochs
    trial["early_stopping"] = None  # a stop for patience is not a check of stability
    from .common import check_interrupt
    from .progress import interrupt_callback

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its poor-fit warnings are not this run's
        result = run_spec(trial, callbacks=[interrupt_callback()])
    check_interrupt()
    failure = learning_failure(result.history)
    if failure is None:  # a falling loss that ends at the targets' mean is no advice either
        from .judged import Judge

        judge = Judge.of(result)
        value = judge.now(result)
        if value is None or not judge.learned(result, value):
            shown = "nothing" if value is None else f"{judge.shown} {value:.3g}"
            failure = f"learned nothing clearly ({shown}: not clearly above ignoring the inputs)"
    return failure


def learning_failure(history) -> str | None:
    """None when the losses in ``history`` are finite, end below where they began and never
    rose above ``BLOWUP`` × the first; else the reason in a few words."""
    losses = list(history["loss"]) if len(history) else []
    if history.diverged or not losses or not all(math.isfinite(v) for v in losses):
        return "diverged"
    first, last, top = losses[0], losses[-1], max(losses)
    if top > BLOWUP * first:
        return f"blew up (loss {first:.3g} → {top:.3g})"
    if not last < first:
        return f"did not learn (loss {first:.3g} → {last:.3g})"
    return None
