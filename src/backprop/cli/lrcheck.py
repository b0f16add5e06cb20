"""After a run diverged on a learning rate too high: find a lower one that does not, by trying.

The NaN guard can only guess ("try a tenth"); a tenth of a learning rate that diverged often
diverges too (a newcomer followed "try lr=100" and hit the same wall). ``backprop train``
therefore checks its advice before it gives it: it trains the same spec again (same data,
seed, weights) with the learning rate 10×, 100×, … smaller, silently and without writing
files, and names the first one that did not diverge, with how far it was checked (every
epoch of the run when that is cheap, else the first ones). Only lower values are tried.
"""

from __future__ import annotations

import math

__all__ = ["CHEAP", "TRIES", "check_lower_lr", "checked_advice"]

TRIES = 6  # lr/10 … lr/10**6
CHEAP = 2_000_000  # sample-epochs a check may run whole (square's 100 × 10,000: ≈ 1 s)
SHORT = 100  # else at least this many epochs, and 10× the epochs the run lasted


def checked_advice(result, quiet: bool = False) -> str | None:
    """After a divergence the guard blames on the lr: print the advice line and return the
    exit line's short form (None: nothing to check, the generic advice stays)."""
    if not result.diverged:
        return None
    if not quiet:
        print("checking lower learning rates on this run (nothing is saved) …", flush=True)
    checked = check_lower_lr(result)
    if checked is None:
        return None
    print(f"advice: {checked[0]}")
    return checked[1]


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
    rows = max(1, int(result.dataset.x.shape[0]))
    stopped = int(result.history.stopped_epoch or 1)
    checked = epochs if epochs * rows <= CHEAP else min(epochs, max(SHORT, 10 * stopped))
    diverged = []
    for k in range(1, TRIES + 1):
        candidate = float(f"{lr / 10**k:.3g}")
        if not _diverges(spec, candidate, checked):
            span = f"all {epochs:,}" if checked == epochs else f"the first {checked:,}"
            span += " epochs"
            tried = f" ({_listed(diverged)} diverged too)" if diverged else ""
            advice = (
                f"lr={candidate:g} trained {span} of this run without diverging{tried}: "
                f"rerun with --lr {candidate:g}"
            )
            return advice, f"--lr {candidate:g} did not diverge ({span} checked)"
        diverged.append(f"lr={candidate:g}")
    lowest = diverged[-1]
    advice = (
        f"{_listed(diverged)} all diverged too, so the learning rate is not the only cause "
        "(see 'stopped:' above)"
    )
    return advice, f"even {lowest} diverged: see the causes in 'stopped:' above"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _start_lr(result) -> float | None:
    group = result.optimizer.param_groups[0]
    lr = group.get("initial_lr", group.get("lr"))
    return None if lr is None else float(lr)


def _diverges(spec: dict, lr: float, epochs: int) -> bool:
    """Whether ``spec`` with this lr, trained ``epochs`` epochs, diverges (silently, no files)."""
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
        diverged = bool(run_spec(trial, callbacks=[interrupt_callback()]).diverged)
    check_interrupt()
    return diverged
