"""Autograd semantics against PyTorch: accumulation, retain_graph, no_grad, in-place rules,
hooks, retain_grad, custom Functions, autograd.grad and the iterative graph walk."""

import numpy as np
import pytest

import backprop as bp
from backprop.autograd import Function
from backprop.errors import AutogradError, DTypeError, ShapeError

torch = pytest.importorskip("torch")


def both(values, requires_grad=True):
    a = np.asarray(values, dtype=np.float64)
    return (
        bp.tensor(a, requires_grad=requires_grad),
        torch.tensor(a, requires_grad=requires_grad),
    )


def close(ours, theirs, tol=1e-12):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


def test_lecture_autograd_example_matches_pytorch():
    # The lecture: y = w2 * sigmoid(w1 * x) at 0 gives w1.grad 0, w2.grad 0.5, x.grad None.
    x = bp.tensor([0.0])
    w1 = bp.tensor([0.0], requires_grad=True)
    w2 = bp.tensor([0.0], requires_grad=True)
    y = w2 * bp.sigmoid(w1 * x)
    y.backward()
    assert w1.grad.tolist() == [0.0]
    assert w2.grad.tolist() == [0.5]
    assert x.grad is None
    printed = f"{x} {w1} {w2}"
    assert printed == (
        "tensor([0.]) tensor([0.], requires_grad=True) tensor([0.], requires_grad=True)"
    )
    assert str(w2.grad) == "tensor([0.5000])"


def test_gradients_accumulate_across_backward_calls():
    a, ta = both([1.0, -2.0, 3.0])
    for _ in range(3):
        (a * a * a).sum().backward()
        (ta * ta * ta).sum().backward()
    close(a.grad, ta.grad)


def test_tensor_used_twice_gets_both_contributions():
    a, ta = both([0.5, 1.5])
    (a * a + a.exp() * a).sum().backward()
    (ta * ta + ta.exp() * ta).sum().backward()
    close(a.grad, ta.grad)


def test_non_scalar_backward_needs_gradient():
    a = bp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(AutogradError, match="scalar outputs"):
        (a * 2).backward()
    (a * 2).backward(bp.tensor([1.0, 10.0]))
    assert a.grad.tolist() == [2.0, 20.0]
    with pytest.raises(ShapeError, match=r"\[3\]"):
        (a * 2).backward(bp.ones(3))


def test_backward_twice_without_retain_graph_errors_and_with_it_works():
    a, ta = both([0.3, -0.7])
    y = a.sigmoid().sum()
    y.backward(retain_graph=True)
    y.backward()
    ty = ta.sigmoid().sum()
    ty.backward(retain_graph=True)
    ty.backward()
    close(a.grad, ta.grad)
    with pytest.raises(AutogradError, match="second time"):
        y.backward()
    with pytest.raises(RuntimeError):  # PyTorch does the same
        ty.backward()


def test_backward_on_tensor_without_grad_errors():
    with pytest.raises(AutogradError, match="does not require grad"):
        bp.tensor([1.0]).sum().backward()


def test_no_grad_context_and_decorator():
    a = bp.tensor([1.0], requires_grad=True)
    with bp.no_grad():
        y = a * 2
    assert not y.requires_grad and y.grad_fn is None

    @bp.no_grad()
    def f(t):
        return t * 3

    assert not f(a).requires_grad
    with bp.no_grad(), bp.enable_grad():
        assert (a * 2).requires_grad
    assert bp.is_grad_enabled()


def test_inplace_on_leaf_requiring_grad_errors_except_under_no_grad():
    p = bp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(AutogradError, match="leaf Variable"):
        p.add_(1.0)
    with pytest.raises(AutogradError):
        p -= 1.0
    with bp.no_grad():
        p -= 0.5
        p.mul_(2.0)
    assert p.tolist() == [1.0, 3.0]
    assert p.requires_grad and p.is_leaf


def test_inplace_change_of_saved_tensor_is_caught():
    a = bp.tensor([1.0, 2.0], requires_grad=True)
    s = a.sigmoid()
    s.mul_(2)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        s.sum().backward()
    ta = torch.tensor([1.0, 2.0], requires_grad=True)
    ts = ta.sigmoid()
    ts.mul_(2)
    with pytest.raises(RuntimeError, match="inplace"):
        ts.sum().backward()


def test_python_number_operand_has_no_edge_and_no_tensor():
    # t * 2.0: the number is a constant, next_functions ((node, 0), (None, 0)) as in PyTorch
    x, tx = both([1.0, 2.0])
    y, ty = x.exp(), tx.exp()
    for op in (lambda t: t * 2.0, lambda t: t + 0.5, lambda t: t - 0.5, lambda t: t / 4.0):
        z, tz = op(y), op(ty)
        assert z.grad_fn.name() == tz.grad_fn.name()
        assert [n is None for n, _ in z.grad_fn.next_functions] == [False, True]
        assert [n is None for n, _ in tz.grad_fn.next_functions] == [False, True]
        assert z.grad_fn.next_functions[0] == (y.grad_fn, 0)
    w = 2.0 * y  # the number on the left: y is still saved, still version-checked
    y.add_(1.0)
    with pytest.raises(AutogradError, match=r"saved by MulBackward0 \(saved tensor #1\)"):
        w.sum().backward()
    (3.0 - x * 2.0).sum().backward()
    assert x.grad.tolist() == [-2.0, -2.0]


def test_inplace_on_non_leaf_records_history_like_pytorch():
    a, ta = both([0.5, 1.0, 2.0])
    y = a * 3
    y.add_(a * a)
    y.mul_(a)
    y[1] = a[0] * 7
    ty = ta * 3
    ty.add_(ta * ta)
    ty.mul_(ta)
    ty[1] = ta[0] * 7
    close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    close(a.grad, ta.grad)
    assert y.grad_fn.name() == "CopySlices"


def test_param_data_update_is_invisible_to_autograd():
    # The hand-written SGD step users write: p.data -= lr * p.grad
    p = bp.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    p.data -= 0.1 * p.grad
    np.testing.assert_allclose(p.tolist(), [0.8, 1.6], rtol=1e-6)
    assert p.is_leaf and p.requires_grad and p._version == 0
    q = p.data
    q[0] = 5.0
    assert p.tolist()[0] == 5.0  # same storage
    p.data = bp.tensor([9.0])
    assert p.shape == (1,)


def test_detach_shares_storage_and_version():
    a = bp.tensor([1.0, 2.0], requires_grad=True)
    s = a.exp()
    d = s.detach()
    d.zero_()
    assert s.tolist() == [0.0, 0.0]
    with pytest.raises(AutogradError, match="inplace"):
        s.sum().backward()


def test_retain_grad_and_hooks():
    a, ta = both([1.0, -1.0, 2.0])
    h = a * 2
    th = ta * 2
    h.retain_grad()
    th.retain_grad()
    seen = []
    a.register_hook(lambda g: seen.append(g.tolist()))
    h.register_hook(lambda g: g * 10)
    th.register_hook(lambda g: g * 10)
    (h.tanh()).sum().backward()
    (th.tanh()).sum().backward()
    close(h.grad, th.grad)
    close(a.grad, ta.grad)
    assert seen and seen[0] == a.grad.tolist()
    assert h.retains_grad and not h.is_leaf


def test_requires_grad_rules():
    with pytest.raises(DTypeError, match="floating point"):
        bp.tensor([1, 2], requires_grad=True)
    y = bp.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(AutogradError, match="leaf"):
        y.requires_grad = False
    t = bp.zeros(2).requires_grad_()
    assert t.requires_grad and t.is_leaf


def test_long_chain_needs_no_recursion():
    x = bp.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):  # 100,000 ops: a recursive walk would overflow the stack
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_diamond_graph_matches_pytorch():
    a, ta = both(np.linspace(-1, 1, 6).reshape(2, 3))
    b, tb = both(np.linspace(0.5, 2, 3))

    def f(lib, x, w):
        h = (x * w).tanh()
        return (h @ h.T).sum() + (h.exp() / w).mean() + (x - h).abs().sum()

    f(bp, a, b).backward()
    f(torch, ta, tb).backward()
    close(a.grad, ta.grad)
    close(b.grad, tb.grad)


def test_custom_function_forward_backward_and_saved_tensors():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x**3 * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x**2 * ctx.k, None

    a, ta = both([1.0, -2.0])
    y = Cube.apply(a, 2.0)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    (ta**3 * 2.0).sum().backward()
    close(a.grad, ta.grad)
    y2 = Cube.apply(a, 1.0)
    y2.sum().backward()
    with pytest.raises(AutogradError, match="second time"):
        y2.sum().backward()


def test_custom_function_with_wrong_gradient_shape_is_reported():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return bp.ones(5)

    a = bp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(AutogradError, match=r"got shape \[5\] but expected shape \[2\]"):
        Bad.apply(a).sum().backward()


def test_autograd_grad_does_not_touch_dot_grad():
    a, ta = both([0.1, 0.2, 0.3])
    y = (a.sigmoid() * a).sum()
    (g,) = bp.autograd.grad(y, a)
    (tg,) = torch.autograd.grad((ta.sigmoid() * ta).sum(), ta)
    close(g, tg)
    assert a.grad is None


def test_mixed_dtype_promotion_follows_pytorch():
    f32 = bp.ones(2)
    f64 = bp.ones(2, dtype=bp.float64)
    assert (f32 + f64).dtype == bp.float64
    assert (f32 * 2.5).dtype == bp.float32
    assert (bp.tensor([1, 2]) * 2.5).dtype == bp.float32
    assert (bp.tensor([1, 2]) / 2).dtype == bp.float32
    assert (f32 + bp.tensor(1.0, dtype=bp.float64)).dtype == bp.float32  # 0-d does not promote
    assert (bp.tensor([1, 2]) + 1).dtype == bp.int64
    # and the gradient comes back in each input's own dtype
    a = bp.ones(2, requires_grad=True)
    b = bp.ones(2, dtype=bp.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == bp.float32 and b.grad.dtype == bp.float64


def test_broadcast_gradient_reduction_matches_pytorch():
    rng = np.random.default_rng(0)
    x, tx = both(rng.normal(size=(4, 1, 3)))
    b, tb = both(rng.normal(size=(5, 1)))
    c, tc = both(rng.normal(size=()))
    ((x * b + c) ** 2).sum().backward()
    ((tx * tb + tc) ** 2).sum().backward()
    close(x.grad, tx.grad)
    close(b.grad, tb.grad)
    close(c.grad, tc.grad)
    with pytest.raises(ShapeError, match=r"\[4, 1, 3\] and \[2\]"):
        x + bp.ones(2, dtype=bp.float64)


def test_set_to_none_and_grad_assignment_checks_shape():
    a = bp.ones(3, requires_grad=True)
    with pytest.raises(ShapeError, match=r"\[2\].*\[3\]"):
        a.grad = bp.ones(2)
    a.grad = bp.zeros(3)
    (a * 2).sum().backward()
    assert a.grad.tolist() == [2.0, 2.0, 2.0]


def test_custom_function_without_recording_returns_plain_results():
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    out = Double.apply(bp.ones(3))
    assert out.tolist() == [2.0, 2.0, 2.0] and out.grad_fn is None
    with bp.no_grad():
        assert not Double.apply(bp.ones(3, requires_grad=True)).requires_grad
