"""backprop.plots: every function writes a real, non-trivial PNG atomically and refuses bad input.

Images are decoded with matplotlib and checked for their pixel size, for content (pixel
spread), and where the picture has a meaning that pixels can show — the two class colours
of a separable problem, a curve that moves when the model changes — for that too.
"""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib.image  # noqa: E402

from backprop import nn, plots  # noqa: E402
from backprop.delta import DeltaEngineError  # noqa: E402
from backprop.diagnostics import VanishingResult, vanishing_gradients  # noqa: E402
from backprop.errors import ConfigError, DataError, ShapeError  # noqa: E402
from backprop.plots import boundary, fit  # noqa: E402

# a missing glyph, a layout that cannot fit or an empty contour would each warn: fail instead
pytestmark = pytest.mark.filterwarnings("error")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def read_png(path, size):
    """Decode ``path``, check it is a PNG of ``size`` (width, height) inches at 120 dpi; a
    width of None: any (a decision boundary's figure is as wide as its equal-aspect plot)."""
    with open(path, "rb") as handle:
        assert handle.read(8) == PNG_MAGIC
    image = matplotlib.image.imread(path)
    assert image.shape[0] == round(size[1] * 120)
    if size[0] is not None:
        assert image.shape[1] == round(size[0] * 120)
    return image[..., :3]


def assert_drawn(image, spread=0.08):
    """More than a blank page: pixel values spread, and not all near white."""
    assert image.std() > spread
    assert (image.mean(axis=2) < 0.9).mean() > 0.01


def only_png_left(folder, name):
    assert sorted(p.name for p in folder.iterdir()) == [name]


def abs_net():
    """The lecture's |x − 1| net: kinks of both ReLUs at x = 1."""
    model = nn.MLP([1, 2, 1])
    model[0].weight._data[:] = [[1.0], [-1.0]]
    model[0].bias._data[:] = [-1.0, 1.0]
    model[2].weight._data[:] = [[1.0, 1.0]]
    model[2].bias._data[:] = [0.0]
    return model


def linear_classifier(weights, bias, output_activation=None):
    model = nn.MLP([2, len(weights)], output_activation=output_activation)
    model[0].weight._data[:] = weights
    model[0].bias._data[:] = bias
    return model


def blobs(rng, n=60):
    """Two separable blobs: class 0 left of x₁ = 0, class 1 right of it."""
    left = rng.normal((-2.5, 0.0), 0.7, (n, 2))
    right = rng.normal((2.5, 0.0), 0.7, (n, 2))
    return np.concatenate([left, right]), np.repeat([0, 1], n)


# -- loss curves ---------------------------------------------------------------------------------
class FakeHistory:
    def __init__(self, n=40, **extra):
        epochs = np.arange(n)
        self.history = {
            "loss": list(10 * np.exp(-epochs / 8) + 0.1),
            "val_loss": list(12 * np.exp(-epochs / 8) + 0.2),
            "accuracy": list(1 - 0.5 * np.exp(-epochs / 10)),
            "val_accuracy": list(0.97 - 0.5 * np.exp(-epochs / 10)),
            "lr": [0.1] * (n // 2) + [0.01] * (n - n // 2),
        }
        self.epochs = list(range(1, n + 1))
        self.best_epoch = n - 5
        self.stop_reason = "early stopping: no improvement in validation loss for 5 epochs"
        self.__dict__.update(extra)


def test_loss_curves_history_with_metric_panel(tmp_path):
    path = tmp_path / "loss.png"
    assert plots.loss_curves(FakeHistory(), path, title="run") == path
    assert_drawn(read_png(path, (8, 7)))
    only_png_left(tmp_path, "loss.png")


def test_loss_curves_plain_dict_and_odd_values(tmp_path):
    # a plain dict, a NaN at the end (the guard's stop), RMSE as the metric
    history = {"loss": [5.0, 2.0, 1.0, float("nan")], "rmse": [2.2, 1.4, 1.0, None]}
    assert_drawn(read_png(plots.loss_curves(history, tmp_path / "a.png"), (8, 7)))
    # negative losses cannot go on a log axis: drawn on a linear one instead
    negative = plots.loss_curves({"loss": [-1.0, -2.0]}, tmp_path / "b.png")
    assert_drawn(read_png(negative, (8, 5)), 0.05)
    # a single epoch still shows a point
    assert_drawn(read_png(plots.loss_curves({"loss": [0.3]}, tmp_path / "c.png"), (8, 5)), 0.05)


def test_loss_curves_refuses_history_without_loss(tmp_path):
    with pytest.raises(ConfigError, match=r"no 'loss'.*'accuracy'"):
        plots.loss_curves({"accuracy": [0.5, 0.6]}, tmp_path / "x.png")
    with pytest.raises(ConfigError, match="History"):
        plots.loss_curves([1.0, 0.5], tmp_path / "x.png")
    with pytest.raises(ConfigError, match="epochs has 2 entries"):
        plots.loss_curves(FakeHistory(n=6, epochs=[1, 2]), tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_best_epoch_and_stop_reason_change_the_picture(tmp_path):
    plain = read_png(
        plots.loss_curves(FakeHistory(best_epoch=None, stop_reason=None), tmp_path / "a.png"),
        (8, 7),
    )
    marked = read_png(plots.loss_curves(FakeHistory(), tmp_path / "b.png"), (8, 7))
    assert np.abs(plain - marked).mean() > 1e-3


# -- 1-D fit --------------------------------------------------------------------------------------
def test_fit_1d_abs_net(tmp_path, rng):
    x = rng.uniform(-3, 5, 60)
    y = np.abs(x - 1) + 0.1 * rng.standard_normal(60)
    path = plots.fit_1d(abs_net(), x, y, tmp_path / "fit.png", truth=lambda t: np.abs(t - 1))
    assert_drawn(read_png(path, (8, 5)))
    only_png_left(tmp_path, "fit.png")


def test_fit_1d_kinks_of_the_abs_net_are_both_at_one():
    ((layer, activation, kinks),) = fit.kinks(abs_net(), -3.0, 5.0)
    assert (layer, activation) == (1, "relu")
    np.testing.assert_allclose(kinks, [1.0, 1.0], atol=1e-6)
    assert fit.kinks(nn.MLP([1, 3, 1], activation="tanh"), -3.0, 5.0) == []  # smooth: no kinks


def test_fit_1d_image_follows_the_model(tmp_path, rng):
    x = rng.uniform(-3, 5, (40, 1))  # a column works too
    y = np.abs(x - 1)
    first = read_png(plots.fit_1d(abs_net(), x, y, tmp_path / "a.png"), (8, 5))
    moved = abs_net()
    moved[2].bias._data[:] = [1.5]  # the whole curve 1.5 higher
    second = read_png(plots.fit_1d(moved, x, y, tmp_path / "b.png"), (8, 5))
    assert np.abs(first - second).mean() > 2e-3
    no_kinks = read_png(plots.fit_1d(abs_net(), x, y, tmp_path / "c.png", show_kinks=False), (8, 5))
    assert np.abs(first - no_kinks).mean() > 1e-4


def test_fit_1d_refuses_bad_input(tmp_path):
    model = abs_net()
    with pytest.raises(ShapeError, match=r"\(5, 2\)"):
        plots.fit_1d(model, np.zeros((5, 2)), np.zeros(5), tmp_path / "x.png")
    with pytest.raises(ShapeError, match="5 samples but y has 4"):
        plots.fit_1d(model, np.zeros(5), np.zeros(4), tmp_path / "x.png")
    with pytest.raises(ShapeError, match="2 input features"):
        plots.fit_1d(nn.MLP([2, 1]), np.zeros(5), np.zeros(5), tmp_path / "x.png")
    with pytest.raises(ConfigError, match="lo < hi"):
        plots.fit_1d(model, np.zeros(5), np.zeros(5), tmp_path / "x.png", x_range=(1, 1))
    with pytest.raises(DataError, match="empty"):
        plots.fit_1d(model, [], [], tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


# -- decision boundary ----------------------------------------------------------------------------
def class_shares(image):
    """Fractions of pixels that are clearly orange (class 0) and clearly blue (class 1)."""
    r, b = image[..., 0], image[..., 2]
    return (r - b > 0.25).mean(), (b - r > 0.25).mean()


def test_decision_boundary_binary_shows_both_classes(tmp_path, rng):
    x, y = blobs(rng)
    model = linear_classifier([[3.0, 0.0]], [0.0])  # logit 3·x₁: boundary at x₁ = 0
    path = plots.decision_boundary(
        model, x, y, tmp_path / "db.png", x_test=x[::7] + 0.2, y_test=y[::7], grid=60
    )
    image = read_png(path, (None, 6))
    assert_drawn(image)
    orange, blue = class_shares(image)
    assert orange > 0.15 and blue > 0.15
    assert abs(orange - blue) < 0.1  # the boundary halves the symmetric picture
    only_png_left(tmp_path, "db.png")


def test_decision_boundary_multiclass_and_transform(tmp_path, rng):
    x = rng.uniform(-3, 3, (90, 2))
    directions = np.array([[1.0, 0.0], [-0.5, 0.87], [-0.5, -0.87]])
    y = np.argmax(x @ directions.T, axis=1)
    model = linear_classifier(directions, [0.0, 0.0, 0.0])
    one_hot = np.eye(3)[y]
    image = read_png(
        plots.decision_boundary(model, x, one_hot, tmp_path / "m.png", grid=50), (None, 6)
    )
    assert_drawn(image)
    orange, blue = class_shares(image)
    assert orange > 0.1 and blue > 0.1
    # a circle made separable by the feature map (x₁², x₂²)
    ring = linear_classifier([[-1.0, -1.0]], [4.0])
    circle = (np.hypot(x[:, 0], x[:, 1]) < 2).astype(int)
    image = read_png(
        plots.decision_boundary(ring, x, circle, tmp_path / "c.png", grid=50, transform=np.square),
        (None, 6),
    )
    orange, blue = class_shares(image)
    assert orange > 0.1 and blue > 0.1


def test_probabilities_read_logits_or_probabilities():
    points = np.array([[1.0, 0.0], [-2.0, 0.0]])
    logits = linear_classifier([[1.0, 0.0]], [0.0])
    expected = 1 / (1 + np.exp(-points[:, 0]))
    np.testing.assert_allclose(boundary._probabilities(logits, points)[:, 1], expected, rtol=1e-6)
    # a model that already ends in a sigmoid is not squashed twice
    squashed = linear_classifier([[1.0, 0.0]], [0.0], output_activation="sigmoid")
    np.testing.assert_allclose(boundary._probabilities(squashed, points)[:, 1], expected, rtol=1e-6)
    three = linear_classifier([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [0.0, 0.0, 0.0])
    p = boundary._probabilities(three, points)
    manual = np.exp(points @ [[1, 0, 0], [0, 1, 0]]) / np.exp(points @ [[1, 0, 0], [0, 1, 0]]).sum(
        axis=1, keepdims=True
    )
    np.testing.assert_allclose(p, manual, rtol=1e-6)


def test_decision_boundary_refuses_bad_input(tmp_path):
    model = linear_classifier([[1.0, 0.0]], [0.0])
    with pytest.raises(ShapeError, match=r"shape \(N, 2\), got \(10,\)"):
        plots.decision_boundary(model, np.zeros(10), np.zeros(10), tmp_path / "x.png")
    with pytest.raises(ShapeError, match=r"\(4, 3\)"):
        plots.decision_boundary(model, np.zeros((4, 3)), np.zeros(4), tmp_path / "x.png")
    with pytest.raises(DataError, match=r"y\[2\] = 2 is not a class index"):
        plots.decision_boundary(model, np.zeros((3, 2)), [0, 1, 2], tmp_path / "x.png", grid=5)
    with pytest.raises(ShapeError, match="one class label per point"):
        plots.decision_boundary(model, np.zeros((3, 2)), [0, 1], tmp_path / "x.png", grid=5)
    with pytest.raises(ConfigError, match="both x_test and y_test"):
        plots.decision_boundary(model, np.zeros((3, 2)), [0, 1, 1], tmp_path / "x.png", x_test=[])
    with pytest.raises(ConfigError, match="grid"):
        plots.decision_boundary(model, np.zeros((3, 2)), [0, 1, 1], tmp_path / "x.png", grid=1)
    assert list(tmp_path.iterdir()) == []


# -- vanishing gradients ---------------------------------------------------------------------------
def test_gradient_norms_plot(tmp_path):
    result = vanishing_gradients(depths=[2, 4, 6], width=8, samples=16)
    path = plots.gradient_norms(result, tmp_path / "v.png")
    assert_drawn(read_png(path, (11, 5)))
    only_png_left(tmp_path, "v.png")
    # the bare dict of norms works too
    assert_drawn(read_png(plots.gradient_norms(result.grad_norms, tmp_path / "d.png"), (11, 5)))


def test_gradient_norms_refuses_an_empty_result(tmp_path):
    empty = VanishingResult(width=8, samples=16, seed=0, init={})
    with pytest.raises(ConfigError, match=r"no gradient norms.*vanishing_gradients"):
        plots.gradient_norms(empty, tmp_path / "v.png")
    with pytest.raises(ConfigError, match="no gradient norms"):
        plots.gradient_norms(object(), tmp_path / "v.png")
    assert list(tmp_path.iterdir()) == []


# -- network diagram -------------------------------------------------------------------------------
def test_network_diagram_tiny_net_with_values(tmp_path):
    path = plots.network_diagram(abs_net(), tmp_path / "n.png", title="|x − 1|")
    with_values = read_png(path, (8, 5))
    assert_drawn(with_values, 0.05)
    only_png_left(tmp_path, "n.png")
    without = read_png(
        plots.network_diagram(abs_net(), tmp_path / "m.png", show_values=False), (8, 5)
    )
    assert np.abs(with_values - without).mean() > 1e-3
    # the weight's sign sets its colour: flipping the net's signs swaps blue and orange
    flipped = abs_net()
    for p in flipped.parameters():
        p._data *= -1
    image = read_png(plots.network_diagram(flipped, tmp_path / "f.png", show_values=False), (8, 5))
    assert np.abs(image - without).mean() > 1e-3


def test_network_diagram_wide_and_deep_nets(tmp_path):
    wide = read_png(plots.network_diagram(nn.MLP([64, 32, 10]), tmp_path / "w.png"), (8, 8.8))
    assert_drawn(wide)
    deep = plots.network_diagram(
        nn.MLP([3] + [5] * 9 + [2], activation="sigmoid"), tmp_path / "d.png"
    )
    assert_drawn(read_png(deep, (16, 5)))


def test_network_diagram_refuses_a_model_that_is_not_an_mlp(tmp_path):
    with pytest.raises(DeltaEngineError, match=r"must start with nn\.Linear"):
        plots.network_diagram(nn.Sequential(nn.ReLU(), nn.Linear(2, 1)), tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


# -- writing and dependencies ----------------------------------------------------------------------
def test_overwrites_atomically_and_keeps_the_old_file_on_error(tmp_path):
    path = tmp_path / "plot.png"
    plots.loss_curves({"loss": [3.0, 2.0, 1.0]}, path)
    before = path.read_bytes()
    with pytest.raises(ConfigError):
        plots.loss_curves({"lost": [1.0]}, path)
    assert path.read_bytes() == before
    plots.loss_curves({"loss": [3.0, 1.0, 0.5, 0.2]}, path)
    assert path.read_bytes() != before
    only_png_left(tmp_path, "plot.png")


def test_without_matplotlib_the_error_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    project = Path(__file__).resolve().parents[1]  # the line names the project's folder
    monkeypatch.setattr("backprop._extras.in_kernel", lambda: True)  # as in a notebook
    hint = re.escape(f'%pip install -e "{project}[plot]"')
    with pytest.raises(plots.PlotDependencyError, match=hint):
        plots.loss_curves({"loss": [1.0]}, tmp_path / "x.png")
    with pytest.raises(ImportError):  # it is an ImportError, as code that checks expects
        plots.network_diagram(abs_net(), tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_no_pyplot_and_no_global_backend_change():
    code = (
        "import sys, matplotlib\n"
        "backend = matplotlib.rcParams._get_backend_or_none()\n"
        "import backprop.plots as p\n"
        "import tempfile, os\n"
        "d = tempfile.mkdtemp()\n"
        "p.loss_curves({'loss': [2.0, 1.0]}, os.path.join(d, 'a.png'))\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
        "assert matplotlib.rcParams._get_backend_or_none() == backend\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    lazy = "import sys, backprop.plots\nassert 'matplotlib' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", lazy], check=True, timeout=60)
