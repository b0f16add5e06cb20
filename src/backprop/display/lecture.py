"""The checks notebook 07 (the lecture's y = x² run) prints, kept out of its cells.

The notebook's cells are the slides' code; what checks them lives here so a student reads
the lecture, not guard code: ``trained_mse`` finds the training MSE of the network the
training loop trained (and says which cells to run again when an earlier cell was re-run
and made another network, or new data and a new optimizer: Adam's steps fall short of the
loop's epochs), ``say_training_mse`` and ``say_fresh`` print
the ✓/✗ lines. A ✓ claims only what it tested: ``say_fresh`` needs the fresh predictions
near x² *and* rising as x² rises, so a network that is flat over part of the range (the
same prediction at x = 0.883 and x = −0.618, as after 50 epochs) gets a ✗ that says so,
not the ✓ a constant within a wide band would get. A student's shorter run gets ✗ lines
(the notebook goes on); the slide's 10,000 epochs missing a claim stops with an error,
as every number the notebooks check does.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..errors import BackpropError

FULL_RUN = 10000  # the slide's epochs: a miss then is a drift, not a student's edit
NOISE_SD = 1.0  # y = x² + randn: one noise standard deviation
MSE_FIT = 2.5  # a training MSE below this is near the noise's variance 1

RERUN = (
    "Re-running the model cell (torch.manual_seed(0); model = MultilayerPerceptron(1, 8)) "
    "makes a new, untrained network; run the cells below it again in order: the data and "
    "optimizer cell (adam = optim.Adam(model.parameters(), ...)), then the training loop."
)


class LectureCheckError(BackpropError, AssertionError):
    """A notebook's check failed: the cells ran out of order, or a lecture number drifted."""


def trained_mse(model, x, y, loss_function, optimizer, losses) -> float:
    """The model's training MSE now, after checking it is the network the loop trained."""
    from ..autograd.grad_mode import no_grad

    if optimizer.param_groups[0]["params"][0] is not next(model.parameters()):
        raise LectureCheckError(
            "adam holds another network's weights, not model's: this is not the network "
            f"the loop trained. {RERUN}"
        )
    with no_grad():
        now = loss_function(model(x), y).item()
    if losses and now > 10 * max(losses[-1], 1.0):
        raise LectureCheckError(
            f"the model's training MSE is {now:.6g}, but the training loop's last epoch had "
            f"{losses[-1]:.4g}: this is not the network the loop trained. {RERUN}"
        )
    steps = _steps_taken(optimizer)
    if losses and steps is not None and steps < len(losses):  # more: the loop ran again
        raise LectureCheckError(
            f"adam has taken {steps:,} step(s) but the training loop ran {len(losses):,} "
            "epoch(s): the data and optimizer cell (x = 5 * torch.randn(100, 1) … adam = "
            "optim.Adam(…)) ran again after the training loop, so x and y are new data this "
            "network never trained on (and adam a new optimizer). Run the training loop "
            "again, then this cell."
        )
    return now


def _steps_taken(optimizer) -> int | None:
    """The steps an optimizer that counts them (Adam & co.) has taken, else None (SGD)."""
    params = optimizer.param_groups[0]["params"]
    state = optimizer.state.get(params[0]) if params else None
    if not optimizer.state:
        return 0 if "betas" in optimizer.param_groups[0] else None  # Adam before its 1st step
    if state is None or "step" not in state:
        return None
    step = state["step"]
    return int(float(step.item() if hasattr(step, "item") else step))


def say_training_mse(final: float, n_epoch: int) -> None:
    """✓ when the training MSE is near the noise's variance, else ✗ (or an error at 10,000)."""
    if final < MSE_FIT:
        print("✓ the training MSE is near the noise's variance 1 (the slide's: 0.58 to 1.78)")
    elif n_epoch < FULL_RUN:
        print(
            f"✗ the training MSE {final:.4g} is far above the noise's variance 1 after "
            f"n_epoch = {n_epoch} epoch(s): train longer (the slide's 10,000 epochs)"
        )
    else:
        raise LectureCheckError(
            f"the training MSE {final:.4g} is far above the noise's variance 1 (the slide's "
            "losses from epoch 1,000 on were between 0.58 and 1.78)"
        )


def say_fresh(x2, y_pred, slide_pred, n_epoch: int) -> None:
    """The fresh points' errors, ours and the slide's, and whether ours follow x²: each
    within three noise σ of it, and in x²'s order (a flat piece gives two points one value)."""
    xs = np.asarray(x2.tolist(), dtype=float).ravel()
    truth = np.square(xs)
    ours = np.asarray(y_pred.tolist(), dtype=float).ravel()
    off = np.abs(ours - truth)
    print("|ŷ − x²| ours: ", np.round(off, 3))
    print("|ŷ − x²| slide:", np.round(np.abs(np.asarray(slide_pred, dtype=float) - truth), 3))
    order = np.argsort(truth)
    flat = [(int(a), int(b)) for a, b in itertools.pairwise(order) if not ours[b] > ours[a]]
    if off.max() < 3 * NOISE_SD and not flat:
        print(
            "✓ the fresh predictions follow x²: each within three noise standard deviations "
            "of it, and larger where x² is larger"
        )
        return
    if off.max() >= 3 * NOISE_SD:
        i = int(off.argmax())
        why = f"ŷ = {ours[i]:.3f} at x = {xs[i]:.3f} is {off[i]:.3g} from x² = {truth[i]:.3f}"
    else:
        a, b = flat[0]
        why = (
            f"ŷ = {ours[b]:.3f} at x = {xs[b]:.3f} (x² = {truth[b]:.3f}) is not above "
            f"ŷ = {ours[a]:.3f} at x = {xs[a]:.3f} (x² = {truth[a]:.3f}): the network is "
            "flat there, not x²"
        )
    if n_epoch < FULL_RUN:
        print(f"✗ a fresh prediction does not follow x²: {why}, after n_epoch = {n_epoch}: "
              "train longer")  # fmt: skip
    else:
        raise LectureCheckError(f"the fresh predictions do not follow x²: {why}")
