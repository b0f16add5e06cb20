"""The digits demo's run folder (issue 15): beside the loss curve, a confusion matrix of the
test set (its counts checked against scikit-learn's confusion_matrix of predictions computed
here from the weights) and a grid of the misclassified digits (each image one of
scikit-learn's own digits, of the class its title calls true).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")
sklearn_datasets = pytest.importorskip("sklearn.datasets")
sklearn_metrics = pytest.importorskip("sklearn.metrics")

from backprop import nn  # noqa: E402
from backprop.cli import outputs  # noqa: E402
from backprop.errors import PoorFitWarning, ShapeError  # noqa: E402
from backprop.plots import classes, fit, training  # noqa: E402
from backprop.plots import diagram as diagram_module  # noqa: E402
from backprop.spec import builtin  # noqa: E402
from backprop.spec import run as run_spec  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")


def numpy_logits(model, x):
    """The MLP's output written out in NumPy float64 from its weights (ReLU hidden layers)."""
    a = np.asarray(x, dtype=np.float64)
    for module in model:
        if isinstance(module, nn.Linear):
            w = module.weight.detach().numpy().astype(np.float64)
            a = a @ w.T + module.bias.detach().numpy().astype(np.float64)
        elif isinstance(module, nn.ReLU):
            a = np.maximum(a, 0)
    return a


@pytest.fixture(scope="module")
def digits_run():
    spec = builtin("digits")
    spec["epochs"] = 2  # a few mistakes left to draw
    with warnings.catch_warnings():  # 2 epochs: warned that the loss is still falling
        warnings.simplefilter("ignore", PoorFitWarning)
        return run_spec(spec)


@pytest.fixture
def figures(monkeypatch):
    """Every Figure the plots write, by file name (they are still written)."""
    caught = {}
    for module in (training, classes, fit, diagram_module):
        save = module.save

        def keep(fig, path, save=save):
            caught[path.name] = fig
            return save(fig, path)

        monkeypatch.setattr(module, "save", keep)
    return caught


def test_digits_run_folder_has_the_confusion_matrix_and_the_mistakes(tmp_path, digits_run, figures):
    written = outputs.save_plots(digits_run, tmp_path)
    assert {k: p.name for k, p in written.items()} == {
        "loss_plot": "loss.png",
        "confusion_plot": "confusion.png",
        "mistakes_plot": "misclassified.png",
    }
    for path in written.values():
        assert path.stat().st_size > 10_000
    ds = digits_run.dataset
    # the loss plot names its loss and says the validation curve is the test set
    loss_ax = figures["loss.png"].axes[0]
    assert loss_ax.get_ylabel() == "cross-entropy loss (log scale)"
    legend = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert "test set (used as validation)" in legend

    # the confusion matrix: scikit-learn's, of the argmax of the weights' own output
    expected_pred = numpy_logits(digits_run.net, ds.x_test).argmax(axis=1)
    expected = sklearn_metrics.confusion_matrix(ds.y_test, expected_pred, labels=range(10))
    fig = figures["confusion.png"]
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), expected)
    cells = [int(t.get_text()) for t in ax.texts]
    np.testing.assert_array_equal(np.reshape(cells, (10, 10)), expected)
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(c) for c in range(10)]
    correct = np.trace(expected) / expected.sum()
    assert fig.get_suptitle() == (
        f"Confusion matrix, test set\n{len(ds.y_test)} rows, {correct:.1%} correct"
    )

    # the mistakes: as many as the matrix has off its diagonal (up to 24), in test-set order
    wrong = np.flatnonzero(expected_pred != ds.y_test)
    assert wrong.size == expected.sum() - np.trace(expected) > 0
    fig = figures["misclassified.png"]
    panels = [a for a in fig.axes if a.images]
    assert len(panels) == min(24, wrong.size)
    reference = sklearn_datasets.load_digits()
    for panel, k in zip(panels, wrong):
        assert panel.get_title() == f"true {ds.y_test[k]}\npredicted {expected_pred[k]}"
        image = np.asarray(panel.images[0].get_array()).ravel()
        # the raw 0–16 pixels of one of scikit-learn's digits, of the class called true
        match = np.flatnonzero(np.abs(reference.data - image).max(axis=1) < 1e-6)
        assert match.size >= 1 and set(reference.target[match]) == {ds.y_test[k]}
    total = f"{wrong.size} of {len(ds.y_test)} rows"
    shown = f"the first 24 of {total}" if wrong.size > 24 else total
    assert fig.get_suptitle() == f"Misclassified, test set: {shown}"


def test_image_shape_reads_pixel_names():
    assert classes.image_shape([f"pixel_{r}_{c}" for r in range(8) for c in range(8)]) == (8, 8)
    assert classes.image_shape([f"pixel_{r}_{c}" for r in range(2) for c in range(3)]) == (2, 3)
    assert classes.image_shape(["size", "rooms"]) is None
    assert classes.image_shape(["pixel_0_1", "pixel_0_0"]) is None  # not row-major
    assert classes.image_shape([]) is None


def test_no_mistakes_and_bad_shapes(tmp_path):
    model = nn.MLP([4, 3])  # four "pixels" of a 2×2 image, three classes
    x = np.eye(4)
    y = numpy_logits(model, x).argmax(axis=1)  # the model's own answers: all right
    path = classes.misclassified(model, x, y, tmp_path / "m.png", shape=(2, 2))
    assert path.stat().st_size > 3_000
    with pytest.raises(ShapeError, match=r"2×3 = 6 pixels"):
        classes.misclassified(model, x, y, tmp_path / "m.png", shape=(2, 3))
    with pytest.raises(ShapeError, match="3 labels but x has 4 rows"):
        classes.confusion_matrix(model, x, y[:3], tmp_path / "c.png")


def test_a_csv_classifier_without_test_set_names_the_rows_it_counts(tmp_path, figures):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(90, 3))
    kinds = np.where(x[:, 0] > 0.3, "big", np.where(x[:, 2] > 0, "mid", "small"))
    rows = ["a,b,c,kind"] + [f"{a:.3f},{b:.3f},{c:.3f},{k}" for (a, b, c), k in zip(x, kinds)]
    (tmp_path / "cls.csv").write_text("\n".join(rows) + "\n")
    spec = {
        "name": "cls",
        "data": {"csv": str(tmp_path / "cls.csv"), "target": "kind"},
        "model": {"hidden": [4]},
        "epochs": 2,
        "validation": 0.2,
    }
    with warnings.catch_warnings():  # 2 epochs: it may not beat the majority class yet
        warnings.simplefilter("ignore", PoorFitWarning)
        run = run_spec(spec)
    written = outputs.save_plots(run, tmp_path)
    assert "confusion_plot" in written and "mistakes_plot" not in written  # not images
    fig = figures["confusion.png"]
    # the held-out rows alone (issue 15, C15L: it mixed training and validation rows), the
    # split fit made (train.inputs.validation_rows, stratified by class)
    from backprop.train.inputs import validation_rows

    _, val = validation_rows(90, 0.2, run.spec["seed"], run.dataset.y)
    assert fig.get_suptitle().startswith("Confusion matrix, validation rows (18 held out)\n18 rows")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["big", "mid", "small"]
    predicted = numpy_logits(run.net, run.dataset.x[val]).argmax(axis=1)
    expected = sklearn_metrics.confusion_matrix(run.dataset.y[val], predicted, labels=range(3))
    np.testing.assert_array_equal(ax.images[0].get_array(), expected)
