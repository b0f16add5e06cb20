"""While a run trains: ``fit``'s lists of what to try are held back for the 'advice:' table.

``fit``'s warnings end in lists of what usually helps (more epochs, a larger learning rate,
--standardize, …); ``fitcheck.ranked_advice`` tries each item on the run afterwards, so the
CLI shows the warning's diagnosis and, instead of its list, the words below (one voice:
nothing is advised that the table found not to help). Moved out of ``fitcheck`` (size).
"""

from __future__ import annotations

import contextlib
import sys

__all__ = ["HELD_LISTS", "NOT_LEARNED_CLI", "hold_poor_fit", "unfinished"]

# said while training, before ranked_advice knows whether trying the changes is quick enough
# (TRY_ROWS, CHEAP): so it promises what the advice line always does
NOT_LEARNED_CLI = (
    "It has not learned yet: 'advice:' below names what to change, and tries each change on "
    "this run when that is quick."
)
FALLING = "has not finished learning; try "  # fit's 'still falling' verdict
# fit's other lists of what to try, and the CLI's words instead (one voice: every item of
# such a list is a row of the 'advice:' table, which says which of them helped)
HELD_LISTS = (
    (
        FALLING,
        "'advice:' below tries more epochs and other learning rates on this run when that is quick",
    ),
    (
        "pushed the units' biases negative: try ",
        "'advice:' below tries each fix (smaller learning rates, leaky_relu, …) on this run "
        "when that is quick",
    ),
)


def _poor(result) -> bool:
    from .fitcheck import poor_fit

    return poor_fit(result) is not None


@contextlib.contextmanager
def hold_poor_fit(epochs: int | None = None):
    """While training: ``fit``'s list of what to try (``poorfit.NOT_LEARNED``) is not shown,
    as ``ranked_advice`` tries each item afterwards; the warning's first sentence stays.
    Yields the list of warnings so shortened (``ranked_advice``'s ``promised``). A run of
    fewer than ``FEW_EPOCHS`` ``epochs`` gets one verdict, ``unfinished``'s 'too few epochs':
    fit's 'still falling' and 'worse than the mean … not learned yet' are not shown beside it
    (houses --epochs 3, square --epochs 3 --seed 1 got both)."""
    import warnings

    from ..train.poorfit import NOT_LEARNED

    previous = warnings.showwarning
    held: list[str] = []  # the warnings whose list was left to ranked_advice

    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message)
        few = epochs is not None and 0 < epochs < FEW_EPOCHS
        if few and NOT_LEARNED in text:
            return None  # 'worse than the mean … not learned yet': the few-epochs verdict says it
        if NOT_LEARNED in text:
            text = text[: text.index(NOT_LEARNED)] + NOT_LEARNED_CLI
            message = category(text)
            held.append(text)
        else:
            if FALLING in text and few:
                return None  # the few-epochs verdict says it (one voice)
            for lead, instead in HELD_LISTS:
                if lead in text:  # its list of what to try: the 'advice:' table measures it
                    start = text.index(lead) + len(lead) - len("try ")
                    end = text.find(".", start)
                    text = text[:start] + instead + ("" if end < 0 else text[end:])
                    message = category(text)
                    held.append(text)
                    break
        return previous(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield held
    finally:
        warnings.showwarning = previous
        sys.stderr.flush()


FEW_EPOCHS = 10  # fewer epochs than this: unfinished by definition, whatever the r²
JUMP = 10  # the last epoch's loss over the one before (or over the lowest since it rose
# and stayed up) by this factor: no fit


def unfinished(result, held: list) -> None:
    """Inside ``hold_poor_fit``, after the run: a run fit found neither poor nor still
    falling may still be unfinished. A run of fewer than ``FEW_EPOCHS`` epochs is, by
    definition (``train --data square --epochs 3``: the advice tries the set's default
    epochs); so is one whose loss jumped by ``JUMP``× or more in its last epoch (``--epochs 3
    --lr 1``: 1316 → 272 → 30525, its r² 0.645 a lucky snapshot after the last update) or
    rose that far above its lowest earlier and stayed there (``_jumped``); and
    one whose loss swings (``caution_falling_by_windows``: ``train square --epochs 20``).
    Each warning's list is held like fit's (the 'advice:' table measures it)."""
    if result.diverged:
        return
    import warnings

    from ..errors import PoorFitWarning
    from .namedfixes import vanishing_warning

    for text in (_few(result), _jumped(result), vanishing_warning(result)):
        if text is not None:
            warnings.warn(text, PoorFitWarning, stacklevel=1)
            held.append(text)
    if held or _poor(result):
        return
    from ..train.cautions import caution_falling_by_windows, has_step_units

    if not has_step_units(result.net, None) and caution_falling_by_windows(result.history):
        return  # unfinished: dead units are no verdict on a run still learning
    from .deadunits import some_dead_warning

    some = some_dead_warning(result)  # some ReLU units never active, and a poor fit
    if some is not None:
        warnings.warn(some, PoorFitWarning, stacklevel=1)
        held.append(some)


def _few(result) -> str | None:
    epochs = int(result.spec["epochs"])  # asked for (early stopping may end a run sooner)
    if not 0 < epochs < FEW_EPOCHS:  # 0: the untrained network, on purpose (issue 17)
        return None
    from ..plural import agree, counted
    from .fitcheck import default_epochs

    default = default_epochs(result)
    tries = f"the default {default:,} epochs and " if default > epochs else ""
    return (
        f"{counted(epochs, 'epoch')} {agree(epochs, 'is', 'are')} too few to call this a fit "
        f"(fewer than {FEW_EPOCHS}): the run is unfinished whatever its score; 'advice:' below "
        f"tries {tries}other changes on this run when that is quick."
    )


def _jumped(result) -> str | None:
    """A jump in the last epoch (its loss ``JUMP``× the epoch before's), or a loss that rose
    earlier and stayed ``JUMP``× above its lowest (``square --lr 1000``: 1316 at epoch 1,
    5.15e20 at epoch 2, flat near 2.1e7 from epoch 40: not a jump 'in the last epoch').
    Epochs are history.csv's (1 = the first)."""
    losses = [v for v in result.history.history.get("loss", []) if v is not None]
    if len(losses) < 2:
        return None
    before, last = losses[-2], losses[-1]
    if before > 0 and last >= JUMP * before:
        return (
            f"the training loss jumped {last / before:.3g}× in the last epoch ({before:.4g} at "
            f"epoch {len(losses) - 1}, {last:.4g} at epoch {len(losses)}): the weights swing, "
            "so the final score is a snapshot of an unstable run, not a fit; 'advice:' below "
            "tries smaller learning rates on this run when that is quick."
        )
    low = min(losses[:-1])
    if not (low > 0 and last >= JUMP * low):
        return None
    at = losses.index(low)  # 0-based; epoch at + 1
    # the epoch it rose in to stay: the last one that crossed JUMP × its lowest from below
    rose = max(i for i in range(at + 1, len(losses)) if losses[i - 1] < JUMP * low)
    peak = max(losses[rose:])
    top = losses.index(peak, rose)
    peak_words = "" if top == rose else f", peak {peak:.4g} at epoch {top + 1}"
    return (
        f"the training loss rose in epoch {rose + 1} ({losses[rose - 1]:.4g} at epoch {rose} → "
        f"{losses[rose]:.4g}{peak_words}) and never came back: {last:.4g} at epoch "
        f"{len(losses)}, {last / low:.3g}× its lowest ({low:.4g}, epoch {at + 1}); the steps "
        "threw the weights far off, so the final score is not a fit; 'advice:' below tries "
        "smaller learning rates on this run when that is quick."
    )
