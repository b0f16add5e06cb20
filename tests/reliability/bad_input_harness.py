"""The referee and the runner of the bad-input tests (issue 8, item 3), used by
test_bad_input_tensors.py, test_bad_input_nn.py, test_bad_input_fit.py and
test_bad_input_files.py.

``Tally`` (the referee) runs each call, checks its outcome against the expectation and
counts the outcomes; ``run`` runs a body under Hypothesis with the mode's example count.
``SEEDS`` and ``BAD_OPERANDS`` are the seeds and the non-number operands the files share.
"""

from __future__ import annotations

import re
import time
import warnings
import zlib
from collections import Counter, defaultdict

import numpy as np
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from backprop.errors import BackpropError


# -- the referee -----------------------------------------------------------------------------
def mentions(message: str, name: str) -> bool:
    """``name`` appears in ``message`` as a word of its own (``x`` but not ``x_val``)."""
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", message) is not None


class Tally:
    """Runs calls, checks each outcome against the expectation and counts outcomes."""

    def __init__(self, title: str):
        self.title, self.start = title, time.perf_counter()
        self.seen: dict[str, Counter] = defaultdict(Counter)

    def check(self, entry: str, expect, call, names=(), why: str = ""):
        """``expect``: "ok", "any" (ok or a backprop error) or the error kinds accepted."""
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = call()
        except BackpropError as exc:
            kind, message = type(exc).__name__, str(exc)
            self.seen[entry][kind] += 1
            assert expect != "ok", f"{entry} ({why}): valid input refused: {kind}: {message}"
            if expect != "any":
                assert isinstance(exc, expect), f"{entry} ({why}): {kind}, not {expect}: {message}"
            assert not names or any(mentions(message, n) for n in names), (
                f"{entry} ({why}): the message names none of {names}: {message}"
            )
            return exc
        except Exception as exc:
            self.seen[entry]["unhandled " + type(exc).__name__] += 1
            raise AssertionError(f"{entry} ({why}): unhandled {type(exc).__name__}: {exc}") from exc
        self.seen[entry]["ok"] += 1
        assert expect in ("ok", "any"), f"{entry} ({why}): bad input accepted, not refused"
        return result

    def report(self) -> int:
        total = sum(sum(c.values()) for c in self.seen.values())
        took = time.perf_counter() - self.start
        print(f"\nbad input — {self.title}: {total} examples in {took:.1f} s")
        for entry, counts in sorted(self.seen.items()):
            parts = ", ".join(f"{k} {v}" for k, v in counts.most_common())
            print(f"  {entry:<44} {sum(counts.values()):>6} tried: {parts}")
        print("  0 unhandled exceptions, 0 bad inputs accepted")
        return total


def run(count, fast: int, long: int, *strategies):
    """Decorator: a function running the body under Hypothesis with the mode's example count.

    A list (not a strategy) in first place is the list of cases: each case gets its share of
    the examples, so that every case is tried in the short CI run too.
    """

    def hypothesis(body, n, given_strategies, case=""):
        # a fixed seed per body and case: reproducible, and the cases do not all share one
        # sequence of the other arguments (as derandomize=True would give them)
        fixed = zlib.crc32(f"{body.__qualname__} {case}".encode())
        return seed(fixed)(
            settings(
                max_examples=n,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )(given(*given_strategies)(body))
        )

    def decorate(body):
        total = count(fast, long)
        if not isinstance(strategies[0], list):
            return hypothesis(body, total, strategies)
        cases, rest = strategies[0], strategies[1:]

        def each_case():
            for case in cases:
                share = max(1, round(total / len(cases)))
                hypothesis(body, share, (st.just(case), *rest), case)()

        return each_case

    return decorate


SEEDS = st.integers(0, 2**32 - 1)
BAD_OPERANDS = ["x", None, [1.0, 2.0], 1j, {"a": 1}, np.array(["a"]), np.array([None], object)]
