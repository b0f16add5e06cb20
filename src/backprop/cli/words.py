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
    # train/cautions.py's advice, item by item (a run's advice names only what it did not use)
    ("more epochs", "more epochs (--epochs)"),
    ("a larger learning rate", "a larger learning rate (--lr)"),
    ("a smaller learning rate", "a smaller learning rate (--lr)"),
    ("minibatches (batch_size)", "minibatches (--batch-size 32)"),
    ("standardised inputs", "standardised inputs (--standardize)"),
    ("standardised targets", "standardised targets (--standardize-target)"),
    ("Adam (it takes steps of about lr)", "--optimizer adam (it takes steps of about lr)"),
    ("leaky_relu, whose units cannot die", "--activation leaky_relu, whose units cannot die"),
    ("(or use task='regression').", "(or use --task regression)."),
    ("use task='regression' for a continuous target", "use --task regression"),
    (
        "for class labels pass task='classification' (data.task in a spec, --task on the "
        "command line)",
        "for class labels leave out --task regression (text labels are read as classes) or "
        "give --task classification",
    ),
    (
        "pass validation=0.2 for a random split or (x_val, y_val).",
        "give --validation 0.2 for a random split of the training rows.",
    ),
    ("eps=0.001 reproduces the slide", "--eps 0.001 reproduces the slide"),
    (
        "the history's loss, each epoch's mean of its batch losses,",
        "history.csv's loss, each epoch's mean of its batch losses,",
    ),
    (
        "standardise each feature (subtract its mean, divide by its standard deviation: "
        'backprop.data.Standardizer, or "standardize": true in a spec\'s data)',
        "add --standardize (it subtracts each feature's mean and divides by its standard "
        "deviation, fitted on the training rows)",
    ),
    (
        "scale them, e.g. standardise y and undo it on the predictions",
        "scale them: --standardize-target trains on standardised y and the model file undoes it",
    ),
)


def cli_words(text: str) -> str:
    """``text`` with every phrase of ``PHRASES`` in the CLI's words. Text already in the
    CLI's words stays as it is (a message may pass through twice)."""
    kept: list[str] = []
    for python, cli in PHRASES:
        if cli in text:  # already rewritten: hold it aside while the others are applied
            kept.append(cli)
            text = text.replace(cli, f"\0{len(kept) - 1}\0")
        text = text.replace(python, cli)
    for i, cli in reversed(list(enumerate(kept))):
        text = text.replace(f"\0{i}\0", cli)
    return text
