"""Generators of the lecture's 1-D sets and TensorFlow Playground's 2-D sets (floor 5).

Each generator takes the number of points ``n``, a noise level and a
``np.random.Generator`` and returns raw ``(x, y)`` arrays: ``x`` of shape ``(n, d)``,
``y`` of shape ``(n, 1)`` (regression) or ``(n,)`` int64 class indices. The playground sets
follow the definitions in the playground's ``dataset.ts`` (points in ``[-6, 6]²``, a circle
of radius 5, ...), with its labels −1/+1 mapped to classes 0/1 and its noise given here as
a fraction (the playground's percent / 100). Splitting, standardising and option checks
live in ``backprop.data.registry``, not here.
"""

from __future__ import annotations

import math

import numpy as np

# ---------------------------------------------------------------------------- lecture


def square(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's ``x = 5·randn(n, 1)``, ``y = x² + noise·randn_like(x)``; shapes (n, 1)."""
    x = 5.0 * rng.standard_normal((n, 1))
    y = np.square(x) + noise * rng.standard_normal((n, 1))
    return x, y


def abs_shift(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's ``y = |x − 1|`` (+ ``noise·randn``), ``x`` uniform on [−3, 5]; (n, 1)."""
    x = rng.uniform(-3.0, 5.0, (n, 1))
    y = np.abs(x - 1.0) + noise * rng.standard_normal((n, 1))
    return x, y


def sine(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``y = sin x + noise·randn``, ``x`` uniform on [−π, π]; shapes (n, 1)."""
    x = rng.uniform(-math.pi, math.pi, (n, 1))
    y = np.sin(x) + noise * rng.standard_normal((n, 1))
    return x, y


# ------------------------------------------------------------------ TensorFlow Playground
# ``p`` below is the playground's noise as a fraction, 0 ≤ p ≤ 0.5.


def circle(n: int, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Half the points at radius < 2.5 (class 1), half at radius 3.5–5 (class 0).

    Noise moves the point used for the label (by ``p·U(−5, 5)`` per coordinate), not the
    point drawn, so with ``p = 0`` class 1 is exactly the points inside radius 2.5.
    Returns ``x`` (n, 2), ``y`` (n,).
    """
    n_in = n - n // 2
    r = np.concatenate([rng.uniform(0.0, 2.5, n_in), rng.uniform(3.5, 5.0, n // 2)])
    angle = rng.uniform(0.0, 2 * math.pi, n)
    x = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    shifted = x + rng.uniform(-5.0, 5.0, (n, 2)) * p
    y = (np.hypot(shifted[:, 0], shifted[:, 1]) < 2.5).astype(np.int64)
    return x, y


def xor(n: int, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on [−5, 5]² pushed 0.3 away from the axes; class 1 where ``x1·x2 ≥ 0``.

    The sign rule is applied to the point shifted by ``p·U(−5, 5)`` per coordinate.
    Returns ``x`` (n, 2), ``y`` (n,).
    """
    x = rng.uniform(-5.0, 5.0, (n, 2))
    x += np.where(x > 0, 0.3, -0.3)
    shifted = x + rng.uniform(-5.0, 5.0, (n, 2)) * p
    y = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return x, y


def gauss(
    n: int, p: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs of variance ``0.5 + 7p`` (0.5 to 4, as the playground).

    Two classes: class 1 around (2, 2), class 0 around (−2, −2), as the playground. With
    ``classes = C`` the centres sit on a circle at angles ``5π/4 + 2πc/C``, at the radius
    that keeps neighbouring centres 4√2 apart (the two-class distance). Returns ``x``
    (n, 2), ``y`` (n,) with ``n // C`` or ``n // C + 1`` points per class.
    """
    sizes = class_sizes(n, classes)
    radius = 2 * math.sqrt(2) / math.sin(math.pi / classes)
    angles = 5 * math.pi / 4 + 2 * math.pi * np.arange(classes) / classes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if classes == 2:
        centres = np.array([[-2.0, -2.0], [2.0, 2.0]])  # exact, not via cos/sin round-off
    y = np.repeat(np.arange(classes), sizes)
    x = centres[y] + math.sqrt(0.5 + 7.0 * p) * rng.standard_normal((n, 2))
    return x, y.astype(np.int64)


def spiral(
    n: int, p: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spirals: arm ``c`` is ``r = 5i/m``, ``t = 1.75·2π·i/m + Δ_c``, ``i < m``.

    Points are ``(r sin t, r cos t) + p·U(−1, 1)``. Two classes: class 1 has ``Δ = 0`` and
    class 0 ``Δ = π``, as the playground; ``C`` classes: ``Δ_c = π + 2πc/C``. Returns ``x``
    (n, 2), ``y`` (n,) with ``n // C`` or ``n // C + 1`` points per class.
    """
    xs, ys = [], []
    for c, m in enumerate(class_sizes(n, classes)):
        i = np.arange(m)
        r = i / m * 5.0
        t = 1.75 * i / m * 2 * math.pi + math.fmod(math.pi + 2 * math.pi * c / classes, 2 * math.pi)
        points = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        xs.append(points + rng.uniform(-1.0, 1.0, (m, 2)) * p)
        ys.append(np.full(m, c, dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def plane(n: int, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on [−6, 6]²; ``y = (x1 + x2) / 10`` at the point shifted by ``p·U(−6, 6)``.

    Returns ``x`` (n, 2), ``y`` (n, 1), in [−1.2, 1.2] without noise.
    """
    x = rng.uniform(-6.0, 6.0, (n, 2))
    shifted = x + rng.uniform(-6.0, 6.0, (n, 2)) * p
    return x, (shifted.sum(axis=1, keepdims=True) / 10.0)


MULTIGAUSS_CENTRES = np.array(
    [[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
     [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]]
)  # fmt: skip


def multigauss_label(points: np.ndarray) -> np.ndarray:
    """Six bumps ``±max(0, 1 − dist/2)`` at (±4 or 0, ±2.5); the largest in size wins.

    ``points`` (n, 2) → labels (n,) in [−1, 1]; ties go to the bump listed first.
    """
    centres, signs = MULTIGAUSS_CENTRES[:, :2], MULTIGAUSS_CENTRES[:, 2]
    dist = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2)
    values = signs * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
    best = np.argmax(np.abs(values), axis=1)
    return values[np.arange(len(points)), best]


def multigauss(n: int, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on [−6, 6]²; ``y = multigauss_label`` of the point shifted by ``p·U(−6, 6)``.

    Returns ``x`` (n, 2), ``y`` (n, 1).
    """
    x = rng.uniform(-6.0, 6.0, (n, 2))
    shifted = x + rng.uniform(-6.0, 6.0, (n, 2)) * p
    return x, multigauss_label(shifted)[:, None]


def class_sizes(n: int, classes: int) -> list[int]:
    """``n`` points over ``classes`` classes as evenly as possible (first classes get extras)."""
    return [n // classes + (1 if c < n % classes else 0) for c in range(classes)]
