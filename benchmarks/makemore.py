"""A makemore-style character model on autograd: backprop against torch eager (1 thread).

The workload of Karpathy's makemore MLP, told here in our own words and on synthetic data
(no downloads): names are drawn from a small random syllable grammar, every name gives one
training row per character, a context of the ``BLOCK`` = 3 previous characters (0 is the
start/end mark ``.``) and the character that follows; the vocabulary has 27 symbols. About
180,000 rows.

The model embeds each context character in 10 numbers (a table ``C`` of 27 × 10), joins the
three embeddings into 30 inputs, a tanh hidden layer of 200 and 27 logits; cross-entropy on
minibatches of 32 drawn with ``randint``; plain SGD written by hand (``p.data += -lr *
p.grad``). The step body is written once and run with ``torch`` bound to PyTorch and to
backprop; both peers start from the same data and the same weights.

``run_backprop(steps)`` and ``run_torch(steps)`` (the timed job) draw each batch with the
library's own ``torch.randint``, as the lecture does, so the two see different rows and
their final losses differ. ``run_*_same_batches`` draw the indices once in NumPy and hand
the same rows to both: their losses agree to float32 rounding, which ``main`` prints as a
check that the two programs compute the same thing. All four return the final minibatch
loss (a float). ``python -m benchmarks.makemore`` times the pair, alternating, median of
the repeats (wall and CPU time), and also prints the hand-written lecture loop's table
(``benchmarks.handloop``).
"""

from __future__ import annotations

import argparse

import numpy as np

from .handloop import compare, table
from .handloop import run_backprop as handloop_backprop
from .handloop import run_torch as handloop_torch

BLOCK = 3
VOCAB = 27
EMBED = 10
HIDDEN = 200
BATCH = 32
ROWS = 180_000
STEPS = 2_000

_CACHE: dict = {}


def _names(rng: np.random.Generator, rows: int) -> list[np.ndarray]:
    """Synthetic names (arrays of letters 1..26) until they give ``rows`` training rows."""
    consonants = np.array([2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 14, 16, 18, 19, 20, 22, 26])
    vowels = np.array([1, 5, 9, 15, 21, 25])
    names, total = [], 0
    while total < rows:
        syllables = rng.integers(1, 4)
        letters = []
        for _ in range(syllables):
            letters.append(rng.choice(consonants))
            letters.append(rng.choice(vowels))
            if rng.random() < 0.3:
                letters.append(rng.choice(consonants))
        names.append(np.array(letters, dtype=np.int64))
        total += len(letters) + 1  # one row per letter and one for the end mark
    return names


def dataset(rows: int = ROWS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Contexts X (N, BLOCK) and next characters Y (N,), int64, from synthetic names."""
    key = (rows, seed)
    if key not in _CACHE:
        rng = np.random.default_rng(seed)
        xs, ys = [], []
        for name in _names(rng, rows):
            context = [0] * BLOCK
            for ch in [*name.tolist(), 0]:
                xs.append(context)
                ys.append(ch)
                context = [*context[1:], ch]
        _CACHE[key] = (np.array(xs, dtype=np.int64), np.array(ys, dtype=np.int64))
    return _CACHE[key]


def _weights(seed: int = 1) -> list[np.ndarray]:
    """C, W1, b1, W2, b2 as float32 arrays (scaled normal draws, as makemore starts)."""
    rng = np.random.default_rng(seed)
    shapes = [(VOCAB, EMBED), (BLOCK * EMBED, HIDDEN), (HIDDEN,), (HIDDEN, VOCAB), (VOCAB,)]
    scales = [1.0, 0.2, 0.01, 0.01, 0.0]
    return [(s * rng.standard_normal(shape)).astype(np.float32) for shape, s in zip(shapes, scales)]


def _batches(steps: int, rows: int, seed: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, rows, (steps, BATCH))


def _train(torch, steps: int, lr: float = 0.1) -> float:
    """The makemore MLP's training loop; ``torch`` is PyTorch or backprop."""
    F = torch.nn.functional
    xs, ys = dataset()
    X, Y = torch.tensor(xs), torch.tensor(ys)
    C, W1, b1, W2, b2 = params = [torch.tensor(w) for w in _weights()]
    for p in params:
        p.requires_grad = True
    batches = torch.tensor(_batches(steps, xs.shape[0]))
    for step in range(steps):
        ix = batches[step]
        emb = C[X[ix]]
        h = torch.tanh(emb.view(-1, BLOCK * EMBED) @ W1 + b1)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Y[ix])
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data += -lr * p.grad
    return float(loss.item())


def _train_randint(torch, steps: int, lr: float = 0.1) -> float:
    """As ``_train``, with the batch drawn by the library's own ``torch.randint``."""
    F = torch.nn.functional
    xs, ys = dataset()
    X, Y = torch.tensor(xs), torch.tensor(ys)
    C, W1, b1, W2, b2 = params = [torch.tensor(w) for w in _weights()]
    for p in params:
        p.requires_grad = True
    torch.manual_seed(3)
    for _ in range(steps):
        ix = torch.randint(0, X.shape[0], (BATCH,))
        emb = C[X[ix]]
        h = torch.tanh(emb.view(-1, BLOCK * EMBED) @ W1 + b1)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Y[ix])
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data += -lr * p.grad
    return float(loss.item())


def run_backprop(steps: int) -> float:
    import backprop

    return _train_randint(backprop, steps)


def run_torch(steps: int) -> float:
    import torch

    torch.set_num_threads(1)
    return _train_randint(torch, steps)


def run_backprop_same_batches(steps: int) -> float:
    import backprop

    return _train(backprop, steps)


def run_torch_same_batches(steps: int) -> float:
    import torch

    torch.set_num_threads(1)
    return _train(torch, steps)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--handloop-steps", type=int, default=2_000)
    args = parser.parse_args(argv)
    from .common import threads

    dataset()  # built once, outside the timings
    with threads(1):
        results = compare(
            {"torch eager (1 thread)": run_torch, "backprop autograd": run_backprop},
            args.steps,
            args.repeats,
        )
        print(table("Makemore MLP, randint batches", results, args.steps, "torch eager (1 thread)"))
        check = min(args.steps, 300)
        ours, theirs = run_backprop_same_batches(check), run_torch_same_batches(check)
        print(
            f"\nSame batches, same weights, {check} steps: final loss backprop {ours:.6g}, "
            f"torch {theirs:.6g} (relative difference {abs(ours - theirs) / abs(theirs):.1e})."
        )
        print()
        results = compare(
            {"torch eager (1 thread)": handloop_torch, "backprop autograd": handloop_backprop},
            args.handloop_steps,
            args.repeats,
        )
        print(
            table(
                "Hand-written lecture loop",
                results,
                args.handloop_steps,
                "torch eager (1 thread)",
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
