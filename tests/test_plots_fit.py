"""The 1-D fit plot marks the corners of ŷ(x) of every ReLU-like layer (issue 15): the x where
a unit's input f[l](x) crosses 0, checked against f[l] computed here with NumPy in float64
from the model's weights; one legend entry per layer, and the legend off the axes.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from backprop import manual_seed, nn  # noqa: E402
from backprop.plots import fit  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")


def numpy_crossings(model, lo, hi, points=400_001):
    """{l: sorted x where a unit's f[l] changes sign}, from the weights alone: the forward
    pass written out in float64, zeros by linear interpolation on a very fine grid."""
    x = np.linspace(lo, hi, points)[:, None]
    a, out, l = x, {}, 0
    for module in model:
        if isinstance(module, nn.Linear):
            l += 1
            w = module.weight.detach().numpy().astype(np.float64)
            b = module.bias.detach().numpy().astype(np.float64)
            f = a @ w.T + b
            a = f
            positive = f > 0
            cell, unit = np.nonzero(positive[:-1] != positive[1:])
            f0, f1 = f[cell, unit], f[cell + 1, unit]
            out[l] = np.sort(x[cell, 0] + f0 / (f0 - f1) * (x[cell + 1, 0] - x[cell, 0]))
        elif isinstance(module, nn.ReLU):
            a = np.maximum(a, 0)
        elif isinstance(module, nn.LeakyReLU):
            a = np.where(a > 0, a, 0.01 * a)
        elif isinstance(module, nn.Tanh):
            a = np.tanh(a)
    return out


def abs_net():
    model = nn.MLP([1, 2, 1])
    model[0].weight._data[:] = [[1.0], [-1.0]]
    model[0].bias._data[:] = [-1.0, 1.0]
    model[2].weight._data[:] = [[1.0, 1.0]]
    model[2].bias._data[:] = [0.0]
    return model


def caught(monkeypatch, tmp_path, model, x, y, **kwargs):
    figures = []
    save = fit.save
    monkeypatch.setattr(fit, "save", lambda fig, path: figures.append(fig) or save(fig, path))
    path = fit.fit_1d(model, x, y, tmp_path / "fit.png", **kwargs)
    assert path.stat().st_size > 10_000
    (fig,) = figures
    return fig


def test_kinks_of_every_relu_layer_match_numpy():
    manual_seed(3)
    model = nn.MLP([1, 8, 8, 8, 1], activation=["relu", "leaky_relu", "tanh"])
    lo, hi = -4.0, 4.0
    found = {l: (name, xs) for l, name, xs in fit.kinks(model, lo, hi)}
    expected = numpy_crossings(model, lo, hi)
    assert sorted(found) == [1, 2]  # layer 3 is tanh: smooth, no corners
    assert found[1][0] == "relu" and found[2][0] == "leaky_relu"
    assert expected[2].size >= 2, "the seed should give layer 2 some crossings to check"
    for l in (1, 2):
        assert found[l][1].size == expected[l].size
        np.testing.assert_allclose(found[l][1], expected[l], atol=1e-5 * (hi - lo))
    # layer 1's corners are the lecture's x = −b/w
    w = model[0].weight.detach().numpy()[:, 0].astype(float)
    b = model[0].bias.detach().numpy().astype(float)
    corners = -b / w
    np.testing.assert_allclose(
        found[1][1], np.sort(corners[(corners > lo) & (corners < hi)]), atol=1e-5
    )


def test_abs_net_has_both_kinks_at_one_and_smooth_nets_none():
    ((l, name, xs),) = fit.kinks(abs_net(), -3.0, 5.0)
    assert (l, name) == (1, "relu")
    np.testing.assert_allclose(xs, [1.0, 1.0], atol=1e-6)
    assert fit.kinks(nn.MLP([1, 3, 3, 1], activation="tanh"), -3.0, 3.0) == []


def test_the_plot_marks_each_layer_on_the_curve_with_its_own_legend_entry(monkeypatch, tmp_path):
    manual_seed(3)
    model = nn.MLP([1, 8, 8, 1])
    rng = np.random.default_rng(0)
    x = rng.uniform(-4, 4, 50)
    fig = caught(monkeypatch, tmp_path, model, x, np.square(x), truth=np.square)
    (ax,) = fig.axes
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [
        "samples",
        "network ŷ(x)",
        "true function",
        "kinks of layer 1's ReLU units (f[1] = 0)",
        "kinks of layer 2's ReLU units (f[2] = 0)",
    ]
    lo, hi = ax.get_xlim()
    expected = numpy_crossings(model, lo, hi)
    markers = {line.get_label(): line for line in ax.get_lines()}
    styles = set()
    for l in (1, 2):
        line = markers[f"kinks of layer {l}'s ReLU units (f[{l}] = 0)"]
        drawn = np.sort(line.get_xdata())
        # kinks closer than a marker's width share one marker (with their count beside it:
        # a marker hidden under its neighbour would hide a corner)
        gap = np.abs(expected[l][:, None] - drawn[None, :]).min(axis=1)
        points = fig.get_size_inches()[0] * 72 * ax.get_position().width
        assert gap.max() <= max(1e-3, line.get_markersize() / points) * (hi - lo)
        assert np.abs(drawn[:, None] - expected[l][None, :]).min(axis=1).max() < 1e-5 * (hi - lo)
        # on the network's curve: ŷ at the kink, from the model itself
        with_grad_off = fit.evaluate(model, np.asarray(line.get_xdata())[:, None])[:, 0]
        np.testing.assert_allclose(line.get_ydata(), with_grad_off)
        styles.add((line.get_marker(), line.get_markerfacecolor()))
    assert len(styles) == 2  # the layers read apart
    # the legend is the figure's, below the axes: it covers no data
    assert ax.get_legend() is None
    fig.draw_without_rendering()
    legend_box = fig.legends[0].get_window_extent()
    assert legend_box.y1 <= ax.get_window_extent().y0


def test_coinciding_kinks_are_drawn_once_with_their_count(monkeypatch, tmp_path):
    x = np.linspace(-3, 5, 40)
    fig = caught(monkeypatch, tmp_path, abs_net(), x, np.abs(x - 1))
    (ax,) = fig.axes
    (line,) = [m for m in ax.get_lines() if m.get_label().startswith("kinks of layer 1")]
    np.testing.assert_allclose(line.get_xdata(), [1.0], atol=1e-6)
    assert [t.get_text() for t in ax.texts] == ["×2"]


def test_kinks_in_chunks_of_rows_are_the_same(monkeypatch):
    """A wide layer's grid goes through the engine in chunks (as fit's evaluation): forced
    here with a tiny budget, the kinks are those of one pass, crossings between chunks too."""
    from backprop.train import engines

    manual_seed(5)
    model = nn.MLP([1, 16, 16, 1])
    whole = fit.kinks(model, -4.0, 4.0)
    monkeypatch.setattr(engines, "EVAL_NUMBERS", 34 * 7)  # 7 rows a chunk
    chunked = fit.kinks(model, -4.0, 4.0)
    assert [(l, name) for l, name, _ in chunked] == [(l, name) for l, name, _ in whole]
    for (_, _, a), (_, _, b) in zip(whole, chunked):
        np.testing.assert_array_equal(a, b)
    expected = numpy_crossings(model, -4.0, 4.0)
    for l, _, xs in chunked:
        np.testing.assert_allclose(xs, expected[l], atol=1e-4)
