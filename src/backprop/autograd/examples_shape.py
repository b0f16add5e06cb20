"""Doctest examples of the function forms (floor 1): indexing, shapes, products.

Data only: ``functional.py`` appends each to its function's docstring (after a line
``>>> import backprop as bp``); tests/test_docstring_examples.py runs every one as a doctest and
again with ``import torch as bp``, comparing the printed results with PyTorch's.
"""

EXAMPLES = {
    "gather": """
>>> x = bp.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> bp.gather(x, 1, bp.tensor([[0, 0], [1, 0]]))
tensor([[1., 1.],
        [4., 3.]])
""",
    "scatter": """
>>> x = bp.zeros(2, 3)
>>> src = bp.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> bp.scatter(x, 1, bp.tensor([[2, 0], [1, 2]]), src)
tensor([[2., 0., 1.],
        [0., 3., 4.]])
""",
    "scatter_add": """
>>> x = bp.zeros(3)
>>> bp.scatter_add(x, 0, bp.tensor([0, 2, 0]), bp.tensor([1.0, 2.0, 3.0]))
tensor([4., 0., 2.])
""",
    "index_select": """
>>> x = bp.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
>>> bp.index_select(x, 0, bp.tensor([2, 0]))
tensor([[5., 6.],
        [1., 2.]])
""",
    "index_add": """
>>> x = bp.zeros(3)
>>> bp.index_add(x, 0, bp.tensor([0, 2, 0]), bp.tensor([1.0, 2.0, 3.0]))
tensor([4., 0., 2.])
""",
    "masked_fill": """
>>> x = bp.tensor([1.0, -2.0, 3.0])
>>> bp.masked_fill(x, x < 0, 0.0)
tensor([1., 0., 3.])
""",
    "masked_select": """
>>> x = bp.tensor([1.0, -2.0, 3.0])
>>> bp.masked_select(x, x > 0)
tensor([1., 3.])
""",
    "nonzero": """
>>> x = bp.tensor([[0, 1], [2, 0]])
>>> bp.nonzero(x)
tensor([[0, 1],
        [1, 0]])
""",
    "argwhere": """
>>> x = bp.tensor([[0, 1], [2, 0]])
>>> bp.argwhere(x)
tensor([[0, 1],
        [1, 0]])
""",
    "take": """
>>> x = bp.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> bp.take(x, bp.tensor([0, 3]))
tensor([1., 4.])
""",
    "take_along_dim": """
>>> x = bp.tensor([[3.0, 1.0], [2.0, 4.0]])
>>> bp.take_along_dim(x, bp.argsort(x, dim=1), dim=1)
tensor([[1., 3.],
        [2., 4.]])
""",
    "chunk": """
>>> x = bp.arange(5)
>>> bp.chunk(x, 2)
(tensor([0, 1, 2]), tensor([3, 4]))
""",
    "split": """
>>> x = bp.arange(5)
>>> bp.split(x, 2)
(tensor([0, 1]), tensor([2, 3]), tensor([4]))
>>> bp.split(x, [1, 4])
(tensor([0]), tensor([1, 2, 3, 4]))
""",
    "tensor_split": """
>>> x = bp.arange(5)
>>> bp.tensor_split(x, 3)
(tensor([0, 1]), tensor([2, 3]), tensor([4]))
""",
    "narrow": """
>>> x = bp.arange(6).reshape(2, 3)
>>> bp.narrow(x, 1, 1, 2)
tensor([[1, 2],
        [4, 5]])
""",
    "unbind": """
>>> x = bp.tensor([[1, 2], [3, 4]])
>>> bp.unbind(x)
(tensor([1, 2]), tensor([3, 4]))
""",
    "roll": """
>>> x = bp.tensor([1, 2, 3, 4])
>>> bp.roll(x, 1)
tensor([4, 1, 2, 3])
""",
    "flip": """
>>> x = bp.tensor([[1, 2], [3, 4]])
>>> bp.flip(x, [0])
tensor([[3, 4],
        [1, 2]])
""",
    "fliplr": """
>>> x = bp.tensor([[1, 2], [3, 4]])
>>> bp.fliplr(x)
tensor([[2, 1],
        [4, 3]])
""",
    "flipud": """
>>> x = bp.tensor([[1, 2], [3, 4]])
>>> bp.flipud(x)
tensor([[3, 4],
        [1, 2]])
""",
    "tril": """
>>> x = bp.ones(3, 3)
>>> bp.tril(x)
tensor([[1., 0., 0.],
        [1., 1., 0.],
        [1., 1., 1.]])
""",
    "triu": """
>>> x = bp.ones(3, 3)
>>> bp.triu(x, diagonal=1)
tensor([[0., 1., 1.],
        [0., 0., 1.],
        [0., 0., 0.]])
""",
    "diag": """
>>> bp.diag(bp.tensor([1.0, 2.0]))
tensor([[1., 0.],
        [0., 2.]])
>>> bp.diag(bp.tensor([[1, 2], [3, 4]]))
tensor([1, 4])
""",
    "diagonal": """
>>> x = bp.tensor([[1, 2], [3, 4]])
>>> bp.diagonal(x)
tensor([1, 4])
""",
    "diag_embed": """
>>> bp.diag_embed(bp.tensor([[1, 2], [3, 4]]))
tensor([[[1, 0],
         [0, 2]],
<BLANKLINE>
        [[3, 0],
         [0, 4]]])
""",
    "trace": """
>>> bp.trace(bp.tensor([[1.0, 2.0], [3.0, 4.0]]))
tensor(5.)
""",
    "repeat_interleave": """
>>> x = bp.tensor([1, 2])
>>> bp.repeat_interleave(x, 2)
tensor([1, 1, 2, 2])
""",
    "tile": """
>>> x = bp.tensor([1, 2])
>>> bp.tile(x, (2, 2))
tensor([[1, 2, 1, 2],
        [1, 2, 1, 2]])
""",
    "broadcast_to": """
>>> x = bp.tensor([1, 2, 3])
>>> bp.broadcast_to(x, (2, 3))
tensor([[1, 2, 3],
        [1, 2, 3]])
""",
    "movedim": """
>>> x = bp.zeros(2, 3, 4)
>>> bp.movedim(x, 0, 2).shape
backprop.Size([3, 4, 2])
""",
    "moveaxis": """
>>> x = bp.zeros(2, 3, 4)
>>> bp.moveaxis(x, 0, 2).shape
backprop.Size([3, 4, 2])
""",
    "swapaxes": """
>>> x = bp.tensor([[1, 2, 3], [4, 5, 6]])
>>> bp.swapaxes(x, 0, 1)
tensor([[1, 4],
        [2, 5],
        [3, 6]])
""",
    "swapdims": """
>>> x = bp.tensor([[1, 2, 3], [4, 5, 6]])
>>> bp.swapdims(x, 0, 1)
tensor([[1, 4],
        [2, 5],
        [3, 6]])
""",
    "transpose": """
>>> x = bp.tensor([[1, 2, 3], [4, 5, 6]])
>>> bp.transpose(x, 0, 1)
tensor([[1, 4],
        [2, 5],
        [3, 6]])
""",
    "permute": """
>>> x = bp.zeros(2, 3, 4)
>>> bp.permute(x, (2, 0, 1)).shape
backprop.Size([4, 2, 3])
""",
    "t": """
>>> x = bp.tensor([[1, 2, 3], [4, 5, 6]])
>>> bp.t(x)
tensor([[1, 4],
        [2, 5],
        [3, 6]])
""",
    "outer": """
>>> a = bp.tensor([1.0, 2.0])
>>> b = bp.tensor([1.0, 10.0, 100.0])
>>> bp.outer(a, b)
tensor([[  1.,  10., 100.],
        [  2.,  20., 200.]])
""",
    "ger": """
>>> a = bp.tensor([1.0, 2.0])
>>> b = bp.tensor([1.0, 10.0, 100.0])
>>> bp.ger(a, b)
tensor([[  1.,  10., 100.],
        [  2.,  20., 200.]])
""",
    "dot": """
>>> a = bp.tensor([1.0, 2.0, 3.0])
>>> b = bp.tensor([4.0, 5.0, 6.0])
>>> bp.dot(a, b)
tensor(32.)
""",
    "vdot": """
>>> a = bp.tensor([1.0, 2.0, 3.0])
>>> b = bp.tensor([4.0, 5.0, 6.0])
>>> bp.vdot(a, b)
tensor(32.)
""",
    "mv": """
>>> W = bp.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> a = bp.tensor([1.0, -1.0])
>>> bp.mv(W, a)
tensor([-1., -1.])
""",
    "mm": """
>>> a = bp.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> b = bp.tensor([[0.0, 1.0], [1.0, 0.0]])
>>> bp.mm(a, b)
tensor([[2., 1.],
        [4., 3.]])
""",
    "matmul": """
>>> W = bp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> a = bp.tensor([1.0, -1.0])
>>> f = bp.matmul(W, a)
>>> f
tensor([-1., -1.], grad_fn=<MvBackward0>)
>>> f.sum().backward()
>>> W.grad
tensor([[ 1., -1.],
        [ 1., -1.]])
""",
    "bmm": """
>>> a = bp.ones(2, 2, 3)
>>> b = bp.ones(2, 3, 1)
>>> bp.bmm(a, b)
tensor([[[3.],
         [3.]],
<BLANKLINE>
        [[3.],
         [3.]]])
""",
    "addmm": """
>>> b = bp.tensor([1.0, -1.0])
>>> a = bp.tensor([[1.0, 2.0]])
>>> W = bp.tensor([[1.0, 0.0], [0.0, 1.0]])
>>> bp.addmm(b, a, W)
tensor([[2., 1.]])
""",
    "baddbmm": """
>>> x = bp.zeros(1, 2, 2)
>>> a = bp.ones(1, 2, 3)
>>> b = bp.ones(1, 3, 2)
>>> bp.baddbmm(x, a, b, alpha=0.5)
tensor([[[1.5000, 1.5000],
         [1.5000, 1.5000]]])
""",
    "cross": """
>>> a = bp.tensor([1.0, 0.0, 0.0])
>>> b = bp.tensor([0.0, 1.0, 0.0])
>>> bp.cross(a, b, dim=0)
tensor([0., 0., 1.])
""",
    "nelement": """
>>> bp.nelement(bp.zeros(2, 3))
6
""",
    "numel": """
>>> bp.numel(bp.zeros(2, 3))
6
""",
    "ndimension": """
>>> bp.ndimension(bp.zeros(2, 3))
2
""",
    "is_floating_point": """
>>> bp.is_floating_point(bp.tensor([1.0]))
True
>>> bp.is_floating_point(bp.tensor([1]))
False
""",
    "reshape": """
>>> x = bp.arange(6)
>>> bp.reshape(x, (2, 3))
tensor([[0, 1, 2],
        [3, 4, 5]])
""",
    "flatten": """
>>> x = bp.zeros(2, 3, 4)
>>> bp.flatten(x).shape
backprop.Size([24])
>>> bp.flatten(x, start_dim=1).shape
backprop.Size([2, 12])
""",
    "squeeze": """
>>> x = bp.zeros(2, 1, 3)
>>> bp.squeeze(x).shape
backprop.Size([2, 3])
""",
    "unsqueeze": """
>>> x = bp.tensor([1.0, 2.0])
>>> bp.unsqueeze(x, 1)
tensor([[1.],
        [2.]])
""",
    "clone": """
>>> x = bp.tensor([1.0, 2.0], requires_grad=True)
>>> y = bp.clone(x)
>>> y.sum().backward()
>>> x.grad
tensor([1., 1.])
""",
    "detach": """
>>> x = bp.tensor([1.0, 2.0], requires_grad=True)
>>> y = bp.detach(x * 2)
>>> y
tensor([2., 4.])
>>> y.requires_grad
False
""",
}
