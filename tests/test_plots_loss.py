"""The loss plot as a student reads it (issue 15): it names its loss, spends no panel on an
RMSE that repeats an MSE, draws Adam's spikes light under a rolling median (checked against
scipy's median filter) and says when the "validation" curve is the test set.

The figure is caught before it is saved (``training.save``), so the texts and the numbers
drawn are read from matplotlib's artists, not from pixels.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")
ndimage = pytest.importorskip("scipy.ndimage")

from backprop.plots import training  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")


def drawn(monkeypatch, tmp_path, history, **kwargs):
    """The Figure loss_curves would write, and the file it does write."""
    figures = []
    save = training.save
    monkeypatch.setattr(training, "save", lambda fig, path: figures.append(fig) or save(fig, path))
    path = training.loss_curves(history, tmp_path / "loss.png", **kwargs)
    assert path.stat().st_size > 10_000  # a real picture, not a blank page
    (fig,) = figures
    return fig


def lines(fig) -> dict:
    """Every drawn line by its label (a raw curve's starts with "_", out of the legend)."""
    return {
        line.get_label(): np.asarray(line.get_ydata(), dtype=float)
        for ax in fig.axes
        for line in ax.get_lines()
        if not line.get_label().startswith("_child")
    }


def legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def adam_like(n=600, seed=0):
    """A falling loss with the brief upward spikes Adam makes at a large learning rate."""
    rng = np.random.default_rng(seed)
    loss = 50 * np.exp(-np.arange(n) / 40) + 0.8 + 0.01 * rng.random(n)
    spikes = rng.choice(np.arange(100, n), 25, replace=False)
    loss[spikes] *= rng.uniform(1.5, 3.0, spikes.size)
    return loss


@pytest.mark.parametrize(
    ("loss", "words"),
    [
        ("mse", "MSE loss"),
        ("MSELoss", "MSE loss"),
        ("half_mse", "½·MSE loss (the lecture's E)"),
        ("cross_entropy", "cross-entropy loss"),
        ("bce_with_logits", "binary cross-entropy loss"),
        ("my own", "my own loss"),
    ],
)
def test_the_axis_and_title_name_the_loss(monkeypatch, tmp_path, loss, words):
    fig = drawn(monkeypatch, tmp_path, {"loss": [3.0, 2.0, 1.0]}, loss=loss)
    assert fig.axes[0].get_ylabel() == f"{words} (log scale)"
    assert fig.get_suptitle() == f"{words[0].upper()}{words[1:]} per epoch"
    # a title the caller gives stays the title; the axis still names the loss
    fig = drawn(monkeypatch, tmp_path, {"loss": [3.0, 2.0, 1.0]}, loss=loss, title="run 7")
    assert fig.get_suptitle() == "run 7"
    assert fig.axes[0].get_ylabel() == f"{words} (log scale)"


def test_no_rmse_panel_beside_an_mse_loss(monkeypatch, tmp_path):
    epochs = np.arange(1, 41)
    history = {
        "loss": list(5 / epochs),
        "val_loss": list(6 / epochs),
        "rmse": list(np.sqrt(5 / epochs)),
        "val_rmse": list(np.sqrt(6 / epochs)),
        "r2": list(1 - 1 / epochs),
    }
    for loss in ("mse", "half_mse"):
        fig = drawn(monkeypatch, tmp_path, history, loss=loss)
        assert len(fig.axes) == 1
        assert fig.get_size_inches().tolist() == [8.0, 5.0]
    # an L1 loss does not show the squared error: RMSE adds something, and keeps its panel
    fig = drawn(monkeypatch, tmp_path, history, loss="l1")
    assert [ax.get_ylabel() for ax in fig.axes] == [
        "L1 loss (mean |ŷ − y|) (log scale)",
        "RMSE (log scale)",
    ]


def test_accuracy_keeps_its_panel_under_a_cross_entropy(monkeypatch, tmp_path):
    epochs = np.arange(1, 41)
    history = {
        "loss": list(2 / epochs),
        "val_loss": list(2.5 / epochs),
        "accuracy": list(1 - 0.5 / epochs),
        "val_accuracy": list(0.95 - 0.5 / epochs),
    }
    fig = drawn(monkeypatch, tmp_path, history, loss="cross_entropy")
    assert [ax.get_ylabel() for ax in fig.axes] == ["cross-entropy loss (log scale)", "accuracy"]
    accuracy = {line.get_label(): line.get_ydata() for line in fig.axes[1].get_lines()}
    np.testing.assert_array_equal(accuracy["training"], history["accuracy"])
    np.testing.assert_array_equal(accuracy["validation"], history["val_accuracy"])


def test_spiky_loss_drawn_raw_and_as_a_centred_rolling_median(monkeypatch, tmp_path):
    loss = adam_like()
    fig = drawn(monkeypatch, tmp_path, {"loss": list(loss)}, loss="mse")
    drawn_lines = lines(fig)
    window = 13  # 600 epochs // 50 = 12, made odd
    raw = drawn_lines["_training, each epoch"]
    smooth = drawn_lines["training"]
    # the legend says which line is which, and which smoother
    assert legend(fig.axes[0]) == [
        "training",
        "thin: each epoch",
        f"thick: rolling median of {window} epochs (centred; fewer at the ends)",
    ]
    np.testing.assert_array_equal(raw, loss)
    half = window // 2
    # where the whole window fits: scipy's median filter, which none of us wrote
    reference = ndimage.median_filter(loss, size=window, mode="nearest")
    np.testing.assert_allclose(smooth[half:-half], reference[half:-half], rtol=1e-12)
    # near the ends the median of the window's values there are (scipy's filter of the
    # NaN-padded curve): never the raw value itself, as the legend says
    padded = ndimage.generic_filter(loss, np.nanmedian, size=window, mode="constant",
                                    cval=np.nan)  # fmt: skip
    np.testing.assert_allclose(smooth, padded, rtol=1e-12)
    # the median ignores the spikes: it never rises more than 5 % from one epoch to the next
    assert np.max(smooth[1:] / smooth[:-1]) < 1.05 < np.max(loss[1:] / loss[:-1])
    # the raw curve is the thin, light one
    styles = {line.get_label(): line for line in fig.axes[0].get_lines()}
    thin, thick = styles["_training, each epoch"], styles["training"]
    assert thin.get_alpha() < 1 and thin.get_linewidth() < thick.get_linewidth()


def test_a_smooth_loss_is_drawn_once(monkeypatch, tmp_path):
    loss = 50 * np.exp(-np.arange(600) / 40) + 0.8
    fig = drawn(monkeypatch, tmp_path, {"loss": list(loss)}, loss="mse")
    assert list(lines(fig)) == ["training"]


def test_the_legend_says_when_validation_is_the_test_set(monkeypatch, tmp_path):
    epochs = np.arange(1, 31)
    history = {
        "history": {
            "loss": list(2 / epochs),
            "val_loss": list(3 / epochs),
            "accuracy": list(1 - 0.5 / epochs),
            "val_accuracy": list(0.9 - 0.5 / epochs),
        },
        "epochs": list(epochs),
        "best_epoch": 30,
    }
    fig = drawn(monkeypatch, tmp_path, history, loss="cross_entropy", validation="test")
    texts = [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]
    assert texts == [
        "training",
        "test set (used as validation)",
        "best epoch 30 (test set (used as validation): 0.1)",
        "training",
        "test set (used as validation)",
    ]
    fig = drawn(monkeypatch, tmp_path, history, loss="cross_entropy", validation=0.2)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == ["training", "validation", "best epoch 30 (validation: 0.1)"]
