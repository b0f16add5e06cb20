"""Shared by the optimizer tests (test_optim_updates.py, test_optim_api.py): the test
problem, its gradient in NumPy and its loss in PyTorch, and runs of our optimizers and
torch.optim on it from the same starting point."""

from __future__ import annotations

import numpy as np

import backprop

# ------------------------------------------------------------------ the test problem
# f(θ) = ½ xᵀ A x − bᵀ x + 0.1 Σ x⁴, x the concatenation of W (3×2) and c (3,).
_rng = np.random.default_rng(1234)
_M = _rng.normal(size=(9, 9))
A = _M @ _M.T / 9 + np.eye(9)
B = _rng.normal(size=9)
W0 = _rng.normal(size=(3, 2))
C0 = _rng.normal(size=3)


def grad_numpy(params: list[np.ndarray], sign: float = 1.0) -> list[np.ndarray]:
    """∇(sign · f) at the current parameters, by hand in NumPy."""
    x = np.concatenate([p.ravel() for p in params])
    g = sign * (A @ x - B + 0.4 * x**3)
    return [g[:6].reshape(3, 2), g[6:]]


def torch_loss(torch, params, sign: float = 1.0):
    x = torch.cat([p.reshape(-1) for p in params])
    a = torch.tensor(A, dtype=x.dtype)
    b = torch.tensor(B, dtype=x.dtype)
    return sign * (0.5 * x @ a @ x - b @ x + 0.1 * (x**4).sum())


def make_params(dtype=np.float64):
    bdtype = backprop.float64 if dtype == np.float64 else backprop.float32
    return [
        backprop.tensor(W0.astype(dtype), dtype=bdtype, requires_grad=True),
        backprop.tensor(C0.astype(dtype), dtype=bdtype, requires_grad=True),
    ]


def set_grads(params, sign: float = 1.0) -> None:
    grads = grad_numpy([p._data for p in params], sign)
    for p, g in zip(params, grads):
        p.grad = backprop.Tensor._wrap(g.astype(p._data.dtype))


def run_ours(cls, kwargs, steps, dtype=np.float64, sign=1.0):
    params = make_params(dtype)
    opt = cls(params, **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        set_grads(params, sign)
        opt.step()
        out.append([p._data.copy() for p in params])
    return out, opt, params


def run_torch(torch, name, kwargs, steps, dtype=np.float64, sign=1.0):
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    params = [
        torch.tensor(W0.astype(dtype), dtype=tdtype, requires_grad=True),
        torch.tensor(C0.astype(dtype), dtype=tdtype, requires_grad=True),
    ]
    opt = getattr(torch.optim, name)(params, **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        torch_loss(torch, params, sign).backward()
        opt.step()
        out.append([p.detach().numpy().copy() for p in params])
    return out, opt, params


def _case_id(case):
    cls, kwargs = case
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())
