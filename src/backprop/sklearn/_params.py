"""The estimators' parameter checks: scikit-learn's MLP parameters and backprop's extras.

``check_params(est)`` runs at the start of ``fit``/``partial_fit`` (scikit-learn's rule:
``__init__`` only stores). Each error is a ``ConfigError`` naming the parameter, the rule,
the value and a fix; ``solver="lbfgs"`` is an ``OutOfScopeError`` (a NotImplementedError)
naming what to use instead. Nothing here trains or builds models.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import ConfigError, OutOfScopeError

__all__ = ["DTYPES", "SCHEDULES", "SOLVERS", "check_params"]

DTYPES = ("float32", "float64")
SOLVERS = ("adam", "sgd")
SCHEDULES = ("constant", "invscaling", "adaptive")


def _where(est, name: str) -> str:
    return f"{type(est).__name__}: {name}"


def number(est, name: str, low: float, high: float | None = None, *, open_low=False,
           closed_high=False) -> float:  # fmt: skip
    """``getattr(est, name)`` as a float, checked against the interval; else ConfigError."""
    value = getattr(est, name)
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = ok and np.isfinite(value) and (value > low if open_low else value >= low)
    ok = ok and (high is None or (value <= high if closed_high else value < high))
    if not ok:
        bound = f"> {low}" if open_low else f">= {low}"
        if high is not None:
            bound += f" and {'<=' if closed_high else '<'} {high}"
        raise ConfigError(
            f"{_where(est, name)} must be a number {bound}, got {value!r}; pass e.g. "
            f"{name}={type(est)().get_params()[name]!r} (the default)."
        )
    return float(value)


def whole(est, name: str, low: int) -> int:
    """``getattr(est, name)`` as an int >= ``low``; else ConfigError."""
    value = getattr(est, name)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ConfigError(
            f"{_where(est, name)} must be a whole number >= {low}, got {value!r}; pass e.g. "
            f"{name}={type(est)().get_params()[name]!r} (the default)."
        )
    return int(value)


def _choice(est, name: str, allowed) -> str:
    from ..errors import did_you_mean

    value = getattr(est, name)
    if isinstance(value, str) and value in allowed:
        return value
    raise ConfigError(
        f"{_where(est, name)} must be one of {', '.join(map(repr, allowed))}, got "
        f"{value!r}.{did_you_mean(value, allowed)}"
    )


def check_params(est) -> None:
    """Check every constructor parameter of ``est`` (see the estimators' docstrings)."""
    if est.solver == "lbfgs":
        raise OutOfScopeError(
            f"{_where(est, 'solver')}='lbfgs' is not implemented in backprop (no L-BFGS "
            "optimizer yet). Use solver='adam' (the default) or solver='sgd'; for a small "
            "data set a larger max_iter, or batch_size=None (full batch) with adam, comes "
            "closest. scikit-learn's own MLP has lbfgs."
        )
    _choice(est, "solver", SOLVERS)
    _choice(est, "learning_rate", SCHEDULES)
    if est.dtype not in DTYPES:
        raise ConfigError(
            f"{_where(est, 'dtype')} must be 'float32' or 'float64', got {est.dtype!r}."
        )
    number(est, "alpha", 0.0)
    number(est, "learning_rate_init", 0.0, open_low=True)
    number(est, "power_t", 0.0)
    number(est, "momentum", 0.0, 1.0, closed_high=True)
    number(est, "beta_1", 0.0, 1.0)
    number(est, "beta_2", 0.0, 1.0)
    number(est, "epsilon", 0.0, open_low=True)
    number(est, "l1", 0.0)
    number(est, "l2", 0.0)
    number(est, "tol", 0.0)
    number(est, "validation_fraction", 0.0, 1.0, open_low=True)
    whole(est, "max_iter", 1)
    whole(est, "n_iter_no_change", 1)
    whole(est, "max_fun", 1)
    if est.batch_size not in ("auto", None):
        whole(est, "batch_size", 1)
    for name in ("shuffle", "early_stopping", "warm_start", "nesterovs_momentum"):
        if not isinstance(getattr(est, name), bool | np.bool_):
            raise ConfigError(
                f"{_where(est, name)} must be True or False, got {getattr(est, name)!r}."
            )
    verbose = est.verbose
    if not isinstance(verbose, numbers.Integral) or verbose < 0:
        raise ConfigError(
            f"{_where(est, 'verbose')} must be True/False or a whole number >= 0, got {verbose!r}."
        )
    if est.optimizer is not None:
        from ..optim import OPTIMIZERS

        if str(est.optimizer).lower() not in OPTIMIZERS:
            raise ConfigError(
                f"{_where(est, 'optimizer')} must be None (use solver=) or one of "
                f"{', '.join(OPTIMIZERS)}, got {est.optimizer!r}."
            )
