"""The network diagram labels its layers the same way in every layout (issue 15): small (the
numbers written on the links), wide (columns cut with a gap) and deep (narrow columns), in the
lecture's words and symbols — layer 0 is the input, g[l] the activation, W[l] n[l−1]×n[l].
"""

from __future__ import annotations

import pytest

pytest.importorskip("matplotlib")

from backprop import nn  # noqa: E402
from backprop.plots import diagram  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")


def lecture_labels(sizes, activations):
    """What the lecture calls each column and each weight matrix, written out here."""
    L = len(sizes) - 1
    heads = ["input\nlayer 0\n$a^{[0]}$ = x"]
    for l in range(1, L + 1):
        kind = "output" if l == L else "hidden"
        heads.append(f"{kind}\nlayer {l}\n$g^{{[{l}]}}$ = {activations[l - 1]}")
    weights = [f"$W^{{[{l}]}}$\n{sizes[l - 1]}×{sizes[l]}" for l in range(1, L + 1)]
    return heads, weights


LAYOUTS = {
    "small": ([1, 2, 1], "relu", True),
    "wide": ([64, 32, 10], "relu", False),
    "deep": ([3] + [5] * 9 + [2], "sigmoid", False),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layer_labels_are_the_lectures_in_every_layout(monkeypatch, tmp_path, layout):
    sizes, activation, with_values = LAYOUTS[layout]
    model = nn.MLP(sizes, activation=activation)
    figures = []
    save = diagram.save
    monkeypatch.setattr(diagram, "save", lambda fig, path: figures.append(fig) or save(fig, path))
    path = diagram.network_diagram(model, tmp_path / "n.png", title=layout)
    assert path.stat().st_size > 10_000
    ((ax,),) = [fig.axes for fig in figures]
    texts = [t.get_text() for t in ax.texts]
    heads, weights = lecture_labels(sizes, [activation] * (len(sizes) - 2) + ["identity"])
    assert [t for t in texts if "layer" in t] == heads
    assert [t for t in texts if t.startswith("$W")] == weights
    # numbers on the links only where the layout has room for them
    assert any(t.startswith("b = ") for t in texts) == with_values
    # one size for all the labels of a picture
    sizes_used = {
        t.get_fontsize() for t in ax.texts if "layer" in t.get_text() or "$W" in t.get_text()
    }
    assert len(sizes_used) == 1
