"""After a regression run: say, in words, when a straight line fits the rows better.

A network with at least one hidden layer can represent a linear function, but a short run
may not have found even that: the README's houses example (price ≈ 3·size + 10·rooms +
noise) reached a training rmse of 5.16 at the CSV defaults (8x8 ReLU, Adam 0.01, 100
epochs) where least squares gets 4.42. Nothing in r² = 0.998 tells a student so. So after a
regression run, ``backprop train`` fits ordinary least squares (with an intercept, NumPy's
``lstsq``) on the rows the run trained on and compares the rmse in the target's own units:
on the validation rows when the run held some out (the honest comparison), else on the
training rows (``judged.Judge`` says which). When the linear model's is clearly lower (the
judge's margin: more than 10 %), one note says both
numbers, and that a linear model is the better tool for such rows: on the houses example
neither more epochs nor wider layers closed the gap reliably on the 40 validation rows
(docs/cli.md has the table), so the note advises no flag. It costs one least-squares solve.
It is said only of a finished run (``Judge.finished``): one that diverged, did not learn or
got its own verdict while training (unfinished, jumped, dead units) gets that verdict and
``fitcheck``'s advice instead, never a comparison with a line.
"""

from __future__ import annotations

from .judged import RMSE_GAIN as MARGIN  # noqa: F401 - the judge's 10 %, as before

MAX_ROWS = 200_000  # a larger table is not checked (the solve and the pass stay cheap)


def linear_note(result, verdicts) -> str | None:
    """The note, or None (not a regression, not finished by ``Judge.finished`` given the
    run's own ``verdicts``, too large, or the network is as good)."""
    import numpy as np

    from ..spec import targets
    from .judged import Judge

    ds = result.dataset
    if ds.task != "regression" or not len(result.history):
        return None
    if not Judge.of(result).finished(result, verdicts):
        return None
    if len(ds.x) > MAX_ROWS or ds.x.shape[1] >= len(ds.x):
        return None
    rows = targets.training_rows(result.spec, ds)
    n = len(ds.x)
    train = np.arange(n) if rows is None else np.asarray(rows)
    held = np.setdiff1d(np.arange(n), train) if rows is not None else None
    x, y = np.asarray(ds.x, np.float64), np.asarray(ds.y, np.float64).reshape(n, -1)
    ones = np.ones((n, 1))
    a = np.hstack([x, ones])
    coef, *_ = np.linalg.lstsq(a[train], y[train], rcond=None)
    import backprop as bp

    net = result.net
    dtype = next(iter(net.parameters()))._data.dtype
    from ..train.engines import EVAL_NUMBERS

    # in chunks, as fit's own evaluation: a wide layer over every row at once ran out of
    # memory (8,000 rows × 32,768 units = 1 GB) after the run had trained within its bounds
    widths = sum(p.shape[0] for p in net.parameters() if len(p.shape) == 2)
    chunk = max(1, EVAL_NUMBERS // max(1, widths))
    with bp.no_grad():
        parts = [net(bp.tensor(x[i : i + chunk].astype(dtype))).numpy() for i in range(0, n, chunk)]
    ours = np.concatenate(parts).astype(np.float64)
    # the judge's rows: the validation split's when there is one (a built-in set's test rows
    # are not among ds.x: the line is then compared on the training rows, said so)
    on = held if Judge.of(result).validation and held is not None and len(held) else train
    which = "validation rows" if on is not train else "training rows"

    def rmse(pred):
        return float(np.sqrt(np.mean((pred[on] - y[on]) ** 2)))

    mine, line = rmse(ours), rmse(a @ coef)
    if not Judge.rmse_clearly_lower(line, mine):
        return None
    names = list(ds.target_names)
    units = f"{names[0]}'s units" if len(names) == 1 else "the targets' units"
    rows = f"{len(train):,} training rows"
    return (
        f"note: a straight line fits these rows better than this network: least squares on "
        f"the same inputs has rmse {line:.4g} on the {which}, the network {mine:.4g} "
        f"({units}). On {rows} the network's extra freedom is not paying off: if the target "
        "is close to linear in the inputs, a linear model (scikit-learn's LinearRegression) "
        "is the better tool; a network earns its keep where the target bends."
    ) + _last_jump(result, "val_loss" if which == "validation rows" else "loss")


LAST_RISE = 1.2  # the last epoch's judged loss this much above the epoch before's: say so


def _last_jump(result, key: str) -> str:
    """The note compares the LAST epoch's network: when that epoch's ``key`` rose over the
    one before by ``LAST_RISE`` or more (houses --validation 0.2: val_loss +66 % in epoch
    100, where epoch 99's network beat the line), say so beside it."""
    values = [v for v in result.history.history.get(key) or [] if v is not None]
    if len(values) < 2 or not values[-2] > 0 or values[-1] < LAST_RISE * values[-2]:
        return ""
    before, last = float(values[-2]), float(values[-1])
    return (
        f" The network compared is the last epoch's, and its {key} rose "
        f"{last / before - 1:.0%} in that epoch ({before:.4g} → {last:.4g}): one epoch's "
        "swing may decide this comparison."
    )
