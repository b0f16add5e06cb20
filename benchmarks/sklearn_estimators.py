"""backprop.sklearn beside scikit-learn's own MLP, same constructor call, in one process.

Run: ``python -m benchmarks.sklearn_estimators [repeats]``. Each job fits scikit-learn's
estimator and ours with the same parameters (scikit-learn's defaults: adam, alpha 1e-4,
batch 200, 100 hidden units; a fixed number of epochs so every peer does the same work), in
turn, on one BLAS thread, ``repeats`` times (median; peers alternate so load drifts hit all
alike). Reported: seconds, the speed ratio to scikit-learn (> 1: faster) and the held-out
score, so a peer is only faster if it also learns as well. The float32/float64 rows show why
float32 is the default; the alpha=0 row shows what the weights-only decay costs (alpha > 0
needs two parameter groups, which the compiled kernel does not take).
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings

import numpy as np

EPOCHS = 60


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, stratify=y, random_state=0)


def _regression():
    from sklearn.datasets import make_regression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = make_regression(4000, 20, n_informative=10, noise=10.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y / np.std(y), test_size=0.25, random_state=0)


def _peers(kind: str):
    from sklearn import neural_network as sk

    import backprop.sklearn as bp

    name = "MLPClassifier" if kind == "digits" else "MLPRegressor"
    fixed = dict(max_iter=EPOCHS, n_iter_no_change=EPOCHS, random_state=0)
    return [
        ("scikit-learn (float64)", lambda: getattr(sk, name)(**fixed)),
        ("backprop float32 (default)", lambda: getattr(bp, name)(**fixed)),
        ("backprop float64", lambda: getattr(bp, name)(**fixed, dtype="float64")),
        ("backprop float32, alpha=0", lambda: getattr(bp, name)(**fixed, alpha=0.0)),
        ("scikit-learn, alpha=0", lambda: getattr(sk, name)(**fixed, alpha=0.0)),
    ]


def run(repeats: int = 5) -> list[str]:
    from threadpoolctl import threadpool_limits

    lines = []
    for kind, data in (("digits", _digits), ("regression", _regression)):
        X, Xt, y, yt = data()
        peers = _peers(kind)
        times: dict[str, list[float]] = {p: [] for p, _ in peers}
        scores: dict[str, float] = {}
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _, make in peers:  # warm up: imports, numba's compiled kernel
                make().set_params(max_iter=2).fit(X, y)
            for r in range(repeats):
                order = peers if r % 2 == 0 else peers[::-1]
                for peer, make in order:
                    est = make()
                    began = time.perf_counter()
                    est.fit(X, y)
                    times[peer].append(time.perf_counter() - began)
                    scores[peer] = est.score(Xt, yt)
        base = statistics.median(times[peers[0][0]])
        what = "accuracy" if kind == "digits" else "r²"
        lines.append(f"\n{kind}: {len(X)} training rows, {EPOCHS} epochs, 1 thread, "
                     f"median of {repeats}")  # fmt: skip
        lines.append(f"| peer | seconds | speed vs scikit-learn | held-out {what} |")
        lines.append("|---|---|---|---|")
        for peer, _ in peers:
            t = statistics.median(times[peer])
            lines.append(f"| {peer} | {t:.3f} | {base / t:.2f}× | {scores[peer]:.4f} |")
    return lines


if __name__ == "__main__":
    with open("/proc/loadavg") as f:
        print("load:", f.read().strip())
    for line in run(int(sys.argv[1]) if len(sys.argv) > 1 else 5):
        print(line)
