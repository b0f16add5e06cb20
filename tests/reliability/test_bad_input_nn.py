"""Issue 8, item 3 (continued): bad arrays for the losses and for model forward.

The loss functions and ``nn.*Loss`` modules get targets of the wrong shape, class
targets out of range, negative, fractional, as a column or with a row too many, and bad
arguments; ``nn.Linear`` and ``nn.MLP`` get batched, unbatched, NaN, wrong-width, 0-d,
wrong-dtype and non-tensor inputs. Each must work (with PyTorch's values, or the right
shape) or raise a backprop error naming the argument. Losses are stricter than PyTorch,
which only warns when ``MSELoss`` gets (N, 1) against (N,): we refuse. See
``test_bad_input_tensors.py`` for the rules and ``bad_input_harness.py`` for the referee.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from hypothesis import strategies as st

import backprop as bp
import backprop.nn.functional as F
from backprop import nn
from backprop.errors import ConfigError, DTypeError, ShapeError

from .bad_input_harness import BAD_OPERANDS, SEEDS, Tally, run

torch = pytest.importorskip("torch")


# -- losses: prediction against target ------------------------------------------------------
MODULES = {
    "mse_loss": nn.MSELoss,
    "l1_loss": nn.L1Loss,
    "huber_loss": nn.HuberLoss,
    "binary_cross_entropy": nn.BCELoss,
    "binary_cross_entropy_with_logits": nn.BCEWithLogitsLoss,
}
ELEMENTWISE_LOSSES = {
    "mse_loss": (F.mse_loss, torch.nn.functional.mse_loss),
    "l1_loss": (F.l1_loss, torch.nn.functional.l1_loss),
    "huber_loss": (F.huber_loss, torch.nn.functional.huber_loss),
    "binary_cross_entropy": (F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy),
    "binary_cross_entropy_with_logits": (
        F.binary_cross_entropy_with_logits,
        torch.nn.functional.binary_cross_entropy_with_logits,
    ),
}
CLASS_LOSSES = {
    "cross_entropy": (F.cross_entropy, torch.nn.functional.cross_entropy),
    "nll_loss": (F.nll_loss, torch.nn.functional.nll_loss),
}
# what the target's shape becomes; all but "same" must be refused, even where PyTorch
# broadcasts ((N, 1) against (N,) would compare every prediction with every target)
TARGET_SHAPES = {
    "same": lambda s: s,
    "flat": lambda s: (int(np.prod(s)),) if len(s) > 1 else (*s, 1),
    "column": lambda s: (*s, 1),
    "squeezed": lambda s: s[:-1] if len(s) > 1 else (),
    "transposed": lambda s: s[::-1] if len(s) > 1 and s[0] != s[-1] else (*s, 2),
    "one row": lambda s: (1, *s[1:]) if s and s[0] != 1 else (2, *s[1:]),
    "wider": lambda s: (*s[:-1], s[-1] + 1) if s else (2,),
}
REDUCTIONS = ["mean", "sum", "none"]


def test_losses_refuse_mismatched_targets(count):
    tally = Tally("losses (functions and nn modules, against PyTorch)")

    pairs = [(name, how) for name in ELEMENTWISE_LOSSES for how in TARGET_SHAPES]

    @run(count, 150, 2000, pairs, st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple),
         st.sampled_from(REDUCTIONS), st.booleans(), SEEDS)  # fmt: skip
    def elementwise(pair, shape, reduction, module, seed):
        name, how = pair
        rng = np.random.default_rng(seed)
        target_shape = TARGET_SHAPES[how](shape)
        x, y = rng.uniform(0.05, 0.95, shape), rng.uniform(0, 1, target_shape)
        ours, theirs = ELEMENTWISE_LOSSES[name]
        expect = "ok" if target_shape == shape else ShapeError
        # the function, or the nn.*Loss module as a training loop calls it
        fn = MODULES[name](reduction=reduction) if module else partial(ours, reduction=reduction)
        out = tally.check(name, expect, lambda: fn(bp.tensor(x), bp.tensor(y)),
                          ("target", "input"), f"{shape} vs {target_shape}")  # fmt: skip
        if expect == "ok":
            want = theirs(torch.tensor(x), torch.tensor(y), reduction=reduction).numpy()
            assert out.shape == want.shape and np.allclose(out.numpy(), want, rtol=1e-4)

    hows = ["indices", "out of range", "negative", "float", "column", "rows", "probabilities"]

    @run(count, 100, 1500, hows, st.sampled_from(list(CLASS_LOSSES)), st.integers(1, 4),
         st.integers(2, 4), SEEDS)  # fmt: skip
    def classes(how, name, n, c, seed):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(n, c)).astype(np.float32)
        if name == "nll_loss":
            x = np.log(np.exp(x) / np.exp(x).sum(1, keepdims=True))
        y = rng.integers(0, c, n)
        expect, names = "ok", ("target", "Target")
        if how == "out of range":
            y[rng.integers(0, n)], expect = c + rng.integers(0, 3), ConfigError
        elif how == "negative":
            y[rng.integers(0, n)], expect = -1, ConfigError
        elif how == "float":
            y, expect = y.astype(np.float32), DTypeError
        elif how == "column":
            y, expect = y[:, None], ShapeError
        elif how == "rows":
            y, expect = np.r_[y, 0], ShapeError
        elif how == "probabilities":
            y = rng.dirichlet(np.ones(c), n).astype(np.float32)
            expect = "ok" if name == "cross_entropy" else DTypeError
        ours, theirs = CLASS_LOSSES[name]
        out = tally.check(name, expect, lambda: ours(bp.tensor(x), bp.tensor(y)), names, how)
        if expect == "ok":
            want = theirs(torch.tensor(x), torch.tensor(y)).numpy()
            assert np.allclose(out.numpy(), want, rtol=1e-4)

    kinds = ["target object", "int input", "bad reduction", "bad huber delta"]

    @run(count, 50, 800, kinds, st.sampled_from([*ELEMENTWISE_LOSSES, *CLASS_LOSSES]),
         st.integers(0, 6))  # fmt: skip
    def arguments(how, name, which):
        fn = {**ELEMENTWISE_LOSSES, **CLASS_LOSSES}[name][0]
        x, ints = bp.rand(3, 2), bp.ones(3, 2, dtype=bp.int64)
        bad = [
            ["avg", "", None, 1, "MEAN", "elementwise", "Sum"][which],  # reductions
            ["1.0", [1.0], True, float("nan"), 0, -1.0, {}][which],
        ]  # huber deltas
        call, expect, names = {
            "target object": (lambda: fn(x, BAD_OPERANDS[which]), DTypeError, ("target",)),
            "int input": (lambda: fn(ints, x), DTypeError, ("input",)),
            "bad reduction": (lambda: fn(x, x, reduction=bad[0]), ConfigError, ("reduction",)),
            "bad huber delta": (lambda: F.huber_loss(x, x, delta=bad[1]), ConfigError, ("delta",)),
        }[how]  # fmt: skip
        entry = "huber_loss arguments" if how == "bad huber delta" else f"{name} arguments"
        tally.check(entry, expect, call, names, how)

    for part in (elementwise, classes, arguments):
        part()
    tally.report()


# -- model forward ----------------------------------------------------------------------------
FORWARD_INPUTS = ["valid", "one sample", "batched 3-D", "unbatched 1-D", "nan", "wrong width",
                  "0-d", "float64", "int64", "bool", "list", "text", "none"]  # fmt: skip


def test_model_forward(count):
    tally = Tally("model forward (nn.Linear, nn.MLP)")

    @run(count, 120, 1500, FORWARD_INPUTS, st.integers(1, 3), st.integers(1, 3),
         st.integers(0, 4), st.booleans(), SEEDS)  # fmt: skip
    def body(how, d, k, n, mlp, seed):
        rng = np.random.default_rng(seed)
        bp.manual_seed(seed)
        model = nn.MLP([d, 3, k]) if mlp else nn.Linear(d, k)
        x = rng.normal(size=(n, d)).astype(np.float32)
        expect, names = "ok", ("Linear", "linear", "input", "in_features")
        if how == "one sample":
            x = x[:1] if n else rng.normal(size=(1, d)).astype(np.float32)
        elif how == "batched 3-D":
            x = rng.normal(size=(2, n, d)).astype(np.float32)
        elif how == "unbatched 1-D":
            x = x[0] if n else np.zeros(d, np.float32)
        elif how == "nan":
            x = np.full((max(n, 1), d), np.nan, np.float32)  # NaN in, NaN out, as in PyTorch
        elif how == "wrong width":
            x, expect = rng.normal(size=(n, d + 1)).astype(np.float32), ShapeError
        elif how == "0-d":
            x, expect = np.float32(1.0), ShapeError
        elif how in ("float64", "int64", "bool"):
            x, expect = x.astype(how), DTypeError
        inputs = {"list": [[1.0] * d], "text": "x", "none": None}
        if how in inputs:
            arg, expect = inputs[how], DTypeError
        else:
            arg = bp.tensor(x, dtype=bp.float32 if x.dtype == np.float32 else None)
        out = tally.check(type(model).__name__, expect, lambda: model(arg), names, how)
        if expect == "ok":
            assert tuple(out.shape) == (*np.shape(x)[:-1], k)
            if not mlp:
                want = x @ model.weight.detach().numpy().T + model.bias.detach().numpy()
                assert np.allclose(out.detach().numpy(), want, atol=1e-5, equal_nan=True)

    body()
    tally.report()
