"""Sweeps: one spec run over a grid of settings and seeds, with every trial in a database.

``backprop.sweep(spec, grid, seeds=…)`` runs the base spec once per grid point and seed and
returns a ``Results`` table (mean ± std and median of the final loss per configuration,
success rate, parameters, time); ``backprop.sweep.load(db)`` reads a stored sweep back and
``backprop.sweep.resume(db)`` finishes one. A trial is an ordinary spec run, nothing more:
``Results.spec(id)`` is a spec that ``backprop train`` runs alone to the same numbers.

Above ``spec`` and ``train``, below the command line (``backprop sweep``); docs/sweeps.md
says what a trial is, the store's tables, resuming and the limits. The rooms: ``grid``
(keys, values, seeds, the trial count), ``driver`` (plan, claim, run, write), ``store``
(SQLite), ``local`` (in this process or a process pool), ``cluster`` (on a Dask cluster,
reached and checked by ``dask_connect``), ``trial`` (one run) and ``results`` (the table).
"""

from __future__ import annotations

import sys

from .._lazy import lazy

__getattr__, __dir__ = lazy(
    __name__,
    {
        "MAX_TRIALS": ".grid",
        "Progress": ".driver",
        "Results": ".results",
        "Row": ".results",
        "load": ".driver",
        "parse_grid": ".grid",
        "parse_seeds": ".grid",
        "plan": ".driver",
        "resume": ".driver",
        "run": (".driver", "sweep"),
    },
    globals(),
)


class _CallableModule(type(sys.modules[__name__])):
    """``backprop.sweep`` is both this package and the function ``sweep.run``."""

    def __call__(self, *args, **kwargs):
        from .driver import sweep

        return sweep(*args, **kwargs)  # its arguments checked there (apinames.python_api)


sys.modules[__name__].__class__ = _CallableModule

__all__ = [
    "MAX_TRIALS",
    "Progress",
    "Results",
    "Row",
    "load",
    "parse_grid",
    "parse_seeds",
    "plan",
    "resume",
    "run",
]
