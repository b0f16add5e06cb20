"""The library's advice in the words of the command line.

``fit``, the NaN guard and the data checks give advice in Python's terms (``batch_size``,
``MSELoss``, "standardise each feature"), since most of their callers are Python code. A
newcomer on the CLI cannot follow those: there is no ``batch_size`` flag and no class to
pass. ``cli_words`` rewrites each such phrase into the flag or value the CLI offers; the
CLI runs every warning, stop reason and error it prints through it. Each entry names a
phrase the library really prints (tests/test_first_hour_third_trial.py checks them), so a
reworded library message fails a test instead of slipping past untranslated.
"""

from __future__ import annotations

__all__ = ["PHRASES", "cli_words"]

# (the library's phrase, the CLI's words); applied in order, each everywhere it occurs
PHRASES: tuple[tuple[str, str], ...] = (
    (
        "use MSELoss (or L1Loss, HuberLoss)",
        "use --loss mse (or l1, huber)",
    ),
    (
        "or use BCEWithLogitsLoss on the raw outputs",
        "or use --loss bce_with_logits on the raw outputs",
    ),
    (
        "CrossEntropyLoss on the raw outputs",
        "--loss cross_entropy on the raw outputs",
    ),
    (
        "try more epochs, a larger learning rate, minibatches (batch_size), or standardised "
        "inputs and targets.",
        "try more epochs (--epochs), a larger learning rate (--lr), minibatches (--batch-size "
        "32), or standardised inputs (--standardize; a spec's data.standardize_target: true "
        "for the targets).",
    ),
    ("try a smaller learning rate.", "try a smaller learning rate (--lr)."),
    ("(or use task='regression').", "(or use --task regression)."),
    (
        "pass validation=0.2 for a random split or (x_val, y_val).",
        "give --validation 0.2 for a random split of the training rows.",
    ),
    ("eps=0.001 reproduces the slide", "--eps 0.001 reproduces the slide"),
    (
        "try more epochs or a larger learning rate.",
        "try more epochs (--epochs) or a larger learning rate (--lr).",
    ),
    (
        "standardise each feature (subtract its mean, divide by its standard deviation: "
        'backprop.data.Standardizer, or "standardize": true in a spec\'s data)',
        "add --standardize (it subtracts each feature's mean and divides by its standard "
        "deviation, fitted on the training rows)",
    ),
    (
        "scale them, e.g. standardise y and undo it on the predictions",
        "scale them: a spec's data.standardize_target: true trains on standardised y and "
        "the model file undoes it",
    ),
)


def cli_words(text: str) -> str:
    """``text`` with every phrase of ``PHRASES`` in the CLI's words."""
    for python, cli in PHRASES:
        text = text.replace(python, cli)
    return text
