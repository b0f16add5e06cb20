"""How the playground's settings fit together and become parts of an experiment spec.

``reconcile`` makes a set of settings consistent (the problem type follows the dataset,
one activation per hidden layer, features that exist for the data's dimension), and the
tables here map the page's names to the registries' (``momentum`` is SGD with momentum
0.9, ``linear`` is the ``identity`` activation). Pure functions on dicts; no training.
"""

from __future__ import annotations

from . import features as feats
from . import fields

CSV_IGNORES = ("n", "noise", "classes")  # settings of the built-in sets only
CLASS_SETS = ("gauss", "spiral")  # the sets with a number of classes to choose
DATA_KEYS = ("problem", "dataset", "classes", "noise", "train_ratio", "n", "seed")
NET_KEYS = ("features", "hidden", "activation", "loss")
SCALE_1D = {"square": 10.0, "abs": 1.0, "sine": 1.0}  # noise 100 % = this standard deviation
OPTIMIZER_SPECS = {
    "sgd": ("sgd", {}),
    "momentum": ("sgd", {"momentum": 0.9}),
    "adam": ("adam", {}),
    "rmsprop": ("rmsprop", {}),
}
LOSS_LABELS = {
    "bce_with_logits": "binary cross-entropy on the logit (sigmoid + BCE fused, δ = p − y), mean",
    "cross_entropy": "cross-entropy on the logits (softmax + CE fused, δ = p − y), mean",
    "mse": "MSE = mean (ŷ − y)², PyTorch's convention: ∂E/∂ŷ = 2(ŷ − y)/N",
    "half_mse": "the lecture's E = ½(ŷ − y)², averaged: ∂E/∂ŷ = (ŷ − y)/N",
    "l1": "L1 = mean |ŷ − y|",
    "huber": "Huber (δ = 1): quadratic near 0, linear beyond",
}


# the dataset a link to an uploaded CSV opens on (a link cannot carry the file), by problem;
# the lesson dialog names it (lessons.table)
CSV_INSTEAD = {"classification": "circle", "regression": "plane"}


def registry_activation(name: str) -> str:
    return "identity" if name == "linear" else name


def resolve_loss(state: dict, raw) -> str:
    loss = state["loss"]
    if raw.task == "classification":
        if loss == "bce_with_logits" and raw.n_classes == 2:
            return loss
        return "cross_entropy" if loss == "cross_entropy" or raw.n_classes > 2 else (
            "bce_with_logits")  # fmt: skip
    return loss if loss in fields.REGRESSION_LOSSES else "mse"


def reconcile(
    new: dict,
    changes: dict,
    csv_dims: int | None,
    csv_changed: bool = False,
    old_dims: int | None = None,
    csv_classes: int | None = None,
) -> list[str]:
    """Make the settings agree with each other (problem ↔ dataset, layers ↔ activations).

    A setting changed on its own that would change nothing (noise on a CSV, a regression
    loss on a classification set, x2 on 1-D data, classes of a circle) is refused in
    words; the same carried along with a change of dataset or problem, or by a link, is
    dropped with a note. ``csv_changed``: an upload replaces the file in this change;
    ``old_dims``: input columns of the data before it (None: not known); ``csv_classes``:
    the uploaded file's classes (None: a regression target or no file)."""
    notes = []
    ds = new["dataset"]
    if ds == "csv" and csv_dims is None:
        new["dataset"] = CSV_INSTEAD[new["problem"]]
        notes.append("The link used an uploaded CSV file; upload it again to use it.")
    elif ds != "csv":
        problem = "classification" if ds in fields.CLASSIFICATION_SETS else "regression"
        if "problem" in changes and "dataset" not in changes and problem != new["problem"]:
            new["dataset"] = "circle" if new["problem"] == "classification" else "plane"
        else:
            if "problem" in changes and problem != changes["problem"]:  # both, disagreeing
                notes.append(  # said, not half-applied silently (sixth attacker P13)
                    f"The problem {changes['problem']} does not fit the {ds} set, a "
                    f"{problem} set: the problem is {problem}. Choose a {changes['problem']} "
                    "dataset to use it."
                )
            new["problem"] = problem
    # a loss of the other problem type is not kept (it would stay in the link as loss=mse
    # after a move to a classification set): the data's own loss ("auto") instead
    other = fields.REGRESSION_LOSSES if new["problem"] == "classification" else fields.CLASS_LOSSES
    if new.get("loss") in other:
        kind = "regression" if new["problem"] == "classification" else "classification"
        data = "the uploaded CSV" if new["dataset"] == "csv" else f"the {new['dataset']} set"
        if "loss" in changes and not {"dataset", "problem"} & set(changes):
            own = fields.CLASS_LOSSES if kind == "regression" else fields.REGRESSION_LOSSES
            raise fields.ProtocolError(
                f"setting loss: {new['loss']} is a {kind} loss and {data} is a "
                f"{new['problem']} problem, so it would not be used. Choose auto or one of "
                f"{', '.join(own)}, or change the problem type first.",
                "loss",
            )
        notes.append(
            f"The loss {new['loss']} is a {kind} loss; {data} is a {new['problem']} problem: "
            "the loss is auto (the data's own)."
        )
        new["loss"] = "auto"
    ds = new["dataset"]
    classes = new["classes"] if ds in CLASS_SETS else csv_classes if ds == "csv" else None
    if new.get("loss") == "bce_with_logits" and classes and classes > 2:
        # one logit tells 2 classes apart: with more, cross-entropy runs; the state (and the
        # link, and a lock on the loss) says the loss that runs (sixth attacker P8); an
        # upload of 3 classes too (eighth attacker 3: the state said bce, cross_entropy ran)
        data = "the uploaded CSV" if ds == "csv" else f"the {ds} set"
        said = f"bce_with_logits is for 2 classes (one output, a sigmoid); {data} has {classes}"
        if "loss" in changes and not {"dataset", "classes"} & set(changes):
            raise fields.ProtocolError(
                f"setting loss: {said}, so it would not be used. Choose cross_entropy or "
                f"auto{', or 2 classes first' if ds != 'csv' else ''}.",
                "loss",
            )
        notes.append(f"The loss is cross_entropy: {said}.")
        new["loss"] = "cross_entropy"
    dims = 1 if new["dataset"] in fields.FUNCTION_SETS else 2
    if new["dataset"] == "csv":
        dims = csv_dims
    kept = [f for f in new["features"] if f in feats.available(dims)]
    gone = [f for f in new["features"] if f not in kept]
    if gone and "features" in changes:  # chosen now, for data of one input column
        data = "the uploaded CSV" if new["dataset"] == "csv" else f"the {new['dataset']} set"
        said = (
            f"setting features: {', '.join(gone)} need(s) two input columns; {data} has one "
            f"(x). Choose among {', '.join(feats.available(dims))}."
        )
        if "dataset" not in changes and not csv_changed:
            raise fields.ProtocolError(said, "features")
        notes.append(said.replace("Choose among", "Dropped; the features are among"))
        # (a link names its dataset: a note, and the link opens)
    if not kept:
        kept = list(feats.DEFAULT_1D if dims == 1 else feats.DEFAULT_2D)
    if old_dims == 1 and dims == 2 and "features" not in changes:  # 1-D data to 2-D data
        if kept == list(feats.DEFAULT_1D):  # the raw input: the raw inputs, both columns
            kept = list(feats.DEFAULT_2D)  # (x1 alone trained on column 1, unsaid)
        else:  # maps of x1 only (all there are for one column)
            data = "the uploaded CSV" if new["dataset"] == "csv" else f"the {new['dataset']} set"
            notes.append(
                f"The features {', '.join(kept)} were chosen for one input column; {data} "
                "has two, and they use only the first (x1). Switch x2 on to use the second."
            )
    new["features"] = kept
    alone = not {"dataset", "problem"} & set(changes)
    if "classes" in changes and alone and new["dataset"] not in (*CLASS_SETS, "csv"):
        raise fields.ProtocolError(  # a CSV's classes: CSV_IGNORES below
            f"setting classes: applies to the Gaussian and spiral sets; the "
            f"{new['dataset']} set has its own classes or none, so it would change "
            "nothing. Choose Gaussian or spiral to use it.",
            "classes",
        )
    acts = list(new["activation"]) or ["tanh"]
    hidden = new["hidden"]
    new["activation"] = [acts[min(i, len(acts) - 1)] for i in range(len(hidden))]
    if "activation" in changes and len(set(acts)) > 1 and len(acts) != len(hidden):
        notes.append(_activations_fitted(acts, hidden, new["activation"]))
    steps = [i + 1 for i, act in enumerate(new["activation"]) if act == "step"]
    if steps and ("activation" in changes or "hidden" in changes):
        from ..delta.engine import STEP_NOTE  # the lecture's Caution, as fit and the CLI say it

        notes.append("Caution: " + STEP_NOTE.format(l=steps[-1]))
    if new["dataset"] == "csv" and "dataset" not in changes:
        ignored = [k for k in CSV_IGNORES if k in changes]
        if ignored:  # they would be kept and written into the link, changing nothing
            raise fields.ProtocolError(
                f"setting {ignored[0]}: applies to the built-in datasets; an uploaded CSV's "
                "rows, noise and classes are the file's own, so it would change nothing. "
                "Choose a built-in dataset to use it.",
                ignored[0],
            )
    elif "batch_size" in new and new["batch_size"] > new["n"]:
        new["batch_size"] = new["n"]  # a CSV's batch is cut to its rows when it trains
    return notes


def _activations_fitted(given: list, hidden: list, used: list) -> str:
    """The note for activations that are not one per hidden layer, from a link or a
    widget's keywords (a ``set`` message's are refused: ``actions.check_lists``); one name
    for all layers, or one name repeated, is TF's form: no note."""
    said = (
        f"activation: {len(given)} given ({','.join(given)}) for "
        f"{len(hidden)} hidden layer{'s' if len(hidden) != 1 else ''} "
        f"({','.join(map(str, hidden)) or 'none'}): "
    )
    if len(given) > len(hidden):
        left = given[len(hidden) :]
        return said + (
            f"used {','.join(used) or 'none'} and left out {','.join(left)}. Give one "
            "activation per hidden layer."
        )
    return said + (
        f"the last one, {given[-1]}, is used for the layers after it ({','.join(used)}). "
        "Give one activation per hidden layer."
    )
