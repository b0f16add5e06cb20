"""Issue 8, item 1: no differentiable op goes without a float64 gradcheck and a PyTorch check.

``tests/test_ops.py`` runs the checks (one row per case: gradcheck in float64, forward and
gradients against PyTorch in float32 and float64, the grad_fn name). This file proves the
table is complete from the other side, so that a new op or a new backward node cannot slip
in untested:

1. every name in ``OP_TABLE`` has a row whose gradcheck is *on*;
2. every backward node class in the library (each ``Node`` subclass defined in a module of
   ``backprop.autograd`` — the op table spans ``ops.py`` and the ``ops_*.py`` files it
   re-exports —, one per activation in the registry, one per loss in the registry) is
   actually *reached* by the graph of a gradchecked row: the rows are built, their graphs
   walked, the node types collected. A node only reachable from rows with the gradcheck off
   counts as uncovered;
3. every loss node passes a float64 gradcheck here and equals PyTorch's gradient.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import backprop
import backprop.autograd
import backprop.nn.functional as F
from backprop.autograd import ops
from backprop.autograd.activations import ACTIVATIONS
from backprop.autograd.node import AccumulateGrad, Node
from backprop.nn import loss_ops
from backprop.nn.losses import LOSSES
from test_math_cases import MATH_CASES, MATH_TEMPLATES  # rows of tests/test_math_*.py
from test_ops import CASES, COMPOSED, Case, _inputs

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# Node classes that are templates, not nodes: each activation and loss gets its own subclass.
TEMPLATES = {ops.ActivationBackward, loss_ops.LossBackward, *MATH_TEMPLATES}
# Node classes of backprop.autograd that are not ops, with the reason.
NOT_OPS = {
    "AccumulateGrad": "the sink that adds a leaf's gradient into .grad (in every graph)",
    "_FunctionNode": "runs a user's Function.backward; tests/test_autograd.py checks Function",
}
# Node classes no public call creates, with the reason.
UNREACHABLE = {
    "IdentityBackward0": "the registry's identity entry serves the δ engine (g' = 1 for a "
    "layer without activation); nn.Identity returns its input unchanged, as PyTorch's does",
}


def node_types(case: Case) -> set[type]:
    """The backward node classes in the graph of one row, built in float64."""
    rng = np.random.default_rng(0)
    xs = _inputs(case, case.inputs(rng), "backprop", np.float64)
    out = case.expression("backprop")(*xs)
    outs = out if isinstance(out, tuple) else (out,)
    seen: set[type] = set()
    stack = [o.grad_fn for o in outs if getattr(o, "grad_fn", None) is not None]
    while stack:
        node = stack.pop()
        if node is None or (type(node) in seen and type(node) is not AccumulateGrad):
            continue
        seen.add(type(node))
        stack.extend(child for child, _ in node.next_functions)
    return seen


def autograd_modules() -> list:
    """Every module of the ``backprop.autograd`` package (walked on disk), imported."""
    package = backprop.autograd
    return [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    ]


def library_nodes() -> set[type]:
    """Every backward node class the library can put in a graph."""
    classes = {
        cls
        for module in autograd_modules()
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Node)
        and cls is not Node
        and cls.__module__ == module.__name__
        and cls not in TEMPLATES
        and cls.__name__ not in NOT_OPS
    }
    classes |= {ops.activation_node(act) for act in ACTIVATIONS.values()}
    return classes


def test_every_op_and_node_is_gradchecked_and_compared_with_torch():
    rows = {**CASES, **COMPOSED, **MATH_CASES}
    checked = {k: c for k, c in rows.items() if c.gradcheck is not False}
    ops_checked = {c.op for c in checked.values()}
    missing_ops = [op for op in ops.OP_TABLE if op not in ops_checked]

    reached: set[type] = set()
    for case in checked.values():
        reached |= node_types(case)
    nodes = library_nodes()
    unreached = sorted(cls.__name__ for cls in nodes - reached if cls.__name__ not in UNREACHABLE)

    print(
        f"op coverage: {len(ops.OP_TABLE)} ops in OP_TABLE, {len(rows)} rows "
        f"({len(checked)} with a float64 gradcheck, all compared with PyTorch); "
        f"{len(nodes)} backward node classes, {len(nodes & reached)} reached by a "
        f"gradchecked row ({len(UNREACHABLE)} with no public path, listed); "
        f"ops without one: {missing_ops or 'none'}; "
        f"nodes without one: {unreached or 'none'}"
    )
    assert not missing_ops, f"ops in OP_TABLE without a gradchecked row: {missing_ops}"
    assert not unreached, f"backward nodes no gradchecked row reaches: {unreached}"


@pytest.mark.parametrize("module", autograd_modules(), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_the_node_census_would_see_a_new_op(module):
    # The census must be able to fail: a Node subclass defined in any module of
    # backprop.autograd (as a new op would be) is counted, and no row reaches it.
    class NewOpBackward0(Node):
        __slots__ = ()

    NewOpBackward0.__module__ = module.__name__
    module.NewOpBackward0 = NewOpBackward0
    try:
        assert NewOpBackward0 in library_nodes()
    finally:
        del module.NewOpBackward0


def test_the_node_census_reads_every_autograd_file():
    # A new file of ops is scanned with no change here: the census walks the package's
    # directory, not a list of module names.
    folder = Path(backprop.autograd.__file__).parent
    files = {p.stem for p in folder.glob("*.py")} - {"__init__"}
    scanned = {m.__name__.rsplit(".", 1)[-1] for m in autograd_modules()}
    assert files == scanned
    assert {"ops", "ops_matmul", "ops_reduce", "ops_shape"} <= scanned


# -- loss nodes ----------------------------------------------------------------------------
def _loss_inputs(name: str, rng):
    """(input, target, torch function) for one registry loss, away from kinks."""
    x = rng.standard_normal((4, 3))
    if name in ("cross_entropy", "nll"):
        target = np.array([0, 2, 1, 2])
        if name == "nll":
            x = x - np.log(np.exp(x).sum(1, keepdims=True))
        fn = TF.cross_entropy if name == "cross_entropy" else TF.nll_loss
        return x, target, fn
    if name == "bce":
        return rng.uniform(0.1, 0.9, (4, 3)), rng.uniform(0, 1, (4, 3)), TF.binary_cross_entropy
    y = x + rng.choice([-1.0, 1.0], x.shape) * rng.uniform(0.2, 0.8, x.shape)  # |d| < 1: huber
    table = {
        "mse": TF.mse_loss,
        "half_mse": lambda a, b, reduction: 0.5 * TF.mse_loss(a, b, reduction=reduction),
        "l1": TF.l1_loss,
        "huber": TF.huber_loss,
        "bce_with_logits": TF.binary_cross_entropy_with_logits,
    }
    return x, y, table[name]


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_node_is_gradchecked_and_compared_with_torch(name):
    rng = np.random.default_rng(3)
    x, target, torch_fn = _loss_inputs(name, rng)
    spelled = {
        "bce": "binary_cross_entropy",
        "bce_with_logits": "binary_cross_entropy_with_logits",
        "cross_entropy": "cross_entropy",
    }
    ours = getattr(F, spelled.get(name, f"{name}_loss"))
    t = backprop.tensor(target)
    for reduction in ("mean", "sum", "none"):
        xt = backprop.tensor(x, requires_grad=True)
        assert backprop.gradcheck(lambda a, r=reduction: ours(a, t, reduction=r), (xt,)), (
            f"{name} {reduction}"
        )
        out = ours(xt, t, reduction=reduction)
        assert type(out.grad_fn).__name__ == LOSSES[name].node  # the loss node was checked
        up = rng.standard_normal(tuple(out.shape))
        out.backward(backprop.tensor(up))
        tx = torch.tensor(x, requires_grad=True)
        tout = torch_fn(tx, torch.tensor(target), reduction=reduction)
        tout.backward(torch.tensor(up))
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-14)
    print(f"op coverage, loss {name}: gradcheck and PyTorch in 3 reductions")
