"""Doctest examples of the function forms (floor 1): two tensors in, comparisons, logic.

Data only: ``functional.py`` appends each to its function's docstring (after a line
``>>> import backprop as bp``); tests/test_docstring_examples.py runs every one as a doctest and
again with ``import torch as bp``, comparing the printed results with PyTorch's.
"""

EXAMPLES = {
    "signbit": """
>>> x = bp.tensor([-1.5, -0.2, 0.0, 2.7])
>>> bp.signbit(x)
tensor([ True,  True, False, False])
""",
    "atan2": """
>>> a = bp.tensor([1.0, -2.0, 3.0])
>>> b = bp.tensor([2.0, 2.0, -1.0])
>>> bp.atan2(a, b)
tensor([ 0.4636, -0.7854,  1.8925])
""",
    "arctan2": """
>>> a = bp.tensor([1.0, -2.0, 3.0])
>>> b = bp.tensor([2.0, 2.0, -1.0])
>>> bp.arctan2(a, b)
tensor([ 0.4636, -0.7854,  1.8925])
""",
    "hypot": """
>>> a = bp.tensor([1.0, -2.0, 3.0])
>>> b = bp.tensor([2.0, 2.0, -1.0])
>>> bp.hypot(a, b)
tensor([2.2361, 2.8284, 3.1623])
""",
    "copysign": """
>>> a = bp.tensor([1.0, -2.0, 3.0])
>>> b = bp.tensor([2.0, 2.0, -1.0])
>>> bp.copysign(a, b)
tensor([ 1.,  2., -3.])
""",
    "logaddexp": """
>>> a = bp.tensor([1.0, -2.0, 3.0])
>>> b = bp.tensor([2.0, 2.0, -1.0])
>>> bp.logaddexp(a, b)
tensor([2.3133, 2.0181, 3.0181])
""",
    "fmax": """
>>> a = bp.tensor([1.0, -2.0, 3.0])
>>> b = bp.tensor([2.0, 2.0, -1.0])
>>> bp.fmax(a, b)
tensor([2., 2., 3.])
""",
    "fmin": """
>>> a = bp.tensor([1.0, -2.0, 3.0])
>>> b = bp.tensor([2.0, 2.0, -1.0])
>>> bp.fmin(a, b)
tensor([ 1., -2., -1.])
""",
    "maximum": """
>>> a = bp.tensor([1.0, -2.0, 3.0])
>>> b = bp.tensor([2.0, 2.0, -1.0])
>>> bp.maximum(a, b)
tensor([2., 2., 3.])
""",
    "minimum": """
>>> a = bp.tensor([1.0, -2.0, 3.0])
>>> b = bp.tensor([2.0, 2.0, -1.0])
>>> bp.minimum(a, b)
tensor([ 1., -2., -1.])
""",
    "fmod": """
>>> a = bp.tensor([-3.0, -1.0, 2.0, 5.0])
>>> bp.fmod(a, 2)
tensor([-1., -1.,  0.,  1.])
""",
    "remainder": """
>>> a = bp.tensor([-3.0, -1.0, 2.0, 5.0])
>>> bp.remainder(a, 2)
tensor([1., 1., 0., 1.])
""",
    "xlogy": """
>>> x = bp.tensor([0.0, 1.0, 2.0])
>>> y = bp.tensor([0.0, 2.0, 3.0])
>>> bp.xlogy(x, y)
tensor([0.0000, 0.6931, 2.1972])
""",
    "lerp": """
>>> start = bp.tensor([0.0, 10.0])
>>> end = bp.tensor([4.0, 20.0])
>>> bp.lerp(start, end, 0.25)
tensor([ 1.0000, 12.5000])
""",
    "addcmul": """
>>> x = bp.tensor([1.0, 1.0])
>>> a = bp.tensor([2.0, 3.0])
>>> b = bp.tensor([4.0, 5.0])
>>> bp.addcmul(x, a, b, value=0.5)
tensor([5.0000, 8.5000])
""",
    "addcdiv": """
>>> x = bp.tensor([1.0, 1.0])
>>> a = bp.tensor([2.0, 3.0])
>>> b = bp.tensor([4.0, 5.0])
>>> bp.addcdiv(x, a, b, value=2.0)
tensor([2.0000, 2.2000])
""",
    "float_power": """
>>> x = bp.tensor([1, 2, 3])
>>> bp.float_power(x, 2)
tensor([1., 4., 9.], dtype=backprop.float64)
""",
    "pow": """
>>> x = bp.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = bp.pow(x, 2)
>>> y
tensor([1., 4., 9.], grad_fn=<PowBackward0>)
>>> y.sum().backward()
>>> x.grad
tensor([2., 4., 6.])
""",
    "floor_divide": """
>>> a = bp.tensor([7.0, -7.0, 9.0])
>>> bp.floor_divide(a, 2)
tensor([ 3., -4.,  4.])
""",
    "true_divide": """
>>> a = bp.tensor([7.0, -7.0, 9.0])
>>> bp.true_divide(a, 2)
tensor([ 3.5000, -3.5000,  4.5000])
""",
    "divide": """
>>> a = bp.tensor([7.0, -7.0, 9.0])
>>> bp.divide(a, 2)
tensor([ 3.5000, -3.5000,  4.5000])
""",
    "div": """
>>> a = bp.tensor([7.0, -7.0, 9.0])
>>> bp.div(a, 2)
tensor([ 3.5000, -3.5000,  4.5000])
>>> bp.div(a, 2, rounding_mode='floor')
tensor([ 3., -4.,  4.])
""",
    "multiply": """
>>> a = bp.tensor([1.0, 2.0, 3.0])
>>> b = bp.tensor([4.0, 5.0, 6.0])
>>> bp.multiply(a, b)
tensor([ 4., 10., 18.])
""",
    "subtract": """
>>> a = bp.tensor([1.0, 2.0, 3.0])
>>> b = bp.tensor([4.0, 5.0, 6.0])
>>> bp.subtract(a, b)
tensor([-3., -3., -3.])
""",
    "add": """
>>> a = bp.tensor([1.0, 2.0, 3.0])
>>> b = bp.tensor([4.0, 5.0, 6.0])
>>> bp.add(a, b)
tensor([5., 7., 9.])
>>> bp.add(a, b, alpha=10)
tensor([41., 52., 63.])
""",
    "sub": """
>>> a = bp.tensor([1.0, 2.0, 3.0])
>>> b = bp.tensor([4.0, 5.0, 6.0])
>>> bp.sub(a, b)
tensor([-3., -3., -3.])
""",
    "mul": """
>>> a = bp.tensor([1.0, 2.0, 3.0])
>>> b = bp.tensor([4.0, 5.0, 6.0])
>>> bp.mul(a, b)
tensor([ 4., 10., 18.])
""",
    "clamp_min": """
>>> x = bp.tensor([-2.0, 0.5, 3.0])
>>> bp.clamp_min(x, 0.0)
tensor([0.0000, 0.5000, 3.0000])
""",
    "clamp_max": """
>>> x = bp.tensor([-2.0, 0.5, 3.0])
>>> bp.clamp_max(x, 1.0)
tensor([-2.0000,  0.5000,  1.0000])
""",
    "clamp": """
>>> x = bp.tensor([-2.0, 0.5, 3.0])
>>> bp.clamp(x, min=-1.0, max=1.0)
tensor([-1.0000,  0.5000,  1.0000])
""",
    "clip": """
>>> x = bp.tensor([-2.0, 0.5, 3.0])
>>> bp.clip(x, -1.0, 1.0)
tensor([-1.0000,  0.5000,  1.0000])
""",
    "eq": """
>>> a = bp.tensor([1, 2, 3])
>>> b = bp.tensor([3, 2, 1])
>>> bp.eq(a, b)
tensor([False,  True, False])
""",
    "ne": """
>>> a = bp.tensor([1, 2, 3])
>>> b = bp.tensor([3, 2, 1])
>>> bp.ne(a, b)
tensor([ True, False,  True])
""",
    "lt": """
>>> a = bp.tensor([1, 2, 3])
>>> b = bp.tensor([3, 2, 1])
>>> bp.lt(a, b)
tensor([ True, False, False])
""",
    "le": """
>>> a = bp.tensor([1, 2, 3])
>>> b = bp.tensor([3, 2, 1])
>>> bp.le(a, b)
tensor([ True,  True, False])
""",
    "gt": """
>>> a = bp.tensor([1, 2, 3])
>>> b = bp.tensor([3, 2, 1])
>>> bp.gt(a, b)
tensor([False, False,  True])
""",
    "ge": """
>>> a = bp.tensor([1, 2, 3])
>>> b = bp.tensor([3, 2, 1])
>>> bp.ge(a, b)
tensor([False,  True,  True])
""",
    "greater": """
>>> a = bp.tensor([1, 2, 3])
>>> b = bp.tensor([3, 2, 1])
>>> bp.greater(a, b)
tensor([False, False,  True])
""",
    "greater_equal": """
>>> a = bp.tensor([1, 2, 3])
>>> b = bp.tensor([3, 2, 1])
>>> bp.greater_equal(a, b)
tensor([False,  True,  True])
""",
    "less": """
>>> a = bp.tensor([1, 2, 3])
>>> b = bp.tensor([3, 2, 1])
>>> bp.less(a, b)
tensor([ True, False, False])
""",
    "less_equal": """
>>> a = bp.tensor([1, 2, 3])
>>> b = bp.tensor([3, 2, 1])
>>> bp.less_equal(a, b)
tensor([ True,  True, False])
""",
    "not_equal": """
>>> a = bp.tensor([1, 2, 3])
>>> b = bp.tensor([3, 2, 1])
>>> bp.not_equal(a, b)
tensor([ True, False,  True])
""",
    "isclose": """
>>> a = bp.tensor([1.0, 2.0, 3.0])
>>> b = bp.tensor([1.0 + 1e-9, 2.1, 3.0])
>>> bp.isclose(a, b)
tensor([ True, False,  True])
""",
    "allclose": """
>>> a = bp.tensor([1.0, 2.0])
>>> bp.allclose(a, a + 1e-9)
True
>>> bp.allclose(a, a + 0.1)
False
""",
    "equal": """
>>> a = bp.tensor([1, 2])
>>> bp.equal(a, bp.tensor([1, 2]))
True
>>> bp.equal(a, bp.tensor([1, 3]))
False
""",
    "logical_and": """
>>> a = bp.tensor([True, True, False])
>>> b = bp.tensor([True, False, False])
>>> bp.logical_and(a, b)
tensor([ True, False, False])
""",
    "logical_or": """
>>> a = bp.tensor([True, True, False])
>>> b = bp.tensor([True, False, False])
>>> bp.logical_or(a, b)
tensor([ True,  True, False])
""",
    "logical_xor": """
>>> a = bp.tensor([True, True, False])
>>> b = bp.tensor([True, False, False])
>>> bp.logical_xor(a, b)
tensor([False,  True, False])
""",
    "logical_not": """
>>> bp.logical_not(bp.tensor([True, False]))
tensor([False,  True])
""",
    "isneginf": """
>>> x = bp.tensor([1.0, float('inf'), float('-inf'), float('nan')])
>>> bp.isneginf(x)
tensor([False, False,  True, False])
""",
    "isposinf": """
>>> x = bp.tensor([1.0, float('inf'), float('-inf'), float('nan')])
>>> bp.isposinf(x)
tensor([False,  True, False, False])
""",
    "isnan": """
>>> x = bp.tensor([1.0, float('inf'), float('-inf'), float('nan')])
>>> bp.isnan(x)
tensor([False, False, False,  True])
""",
    "isinf": """
>>> x = bp.tensor([1.0, float('inf'), float('-inf'), float('nan')])
>>> bp.isinf(x)
tensor([False,  True,  True, False])
""",
    "isfinite": """
>>> x = bp.tensor([1.0, float('inf'), float('-inf'), float('nan')])
>>> bp.isfinite(x)
tensor([ True, False, False, False])
""",
    "bitwise_and": """
>>> a = bp.tensor([12, 10])
>>> b = bp.tensor([10, 6])
>>> bp.bitwise_and(a, b)
tensor([8, 2])
""",
    "bitwise_or": """
>>> a = bp.tensor([12, 10])
>>> b = bp.tensor([10, 6])
>>> bp.bitwise_or(a, b)
tensor([14, 14])
""",
    "bitwise_xor": """
>>> a = bp.tensor([12, 10])
>>> b = bp.tensor([10, 6])
>>> bp.bitwise_xor(a, b)
tensor([ 6, 12])
""",
    "bitwise_not": """
>>> bp.bitwise_not(bp.tensor([0, 5, -1]))
tensor([-1, -6,  0])
""",
}
