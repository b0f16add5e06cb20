"""What the page draws, computed from a session: points, heatmaps, curves, the network.

``data_view(session)`` describes the data once per rebuild (points in the data's own
units, the input square or interval, input-feature thumbnails, the lecture's clean target
curve); ``snapshot(session)`` describes the network now (weights, ∂E/∂w, δ per neuron,
per-layer gradient norms, losses, the output heatmap or curve and every neuron's
thumbnail). Grids are downsampled and quantised to one byte per cell (base64), so a
snapshot stays a few tens of kilobytes whatever the data size. Numbers that are not finite
become null (JSON has no NaN).
"""

from __future__ import annotations

import numpy as np

from . import drawable
from . import features as feats
from .curves import grad_norms
from .wire import _bytes, _exact, _list, _num, _q, rounded  # noqa: F401 - views._list

GRID = 100  # output heatmap cells per side (legible on a projector)
NEURON_STRIDE = 3  # neuron thumbnails use every 3rd cell: 34 × 34, both edges included
THUMB = len(range(0, GRID, NEURON_STRIDE))
CURVE = 200  # points of the 1-D output curve
NEURON_CURVE_STRIDE = 4  # 50 points per neuron curve
DOMAIN_2D = (-6.0, 6.0)  # TensorFlow Playground's input square
MAX_POINTS = 2_000  # points drawn per part (train/test); more are subsampled
KINKED = ("relu", "leaky_relu")


def _display(session, x: np.ndarray) -> np.ndarray:
    """Model-space rows back to the data's own units (undo the CSV's standardisation)."""
    scaler = session.raw.scaler
    return x if scaler is None else scaler.inverse_transform(x)


def _model_space(session, x: np.ndarray) -> np.ndarray:
    scaler = session.raw.scaler
    return x if scaler is None else scaler.transform(x)


def domain(session) -> tuple[float, float, float, float]:
    """(x1 low, x1 high, x2 low, x2 high) of the drawing, in the data's units."""
    raw = session.raw
    # by the setting, never by the data's name (an upload may be called "spiral.csv")
    if session.state["dataset"] in ("circle", "xor", "gauss", "spiral", "plane", "multigauss"):
        lo, hi = DOMAIN_2D
        return lo, hi, lo, hi
    lo, hi = drawable.edges(*drawable.column_ranges(raw))  # the rule the upload was checked by
    if len(lo) == 1:
        return float(lo[0]), float(hi[0]), 0.0, 0.0
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def output_kind(session) -> str:
    """binary (one logit), classes (softmax over C), or regression."""
    if session.raw.task == "regression":
        return "regression"
    return "binary" if session.loss_name == "bce_with_logits" else "classes"


def target_range(session) -> tuple[float, float]:
    """The regression target's drawing range (TF Playground's −1…1 for its own sets)."""
    raw = session.raw
    if session.state["dataset"] in ("plane", "multigauss"):
        return -1.0, 1.0
    y = raw.y if raw.y_test is None else np.concatenate([raw.y, raw.y_test])
    lo, hi = float(np.min(y)), float(np.max(y))
    if hi > lo:
        return lo, hi
    # one value: ±1 around it, or more where ±1 is below its float64 spacing (1e17 − 1 is
    # 1e17, and the heatmap divided by 0: all NaN; sixth attacker P10)
    pad = max(1.0, abs(lo) * 1e-6)
    return lo - pad, hi + pad


def _scale(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return 2.0 * (values - lo) / (hi - lo) - 1.0


def _points(session, x, y) -> list:
    if x is None:
        return []
    if len(x) > MAX_POINTS:
        keep = np.random.default_rng(0).choice(len(x), MAX_POINTS, replace=False)
        x, y = x[np.sort(keep)], y[np.sort(keep)]
    pts = _display(session, x)
    label = np.asarray(y, dtype=np.float64).reshape(len(y), -1)[:, 0]
    return rounded(np.column_stack([pts, label]), 4).tolist()


def _grid(session):
    """The heatmap's raw input rows (GRID² of them, row 0 at the top) in data units."""
    x1lo, x1hi, x2lo, x2hi = domain(session)
    a = np.linspace(x1lo, x1hi, GRID)
    b = np.linspace(x2hi, x2lo, GRID)
    aa, bb = np.meshgrid(a, b)
    return np.column_stack([aa.ravel(), bb.ravel()])


def _curve_x(session) -> np.ndarray:
    lo, hi, _, _ = domain(session)
    return np.linspace(lo, hi, CURVE).reshape(-1, 1)


def _inputs(session, raw_rows: np.ndarray) -> np.ndarray:
    """Data-unit rows → the network's inputs (standardise, then the feature maps)."""
    return feats.transform(_model_space(session, raw_rows), session.state["features"])


def _feature(session, name: str, dims: int) -> dict:
    """A feature as the page draws it (the lecture's X₁, x: room for them on a phone) and,
    for an uploaded CSV, in the file's column names (tooltip, accessible name)."""
    out = {"name": name, "label": feats.label(name, dims)}
    if session.state["dataset"] == "csv":
        names = list(session.raw.feature_names)
        out["column"] = feats.column_label(name, names)  # drawn (cut to fit)
        out["column_full"] = feats.column_label(name, names, short=False)  # read out
    return out


def data_view(session) -> dict:
    """Everything about the data the page needs until the next rebuild."""
    raw = session.raw
    dims = session.n_inputs
    x1lo, x1hi, x2lo, x2hi = domain(session)
    view = {
        "id": session.data_id,  # a note about the data ends with it (notes.py)
        "task": raw.task,
        "kind": output_kind(session),
        "dims": dims,
        "name": raw.name,
        "classes": getattr(raw, "n_classes", None) if raw.task == "classification" else None,
        "class_names": list(raw.target_names) if raw.task == "classification" else [],
        "feature_names": list(raw.feature_names),
        "target_name": session.target_col,  # a CSV's target column (its plot's y axis)
        "domain": [x1lo, x1hi, x2lo, x2hi],
        "train": _points(session, raw.x, raw.y),
        "test": _points(session, raw.x_test, raw.y_test),
        "n_train": int(raw.x.shape[0]),
        "n_test": 0 if raw.x_test is None else int(raw.x_test.shape[0]),
        "features": [_feature(session, f, dims) for f in feats.available(dims)],
        "loss": session.loss_name,
    }
    if raw.task == "regression":
        view["range"] = list(target_range(session))
    if dims == 2:
        grid = _grid(session)
        thumbs = {}
        mapped = feats.transform(_model_space(session, grid), feats.available(2))
        small = mapped.reshape(GRID, GRID, -1)[::NEURON_STRIDE, ::NEURON_STRIDE]
        for i, f in enumerate(feats.available(2)):
            col = small[..., i]
            m = float(np.max(np.abs(col))) or 1.0
            thumbs[f] = _q(col / m)
        view["feature_thumbs"] = thumbs
        view["thumb_size"] = THUMB
    else:
        xs = _curve_x(session)
        mapped = feats.transform(_model_space(session, xs), feats.available(1))
        thumbs = {}
        for i, f in enumerate(feats.available(1)):
            col = mapped[::NEURON_CURVE_STRIDE, i]
            thumbs[f] = _list(col, 4)
        view["feature_curves"] = thumbs
        view["target_curve"] = _target_curve(session)
    return view


def _target_curve(session) -> list | None:
    """The lecture's noiseless function over the interval (None for CSV data)."""
    from ..data import make

    name = session.state["dataset"]
    if name not in ("square", "abs", "sine"):
        return None
    clean = make(name, n=400, noise=0.0, seed=0, train_ratio=1.0)
    order = np.argsort(clean.x[:, 0])
    return rounded(np.column_stack([clean.x[order, 0], clean.y[order, 0]]), 4).tolist()


def _output_map(session, logits: np.ndarray) -> dict:
    """The output over the grid as [−1, 1] values (or class + confidence)."""
    kind = output_kind(session)
    if kind == "binary":
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-logits[:, 0]))
        return {"kind": kind, "values": 2 * p - 1}
    if kind == "classes":
        z = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        c = p.shape[1]
        conf = (p.max(axis=1) - 1 / c) / (1 - 1 / c)
        return {"kind": kind, "cls": p.argmax(axis=1), "values": 2 * conf - 1, "probs": p}
    lo, hi = target_range(session)
    return {"kind": kind, "values": _scale(target_units(session, logits[:, 0]), lo, hi)}


def target_units(session, out: np.ndarray) -> np.ndarray:
    """A regression network's outputs in the target's own units: a CSV's targets are
    trained standardised (z = (y − mean) / std, ``Session.target_scaling``), y = mean + std·z."""
    scaling = getattr(session, "target_scaling", None)
    if scaling is None:
        return out
    return np.asarray(out, dtype=np.float64) * scaling.std[0] + scaling.mean[0]


def picture_rows(session) -> tuple[np.ndarray, list]:
    """The rows the picture (heatmap or curve) runs the network on, and the network's
    layers with their weights copied: ``delta.forward(None, *picture_rows(s))`` may run on a
    thread while the session trains on (``MessageLoop.snapshot_off``)."""
    import dataclasses
    from types import SimpleNamespace

    grid = _grid(session) if session.n_inputs == 2 else _curve_x(session)
    frozen = []
    for layer in session.plan.net:
        w = layer.weight._data.copy()
        bias = None if layer.bias is None else SimpleNamespace(_data=layer.bias._data.copy())
        linear = SimpleNamespace(weight=SimpleNamespace(_data=w, shape=w.shape), bias=bias)
        frozen.append(dataclasses.replace(layer, linear=linear))
    return _inputs(session, grid), frozen


PICTURE_THREAD_MACS = 2_000_000  # a picture's forward pass past this many multiply-adds
# runs on a thread (``MessageLoop.snapshot_off``): 8 layers of 16 on 7 features take 19 M
# (0.1-0.6 s at load 1-17); the default 2-4-2-1 network takes 0.18 M, less than a thread's
# hand-over costs when the event loop is busy training (each NumPy call there waits for the
# loop to let go of the interpreter: a whole picture on a thread held a tab's answer 4.6 s)


def picture_macs(session) -> int:
    """Multiply-adds of the picture's forward pass (rows x weights)."""
    rows = GRID * GRID if session.n_inputs == 2 else CURVE
    return rows * sum(layer.n_in * layer.n_out for layer in session.plan.net)


def picture(session, rows: np.ndarray, net: list, cache=None) -> dict:
    """The output heatmap (2-D) or curve (1-D) with every neuron's thumbnail, from the
    network ``net`` on ``rows`` (``picture_rows``); ``cache``: its forward pass, made
    already (on a thread: ``delta.forward(None, rows, net)``)."""
    from ..delta import forward

    cache = forward(None, rows, net) if cache is None else cache
    if session.n_inputs == 2:
        return {"heatmap": _heatmap(session, cache)}
    return {"curve": _curve(session, cache)}


def snapshot(session, full: bool = True, after: dict | None = None, backward: bool = True,
             drawn: dict | None = None) -> dict:  # fmt: skip
    """The network now: numbers, history, weights and gradients, heatmaps or curves.
    ``backward`` False leaves out each layer's ``gw``, ``gb`` and ``delta`` (a lesson that
    hides the backward view: ``locks.hides_backward``).

    ``after`` says what the page already has of each curve (``"history"``,
    ``"grad_history"``): the last epoch it holds, whose later points alone are sent (see
    ``curve``); a curve not named (or None) is sent whole. ``drawn``: the ``picture``
    made already (None: made here).
    """
    after = after or {}
    net = session.plan.net
    with np.errstate(all="ignore"):  # ∂E/∂W and δ on the training set
        grads = session.plan.compute(session.x, session.y)
    norms = grad_norms(grads)
    layers = []
    # PyTorch's (out, in): w[to][from]; exact, as the editor shows them
    params = _exact([p for layer in net for p in (layer.weight._data, layer.bias._data)
                     if p is not None])  # fmt: skip
    for layer, norm in zip(net, norms, strict=True):
        l = layer.index
        d = grads.delta[l]
        w = params.pop(0)
        layers.append(
            {
                "w": w,
                "b": None if layer.bias is None else params.pop(0),
                "gw": _list(grads.weight_grads[l].T, 5),
                "gb": None if grads.bias_grads[l] is None else _list(grads.bias_grads[l], 5),
                "delta": _list(np.mean(np.abs(d), axis=0), 5),
                "norm": norm,
                "activation": layer.activation.name,
            }
        )
        if not backward:
            for key in ("gw", "gb", "delta"):
                del layers[-1][key]
    m = session.metrics
    out = {
        "seq": session.seq,
        "net": session.builds,  # which network: an edit names the one it was typed on
        "edits": session.edits,  # weights set by hand on it: the page's charts start anew
        "epoch": session.epoch,
        "steps": session.steps,
        "running": session.status.running,
        "stopped": session.status.stopped,
        "diverged": session.status.diverged,
        "metrics": {k: _num(v) for k, v in m.items()},
        "batch_size": session.batch_size,
        "engine": session.engine.reason,  # which engine trains, and why (train.choice)
        "sizes": [net[0].n_in] + [layer.n_out for layer in net],
        "layers": layers,
        "history": curve(session.history, after.get("history"), _loss_columns),
        "grad_history": curve(session.grad_history, after.get("grad_history"), _norm_columns),
    }
    if not full:
        return out
    out.update(drawn if drawn is not None else picture(session, *picture_rows(session)))
    return out


def curve(series, after: int | None, columns) -> dict:
    """A curve's points past epoch ``after``, or all of them when ``after`` is None.

    ``full`` says which: the page replaces its curve, or keeps the points it has — thinned
    to the epochs that are multiples of ``stride``, as the server's are when the curve
    outgrew ``HISTORY_MAX`` — checks that it then holds ``at`` of them, and appends the
    rest (it asks for the whole curve, ``resync``, if not).
    """
    at = series.start(after)
    return {
        "full": after is None,
        "stride": series.stride,
        "at": at,
        "epochs": series.x[at:],
        **columns(series.rows[at:]),
    }


def _loss_columns(rows: list) -> dict:
    return {"train": [_num(r[0]) for r in rows], "test": [_num(r[1]) for r in rows]}


def _norm_columns(rows: list) -> dict:
    return {"norms": rows}


def _heatmap(session, cache) -> dict:
    net = session.plan.net
    omap = _output_map(session, cache.a[-1])
    heat = {"size": GRID, "kind": omap["kind"], "values": _q(omap["values"])}
    if omap["kind"] == "classes":
        heat["cls"] = _bytes(omap["cls"])
    small = THUMB
    neurons = []
    for l in range(1, len(net)):
        a = cache.a[l].reshape(GRID, GRID, -1)[::NEURON_STRIDE, ::NEURON_STRIDE]
        neurons.append([_q(a[..., j]) for j in range(a.shape[-1])])
    last = omap["values"] if omap["kind"] != "classes" else None
    if omap["kind"] == "classes":
        probs = omap["probs"].reshape(GRID, GRID, -1)[::NEURON_STRIDE, ::NEURON_STRIDE]
        neurons.append([_q(2 * probs[..., j] - 1) for j in range(probs.shape[-1])])
    else:
        grid = last.reshape(GRID, GRID)[::NEURON_STRIDE, ::NEURON_STRIDE]
        neurons.append([_q(grid)])
    heat["neurons"] = neurons
    heat["neuron_size"] = small
    return heat


def _curve(session, cache) -> dict:
    """1-D: the network's curve, each neuron's activation and each ReLU kink."""
    net = session.plan.net
    x = _curve_x(session)[:, 0]
    y = cache.a[-1][:, 0]
    if session.raw.task == "regression":
        y = target_units(session, y)
    neurons, kinks = [], []
    for l in range(1, len(net) + 1):
        a = cache.a[l]
        if l == len(net) and session.raw.task == "regression":
            a = target_units(session, a)
        neurons.append([_list(a[::NEURON_CURVE_STRIDE, j], 4) for j in range(a.shape[1])])
        if l < len(net) and net[l - 1].activation.name in KINKED:
            f = cache.f[l]
            for j in range(f.shape[1]):
                col = f[:, j]
                idx = np.flatnonzero(np.signbit(col[:-1]) != np.signbit(col[1:]))
                for i in idx[:8]:
                    t = col[i] / (col[i] - col[i + 1]) if col[i] != col[i + 1] else 0.5
                    kinks.append({"x": _num(x[i] + t * (x[i + 1] - x[i])), "layer": l, "neuron": j})
    return {"x": _list(x, 4), "y": _list(y, 5), "neurons": neurons, "kinks": kinks[:128]}
