"""``backprop explain``'s output is bounded (issue 12, HX item 2).

``explain MODEL --x 1`` printed every entry of every W[l], ∂E/∂W[l], f, a, δ: 885 MB for a
49M-parameter model, 163 MB (21 s, 0.9 GB RSS) for a 1-3000-3000-1 model. Matrices and
vectors now show their corners (``trace._MAX_COLS``) and say how many entries were left out;
deep models show the first and last layers in full and say which were left out. The
lecture's small examples print exactly what the untruncated renderer prints (the limits
raised past any size compare the two). On the code before, the wide and deep cases failed
(163 MB; every one of 301 layers printed).
"""

from __future__ import annotations

import contextlib
import importlib
import io

import numpy as np
import pytest

import backprop.nn as nn
from backprop import delta
from backprop.delta import lecture

trace_module = importlib.import_module("backprop.delta.trace")  # the package exports trace()

LIMIT = 200 * 1024  # bytes: the bound for any model


def explain(*argv) -> str:
    from backprop.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["explain", *map(str, argv)])
    assert code == 0, err.getvalue()
    return out.getvalue()


def test_a_wide_model_prints_corners_and_counts(tmp_path):
    import backprop as bp

    path = tmp_path / "wide.safetensors"
    bp.save(nn.MLP([1, 3000, 3000, 1]), path)
    text = explain(path, "--x", "1")
    size = len(text.encode())
    print(f"explain 1-3000-3000-1: {size} bytes (bound {LIMIT})")
    assert size <= LIMIT
    assert "(3000×3000: only the corners shown)" in text
    assert "… 2992 more rows …" in text and "… 2992 more …" in text
    for name in ("W[2]", "∂ŷ/∂W[2]", "f[2]", "a[2]", "δ[2]", "b[2]"):
        assert f"  {name}" in text, name


def test_a_deep_model_prints_its_first_and_last_layers():
    model = nn.MLP([1] + [4] * 300 + [1])
    text = str(delta.trace(model, np.ones((1, 1)), np.zeros((1, 1)), nn.MSELoss()))
    size = len(text.encode())
    print(f"trace of a 301-layer model: {size} bytes (bound {LIMIT})")
    assert size <= LIMIT
    assert "… layers 7 to 295 not shown …" in text
    assert "… 261 more layers …" in text
    shown = {int(line.split(":")[0][len("layer ") :]) for line in text.splitlines()
             if line.startswith("layer ")}  # fmt: skip
    assert shown == {*range(1, 7), *range(296, 302)}


@pytest.mark.parametrize(
    ("network", "x", "y", "loss"),
    [
        (lecture.scalar_network, [0.5], None, None),
        (lecture.vector_network, [0.7, -1.2], None, None),
        (lecture.abs_network, [2.5], None, None),
        (lecture.abs_network, [2.5], [1.5], "half_mse"),
        (lambda: nn.MLP([3, 8, 8, 2]), [0.1, 0.2, 0.3], [0.0, 1.0], "mse"),
    ],
)
def test_small_models_print_every_value(monkeypatch, network, x, y, loss):
    """At most 8 wide and 12 layers deep: the same text as with no limits at all."""
    from backprop.nn.loss_modules import loss_class

    model = network().double()
    lf = None if loss is None else loss_class(loss)(reduction="sum")
    ys = None if y is None else np.asarray([y])
    bounded = str(delta.trace(model, np.asarray([x], dtype=np.float64), ys, lf))
    for name in ("_MAX_COLS", "_MAX_LAYERS", "_MAX_TABLE"):
        monkeypatch.setattr(trace_module, name, 10**9)
    full = str(delta.trace(model, np.asarray([x], dtype=np.float64), ys, lf))
    assert "…" not in full.replace("… (", "")
    assert bounded == full
