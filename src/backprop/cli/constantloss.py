"""A classifier whose training loss ends above a constant model's: its steps were too large.

Accuracy can look fine while the probabilities are wild: Adam at lr 50 on two blobs ends at
accuracy 0.97 with a cross-entropy of 2.05, where answering every row with the classes'
shares (a model that ignores its inputs) scores their entropy H ≤ ln C (ln 2 = 0.693 for
two balanced classes). A loss above H means the network is confidently wrong on some rows:
its steps were too large. ``backprop train`` says so as a warning, and its 'advice:' table
then measures smaller learning rates on the same run (``fitcheck.ranked_advice``).
"""

from __future__ import annotations

import math

__all__ = ["CROSS_ENTROPIES", "constant_loss", "worse_than_constant"]

CROSS_ENTROPIES = ("cross_entropy", "bce_with_logits")


def constant_loss(y) -> tuple[float, int]:
    """(H, C): the cross-entropy of the best constant model — each class's share of the
    rows as its probability — and the number of classes present."""
    import numpy as np

    labels = np.asarray(y).reshape(len(y), -1)
    labels = labels.argmax(1) if labels.shape[1] > 1 else np.rint(labels[:, 0])
    counts = np.unique(labels, return_counts=True)[1]
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum()), len(counts)


def worse_than_constant(result) -> str | None:
    """The warning's text when a classifier's last training loss is above H, else None."""
    if result.diverged or result.dataset.task != "classification":
        return None
    if (result.spec.get("loss") or {}).get("name") not in CROSS_ENTROPIES:
        return None
    losses = [v for v in result.history.history.get("loss", []) if v is not None]
    if not losses or not math.isfinite(losses[-1]):
        return None
    h, c = constant_loss(result.dataset.y)
    if c < 2 or losses[-1] <= h:
        return None
    balanced = abs(h - math.log(c)) < 1e-9
    what = f"ln {c} = {h:.3g}" if balanced else f"{h:.3g}, the entropy of the class shares"
    return (
        f"the training loss ended at {losses[-1]:.4g}, above what a model that ignores its "
        f"inputs scores ({what}: every row answered with the classes' shares), so the "
        "network is confidently wrong on some rows however its accuracy reads: its steps "
        "were too large. 'advice:' below tries smaller learning rates on this run when that "
        "is quick."
    )
