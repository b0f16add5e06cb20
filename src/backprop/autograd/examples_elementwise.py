"""Doctest examples of the function forms (floor 1): one tensor in, elementwise.

Data only: ``functional.py`` appends each to its function's docstring (after a line
``>>> import backprop as bp``); tests/test_docstring_examples.py runs every one as a doctest and
again with ``import torch as bp``, comparing the printed results with PyTorch's.
"""

EXAMPLES = {
    "sin": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.sin(x)
tensor([0.0000, 0.4794, 0.8415])
""",
    "cos": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.cos(x)
tensor([1.0000, 0.8776, 0.5403])
""",
    "tan": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.tan(x)
tensor([0.0000, 0.5463, 1.5574])
""",
    "asin": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.asin(x)
tensor([0.0000, 0.5236, 1.5708])
""",
    "acos": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.acos(x)
tensor([1.5708, 1.0472, 0.0000])
""",
    "atan": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.atan(x)
tensor([0.0000, 0.4636, 0.7854])
""",
    "sinh": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.sinh(x)
tensor([0.0000, 0.5211, 1.1752])
""",
    "cosh": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.cosh(x)
tensor([1.0000, 1.1276, 1.5431])
""",
    "asinh": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.asinh(x)
tensor([0.0000, 0.4812, 0.8814])
""",
    "atanh": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.atanh(x)
tensor([0.0000, 0.5493,    inf])
""",
    "exp2": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.exp2(x)
tensor([1.0000, 1.4142, 2.0000])
""",
    "expm1": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.expm1(x)
tensor([0.0000, 0.6487, 1.7183])
""",
    "log1p": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.log1p(x)
tensor([0.0000, 0.4055, 0.6931])
""",
    "erf": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.erf(x)
tensor([0.0000, 0.5205, 0.8427])
""",
    "erfc": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.erfc(x)
tensor([1.0000, 0.4795, 0.1573])
""",
    "erfinv": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.erfinv(x)
tensor([0.0000, 0.4769,    inf])
""",
    "arcsin": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.arcsin(x)
tensor([0.0000, 0.5236, 1.5708])
""",
    "arccos": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.arccos(x)
tensor([1.5708, 1.0472, 0.0000])
""",
    "arctan": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.arctan(x)
tensor([0.0000, 0.4636, 0.7854])
""",
    "arcsinh": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.arcsinh(x)
tensor([0.0000, 0.4812, 0.8814])
""",
    "arctanh": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.arctanh(x)
tensor([0.0000, 0.5493,    inf])
""",
    "sigmoid": """
>>> x = bp.tensor([0.0, 2.0], requires_grad=True)
>>> y = bp.sigmoid(x)
>>> y
tensor([0.5000, 0.8808], grad_fn=<SigmoidBackward0>)
>>> y.sum().backward()
>>> x.grad
tensor([0.2500, 0.1050])
""",
    "tanh": """
>>> x = bp.tensor([0.0, 2.0], requires_grad=True)
>>> y = bp.tanh(x)
>>> y
tensor([0.0000, 0.9640], grad_fn=<TanhBackward0>)
>>> y.sum().backward()
>>> x.grad
tensor([1.0000, 0.0707])
""",
    "exp": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.exp(x)
tensor([1.0000, 1.6487, 2.7183])
""",
    "square": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.square(x)
tensor([0.0000, 0.2500, 1.0000])
""",
    "neg": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.neg(x)
tensor([-0.0000, -0.5000, -1.0000])
""",
    "negative": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.negative(x)
tensor([-0.0000, -0.5000, -1.0000])
""",
    "positive": """
>>> x = bp.tensor([0.0, 0.5, 1.0])
>>> bp.positive(x)
tensor([0.0000, 0.5000, 1.0000])
""",
    "acosh": """
>>> x = bp.tensor([1.0, 2.0, 4.0])
>>> bp.acosh(x)
tensor([0.0000, 1.3170, 2.0634])
""",
    "arccosh": """
>>> x = bp.tensor([1.0, 2.0, 4.0])
>>> bp.arccosh(x)
tensor([0.0000, 1.3170, 2.0634])
""",
    "log2": """
>>> x = bp.tensor([1.0, 2.0, 4.0])
>>> bp.log2(x)
tensor([0., 1., 2.])
""",
    "log10": """
>>> x = bp.tensor([1.0, 2.0, 4.0])
>>> bp.log10(x)
tensor([0.0000, 0.3010, 0.6021])
""",
    "rsqrt": """
>>> x = bp.tensor([1.0, 2.0, 4.0])
>>> bp.rsqrt(x)
tensor([1.0000, 0.7071, 0.5000])
""",
    "reciprocal": """
>>> x = bp.tensor([1.0, 2.0, 4.0])
>>> bp.reciprocal(x)
tensor([1.0000, 0.5000, 0.2500])
""",
    "log": """
>>> x = bp.tensor([1.0, 2.0, 4.0])
>>> bp.log(x)
tensor([0.0000, 0.6931, 1.3863])
""",
    "sqrt": """
>>> x = bp.tensor([1.0, 2.0, 4.0])
>>> bp.sqrt(x)
tensor([1.0000, 1.4142, 2.0000])
""",
    "lgamma": """
>>> x = bp.tensor([1.0, 2.0, 4.0])
>>> bp.lgamma(x)
tensor([0.0000, 0.0000, 1.7918])
""",
    "digamma": """
>>> x = bp.tensor([1.0, 2.0, 4.0])
>>> bp.digamma(x)
tensor([-0.5772,  0.4228,  1.2561])
""",
    "sign": """
>>> x = bp.tensor([-1.5, -0.2, 0.0, 2.7])
>>> bp.sign(x)
tensor([-1., -1.,  0.,  1.])
""",
    "sgn": """
>>> x = bp.tensor([-1.5, -0.2, 0.0, 2.7])
>>> bp.sgn(x)
tensor([-1., -1.,  0.,  1.])
""",
    "floor": """
>>> x = bp.tensor([-1.5, -0.2, 0.0, 2.7])
>>> bp.floor(x)
tensor([-2., -1.,  0.,  2.])
""",
    "ceil": """
>>> x = bp.tensor([-1.5, -0.2, 0.0, 2.7])
>>> bp.ceil(x)
tensor([-1., -0.,  0.,  3.])
""",
    "round": """
>>> x = bp.tensor([-1.5, -0.2, 0.0, 2.7])
>>> bp.round(x)
tensor([-2., -0.,  0.,  3.])
""",
    "trunc": """
>>> x = bp.tensor([-1.5, -0.2, 0.0, 2.7])
>>> bp.trunc(x)
tensor([-1., -0.,  0.,  2.])
""",
    "frac": """
>>> x = bp.tensor([-1.5, -0.2, 0.0, 2.7])
>>> bp.frac(x)
tensor([-0.5000, -0.2000,  0.0000,  0.7000])
""",
    "fix": """
>>> x = bp.tensor([-1.5, -0.2, 0.0, 2.7])
>>> bp.fix(x)
tensor([-1., -0.,  0.,  2.])
""",
    "abs": """
>>> x = bp.tensor([-1.5, -0.2, 0.0, 2.7])
>>> bp.abs(x)
tensor([1.5000, 0.2000, 0.0000, 2.7000])
""",
    "absolute": """
>>> x = bp.tensor([-1.5, -0.2, 0.0, 2.7])
>>> bp.absolute(x)
tensor([1.5000, 0.2000, 0.0000, 2.7000])
""",
    "relu": """
>>> x = bp.tensor([-1.0, 0.5, 2.0], requires_grad=True)
>>> y = bp.relu(x)
>>> y
tensor([0.0000, 0.5000, 2.0000], grad_fn=<ReluBackward0>)
>>> y.sum().backward()
>>> x.grad
tensor([0., 1., 1.])
""",
    "logit": """
>>> p = bp.tensor([0.25, 0.5, 0.9])
>>> bp.logit(p)
tensor([-1.0986,  0.0000,  2.1972])
""",
    "nan_to_num": """
>>> x = bp.tensor([float('nan'), float('inf'), -1.0])
>>> bp.nan_to_num(x, nan=0.0, posinf=100.0)
tensor([  0., 100.,  -1.])
""",
    "deg2rad": """
>>> bp.deg2rad(bp.tensor([0.0, 90.0, 180.0]))
tensor([0.0000, 1.5708, 3.1416])
""",
    "rad2deg": """
>>> bp.rad2deg(bp.tensor([0.0, 1.5708, 3.1416]))
tensor([  0.0000,  90.0002, 180.0004])
""",
    "softmax": """
>>> x = bp.tensor([[1.0, 2.0, 3.0]])
>>> bp.softmax(x, dim=1)
tensor([[0.0900, 0.2447, 0.6652]])
""",
    "log_softmax": """
>>> x = bp.tensor([[1.0, 2.0, 3.0]])
>>> bp.log_softmax(x, dim=1)
tensor([[-2.4076, -1.4076, -0.4076]])
""",
}
