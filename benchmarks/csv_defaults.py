"""How well ``backprop train --csv`` fits typical tables under candidate default settings.

The tables: scikit-learn's bundled sets written as CSVs (iris 150 rows, wine 178,
diabetes 442, breast_cancer 569, digits 1,797), the README's houses (200 rows, price =
3·size + 10·rooms + N(0, 5²), and its rooms as 5 classes) and scikit-learn's generators at
2,000 and 20,000 rows (friedman1 regression, a 3-class classification). Each candidate runs
``backprop.run`` on the CSV with a 25 % test part; the score is the test r² (regression) or
accuracy (classification), beside scikit-learn's LinearRegression / LogisticRegression on
the same standardised rows, and the seconds of the run (wall clock, noisy on a shared
machine: read them as sizes, not ratios).

    python -m benchmarks.csv_defaults [--folder DIR] [--seeds 0,1]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

CANDIDATES = {  # name: (Adam lr, epochs or None = by steps, hidden, steps budget)
    "old: lr 0.001, 100 ep, 8x8": (0.001, 100, [8, 8], None),
    "lr 0.01, 100 ep, 8x8": (0.01, 100, [8, 8], None),
    "lr 0.003, 100 ep, 8x8": (0.003, 100, [8, 8], None),
    "lr 0.003, 300 ep, 8x8": (0.003, 300, [8, 8], None),
    "lr 0.01, 300 ep, 8x8": (0.01, 300, [8, 8], None),
    "lr 0.003, 100 ep, 32x32": (0.003, 100, [32, 32], None),
    "lr 0.01, 2000 steps, 8x8": (0.01, None, [8, 8], 2000),
    "lr 0.003, 5000 steps, 32x32": (0.003, None, [32, 32], 5000),
}


def write_tables(folder: Path) -> dict[str, str]:
    """The CSVs (written once); {name: task}."""
    from sklearn import datasets as d

    folder.mkdir(parents=True, exist_ok=True)
    tables = {}

    def write(name, x, y, task, cols=None, target="target"):
        cols = cols or [f"x{i}" for i in range(x.shape[1])]
        path = folder / f"{name}.csv"
        if not path.exists():
            body = np.column_stack([x, y])
            header = ",".join([*cols, target])
            np.savetxt(path, body, delimiter=",", header=header, comments="", fmt="%.8g")
        tables[name] = task

    for name, task in (("iris", "c"), ("wine", "c"), ("diabetes", "r"),
                       ("breast_cancer", "c"), ("digits", "c")):  # fmt: skip
        b = getattr(d, f"load_{name}")()
        write(name, b.data, b.target, task)
    rng = np.random.default_rng(1)
    size, rooms = rng.uniform(50, 200, 200).round(1), rng.integers(1, 6, 200)
    price = (3 * size + 10 * rooms + rng.normal(0, 5, 200)).round(1)
    write("houses_price", np.column_stack([size, rooms]), price, "r", ["size", "rooms"], "price")
    write("houses_rooms", np.column_stack([size, price]), rooms, "c", ["size", "price"], "rooms")
    for n in (2000, 20000):
        x, y = d.make_friedman1(n_samples=n, noise=1.0, random_state=0)
        write(f"friedman_{n}", x, y, "r")
        x, y = d.make_classification(n_samples=n, n_features=20, n_informative=8, n_classes=3,
                                     random_state=0)  # fmt: skip
        write(f"classes_{n}", x, y, "c")
    return tables


def baseline(ds, task: str) -> float:
    """scikit-learn's linear model on the run's standardised training rows, test score."""
    from sklearn.linear_model import LinearRegression, LogisticRegression

    y, y_test = np.asarray(ds.y), np.asarray(ds.y_test)
    if task == "r":
        return LinearRegression().fit(ds.x, y.ravel()).score(ds.x_test, y_test.ravel())
    labels = y.argmax(1) if y.ndim > 1 and y.shape[1] > 1 else y.reshape(len(y), -1)[:, 0]
    test = y_test.argmax(1) if y_test.ndim > 1 and y_test.shape[1] > 1 else y_test.ravel()
    return LogisticRegression(max_iter=5000).fit(ds.x, labels).score(ds.x_test, test)


def score(r, task: str) -> float:
    import backprop

    ds = r.dataset
    with backprop.no_grad():
        out = r.net(backprop.tensor(ds.x_test.astype(np.float32))).numpy().astype(float)
    y = np.asarray(ds.y_test, dtype=float)
    if task == "r":
        y = y.reshape(len(y), -1)
        return 1 - ((out - y) ** 2).sum() / ((y - y.mean(0)) ** 2).sum()
    truth = y.argmax(1) if y.ndim > 1 and y.shape[1] > 1 else y.ravel()
    guess = out.argmax(1) if out.shape[1] > 1 else (out[:, 0] > 0).astype(float)
    return float((guess == truth).mean())


def main(argv=None) -> None:
    import backprop

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folder", default="/tmp/backprop-csv-defaults")
    p.add_argument("--seeds", default="0")
    p.add_argument("--only", default=None, help="comma-separated candidate indices")
    args = p.parse_args(argv)
    folder = Path(args.folder)
    tables = write_tables(folder)
    seeds = [int(s) for s in args.seeds.split(",")]
    names = list(CANDIDATES)
    if args.only:
        names = [names[int(i)] for i in args.only.split(",")]
    print(f"load {os.getloadavg()[0]:.1f}; test score, median over seeds {seeds}; seconds")
    print("| table | rows | linear | " + " | ".join(names) + " |")
    print("|---" * (3 + len(names)) + "|")
    for table, task in tables.items():
        cells, rows, lin = [], None, None
        for name in names:
            lr, epochs, hidden, steps = CANDIDATES[name]
            got, took = [], []
            for seed in seeds:
                spec = {"data": {"csv": str(folder / f"{table}.csv"),
                                 "target": "price" if table == "houses_price" else
                                 "rooms" if table == "houses_rooms" else "target",
                                 "test_ratio": 0.25},
                        "model": {"hidden": hidden}, "optimizer": {"name": "adam", "lr": lr},
                        "seed": seed, "epochs": 1}  # fmt: skip
                if epochs is None:
                    ready = backprop.spec.prepare(spec)
                    n = len(ready.dataset.x)
                    per_epoch = -(-n // 32)
                    spec["epochs"] = int(min(1000, max(10, round(steps / per_epoch))))
                else:
                    spec["epochs"] = epochs
                t = time.perf_counter()
                r = backprop.run(spec, verbose=False)
                took.append(time.perf_counter() - t)
                got.append(score(r, task))
                rows = len(r.dataset.x) + len(r.dataset.x_test)
                if lin is None:
                    lin = baseline(r.dataset, task)
            cells.append(f"{np.median(got):.3f} ({np.median(took):.1f} s, {spec['epochs']} ep)")
        print(f"| {table} | {rows} | {lin:.3f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
