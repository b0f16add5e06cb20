"""Rich HTML for the library's objects besides the trace: tensors, models, histories, runs,
gradient checks and the vanishing-gradient experiment.

Each function takes the object and returns one HTML string; the objects' ``_repr_html_``
methods call them (imported on first display, so nothing here loads unless a notebook asks).
Pictures come from ``backprop.plots`` as inline PNGs; without matplotlib the table stays
and a line says how to install it.
"""

from __future__ import annotations

import math

import numpy as np

from ._html import box, esc, figure_or_note, matrix, num, table

PASS, FAIL, WARN = "bp-pass", "bp-fail", "bp-warn"


# -- tensors ---------------------------------------------------------------------------
def tensor_html(t) -> str:
    """Shape, dtype, requires_grad / grad_fn / grad, and the values (corners when large)."""
    kind = "Parameter" if getattr(t, "_is_param", False) else "Tensor"
    data = np.asarray(t._data)
    facts = [f"shape ({', '.join(map(str, data.shape))})", str(t.dtype).removeprefix("backprop.")]
    if t.grad_fn is not None:
        facts.append(f"grad_fn = {t.grad_fn.name()}")
    elif t.requires_grad:
        facts.append("requires_grad")
    if t.requires_grad and t.grad_fn is None:
        facts.append("grad: none yet" if t.grad is None else "grad: set (below)")
    head = f'<div class="bp-head">{kind} · {esc(" · ".join(facts))}</div>'
    body = head + _values(data)
    if t.grad is not None:
        body += '<div class="bp-muted">.grad</div>' + _values(np.asarray(t.grad._data))
    return box(body)


def _values(data: np.ndarray) -> str:
    if data.dtype == bool:
        data = data.astype(np.int8)
    if data.ndim == 0:
        return f"<div>{num(data.item())}</div>"
    if data.size == 0:
        return '<div class="bp-muted">(no elements)</div>'
    if data.ndim <= 2:
        return matrix(data if data.ndim == 2 else data.reshape(1, -1))
    lead = ", ".join(["0"] * (data.ndim - 2))
    return f'<div class="bp-muted">[{lead}, :, :] of {data.ndim} dimensions</div>' + matrix(
        data[(0,) * (data.ndim - 2)]
    )


# -- models ----------------------------------------------------------------------------
def model_html(model) -> str:
    """``backprop.summary``'s table and, for an MLP, the network diagram."""
    from ..summary import summary

    s = summary(model)
    arch = "-".join(map(str, s.sizes)) if s.sizes else "(not a plain MLP)"
    head = ("l", "layer", "W[l] (n[l−1]×n[l])", "weight (out×in)", "bias", "params", "g[l]")
    rows = [
        [esc(r.l), esc(r.description), esc(r.lecture_shape), esc(r.torch_shape), esc(r.bias),
         f"{r.params:,}", esc(r.activation)]
        for r in s.rows
    ]  # fmt: skip
    left = [["", "bp-l", "", "", "", "", "bp-l"]] * len(rows)
    parts = [
        f'<div class="bp-head">{esc(s.name)}: {esc(arch)}</div>',
        table(head, rows, left),
        f"<div>total parameters: {s.total:,} (trainable {s.trainable:,}); "
        f"dtype {esc(s.dtype)}</div>",
    ]
    parts += [f'<div class="bp-muted">{esc(n)}</div>' for n in s.notes]
    if s.sizes:
        from ..plots import network_diagram

        parts.append(figure_or_note(lambda: network_diagram(model), f"network {arch}"))
    return box("".join(parts))


# -- histories and runs --------------------------------------------------------------------
_METRICS = ("loss", "val_loss", "accuracy", "val_accuracy", "rmse", "val_rmse", "r2", "val_r2")


def metrics_table(history) -> str:
    """The final value of each metric, the best epoch and how training ended."""
    rows = []
    for key in _METRICS:
        value = history.last(key) if key in history.history else None
        if value is not None:
            at = history.epochs_of(key)[-1]
            cls = FAIL if not math.isfinite(value) else ""
            rows.append(([esc(key), num(value), str(at)], ["bp-l", cls, ""]))
    out = table(("metric", "final value", "at epoch"), [r for r, _ in rows], [c for _, c in rows])
    after = [k for k in _METRICS if k != "loss" and history.last(k) is not None]
    if "loss" in history.history and after:  # two moments of one epoch: say which is which
        out += (
            f'<div class="bp-muted">loss: during the epoch, each batch before its update; '
            f"{esc(', '.join(after))}: after the epoch's updates, at the weights it ended "
            "with</div>"
        )
    facts = [f"{len(history)} epoch(s)"]
    if history.engine:
        facts.append(f"engine: {history.engine}")
    if history.best_epoch is not None:
        facts.append(f"best epoch {history.best_epoch}")
    out += f"<div>{esc('; '.join(facts))}</div>"
    if history.stop_reason:
        cls = FAIL if history.diverged else WARN
        out += f'<div class="{cls}">stopped: {esc(history.stop_reason)}</div>'
    return out


def history_html(history, loss: str | None = None) -> str:
    """The loss curve (``plots.loss_curves``) and the final metrics."""
    from ..plots import loss_curves

    parts = ['<div class="bp-head">Training history</div>', metrics_table(history)]
    if len(history):
        parts.append(figure_or_note(lambda: loss_curves(history, loss=loss), "loss curve"))
    return box("".join(parts))


def run_html(run) -> str:
    """A run: what ran (data, model, loss, optimizer), its metrics and curve, its model."""
    s = run.spec
    data = s.get("data", {})
    opt = s.get("optimizer", {})
    facts = [
        ("spec", s.get("name") or "(unnamed)"),
        ("data", data.get("name") or data.get("path") or "?"),
        ("model", _sizes(run.net)),
        ("loss", s.get("loss", {}).get("name", "?")),
        ("optimizer", f"{opt.get('name', '?')}, lr {opt.get('lr') or 'its default'}"),
        ("epochs", s.get("epochs")),
        ("seed", s.get("seed")),
    ]
    note = run.defaults_note
    if note:  # what the spec left out and the set filled in, and where its own run is
        facts.append(("defaults", note + _shipped_run(run)))
    names = getattr(run.dataset, "feature_names", None)
    if names:
        facts.append(("inputs", ", ".join(map(str, names))))
    targets = getattr(run.dataset, "target_names", None)
    if targets:
        facts.append(("targets", ", ".join(map(str, targets))))
    rows = [[esc(k), esc(v)] for k, v in facts]
    parts = [
        '<div class="bp-head">backprop run</div>',
        table(("", ""), rows, [["bp-l", "bp-l"]] * len(rows)),
    ]
    if run.history is not None and not len(run.history):
        parts.append('<div class="bp-muted">not trained: the spec asks for 0 epochs</div>')
    elif run.history is not None:
        from ..plots import loss_curves

        loss = s.get("loss", {}).get("name")
        parts.append(metrics_table(run.history))
        parts.append(figure_or_note(lambda: loss_curves(run.history, loss=loss), "loss curve"))
    parts.append(model_html(run.net))
    return box("".join(parts))


def _shipped_run(run) -> str:
    """'; the lecture's run is backprop.run('square'): lr 0.1, 10,000 epochs, the full batch,
    a 1-8-8-1 MLP' when the spec's set ships a spec of its own that trains otherwise: the dict
    form ``{"data": "square"}`` fills what fits in about a second (``spec.setdefaults``, as
    ``backprop train --data square`` does), not the lecture's settings."""
    from ..data import DATASETS
    from ..spec import builtin, builtin_names
    from ..spec.schema import normalize
    from ..spec.setdefaults import listed

    name = run.spec.get("data", {}).get("name")
    if name not in builtin_names() or run.spec.get("name") == name:
        return ""
    shipped = normalize(builtin(name))
    if shipped["data"]["name"] != name:
        return ""
    own = {"optimizer.lr": shipped["optimizer"]["lr"], "epochs": shipped["epochs"]}
    own["batch_size"] = shipped["batch_size"]
    model = shipped["model"]
    net = "-".join(map(str, model["sizes"])) if model["sizes"] else f"hidden {model['hidden']}"
    whose = "The lecture's run of" if DATASETS[name].kind == "lecture" else "The built-in spec of"
    return (
        f". {whose} {name} is backprop.run({name!r}) (backprop train {name}): Adam "
        f"{listed(own)}, a {net} network, seed {shipped['seed']}"
    )


def _sizes(model) -> str:
    from ..summary import summary

    sizes = summary(model).sizes
    return "-".join(map(str, sizes)) if sizes else type(model).__name__


# -- checks ----------------------------------------------------------------------------
def gradcheck_html(result) -> str:
    """``check_gradients``' rows, each passed (green) or failed (red)."""
    lecture = any(r.lecture for r in result.rows)
    head = (("lecture",) if lecture else ()) + (
        "parameter", "shape", "max abs error", "max rel error", "passed",
    )  # fmt: skip
    rows, classes = [], []
    for r in result.rows:
        verdict = PASS if r.passed else FAIL
        cells = [esc(r.name), esc(tuple(r.shape)), f"{r.max_abs_error:.3e}",
                 f"{r.max_rel_error:.3e}", "yes" if r.passed else "NO"]  # fmt: skip
        marks = ["bp-l", "", "", "", verdict]
        if lecture:
            cells, marks = [esc(r.lecture or ""), *cells], ["bp-l", *marks]
        rows.append(cells)
        classes.append(marks)
    failed = sum(not r.passed for r in result.rows)
    verdict = (
        f"all {len(result.rows)} parameters passed"
        if not failed
        else f"{failed} of {len(result.rows)} parameters FAILED"
    )
    tail = f"{verdict} (eps={result.eps:g}, atol={result.atol:g}, rtol={result.rtol:g})"
    cls = PASS if not failed else FAIL
    body = '<div class="bp-head">Gradient check: analytical against central differences</div>'
    return box(body + table(head, rows, classes) + f'<div class="{cls}">{esc(tail)}</div>')


VANISHED = 0.01  # ‖∂E/∂W[1]‖ / ‖∂E/∂W[L]‖ below this: the first layer barely learns


def vanishing_html(result) -> str:
    """first/last gradient ratio per depth and activation: red where it vanished (< 0.01),
    orange below 0.1, green above; then the experiment's figure."""
    acts = sorted({a for a, _ in result.grad_norms}, key=_activation_rank)
    depths = sorted({d for _, d in result.grad_norms})
    rows, classes = [], []
    for depth in depths:
        cells, marks = [str(depth)], [""]
        for a in acts:
            if (a, depth) not in result.grad_norms:
                cells.append("")
                marks.append("")
                continue
            ratio = result.first_to_last(a, depth)
            cells.append(num(ratio))
            ok = ratio >= 0.1
            marks.append(PASS if ok else WARN if ratio >= VANISHED else FAIL)
        rows.append(cells)
        classes.append(marks)
    head = ("depth", *(esc(a) for a in acts))
    body = (
        f'<div class="bp-head">Vanishing gradients: ‖∂E/∂W[1]‖ / ‖∂E/∂W[L]‖ (width '
        f"{result.width}, {result.samples} samples, seed {result.seed})</div>"
        + table(head, rows, classes)
        + '<div class="bp-muted">1 = no decay; green ≥ 0.1, orange ≥ 0.01, red: vanished '
        "(the sigmoid's σ′ ≤ 0.25 shrinks the gradient a layer at a time)</div>"
    )
    from ..plots import gradient_norms

    return box(body + figure_or_note(lambda: gradient_norms(result), "gradient norms"))


def _activation_rank(name: str):
    order = ["sigmoid", "tanh", "relu"]
    return (order.index(name), "") if name in order else (len(order), name)
