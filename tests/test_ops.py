"""One table of ops, one helper that checks each (tinygrad's ``helper_test_op``, PyTorch's OpInfo).

Every name in ``backprop.autograd.ops.OP_TABLE`` has at least one row in ``CASES``: how to
make its inputs, the expression, and (where the spelling differs) the same expression in
torch. ``check_op`` then asserts, for every row:

1. ``backprop.gradcheck`` passes in float64 (central differences against the backward pass);
2. the forward values equal torch's: float64 to 1e-12 relative, float32 to 1e-5, same dtype;
3. the gradients of every input equal torch's for one random upstream gradient;
4. the ``grad_fn`` name equals torch's, unless the row records why it differs.

Inputs are built away from kinks and ties (abs, relu, clamp bounds, max), and positive for
log/sqrt, so that central differences mean something. Adding an op costs one row here;
``test_every_op_has_a_row`` fails until it has one.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import backprop
from backprop.autograd import functional as bf
from backprop.autograd.ops import OP_TABLE

torch = pytest.importorskip("torch")
F = torch.nn.functional


# -- input makers: rng -> tuple of float64 arrays, one per input ------------------------------
def randn(*shapes):
    return lambda rng: tuple(rng.standard_normal(s) for s in shapes)


def positive(*shapes):
    """Uniform in [0.5, 2]: the domain of log, sqrt and real powers."""
    return lambda rng: tuple(rng.uniform(0.5, 2.0, s) for s in shapes)


def nonzero(*shapes):
    """|x| in [0.2, 2]: away from the kink at 0 (abs, relu, step) and safe to divide by."""
    return lambda rng: tuple(rng.choice([-1.0, 1.0], s) * rng.uniform(0.2, 2.0, s) for s in shapes)


def apart(*shapes):
    """All elements of all inputs distinct and at least 0.2 apart, none within 0.08 of
    0 or ±0.5: no ties for max/min/maximum, no kinks for relu or clamp(-0.5, 0.5)."""

    def make(rng):
        sizes = [int(np.prod(s, dtype=int)) for s in shapes]
        n = sum(sizes)
        grid = (rng.permutation(n) - n // 2) * 0.25 + 0.1 + rng.uniform(-0.02, 0.02, n)
        parts = np.split(grid, np.cumsum(sizes)[:-1])
        return tuple(p.reshape(s) for p, s in zip(parts, shapes))

    return make


def ties(*shapes):
    """Small integers: ties on purpose (gradcheck is skipped; torch is the judge)."""
    return lambda rng: tuple(rng.integers(0, 2, s).astype(np.float64) for s in shapes)


def act(name: str, **options):
    """An activation from the registry (nn.functional will expose these by name)."""
    return lambda m, x: x._activation(name, **options)


# Constants the expressions close over (the same values for both libraries).
_rng = np.random.default_rng(0)
COND = _rng.random((3, 4)) > 0.5
MASK = np.array([True, False, True])
IDX = np.array([0, 2, 0])


@dataclass(frozen=True)
class Case:
    """One row: ``fn(m, *inputs)`` with ``m`` the library module (backprop or torch)."""

    op: str
    inputs: Callable
    fn: Callable
    torch_fn: Callable | None = None  # when the torch spelling differs
    name_differs: str = ""  # why our grad_fn name differs from torch's ("" = it must match)
    requires: tuple | None = None  # which inputs require grad (default: all)
    gradcheck: dict | bool = field(default_factory=dict)  # kwargs, or False (why in note)
    note: str = ""

    def expression(self, lib: str) -> Callable:
        if lib == "torch":
            return lambda *xs: (self.torch_fn or self.fn)(torch, *xs)
        return lambda *xs: self.fn(backprop, *xs)


C = Case
CASES: dict[str, Case] = {
    # binary, broadcasting
    "add": C("add", randn((3, 4), (3, 4)), lambda m, a, b: a + b),
    "add_bcast": C("add", randn((3, 1), (4,)), lambda m, a, b: a + b),
    "add_bcast3": C("add", randn((2, 3, 4), (4,)), lambda m, a, b: a + b),
    "add_0d": C("add", randn((), (3,)), lambda m, a, b: a + b),
    "add_0d_0d": C("add", randn((), ()), lambda m, a, b: a + b),
    "add_number": C("add", randn((3,)), lambda m, a: a + 2.5),
    "radd_number": C("add", randn((3,)), lambda m, a: 2.5 + a),
    "add_one_requires": C("add", randn((3, 1), (4,)), lambda m, a, b: a + b,
                          requires=(False, True)),
    "sub": C("sub", randn((3, 1), (4,)), lambda m, a, b: a - b),
    "sub_bcast3": C("sub", randn((2, 3, 4), (4,)), lambda m, a, b: a - b),
    "rsub_number": C(
        "sub", randn((3,)), lambda m, a: 1.5 - a,
        name_differs="torch records number-tensor as RsubBackward1; we run SubBackward0",
    ),
    "mul": C("mul", randn((3, 1), (4,)), lambda m, a, b: a * b),
    "mul_bcast3": C("mul", randn((2, 3, 4), (4,)), lambda m, a, b: a * b),
    "mul_0d": C("mul", randn((), (2, 3)), lambda m, a, b: a * b),
    "mul_first_only": C("mul", randn((2, 3), (3,)), lambda m, a, b: a * b, requires=(True, False)),
    "mul_second_only": C("mul", randn((2, 3), (3,)), lambda m, a, b: a * b, requires=(False, True)),
    "mul_same": C("mul", randn((3,)), lambda m, a: a * a),
    "div": C("div", lambda rng: (*randn((3, 1))(rng), *nonzero((4,))(rng)), lambda m, a, b: a / b),
    "div_bcast3": C(
        "div", lambda rng: (*randn((2, 3, 4))(rng), *nonzero((4,))(rng)), lambda m, a, b: a / b
    ),
    "div_number": C("div", randn((3,)), lambda m, a: a / 4.0),
    "rdiv_number": C(
        "div", nonzero((3,)), lambda m, a: 2.0 / a,
        name_differs="torch records number/tensor as reciprocal then MulBackward0",
    ),
    "pow_scalar": C("pow_scalar", positive((3, 4)), lambda m, x: x**2.5),
    "pow_int": C("pow_scalar", randn((3, 4)), lambda m, x: x**3),
    "pow_square": C("pow_scalar", randn((2, 3)), lambda m, x: x**2),
    "pow_neg": C("pow_scalar", nonzero((3,)), lambda m, x: x**-1),
    "pow_zero": C("pow_scalar", randn((3,)), lambda m, x: x**0),
    "pow_0d": C("pow_scalar", positive(()), lambda m, x: x**0.5),
    "pow_tensor": C("pow_tensor", lambda rng: (*positive((3, 1))(rng), *randn((4,))(rng)),
                    lambda m, a, b: a**b),
    "pow_tensor_0d": C("pow_tensor", lambda rng: (*positive((2, 3))(rng), *randn(())(rng)),
                       lambda m, a, b: a**b),
    "rpow": C("rpow", randn((3, 4)), lambda m, x: 2.0**x),
    "rpow_e": C("rpow", randn((3,)), lambda m, x: 0.5**x),
    "maximum": C("maximum", apart((3, 1), (4,)), lambda m, a, b: m.maximum(a, b)),
    "maximum_method": C("maximum", apart((2, 3), (2, 3)), lambda m, a, b: a.maximum(b)),
    "maximum_ties": C(
        "maximum", ties((3, 4), (3, 4)), lambda m, a, b: m.maximum(a, b), gradcheck=False,
        note="ties split the gradient evenly, as torch does; no derivative there to check",
    ),
    "minimum": C("minimum", apart((3, 1), (4,)), lambda m, a, b: m.minimum(a, b)),
    "minimum_ties": C(
        "minimum", ties((3, 4), (3, 4)), lambda m, a, b: m.minimum(a, b), gradcheck=False,
        note="ties split the gradient evenly, as torch does",
    ),
    "matmul": C("matmul", randn((3, 4), (4, 5)), lambda m, a, b: a @ b),
    "matmul_dot": C("matmul", randn((4,), (4,)), lambda m, a, b: a @ b),
    "matmul_mv": C("matmul", randn((3, 4), (4,)), lambda m, a, b: a @ b),
    "matmul_vm": C(
        "matmul", randn((4,), (4, 5)), lambda m, a, b: a @ b,
        name_differs="torch runs vector@matrix as unsqueeze-mm-squeeze (SqueezeBackward4)",
    ),
    "matmul_bmm": C("matmul", randn((2, 3, 4), (2, 4, 5)), lambda m, a, b: a @ b,
                    name_differs="torch folds batches into views around bmm (UnsafeViewBackward0)"),
    "matmul_batch_mat": C(
        "matmul", randn((2, 3, 4), (4, 5)), lambda m, a, b: a @ b,
        name_differs="torch folds the batch into one mm and views back (UnsafeViewBackward0)",
    ),
    "matmul_v_batch": C(
        "matmul", randn((4,), (2, 4, 5)), lambda m, a, b: a @ b,
        name_differs="torch runs vector@batch as unsqueeze-bmm-squeeze",
    ),
    "matmul_batch_v": C(
        "matmul", randn((2, 3, 4), (4,)), lambda m, a, b: a @ b,
        name_differs="torch folds the batch into one mv and views back",
    ),
    "matmul_bcast_batch": C(
        "matmul", randn((2, 1, 3, 4), (5, 4, 2)), lambda m, a, b: m.matmul(a, b),
        name_differs="torch expands and folds batches around bmm (UnsafeViewBackward0)",
    ),
    "matmul_one_requires": C("matmul", randn((3, 4), (4, 2)), lambda m, a, b: a @ b,
                             requires=(False, True)),
    "linear": C("linear", randn((5, 3), (4, 3), (4,)), lambda m, x, w, b: bf.linear(x, w, b),
                lambda m, x, w, b: F.linear(x, w, b)),
    "linear_nobias": C("linear", randn((5, 3), (4, 3)), lambda m, x, w: bf.linear(x, w),
                       lambda m, x, w: F.linear(x, w)),
    "linear_3d": C(
        "linear", randn((2, 5, 3), (4, 3), (4,)), lambda m, x, w, b: bf.linear(x, w, b),
        lambda m, x, w, b: F.linear(x, w, b),
        name_differs="torch flattens the batch around addmm and views back (ViewBackward0)",
    ),
    "linear_1d": C(
        "linear", randn((3,), (4, 3), (4,)), lambda m, x, w, b: bf.linear(x, w, b),
        lambda m, x, w, b: F.linear(x, w, b),
        name_differs="torch runs a 1-D input as mv then add (AddBackward0)",
    ),
    "linear_weights_only": C("linear", randn((5, 3), (4, 3), (4,)),
                             lambda m, x, w, b: bf.linear(x, w, b),
                             lambda m, x, w, b: F.linear(x, w, b), requires=(False, True, True)),
    # unary
    "neg": C("neg", randn((3, 4)), lambda m, x: -x),
    "neg_0d": C("neg", randn(()), lambda m, x: x.neg()),
    "exp": C("exp", randn((3, 4)), lambda m, x: x.exp()),
    "exp_0d": C("exp", randn(()), lambda m, x: m.exp(x)),
    "log": C("log", positive((3, 4)), lambda m, x: x.log()),
    "sqrt": C("sqrt", positive((3, 4)), lambda m, x: x.sqrt()),
    "sqrt_0d": C("sqrt", positive(()), lambda m, x: m.sqrt(x)),
    "abs": C("abs", nonzero((3, 4)), lambda m, x: x.abs()),
    "clamp": C("clamp", apart((3, 4)), lambda m, x: x.clamp(-0.5, 0.5)),
    "clamp_min": C("clamp", apart((3, 4)), lambda m, x: x.clamp(min=-0.5)),
    "clamp_max": C("clamp", apart((3, 4)), lambda m, x: x.clamp(max=0.5)),
    "clamp_tensor": C("clamp", apart((3, 4), (4,)), lambda m, x, lo: x.clamp(min=lo)),
    # activations (the registry)
    "sigmoid": C("sigmoid", randn((3, 4)), lambda m, x: m.sigmoid(x)),
    "sigmoid_large": C("sigmoid", lambda rng: (rng.uniform(-30, 30, (8,)),),
                       lambda m, x: x.sigmoid()),
    "tanh": C("tanh", randn((3, 4)), lambda m, x: m.tanh(x)),
    "relu": C("relu", nonzero((3, 4)), lambda m, x: m.relu(x)),
    "leaky_relu": C("leaky_relu", nonzero((3, 4)), act("leaky_relu"),
                    lambda m, x: F.leaky_relu(x)),
    "leaky_relu_slope": C("leaky_relu", nonzero((3, 4)), act("leaky_relu", negative_slope=0.2),
                          lambda m, x: F.leaky_relu(x, 0.2)),
    "elu": C("elu", nonzero((3, 4)), act("elu"), lambda m, x: F.elu(x)),
    "elu_alpha": C("elu", nonzero((3, 4)), act("elu", alpha=0.5), lambda m, x: F.elu(x, 0.5)),
    "gelu": C("gelu", randn((3, 4)), act("gelu"), lambda m, x: F.gelu(x)),
    "gelu_tanh": C("gelu", randn((3, 4)), act("gelu", approximate="tanh"),
                   lambda m, x: F.gelu(x, approximate="tanh")),
    "softplus": C("softplus", randn((3, 4)), act("softplus"), lambda m, x: F.softplus(x)),
    "softplus_beta": C("softplus", apart((3, 4)), act("softplus", beta=2.0, threshold=1.0),
                       lambda m, x: F.softplus(x, beta=2.0, threshold=1.0)),
    "silu": C("silu", randn((3, 4)), act("silu"), lambda m, x: F.silu(x)),
    "step": C("step", nonzero((3, 4)), act("step"), lambda m, x: torch.sign(x)),
    # reductions
    "sum": C("sum", randn((3, 4)), lambda m, x: x.sum()),
    "sum_dim": C("sum", randn((2, 3, 4)), lambda m, x: x.sum(dim=1)),
    "sum_dims_keepdim": C("sum", randn((2, 3, 4)), lambda m, x: x.sum(dim=(0, 2), keepdim=True)),
    "sum_neg_dim": C("sum", randn((3, 4)), lambda m, x: m.sum(x, -1)),
    "sum_0d": C("sum", randn(()), lambda m, x: x.sum()),
    "sum_empty_dims": C("sum", randn((2, 3)), lambda m, x: x.sum(dim=())),
    "mean": C("mean", randn((3, 4)), lambda m, x: x.mean()),
    "mean_dim": C("mean", randn((2, 3, 4)), lambda m, x: x.mean(dim=-1)),
    "mean_empty_dims": C("mean", randn((2, 3)), lambda m, x: x.mean(dim=[])),
    "mean_dims_keepdim": C("mean", randn((2, 3, 4)), lambda m, x: x.mean((0, 1), keepdim=True)),
    "max": C("max", apart((3, 4)), lambda m, x: x.max()),
    "max_ties": C("max", ties((3, 4)), lambda m, x: x.max(), gradcheck=False,
                  note="the gradient is shared evenly among tied maxima, as torch does"),
    "min": C("min", apart((3, 4)), lambda m, x: x.min()),
    "max_dim": C("max_dim", apart((3, 4)), lambda m, x: x.max(dim=1)),
    "max_dim_keepdim": C("max_dim", apart((2, 3, 4)), lambda m, x: x.max(0, keepdim=True)),
    "min_dim": C("min_dim", apart((3, 4)), lambda m, x: x.min(dim=-1)),
    "softmax": C("softmax", randn((3, 4)), lambda m, x: x.softmax(dim=-1)),
    "softmax_dim0": C("softmax", randn((2, 3, 4)), lambda m, x: m.softmax(x, 0)),
    "log_softmax": C("log_softmax", randn((3, 4)), lambda m, x: x.log_softmax(dim=1)),
    "log_softmax_dim0": C("log_softmax", randn((3, 4)), lambda m, x: m.log_softmax(x, 0)),
    # shape and indexing
    "reshape": C("reshape", randn((2, 3, 4)), lambda m, x: x.reshape(4, 6)),
    "reshape_flat": C("reshape", randn((2, 3)), lambda m, x: x.reshape(-1)),
    "reshape_0d": C("reshape", randn(()), lambda m, x: x.reshape(1, 1)),
    "view": C("reshape", randn((2, 3, 4)), lambda m, x: x.view(6, 4)),
    "flatten": C("reshape", randn((2, 3, 4)), lambda m, x: x.flatten(1)),
    "unsqueeze": C("reshape", randn((3, 4)), lambda m, x: x.unsqueeze(1)),
    "squeeze": C("reshape", randn((3, 1, 4)), lambda m, x: x.squeeze(1)),
    "transpose": C("transpose", randn((2, 3, 4)), lambda m, x: x.transpose(0, 2)),
    "t": C("transpose", randn((3, 4)), lambda m, x: x.t()),
    "mT": C("transpose", randn((2, 3, 4)), lambda m, x: x.mT),
    "T_2d": C("transpose", randn((3, 4)), lambda m, x: x.T),
    "permute_neg": C("permute", randn((2, 3, 4)), lambda m, x: x.permute(-1, 0, 1)),
    "permute": C("permute", randn((2, 3, 4)), lambda m, x: x.permute(2, 0, 1)),
    "expand": C("expand", randn((3, 1)), lambda m, x: x.expand(3, 4)),
    "expand_new_dims": C("expand", randn((4,)), lambda m, x: x.expand(2, 3, 4)),
    "expand_keep": C("expand", randn((3, 1)), lambda m, x: x.expand(-1, 5)),
    "expand_0d": C("expand", randn(()), lambda m, x: x.expand(2, 2)),
    "getitem_int": C("getitem", randn((3, 4)), lambda m, x: x[1]),
    "getitem_slice": C("getitem", randn((3, 4)), lambda m, x: x[1:, ::2]),
    "getitem_ellipsis": C("getitem", randn((2, 3, 4)), lambda m, x: x[..., 0]),
    "getitem_list": C("getitem", randn((3, 4)), lambda m, x: x[m.tensor(IDX)]),
    "getitem_mask": C("getitem", randn((3, 4)), lambda m, x: x[m.tensor(MASK)]),
    "getitem_pairs": C("getitem", randn((3, 4)),
                       lambda m, x: x[m.tensor(IDX), m.tensor([1, 3, 1])]),
    "setitem": C("setitem", randn((3, 4), (4,)), lambda m, x, v: _setitem(x, 1, v)),
    "setitem_slice_bcast": C("setitem", randn((3, 4), ()),
                             lambda m, x, v: _setitem(x, (slice(None), 0), v)),
    "setitem_value_only": C("setitem", randn((3, 4), (4,)), lambda m, x, v: _setitem(x, 0, v),
                            requires=(False, True)),
    "cat": C("cat", randn((2, 3), (1, 3)), lambda m, a, b: m.cat([a, b])),
    "cat_dim1": C("cat", randn((2, 3), (2, 1), (2, 2)), lambda m, a, b, c: m.cat((a, b, c), dim=1)),
    "stack": C("stack", randn((2, 3), (2, 3)), lambda m, a, b: m.stack([a, b], dim=1)),
    "stack_0d": C("stack", randn((), (), ()), lambda m, a, b, c: m.stack([a, b, c])),
    "where": C("where", randn((3, 1), (4,)), lambda m, a, b: m.where(m.tensor(COND), a, b)),
    "where_same": C("where", randn((3, 4), (3, 4)), lambda m, a, b: m.where(a > b, a, b)),
    "clone": C("clone", randn((3, 4)), lambda m, x: x.clone()),
    "to_float64": C("to_dtype", randn((3, 4)), lambda m, x: x.double()),
    "to_dtype": C(
        "to_dtype", randn((3, 4)),
        lambda m, x: x.to(m.float32 if x.dtype == m.float64 else m.float64),
        gradcheck={"eps": 1e-3, "atol": 1e-3},  # a float32 output is too coarse for eps=1e-6
    ),
    # in-place forms run the same nodes on a snapshot of the tensor they change
    "add_inplace": C("add", randn((3, 4), (4,)), lambda m, x, b: (x * 1.0).add_(b)),
    "add_inplace_alpha": C("add", randn((3, 4), (4,)), lambda m, x, b: (x * 1.0).add_(b, alpha=2)),
    "sub_inplace": C("sub", randn((3, 4), (3, 1)), lambda m, x, b: _iop(x, b, "__isub__")),
    "mul_inplace": C("mul", randn((3, 4), (4,)), lambda m, x, b: _iop(x, b, "__imul__")),
    "div_inplace": C(
        "div", lambda rng: (*randn((3, 4))(rng), *nonzero((4,))(rng)),
        lambda m, x, b: (x * 1.0).div_(b),
    ),
    "clamp_inplace": C("clamp", apart((3, 4)), lambda m, x: (x * 1.0).clamp_(-0.5, 0.5)),
    # edge shapes and values
    "max_dim_1d": C("max_dim", apart((5,)), lambda m, x: x.max(0)),
    "softmax_1d": C("softmax", randn((5,)), lambda m, x: x.softmax(0)),
    "log_softmax_large": C("log_softmax", lambda rng: (rng.uniform(-500, 500, (3, 4)),),
                           lambda m, x: x.log_softmax(-1)),
    "tanh_large": C("tanh", lambda rng: (rng.uniform(-30, 30, (8,)),), lambda m, x: x.tanh()),
    "softplus_large": C("softplus", lambda rng: (rng.uniform(15, 40, (8,)),), act("softplus"),
                        lambda m, x: F.softplus(x)),
    "getitem_neg_none": C("getitem", randn((3, 4)), lambda m, x: x[-1, None, 1:3]),
    "where_number": C("where", randn((3, 4)), lambda m, a: m.where(m.tensor(COND), a, 0.0)),
    "setitem_mask": C("setitem", randn((3, 4), (4,)),
                      lambda m, x, v: _setitem(x, m.tensor(MASK), v),
                      name_differs="one index-assignment node (torch: IndexPutBackward0)"),
    "pow_tensor_base_only": C(
        "pow_tensor", lambda rng: (*positive((3, 4))(rng), *randn((4,))(rng)),
        lambda m, a, b: a**b, requires=(True, False),
    ),
    "pow_tensor_exponent_only": C(
        "pow_tensor", lambda rng: (*positive((3, 4))(rng), *randn((4,))(rng)),
        lambda m, a, b: a**b, requires=(False, True),
    ),
}  # fmt: skip

# Methods composed from the table's ops: no backward rule of their own, checked all the same.
COMPOSED: dict[str, Case] = {
    "square": C("composed", randn((3, 4)), lambda m, x: x.square()),
    "reciprocal": C("composed", nonzero((3, 4)), lambda m, x: x.reciprocal()),
    "var": C("composed", randn((3, 4)), lambda m, x: x.var()),
    "var_dim": C("composed", randn((3, 4)), lambda m, x: x.var(dim=1, keepdim=True)),
    "var_biased": C("composed", randn((3, 4)), lambda m, x: x.var(0, unbiased=False)),
    "std": C("composed", randn((3, 4)), lambda m, x: x.std(dim=0)),
    "norm": C("composed", randn((3, 4)), lambda m, x: x.norm()),
    "norm_dim": C("composed", nonzero((3, 4)), lambda m, x: x.norm(p=1, dim=1)),
    "norm_p3": C("composed", nonzero((3, 4)), lambda m, x: x.norm(p=3)),
    "amax": C("composed", apart((3, 4)), lambda m, x: x.amax(dim=1)),
    "sub_alpha": C("composed", randn((3, 4), (4,)), lambda m, a, b: a.sub(b, alpha=0.5)),
    "mm": C("composed", randn((3, 4), (4, 2)), lambda m, a, b: a.mm(b)),
    "sum_dtype": C("composed", randn((3, 4)), lambda m, x: x.sum(dtype=m.float64)),
    "clamp_both_tensors": C(
        "composed", apart((3, 4), (4,), (3, 1)), lambda m, x, lo, hi: x.clamp(lo, hi + 4.0)
    ),
    "linear_layer_by_hand": C(
        "composed", randn((5, 3), (4, 3), (4,)), lambda m, x, w, b: (x @ w.T + b).sigmoid()
    ),
    "lecture_y_hat": C(
        "composed", randn((1,), (1,), (1,)), lambda m, w1, w2, x: w2 * m.sigmoid(w1 * x)
    ),
}  # fmt: skip


def _iop(x, b, method: str):
    y = x * 1.0
    return getattr(y, method)(b)


def _setitem(x, index, v):
    y = x.clone()
    y[index] = v
    return y


# -- the helper ---------------------------------------------------------------------------
def _inputs(case: Case, arrays, lib: str, dtype):
    requires = case.requires or (True,) * len(arrays)
    if lib == "torch":
        return [torch.tensor(a.astype(dtype), requires_grad=r) for a, r in zip(arrays, requires)]
    return [backprop.tensor(a.astype(dtype), requires_grad=r) for a, r in zip(arrays, requires)]


def _outputs(result) -> tuple:
    return (result,) if not isinstance(result, tuple) else tuple(result)


def _numpy(t) -> np.ndarray:
    return t.detach().numpy(force=True)  # force: torch's zero gradients are ZeroTensors


def _run(case: Case, arrays, dtype, upstream_rng):
    """Forward and backward in both libraries: (outputs, input grads, grad_fn name) each."""
    results = {}
    seeds = None
    for lib in ("backprop", "torch"):
        xs = _inputs(case, arrays, lib, dtype)
        outs = _outputs(case.expression(lib)(*xs))
        diff = [o for o in outs if o.is_floating_point()]
        if seeds is None:
            seeds = [upstream_rng.standard_normal(tuple(o.shape)).astype(_numpy(o).dtype)
                     for o in diff]  # fmt: skip
        wrt = [x for x in xs if x.requires_grad]
        if lib == "torch":
            gs = torch.autograd.grad(diff, wrt, [torch.tensor(s) for s in seeds], allow_unused=True)
            name = type(diff[0].grad_fn).__name__ if diff[0].grad_fn is not None else None
        else:
            gs = backprop.autograd.grad(
                diff, wrt, [backprop.tensor(s) for s in seeds], allow_unused=True
            )
            name = type(diff[0].grad_fn).__name__ if diff[0].grad_fn is not None else None
        results[lib] = (outs, gs, name)
    return results["backprop"], results["torch"]


def _compare(what: str, ours, theirs, rtol: float, atol: float) -> None:
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {ours.shape} != {theirs.shape}"
    a, b = _numpy(ours), _numpy(theirs)
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != torch's {b.dtype}"
    if a.dtype.kind != "f":
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


TOLERANCES = {np.float64: (1e-12, 1e-14, 1e-10, 1e-12), np.float32: (1e-5, 1e-6, 1e-5, 1e-5)}


def check_op(case_id: str, case: Case) -> None:
    rng = np.random.default_rng(zlib.crc32(case_id.encode()))
    arrays = case.inputs(rng)
    # 1. central differences against our backward, in float64.
    if case.gradcheck is not False:
        xs = _inputs(case, arrays, "backprop", np.float64)
        assert backprop.gradcheck(case.expression("backprop"), tuple(xs), **case.gradcheck)
    # 2.-3. forward values and input gradients against torch, in both float dtypes.
    for dtype, (f_rtol, f_atol, g_rtol, g_atol) in TOLERANCES.items():
        ours, theirs = _run(case, arrays, dtype, np.random.default_rng(1))
        label = f"{case_id} {np.dtype(dtype).name}"
        assert len(ours[0]) == len(theirs[0]), f"{label}: number of outputs"
        for k, (a, b) in enumerate(zip(ours[0], theirs[0])):
            _compare(f"{label} output {k}", a, b, f_rtol, f_atol)
        for i, (a, b) in enumerate(zip(ours[1], theirs[1])):
            assert (a is None) == (b is None), f"{label}: gradient {i} is None in one library only"
            if a is not None:
                _compare(f"{label} gradient of input {i}", a, b, g_rtol, g_atol)
    # 4. the grad_fn name.
    ours_name, torch_name = ours[2], theirs[2]
    if case.name_differs:
        assert ours_name != torch_name, (
            f"{case_id}: grad_fn names now coincide ({ours_name}); drop name_differs from the row"
        )
    else:
        assert ours_name == torch_name, f"{case_id}: grad_fn {ours_name} != torch's {torch_name}"


@pytest.mark.parametrize("case_id", list(CASES))
def test_op(case_id):
    check_op(case_id, CASES[case_id])


@pytest.mark.parametrize("case_id", list(COMPOSED))
def test_composed(case_id):
    check_op(case_id, COMPOSED[case_id])


def test_every_op_has_a_row():
    covered = {case.op for case in CASES.values()}
    missing = [op for op in OP_TABLE if op not in covered]
    assert not missing, f"ops without a row in tests/test_ops.py CASES: {missing}"


def test_every_row_names_an_op():
    unknown = {case.op for case in CASES.values()} - set(OP_TABLE)
    assert not unknown, f"rows naming ops that are not in OP_TABLE: {sorted(unknown)}"


def test_skipped_gradchecks_say_why():
    for case_id, case in {**CASES, **COMPOSED}.items():
        if case.gradcheck is False:
            assert case.note, f"{case_id}: gradcheck=False needs a note saying why"


def test_clamp_of_an_integer_tensor_by_float_bounds_is_float():
    # Found by probing beside the table: clamp kept int64 and rounded the bounds, so
    # tensor([-1, 2]).clamp(0.5, 1.5) gave [0, 1] instead of torch's [0.5, 1.5].
    for lo, hi in ((0.5, 1.5), (0, 1), (None, 1.5)):
        ours = backprop.tensor([-1, 2]).clamp(lo, hi)
        theirs = torch.tensor([-1, 2]).clamp(lo, hi)
        assert ours.tolist() == theirs.tolist()
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
