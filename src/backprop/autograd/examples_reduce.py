"""Doctest examples of the function forms (floor 1): reductions, sorting, counting.

Data only: ``functional.py`` appends each to its function's docstring (after a line
``>>> import backprop as bp``); tests/test_docstring_examples.py runs every one as a doctest and
again with ``import torch as bp``, comparing the printed results with PyTorch's.
"""

EXAMPLES = {
    "sum": """
>>> x = bp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> bp.sum(x)
tensor(21.)
>>> bp.sum(x, dim=0)
tensor([5., 7., 9.])
>>> bp.sum(x, dim=1, keepdim=True)
tensor([[ 6.],
        [15.]])
""",
    "mean": """
>>> x = bp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
>>> bp.mean(x, dim=1)
tensor([2., 5.], grad_fn=<MeanBackward1>)
>>> bp.mean(x).backward()
>>> x.grad
tensor([[0.1667, 0.1667, 0.1667],
        [0.1667, 0.1667, 0.1667]])
""",
    "prod": """
>>> x = bp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> bp.prod(x)
tensor(720.)
>>> bp.prod(x, dim=1)
tensor([  6., 120.])
""",
    "amax": """
>>> x = bp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> bp.amax(x)
tensor(6.)
>>> bp.amax(x, dim=1)
tensor([3., 6.])
""",
    "amin": """
>>> x = bp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> bp.amin(x)
tensor(1.)
>>> bp.amin(x, dim=1)
tensor([1., 4.])
""",
    "var": """
>>> x = bp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> bp.var(x)
tensor(3.5000)
>>> bp.var(x, dim=1)
tensor([1., 1.])
""",
    "std": """
>>> x = bp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> bp.std(x)
tensor(1.8708)
>>> bp.std(x, dim=1)
tensor([1., 1.])
""",
    "logsumexp": """
>>> x = bp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> bp.logsumexp(x, dim=1)
tensor([3.4076, 6.4076])
""",
    "norm": """
>>> x = bp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> bp.norm(x)
tensor(9.5394)
>>> bp.norm(x, dim=1)
tensor([3.7417, 8.7750])
""",
    "nansum": """
>>> x = bp.tensor([1.0, float('nan'), 3.0, 4.0])
>>> bp.nansum(x)
tensor(8.)
""",
    "nanmean": """
>>> x = bp.tensor([1.0, float('nan'), 3.0, 4.0])
>>> bp.nanmean(x)
tensor(2.6667)
""",
    "nanmedian": """
>>> x = bp.tensor([1.0, float('nan'), 3.0, 4.0])
>>> bp.nanmedian(x)
tensor(3.)
""",
    "cumsum": """
>>> x = bp.tensor([1.0, 2.0, 3.0, 4.0])
>>> bp.cumsum(x, dim=0)
tensor([ 1.,  3.,  6., 10.])
""",
    "cumprod": """
>>> x = bp.tensor([1.0, 2.0, 3.0, 4.0])
>>> bp.cumprod(x, dim=0)
tensor([ 1.,  2.,  6., 24.])
""",
    "cummax": """
>>> x = bp.tensor([2.0, 1.0, 3.0, 0.0])
>>> values, indices = bp.cummax(x, dim=0)
>>> values
tensor([2., 2., 3., 3.])
>>> indices
tensor([0, 0, 2, 2])
""",
    "cummin": """
>>> x = bp.tensor([2.0, 1.0, 3.0, 0.0])
>>> values, indices = bp.cummin(x, dim=0)
>>> values
tensor([2., 1., 1., 0.])
>>> indices
tensor([0, 1, 1, 3])
""",
    "max": """
>>> x = bp.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 6.0]])
>>> bp.max(x)
tensor(6.)
>>> values, indices = bp.max(x, dim=1)
>>> values
tensor([5., 6.])
>>> indices
tensor([1, 2])
""",
    "min": """
>>> x = bp.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 6.0]])
>>> bp.min(x)
tensor(0.)
>>> values, indices = bp.min(x, dim=1)
>>> values
tensor([1., 0.])
>>> indices
tensor([0, 1])
""",
    "argmax": """
>>> x = bp.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 6.0]])
>>> bp.argmax(x)
tensor(5)
>>> bp.argmax(x, dim=1)
tensor([1, 2])
""",
    "argmin": """
>>> x = bp.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 6.0]])
>>> bp.argmin(x)
tensor(4)
>>> bp.argmin(x, dim=1)
tensor([0, 1])
""",
    "median": """
>>> x = bp.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 6.0]])
>>> bp.median(x)
tensor(2.)
>>> values, indices = bp.median(x, dim=1)
>>> values
tensor([2., 4.])
>>> indices
tensor([2, 0])
""",
    "mode": """
>>> x = bp.tensor([[1, 2, 2], [3, 3, 1]])
>>> values, indices = bp.mode(x, dim=1)
>>> values
tensor([2, 3])
""",
    "sort": """
>>> x = bp.tensor([3.0, 1.0, 2.0])
>>> values, indices = bp.sort(x)
>>> values
tensor([1., 2., 3.])
>>> indices
tensor([1, 2, 0])
>>> bp.sort(x, descending=True).values
tensor([3., 2., 1.])
""",
    "argsort": """
>>> x = bp.tensor([3.0, 1.0, 2.0])
>>> bp.argsort(x)
tensor([1, 2, 0])
>>> bp.argsort(x, descending=True)
tensor([0, 2, 1])
""",
    "msort": """
>>> x = bp.tensor([[3.0, 1.0], [1.0, 2.0], [2.0, 0.0]])
>>> bp.msort(x)
tensor([[1., 0.],
        [2., 1.],
        [3., 2.]])
""",
    "topk": """
>>> x = bp.tensor([1.0, 5.0, 3.0, 4.0])
>>> values, indices = bp.topk(x, 2)
>>> values
tensor([5., 4.])
>>> indices
tensor([1, 3])
""",
    "kthvalue": """
>>> x = bp.tensor([1.0, 5.0, 3.0, 4.0])
>>> values, indices = bp.kthvalue(x, 2)
>>> values
tensor(3.)
>>> indices
tensor(2)
""",
    "aminmax": """
>>> x = bp.tensor([1.0, 5.0, -3.0, 4.0])
>>> low, high = bp.aminmax(x)
>>> low
tensor(-3.)
>>> high
tensor(5.)
""",
    "any": """
>>> x = bp.tensor([[True, False], [True, True]])
>>> bp.any(x)
tensor(True)
>>> bp.any(x, dim=1)
tensor([True, True])
""",
    "all": """
>>> x = bp.tensor([[True, False], [True, True]])
>>> bp.all(x)
tensor(False)
>>> bp.all(x, dim=1)
tensor([False,  True])
""",
    "count_nonzero": """
>>> x = bp.tensor([[0, 1, 2], [0, 0, 3]])
>>> bp.count_nonzero(x)
tensor(3)
>>> bp.count_nonzero(x, dim=1)
tensor([2, 1])
""",
    "unique": """
>>> x = bp.tensor([2, 1, 2, 3, 1])
>>> bp.unique(x)
tensor([1, 2, 3])
>>> values, counts = bp.unique(x, return_counts=True)
>>> counts
tensor([2, 2, 1])
""",
    "bincount": """
>>> bp.bincount(bp.tensor([0, 1, 1, 3]))
tensor([1, 2, 0, 1])
""",
    "histc": """
>>> x = bp.tensor([1.0, 2.0, 1.0, 2.5, 4.0])
>>> bp.histc(x, bins=4, min=0, max=4)
tensor([0., 2., 2., 1.])
""",
    "histogram": """
>>> x = bp.tensor([1.0, 2.0, 1.0, 2.5, 4.0])
>>> hist, edges = bp.histogram(x, bins=4)
>>> hist
tensor([2., 1., 1., 1.])
>>> edges
tensor([1.0000, 1.7500, 2.5000, 3.2500, 4.0000])
""",
}
