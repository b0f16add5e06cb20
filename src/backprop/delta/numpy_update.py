"""The optimizer updates of the NumPy δ span loop, on flat buffers without allocation (floor 3).

``NumpyLoop`` (``numpy_loop.py``) keeps θ, ∂E/∂θ and the optimizer's moments as flat arrays
and updates them here with ``out=`` into two preallocated scratch arrays. Each function is
``backprop.optim._functional``'s rule for SGD, Adam or AdamW written operation by operation in
the same order (multiplications by a scalar commute exactly), so the numbers are those of
``optimizer.step()`` bit for bit. Only the optimizers and settings listed in ``fast_kind``
come here; every other one keeps its own ``step()``. ``FlatState`` holds the moments and maps
them onto ``optimizer.state`` (views, PyTorch's keys) when the loop syncs. Not an optimizer:
no groups, no checkpoints of its own.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.tensor import Tensor

STEP_LIMIT = 16777216.0  # 2**24: a float32 step counter stops counting here (+1 rounds back)


def fast_kind(optimizer, params: list) -> str | None:
    """ "sgd", "adam" or "adamw" when this module can take the optimizer's step, else None."""
    from ..optim import SGD, Adam, AdamW

    groups = optimizer.param_groups
    if len(groups) != 1:
        return None
    group = groups[0]
    mine = group["params"]
    if len(mine) != len(params) or {id(p) for p in mine} != {id(p) for p in params}:
        return None
    if any(not p.requires_grad for p in params):
        return None
    kind = type(optimizer)
    if kind is SGD:
        return "sgd"
    if kind in (Adam, AdamW) and not group["amsgrad"]:
        return "adam" if kind is Adam else "adamw"
    return None


def hyper(kind: str, group: dict) -> tuple:
    """The group's hyper-parameters as plain floats, read once per span."""
    if kind == "sgd":
        return (
            float(group["lr"]),
            float(group["momentum"]),
            float(group["dampening"]),
            float(group["weight_decay"]),
            bool(group["nesterov"]),
            bool(group["maximize"]),
        )
    beta1, beta2 = group["betas"]
    return (
        float(group["lr"]),
        float(beta1),
        float(beta2),
        float(group["eps"]),
        float(group["weight_decay"]),
        bool(group["maximize"]),
    )


def direction(theta, grad, g, t, weight_decay: float, maximize: bool):
    """g_t = ±∇f(θ) (+ λθ), as ``_functional._direction``; ``grad`` itself when unchanged."""
    if maximize:
        np.negative(grad, out=g)
        if weight_decay != 0:
            np.multiply(theta, weight_decay, out=t)
            g += t
        return g
    if weight_decay != 0:
        np.multiply(theta, weight_decay, out=g)
        np.add(grad, g, out=g)
        return g
    return grad


def sgd(theta, grad, buf, has_buf: bool, g, t, hp: tuple) -> bool:
    """One SGD step in place; returns whether the momentum buffer now holds a value."""
    lr, momentum, dampening, weight_decay, nesterov, maximize = hp
    d = direction(theta, grad, g, t, weight_decay, maximize)
    if momentum != 0:
        if not has_buf:
            np.copyto(buf, d)
            has_buf = True
        else:
            buf *= momentum
            np.multiply(d, 1 - dampening, out=t)
            buf += t
        if nesterov:
            if d is not g:
                np.copyto(g, d)
            np.multiply(buf, momentum, out=t)
            g += t
            d = g
        else:
            d = buf
    np.multiply(d, lr, out=t)
    theta -= t
    return has_buf


def adam(theta, grad, m, v, g, t, step: float, hp: tuple, decoupled: bool, k=None) -> None:
    """One Adam (``decoupled=False``) or AdamW step in place; ``step`` is t after counting.

    ``k``: a ``Scalars`` for ``hp`` and θ's dtype (made here when not given)."""
    lr, beta1, beta2, _, weight_decay, maximize = hp  # ε is k.eps
    if k is None:
        k = Scalars(hp, theta.dtype)
    if decoupled:
        d = direction(theta, grad, g, t, 0.0, maximize)
        if weight_decay != 0:
            theta *= 1 - lr * weight_decay
    else:
        d = direction(theta, grad, g, t, weight_decay, maximize)
    mul, c1, c2 = np.multiply, k.one_minus_beta1, k.one_minus_beta2
    np.subtract(d, m, out=t)  # m ← m + (1 − β₁)(g − m)
    mul(t, c1, out=t)
    np.add(m, t, out=m)
    mul(v, k.beta2, out=v)  # v ← β₂ v + ((1 − β₂) g) g
    mul(d, c2, out=t)
    mul(t, d, out=t)
    np.add(v, t, out=v)
    k.root[...] = math.sqrt(1 - beta2**step)  # √(1 − β₂ᵗ)
    k.step_size[...] = lr / (1 - beta1**step)
    np.sqrt(v, out=t)
    np.divide(t, k.root, out=t)
    np.add(t, k.eps, out=t)
    np.divide(m, t, out=t)
    mul(t, k.step_size, out=t)
    np.subtract(theta, t, out=theta)


class Scalars:
    """Adam's scalars as 0-d arrays of θ's dtype, made once per span (the last two are set each
    step). NumPy takes ``array * 0-d array`` in about half the time of ``array * float``, and
    the result is the same: a Python float meets an array in the array's dtype (NEP 50), so
    it is rounded to that dtype first, as the 0-d array is when it is made."""

    def __init__(self, hp: tuple, dtype) -> None:
        _, beta1, beta2, eps, _, _ = hp
        self.hp = hp

        def scalar(value):
            return np.array(value, dtype)

        self.one_minus_beta1, self.one_minus_beta2 = scalar(1 - beta1), scalar(1 - beta2)
        self.beta2, self.eps = scalar(beta2), scalar(eps)
        self.root, self.step_size = scalar(0.0), scalar(0.0)


def penalty(weights: list, kind: str, shrink: float, scratch: list) -> None:
    """TF Playground's weight penalty after the update, as ``train.spans.penalize`` applies it."""
    if kind == "l2":
        factor = max(0.0, 1.0 - shrink)
        for w in weights:
            w *= factor
        return
    for w, s in zip(weights, scratch):
        np.abs(w, out=s)
        s -= shrink
        np.maximum(s, 0.0, out=s)
        np.copysign(s, w, out=w)


class FlatState:
    """The optimizer's state as two flat arrays laid out like θ, plus the step count t.

    ``mode`` is ``fast_kind``'s answer, or None when ``optimizer.step()`` must run instead
    (then the optimizer keeps its own state and this object holds nothing).
    """

    def __init__(self, size: int, dtype) -> None:
        self.s1, self.s2 = np.zeros(size, dtype), np.zeros(size, dtype)  # m and v, or the buffer
        self.g, self.t = np.empty(size, dtype), np.empty(size, dtype)  # scratch
        self.mode: str | None = None
        self.step = 0.0
        self.has_buf = False
        self.mine: list | None = None  # the state dicts we put into optimizer.state
        self.dirty = False  # updates taken since the last store
        self.scalars: Scalars | None = None  # Adam's scalars for the span's hyper-parameters

    def ours(self, state: dict, params: list) -> bool:
        return self.mine is not None and all(state.get(p) is s for p, s in zip(params, self.mine))

    def load(self, mode, optimizer, params: list, offsets: list) -> None:
        """Take over ``optimizer.state`` (a copy, unless it already is our own views: then
        only t is read, and not even that while updates are still to be stored)."""
        state = optimizer.state
        if mode is not None and mode == self.mode and self.ours(state, params):
            if not self.dirty and "step" in self.mine[0]:
                self.step = float(self.mine[0]["step"]._data)
            return
        self.mode, self.dirty, self.mine = mode, False, None
        if mode is None:
            return
        keys = ("momentum_buffer",) if mode == "sgd" else ("step", "exp_avg", "exp_avg_sq")
        own = [state.get(p) or {} for p in params]
        present = [all(k in s for k in keys) for s in own]
        if any(present) and not all(present):
            self.mode = None  # a state we cannot take over as a whole: optimizer.step() it is
            return
        self.has_buf = all(present)
        steps = {float(s["step"]._data) for s in own} if self.has_buf and mode != "sgd" else {0.0}
        if len(steps) > 1:
            self.mode = None  # parameters at different steps t: optimizer.step() keeps them
            return
        self.step = steps.pop()
        self.s1.fill(0)
        self.s2.fill(0)
        if not self.has_buf:
            return
        first, second = (keys[0], None) if mode == "sgd" else keys[1:]
        for s, o, p in zip(own, offsets, params):
            self.s1[o : o + p._data.size] = s[first]._data.reshape(-1)
            if second is not None:
                self.s2[o : o + p._data.size] = s[second]._data.reshape(-1)

    def store(self, optimizer, params: list, offsets: list) -> None:
        """Make ``optimizer.state`` hold views of the flat state, as the per-batch loop would."""
        if self.mode is None or not self.dirty:
            return
        self.dirty = False
        state = optimizer.state
        if self.ours(state, params):
            if "step" in self.mine[0]:
                self.mine[0]["step"]._data[...] = self.step
            return
        mine = []
        step = Tensor._wrap(np.array(self.step, dtype=np.float32))
        for p, o in zip(params, offsets):
            n, shape = p._data.size, p._data.shape
            if self.mode == "sgd":
                s = {}
                if self.has_buf:
                    s["momentum_buffer"] = Tensor._wrap(self.s1[o : o + n].reshape(shape))
            else:
                s = {"step": step, "exp_avg": Tensor._wrap(self.s1[o : o + n].reshape(shape))}
                s["exp_avg_sq"] = Tensor._wrap(self.s2[o : o + n].reshape(shape))
            state[p] = s
            mine.append(s)
        self.mine = mine

    def update(self, theta: np.ndarray, grad: np.ndarray, hp: tuple) -> None:
        """One step of the fast rule on θ in place."""
        self.dirty = True
        if self.mode == "sgd":
            self.has_buf = sgd(theta, grad, self.s1, self.has_buf, self.g, self.t, hp)
            return
        if self.step < STEP_LIMIT:
            self.step += 1.0
        k = self.scalars
        if k is None or k.hp is not hp:  # a new span's hyper-parameters
            k = self.scalars = Scalars(hp, theta.dtype)
        adam(theta, grad, self.s1, self.s2, self.g, self.t, self.step, hp, self.mode == "adamw", k)
