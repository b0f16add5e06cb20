"""What the server hands the page besides snapshots: choices, previews and downloads.

``choices()`` lists the page's menus (learning rates, activations, limits, loss
conventions), ``previews()`` small point clouds of every built-in dataset for the dataset
buttons, ``model_bytes(session)`` the trained network as a ``.safetensors`` model file
(what ``backprop predict`` and ``backprop.io.load`` read) and ``spec_text(session)`` the
experiment spec as JSON (what ``backprop train`` runs).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import tempfile

import numpy as np

from . import fields, protocol, scratch, settings, views
from .session import Session

_PREVIEWS: dict | None = None


def previews() -> dict:
    """Small point clouds of every built-in dataset, for the dataset buttons (made once)."""
    global _PREVIEWS
    if _PREVIEWS is None:
        from ..data import make

        out = {}
        for name in fields.DATASETS:
            if name == "csv":
                continue
            one_d = name in fields.FUNCTION_SETS
            d = make(name, n=200, seed=1) if one_d else make(name, n=220, seed=1, train_ratio=0.9)
            y = d.y.reshape(len(d.y), -1)[:, 0].astype(np.float64)
            x = d.x[:, :1] if one_d else d.x
            out[name] = {"dims": x.shape[1], "points": views._list(np.column_stack([x, y]), 3)}
        _PREVIEWS = out
    return _PREVIEWS


def spec_text(session: Session) -> str:
    return json.dumps(session.spec(), indent=2) + "\n"


def choices() -> dict:
    return {
        "lr": list(fields.LEARNING_RATES),
        "reg_rate": list(fields.REG_RATES),
        "activation": list(fields.ACTIVATIONS),
        "optimizer": list(fields.OPTIMIZERS),
        "max_layers": fields.MAX_LAYERS,
        "max_neurons": fields.MAX_NEURONS,
        "max_csv_bytes": protocol.MAX_CSV_BYTES,
        "max_csv_rows": protocol.MAX_CSV_ROWS,
        "loss_labels": settings.LOSS_LABELS,
        "noise_scale": settings.SCALE_1D,  # 1-D sets: noise 100 % = this σ added to y
        "defaults": fields.defaults(),  # what a 2-D set returns to after a 1-D preset
    }


def model_bytes(session: Session) -> bytes:
    """The trained model as a .safetensors file (what ``backprop predict`` loads)."""
    return write_model(model_file(session))


def model_file(session: Session) -> tuple:
    """What the model file holds, taken now: (a copy of the network, its spec, metadata).

    The server calls this between training frames and writes the file on another thread
    (``write_model``); the copy keeps training that goes on meanwhile out of the file.
    """
    from . import features as feats

    raw = session.raw
    names = session.state["features"]
    columns = raw_columns(names)  # the CSV's own columns, chosen or reordered: a scaler's
    if raw.scaler is not None and columns is None:
        # the features are made from the standardised columns ((a - mean) / std, squared...);
        # a model file's scaler standardises its own inputs, so no file says this session
        chosen = ", ".join(feats.label(f, session.n_inputs) for f in names)
        raise protocol.ProtocolError(
            f"Export model: the input features {chosen} are computed from the CSV's "
            "standardised columns, and a model file can only standardise its raw inputs, "
            "so `backprop predict` would answer differently from this page. Choose the raw "
            "features (the CSV's columns) to export this model, or use Export spec."
        )
    spec = session.spec()
    feature_names = input_names(session)
    spec["feature_names"] = feature_names
    spec["target_names"] = list(raw.target_names)
    spec["task"] = raw.task
    # where Run.file_spec puts them, which predict and summary read (issue 12)
    spec["data"].update(task=raw.task, feature_names=feature_names,
                        target_names=list(raw.target_names))  # fmt: skip
    if raw.scaler is not None:  # the chosen columns' own standardisation, in their order
        whole = raw.scaler.to_dict()
        scaler = {k: [whole[k][i] for i in columns] for k in ("mean", "std")}
        spec["scaler"] = scaler
        spec["data"]["scaler"] = copy.deepcopy(scaler)
    meta = {"playground": {"features": list(names), "settings": copy.deepcopy(session.state),
                           "epoch": session.epoch, "not_in_spec": session.spec_gaps()}}  # fmt: skip
    model = copy.deepcopy(session.model)
    scaling = getattr(session, "target_scaling", None)
    if scaling is not None:  # trained on z: the file predicts the target's units, as run's
        from types import SimpleNamespace

        from ..spec import targets

        targets.fold(model, SimpleNamespace(), scaling)
        spec["data"]["target_scaler"] = scaling.to_dict()
    return model, spec, meta


def raw_columns(names) -> list[int] | None:
    """The data columns the features are, when each is a raw column (x1 → 0, x2 → 1: the
    CSV's columns chosen, dropped or reordered); None when one is computed (x1², sin x2)."""
    index = {"x1": 0, "x2": 1}
    return [index[f] for f in names] if all(f in index for f in names) else None


def precision_note(session: Session) -> str | None:
    """What the model file's float32 numbers cannot hold of a standardised target: y = 1e9
    + x is folded into a bias of 1e9, where float32 numbers are 64 apart, so ``backprop
    predict`` answers in steps of 64 where the page (float64) draws x. None when the step
    is below a thousandth of the target's spread."""
    scaling = getattr(session, "target_scaling", None)
    if scaling is None:
        return None
    mean, std = float(scaling.mean[0]), float(scaling.std[0])
    step = float(np.spacing(np.float32(abs(mean))))
    if step <= std / 1000:
        return None
    name = session.target_col
    return (
        f"The model file computes in float32, whose numbers near {mean:.6g} are {step:g} "
        f"apart, while {name} varies by {std:.3g} (standard deviation): `backprop predict` "
        f"answers {name} in steps of {step:g}; the page computes it in float64. Subtract "
        f"{mean:.6g} from {name} in the file to keep its digits."
    )


ASCII_NAMES = {"x1": "x1", "x2": "x2", "x1sq": "x1^2", "x2sq": "x2^2", "x1x2": "x1*x2",
               "sinx1": "sin(x1)", "sinx2": "sin(x2)"}  # fmt: skip


def input_names(session: Session) -> list[str]:
    """The model file's names of its inputs (``backprop predict`` and ``summary`` show
    them; the export note says the same): the data's columns, or the chosen features."""
    from . import features as feats

    names = session.state["features"]
    columns = raw_columns(names)
    if columns is not None and session.raw.scaler is not None:  # a CSV's columns by name
        return [session.raw.feature_names[i] for i in columns]
    if feats.is_identity(names, session.n_inputs):
        return list(session.raw.feature_names)
    out = [ASCII_NAMES[f] for f in names]
    return [n.replace("x1", "x") for n in out] if session.n_inputs == 1 else out


def predict_example(session: Session) -> dict:
    """A ``backprop predict`` argument that runs on the exported model: one sample with one
    value per model input (x1 = 1, x2 = 2 mapped through the chosen features; for a CSV,
    its chosen columns' means rounded within 1/20 of their spread, in the file's units: 1,2 made
    predict warn "far outside" for columns near 5e199) and the inputs' names, so the
    page's note is true for the model at hand."""
    from . import features as feats

    names = list(session.state["features"])
    columns, scaler = raw_columns(names), session.raw.scaler
    if scaler is not None and columns is not None:  # the model file takes the CSV's units
        spread = scaler.to_dict()
        text = ",".join(_near(spread["mean"][i], spread["std"][i]) for i in columns)
        return {"x": text, "inputs": input_names(session)}
    point = np.array([[1.0, 2.0][: session.n_inputs]])
    values = feats.transform(point, names)[0]
    # each value as Python writes a float back exactly (sin 2 = 0.9092974268256817)
    text = ",".join(repr(float(v)).removesuffix(".0") for v in values)
    return {"x": text, "inputs": input_names(session)}


def _near(mean: float, std: float) -> str:
    """``mean`` to the fewest significant digits (4 at least) that keep it within 1/20 of
    ``std`` of itself: rounded relative to the column's spread, not to its size (year =
    123456789 + i % 10 gave 123500000, 1.35e4 standard deviations out, and predict warned)."""
    for digits in range(4, 18):
        value = float(f"{mean:.{digits}g}")
        if abs(value - mean) <= std / 20:
            break
    return repr(value).removesuffix(".0")


def write_model(parts: tuple) -> bytes:
    """The bytes of a .safetensors file for ``model_file``'s parts (any thread)."""
    from .. import io

    model, spec, meta = parts
    fd, path = tempfile.mkstemp(suffix=".safetensors", prefix="model-", dir=scratch.folder())
    os.close(fd)
    try:
        io.save(model, path, spec=spec, metadata=meta)
        with open(path, "rb") as handle:
            return handle.read()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
