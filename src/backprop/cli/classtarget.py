"""``backprop explain`` on a classifier: the target as a student types it, and which class is
which.

A classifier's model file names its classes (``target_names``) and its loss: one output and
``bce_with_logits`` for two classes (ŷ is the logit of p(class 1)), or one output per class and
``cross_entropy`` (ŷ holds the logits, softmax gives the probabilities). ``class_target`` reads
``--y`` as a class name (``--y inner``, ``--y 3`` for digits) or, when no name matches and the
names are not numbers themselves, as an index 0 … k−1, and returns the target in the form the
loss takes: ``[[0.]]``/``[[1.]]`` for binary cross-entropy, ``[index]`` (int64) for
cross-entropy. ``header`` and ``footer`` say which class is which, and what the model predicts.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "CLASS_LOSSES",
    "Classes",
    "class_target",
    "classes_of",
    "footer",
    "header",
    "logit_note",
]

CLASS_LOSSES = ("bce_with_logits", "cross_entropy")


class Classes:
    """The classes of a classifier model file: names in index order and its loss."""

    def __init__(self, names: list[str], loss: str, source: str):
        self.names, self.loss, self.source = names, loss, source

    @property
    def binary(self) -> bool:
        return self.loss == "bce_with_logits"


def classes_of(spec: dict | None, loss_given: str | None, n_out: int) -> Classes | None:
    """The classes, when the model is a classifier by its file (task and loss) or by the loss
    given (``--loss cross_entropy`` on k outputs, ``bce_with_logits`` on one); else None."""
    spec = spec or {}
    data, own = spec.get("data") or {}, (spec.get("loss") or {}).get("name")
    loss = loss_given or (own if data.get("task") == "classification" else None)
    if loss not in CLASS_LOSSES or (loss == "bce_with_logits") != (n_out == 1):
        return None
    k = 2 if n_out == 1 else n_out
    names = [str(n) for n in data.get("target_names") or []]
    if len(names) != k:
        names = [str(i) for i in range(k)]
    source = "the model's own training loss, from its file" if loss_given is None else ""
    return Classes(names, loss, source)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def class_target(text: str, classes: Classes) -> tuple[int, np.ndarray]:
    """(index, y) for ``--y TEXT``: a class name, or an index when no name matches and the
    names are not numbers (for names 1 and 2, '0' would be ambiguous)."""
    from ..errors import ConfigError, did_you_mean

    names = classes.names
    text = text.strip()
    if text in names:
        index = names.index(text)
    elif (
        text.isascii()
        and text.isdecimal()
        and int(text) < len(names)
        and not any(map(_number, names))
    ):
        index = int(text)
    else:
        listed = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
        last = "0 or 1" if len(names) == 2 else f"0 … {len(names) - 1}"
        by_index = "" if any(map(_number, names)) else f" or its index {last}"
        raise ConfigError(
            f"--y {text or repr(text)}: not a class of this model; give a class "
            f"name{by_index} (its {len(names)} classes: {listed}), e.g. --y {names[-1]}."
            + did_you_mean(text, names)
        )
    if classes.binary:
        return index, np.asarray([[float(index)]])
    return index, np.asarray([index], dtype=np.int64)


def header(classes: Classes, index: int, text: str) -> str:
    """Which output is which class, and the target the loss sees."""
    names = classes.names
    name = names[index]
    said = f"--y {text}" + (f" is class {name!r}" if text != name else "")
    if classes.binary:
        what = (
            f"ŷ = a[L] is the logit of p({names[1]!r}) (class 1; {names[0]!r} is class 0): "
            f"p({names[1]!r}) = σ(ŷ), p({names[0]!r}) = 1 − σ(ŷ)"
        )
        target = f"{said}, so y = {index}"
    else:
        if names == [str(k) for k in range(len(names))]:
            which = f"ŷ[k] for class k = 0 … {len(names) - 1}"
        else:
            shown = ", ".join(f"{k} {n!r}" for k, n in enumerate(names[:12]))
            which = f"ŷ[k] for class k ({shown}{', …' if len(names) > 12 else ''})"
        what = f"ŷ = a[L] holds one logit per class, {which}; p = softmax(ŷ)"
        target = f"{said}, index {index}: E = −log p[{index}]"
    own = f" ({classes.source})" if classes.source else ""
    return (
        f"classifier, {len(names)} classes: {what}.\ntarget: {target}; loss {classes.loss}{own}.\n"
    )


def _probabilities(classes: Classes, y_hat: np.ndarray) -> np.ndarray:
    z = np.asarray(y_hat, dtype=np.float64).reshape(-1)
    if classes.binary:
        p1 = 1.0 / (1.0 + np.exp(-z[0]))
        return np.array([1.0 - p1, p1])
    e = np.exp(z - z.max())
    return e / e.sum()


def _shown(classes: Classes, probs: np.ndarray) -> tuple[int, str]:
    order = np.argsort(-probs)[:3]
    names = classes.names
    return int(probs.argmax()), ", ".join(f"p({names[k]!r}) = {probs[k]:.4f}" for k in order)


def footer(classes: Classes, y_hat: np.ndarray, index: int) -> str:
    """The probabilities ŷ gives, the class it predicts, and whether that is the target."""
    names = classes.names
    top, shown = _shown(classes, _probabilities(classes, y_hat))
    verdict = "the target" if top == index else f"not the target {names[index]!r}"
    return f"\nprediction: {shown}; the model predicts {names[top]!r}, {verdict}."


def logit_note(classes: Classes, y_hat: np.ndarray) -> str:
    """Without --y: what ŷ is (a logit, or one logit per class), the probabilities it gives
    and the class predicted; how to see the loss's δ."""
    names = classes.names
    top, shown = _shown(classes, _probabilities(classes, y_hat))
    if classes.binary:
        what = f"ŷ is the logit of p({names[1]!r}) (class 1; {names[0]!r} is class 0), p = σ(ŷ)"
    else:
        what = "ŷ holds one logit per class, p = softmax(ŷ)"
    return (
        f"\nclassifier, {len(names)} classes: {what}; prediction: {shown}; the model predicts "
        f"{names[top]!r}. The δ above are ∂ŷ/∂f (no loss); --y CLASS traces the loss "
        f"{classes.loss}, e.g. --y {names[top]}."
    )
