"""PyTorch 2.13's CPU distributions, drawn from an ``Engine`` in PyTorch's order.

Every function takes the twister ``Engine`` and returns a NumPy array with PyTorch's bits
(see docs/architecture.md, "Random numbers"). The rules, read from ATen's CPU kernels:

- uniform on [from, to): float32 takes one 32-bit draw, keeps its low 24 bits, ``x = k/2**24``
  and returns ``fma(x, to - from, from)`` in float32 (the compiler fuses it); float64 takes a
  64-bit draw, its low 53 bits, ``k/2**53``, the same formula in float64. A value that rounds
  up to ``to`` becomes ``from``.
- normal, 16 or more contiguous elements: uniforms for all, Box-Muller on blocks of 16 (8
  pairs: ``u1`` from the first half, ``u2`` from the second), and when the size is not a
  multiple of 16 the last 16 are drawn again and transformed again. float32 uses the SIMD
  Cephes kernel (``random_simd``); float64 uses the C library's ``log``, ``cos``, ``sin``
  (Python's ``math`` calls the same library; NumPy's own SIMD ``log`` differs in ~0.3 %).
- normal, fewer than 16 elements: one double Box-Muller pair per two samples, ``u1`` for
  the angle, ``r = sqrt(-2 log1p(-u2))``; the sine half is cached in the generator and used
  by the next small normal draw.
- randint: ``k % range + low`` with a 32-bit draw, or a 64-bit one when range >= 2**28.
- randperm: Fisher-Yates from the front, ``z = draw32 % (n - i)``, swap ``i`` and ``i + z``
  (the swaps applied without a Python loop: ``apply_swaps``).
- bernoulli: ``uniform < p`` (double uniforms for a scalar or float64 ``p``, float ones for
  float32 ``p``). PyTorch uses MKL's own stream on Intel CPUs for a scalar ``p``; these are
  the bits of every other CPU (this one is an AMD EPYC), stated in the report.
- exponential: ``-1/lambda * log1p(-u)`` with a double ``u``.
"""

from __future__ import annotations

import math

import numpy as np

from .random_simd import box_muller16, fma32

_M24, _M53 = np.uint64(2**24 - 1), np.uint64(2**53 - 1)
_S24, _S53 = np.float32(2.0**-24), 2.0**-53
_TWO_PI = 2.0 * math.pi
_CHUNK = 16384  # elements per piece of the float32 arithmetic (fits the L2 cache)


def unit(engine, n: int, dtype) -> np.ndarray:
    """``n`` uniforms on [0, 1) of ``dtype`` (float32 or float64), PyTorch's bits."""
    if np.dtype(dtype) == np.float32:
        raw = engine.u32(n)
        raw &= _M24
        out = raw.astype(np.float32)
        out *= _S24
        return out
    raw = engine.u64(n)
    raw &= _M53
    out = raw.astype(np.float64)
    out *= _S53
    return out


def uniform(engine, n: int, dtype, low: float, high: float) -> np.ndarray:
    dtype = np.dtype(dtype)
    if low == 0.0 and high == 1.0:
        return unit(engine, n, dtype)
    lo, hi = dtype.type(low), dtype.type(high)
    if dtype == np.float32:  # x = k / 2**24, so x * w = k * (w / 2**24) exactly
        raw = engine.u32(n)
        raw &= _M24
        out = np.empty(n, dtype=np.float32)
        step = np.float64(hi - lo) * 2.0**-24
        for at in range(0, n, _CHUNK):  # cache-sized pieces: large temporaries cost more
            out[at : at + _CHUNK] = fma32(raw[at : at + _CHUNK], step, lo)
    else:
        out = fma64(unit(engine, n, dtype), hi - lo, lo)
    out[out == hi] = lo
    return out


def fma64(a: np.ndarray, b: float, c: float) -> np.ndarray:
    """``a * b + c`` in float64 with the product kept exact (Dekker's split)."""
    split = 134217729.0  # 2**27 + 1
    ah = a * split
    ah = ah - (ah - a)
    al = a - ah
    bh = b * split
    bh = bh - (bh - b)
    bl = b - bh
    p = a * b
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    t = s - c
    lost = (p - t) + (c - (s - t))
    return s + (lost + err)


def normal(engine, n: int, dtype, mean: float, std: float, contiguous: bool = True):
    dtype = np.dtype(dtype)
    if n >= 16 and contiguous:
        return _normal_fill(engine, n, dtype, mean, std)
    values = np.array(_normal_values(engine, n), dtype=np.float64)
    if mean != 0.0:  # PyTorch's value * std + mean, fused by the compiler
        return fma64(values, float(std), float(mean)).astype(dtype)
    return (values * std).astype(dtype)


def _normal_values(engine, n: int) -> list[float]:
    """``n`` standard normals, one Box-Muller pair per two, the spare cached in ``engine``."""
    out = []
    if n and engine.normal is not None:
        out.append(engine.normal)
        engine.normal = None
    pairs = (n - len(out) + 1) // 2
    u = unit(engine, 2 * pairs, np.float64).tolist()
    for k in range(pairs):
        u1, u2 = u[2 * k], u[2 * k + 1]
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = _TWO_PI * u1
        out.append(r * math.cos(theta))
        out.append(r * math.sin(theta))
    if len(out) > n:  # the odd one out waits for the next draw
        engine.normal = out.pop()
    return out


def _normal_fill(engine, n: int, dtype, mean: float, std: float) -> np.ndarray:
    u = unit(engine, n, dtype)
    whole = n - n % 16
    out = np.empty(n, dtype=dtype)
    out[:whole] = _box_muller(u[:whole].reshape(-1, 16), dtype, mean, std).ravel()
    if whole != n:  # PyTorch redraws the last 16 and transforms them again
        tail = unit(engine, 16, dtype).reshape(1, 16)
        out[n - 16 :] = _box_muller(tail, dtype, mean, std).ravel()
    return out


def _box_muller(u: np.ndarray, dtype, mean: float, std: float) -> np.ndarray:
    if dtype == np.float32:
        out = np.empty_like(u)
        rows = _CHUNK // 16
        for at in range(0, len(u), rows):  # cache-sized pieces, as in ``uniform``
            out[at : at + rows] = box_muller16(u[at : at + rows], mean, std)
        return out
    radius = np.sqrt(-2.0 * libm(math.log, None, 1.0 - u[:, :8]))
    theta = _TWO_PI * u[:, 8:]
    pair = np.concatenate([radius * libm(math.cos, np.cos, theta),
                           radius * libm(math.sin, np.sin, theta)], axis=1)  # fmt: skip
    if mean == 0.0:
        return pair * std
    return fma64(pair, float(std), float(mean))


def libm(scalar, vectorised, x: np.ndarray) -> np.ndarray:
    """``scalar`` (a ``math`` function: the C library's, as PyTorch calls it) over ``x``.

    NumPy's own ``vectorised`` form is used instead when it gives the C library's bits on a
    fixed probe of 4096 angles (NumPy's float64 sin and cos call the C library on this
    machine: 0 differences in 10 million; its ``log`` does not, 0.3 % differ).
    """
    if vectorised is not None and _same_as_libm(scalar, vectorised):
        return vectorised(x)
    flat = np.fromiter(map(scalar, x.ravel().tolist()), dtype=np.float64, count=x.size)
    return flat.reshape(x.shape)


_PROBED: dict = {}


def _same_as_libm(scalar, vectorised) -> bool:
    if scalar not in _PROBED:
        probe = np.random.default_rng(20260607).random(4096) * _TWO_PI
        ours = np.fromiter(map(scalar, probe.tolist()), dtype=np.float64, count=probe.size)
        _PROBED[scalar] = bool(np.array_equal(vectorised(probe), ours))
    return _PROBED[scalar]


def randint(engine, n: int, low: int, high: int) -> np.ndarray:
    """``n`` integers on [low, high) as int64."""
    span = high - low
    raw = engine.u64(n) if span >= 2**28 else engine.u32(n)
    return (raw % np.uint64(span)).astype(np.int64) + np.int64(low)


def random_bits(engine, n: int, dtype) -> np.ndarray:
    """``Tensor.random_()``: integers on [0, 2**mantissa] for floats, [0, max] for ints."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return (engine.u32(n) & np.uint64(1)).astype(np.bool_)
    if dtype == np.float64:
        return (engine.u64(n) % np.uint64(2**53 + 1)).astype(np.float64)
    if dtype == np.float32:
        return (engine.u32(n) % np.uint64(2**24 + 1)).astype(np.float32)
    top = int(np.iinfo(dtype).max) + 1
    raw = engine.u64(n) if dtype == np.int64 else engine.u32(n)
    return (raw % np.uint64(top)).astype(dtype)


def randperm(engine, n: int) -> np.ndarray:
    """PyTorch's permutation of ``range(n)`` (CPU, n below 2**32 / 20)."""
    if n >= 2**32 // 20:  # PyTorch's inside-out variant for huge n (not tested here)
        perm = np.arange(n, dtype=np.int64)
        picks = (engine.u64(n) % (np.arange(n, dtype=np.uint64) + np.uint64(1))).tolist()
        for i, z in enumerate(picks):
            perm[i], perm[z] = perm[z], i
        return perm
    if n < 2:
        return np.arange(n, dtype=np.int64)
    steps = np.arange(n - 1, dtype=np.int64)
    swaps = (engine.u32(n - 1) % (n - steps).astype(np.uint64)).astype(np.int64) + steps
    return apply_swaps(swaps)


def apply_swaps(z: np.ndarray) -> np.ndarray:
    """``range(n)`` after ``swap(a[k], a[z[k]])`` for k = 0 .. n-2 in turn, ``z[k] >= k``.

    Without the sequential loop: step k fixes position k for good, to the value that sat at
    ``z[k]`` just before. That value is ``z[k]`` itself unless an earlier step j wrote there
    (``z[j] == z[k]``, the latest such j): then it is ``v[j]``, the value step j carried
    away from position j. And ``v[j]`` is j unless an earlier step wrote position j, and so
    on. The "latest earlier step with the same target" comes from one stable sort of the
    targets; the chains ``v[j] = v[parent]`` are resolved by pointer doubling.
    """
    n = len(z) + 1
    it = np.int32 if n < 2**31 else np.int64  # narrow indices: half the memory traffic
    z = z.astype(it)
    k = np.arange(n - 1, dtype=it)
    keys = z.astype(np.uint16) if n <= 2**16 else z  # 16-bit keys: NumPy sorts them by radix
    order = np.argsort(keys, kind="stable").astype(it)
    target = z[order]
    same = target[1:] == target[:-1]
    before = np.full(n - 1, -1, dtype=it)  # the latest earlier step with k's target
    before[order[1:][same]] = order[:-1][same]
    last = np.append(~same, True)
    parent = np.full(n, -1, dtype=it)  # the latest step that wrote position j ...
    parent[target[last]] = order[last]
    stay = np.flatnonzero(z == k)
    parent[stay] = before[stay]  # ... before step j itself
    value = np.where(parent < 0, np.arange(n, dtype=it), it(-1))
    todo = np.flatnonzero(parent >= 0)
    while todo.size:  # pointer doubling: about log2(chain length) rounds
        up = parent[todo]
        known = value[up] >= 0
        value[todo[known]] = value[up[known]]
        todo = todo[~known]
        parent[todo] = parent[parent[todo]]
    out = np.empty(n, dtype=np.int64)
    came = np.where(before >= 0, value[np.maximum(before, 0)], z)
    out[:-1] = np.where(z != k, came, value[:-1])
    out[-1] = value[-1]
    return out


def bernoulli_scalar(engine, n: int, p: float) -> np.ndarray:
    """``n`` draws of ``u < p`` with double uniforms (boolean array)."""
    return unit(engine, n, np.float64) < p


def bernoulli_tensor(engine, p: np.ndarray) -> np.ndarray:
    """One ``u < p[i]`` per element of ``p``; uniforms of ``p``'s precision."""
    kind = np.float32 if p.dtype == np.float32 else np.float64
    return unit(engine, p.size, kind).reshape(p.shape) < p.astype(kind, copy=False)


def exponential(engine, n: int, dtype, lambd: float) -> np.ndarray:
    u = unit(engine, n, np.float64).tolist()
    scale = -1.0 / lambd
    return (scale * np.array(list(map(math.log1p, [-v for v in u])))).astype(dtype)


def multinomial(engine, probs: np.ndarray, num_samples: int, replacement: bool):
    """Row-wise category indices (int64) for a 1-D or 2-D array of weights."""
    rows = probs.reshape(-1, probs.shape[-1])
    if not replacement or num_samples == 1:
        # PyTorch: argmax / top-k of p / q with q ~ Exp(1) drawn in p's dtype
        q = exponential(engine, rows.size, rows.dtype, 1.0).reshape(rows.shape)
        keys = rows / q
        order = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
        out = order.astype(np.int64)
    else:
        out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
        for i, row in enumerate(rows):
            cum = np.cumsum(row, dtype=row.dtype)
            cum = cum / cum[-1]
            cum[-1] = 1
            u = unit(engine, num_samples, np.float64)
            out[i] = np.searchsorted(cum.astype(np.float64), u, side="left")
    return out.reshape((*probs.shape[:-1], num_samples))


def dropout_keep(engine, n: int, p: float) -> np.ndarray:
    """PyTorch's dropout noise before scaling: ``bernoulli_(1 - p)`` (boolean, True = keep)."""
    return bernoulli_scalar(engine, n, 1.0 - p)


def cauchy(engine, n: int, dtype, median: float, sigma: float) -> np.ndarray:
    """``median + sigma * tan(pi * (u - 0.5))`` with double ``u`` (fused when median != 0)."""
    angle = math.pi * (unit(engine, n, np.float64) - 0.5)
    tan = libm(math.tan, None, angle)
    out = fma64(tan, float(sigma), float(median)) if median != 0.0 else tan * sigma
    return out.astype(dtype)


def log_normal(engine, n: int, dtype, mean: float, std: float) -> np.ndarray:
    """``exp`` of the scalar-path normal (always the scalar path, with its cached sample)."""
    values = np.array(_normal_values(engine, n), dtype=np.float64)
    shifted = fma64(values, float(std), float(mean)) if mean != 0.0 else values * std
    return libm(math.exp, None, shifted).astype(dtype)


def geometric(engine, n: int, dtype, p: float) -> np.ndarray:
    """``ceil(log(u) / log1p(-p))`` with double ``u``: trials up to the first success."""
    logs = libm(math.log, None, unit(engine, n, np.float64))
    with np.errstate(divide="ignore"):
        return np.ceil(logs / math.log1p(-p)).astype(dtype)
