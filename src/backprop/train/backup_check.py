"""Checking a training backup's tree field by field before anything is restored.

``backup_file.read`` proves a backup is intact (container, format, SHA-256); it cannot prove
it is honest: anyone can write a valid file with ``epoch: 2.5`` or an int8 optimizer state.
``check_tree`` looks at every field of the tree against what this run would have written —
types, ranges, dtypes and shapes, the epoch against the history, the RNG states in scratch
generators, the optimizer state against a scratch optimizer of the same class, the
scheduler's and library callbacks' states against their own fresh ``state_dict`` — and
raises one ``ModelFileError`` naming the field (``optimizer/param_groups/0/lr``) before any
object of the run is touched. Whether the backup belongs to this run (data, sizes,
settings: ``fingerprint``, stored in every backup) is ``BackupAndRestore._check``'s
business; user callbacks check their own state.
"""

from __future__ import annotations

import math
import numbers
import zlib

import numpy as np

from ..errors import ModelFileError

__all__ = ["check_tree", "fingerprint"]

TOP = {
    "epoch", "step", "engine", "stop_reason", "made_folder", "run", "model", "optimizer",
    "scheduler", "history", "shuffle_rng", "global_rng", "callbacks",
}  # fmt: skip
RUN = {
    "rows": int, "features": int, "data_crc32": int, "batches": int, "loss": (str, type(None)),
    "validation": bool, "optimizer": str, "defaults": dict, "scheduler": (str, type(None)),
}  # fmt: skip
# settings recorded only when not the default (so backups of earlier versions still match)
RUN_MAYBE = {"penalty": list, "shuffle": bool}
# scheduler fields that change as training goes; every other field is a setting and must
# equal this run's (a backup cannot change gamma or the base rates)
PROGRESS = {"last_epoch", "_step_count", "_is_initial", "_last_lr", "best", "num_bad_epochs",
            "cooldown_counter"}  # fmt: skip
MAX_TEXT = 10_000


class _Bad(Exception):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(field, problem)
        self.field, self.problem = field, problem


def check_tree(tree, state, path, then=None) -> None:
    """Raise ``ModelFileError`` naming the first field of ``tree`` this run cannot trust.

    ``then`` (the check that the backup belongs to this run) is called once the fields it
    reads are known to be well formed, before the rest is checked against this run.
    """
    try:
        _check(tree, state, then)
    except _Bad as bad:
        raise ModelFileError(
            f"{path}: the backup's field {bad.field} {bad.problem}; it is not what "
            f"BackupAndRestore writes (edited or forged). Nothing was restored: delete {path} "
            "to start at epoch 1, or put back an intact copy."
        ) from None


def _show(value) -> str:
    text = repr(value) if not isinstance(value, np.ndarray) else f"a {value.dtype} array"
    return text if len(text) <= 60 else text[:57] + "..."


def _whole(value, field, low=0, high=None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _Bad(field, f"must be a whole number, got {_show(value)}")
    if value < low or (high is not None and value > high):
        top = "" if high is None else f" to {high}"
        raise _Bad(field, f"must be from {low}{top}, got {value}")
    return int(value)


def _check(tree, state, then) -> None:
    if not isinstance(tree, dict):
        raise _Bad("(the tree)", f"must be a mapping, got {type(tree).__name__}")
    for key in sorted(TOP - set(tree)):
        raise _Bad(key, "is missing")
    for key in sorted(set(tree) - TOP, key=str):
        raise _Bad(str(key), "is not a field of a backup")
    run = tree["run"]
    if not isinstance(run, dict) or not set(RUN) <= set(run) <= set(RUN) | set(RUN_MAYBE):
        raise _Bad("run", f"must hold exactly {sorted(RUN)} (and maybe {sorted(RUN_MAYBE)})")
    if "shuffle" in run and not isinstance(run["shuffle"], bool):
        raise _Bad("run/shuffle", f"must be True or False, got {_show(run['shuffle'])}")
    if "penalty" in run and not (
        isinstance(run["penalty"], list)
        and len(run["penalty"]) == 2
        and run["penalty"][0] in ("l1", "l2")
        and isinstance(run["penalty"][1], float)
    ):
        raise _Bad("run/penalty", f"must be ['l1' or 'l2', rate], got {_show(run['penalty'])}")
    for key, kind in RUN.items():
        if (isinstance(run[key], bool) and kind is int) or not isinstance(run[key], kind):
            raise _Bad(f"run/{key}", f"has the wrong type: {_show(run[key])}")
        if kind is int and run[key] < 0:
            raise _Bad(f"run/{key}", f"must be >= 0, got {run[key]}")
    epoch = _whole(tree["epoch"], "epoch")  # beyond the epochs asked for: _check says so
    _whole(tree["step"], "step", epoch * run["batches"], epoch * run["batches"])
    if tree["engine"] not in ("delta", "fused", "autograd"):
        raise _Bad("engine", f"must be 'delta', 'fused' or 'autograd', got {_show(tree['engine'])}")
    reason = tree["stop_reason"]
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_TEXT):
        raise _Bad("stop_reason", f"must be None or a text, got {_show(reason)}")
    if not isinstance(tree["made_folder"], bool):
        raise _Bad("made_folder", f"must be True or False, got {_show(tree['made_folder'])}")
    if not isinstance(tree["model"], dict) or not all(
        isinstance(k, str) and isinstance(v, np.ndarray) for k, v in tree["model"].items()
    ):
        raise _Bad("model", "must map parameter names to arrays")
    _layout(tree)
    if then is not None:
        then()
    _history(tree["history"], epoch, _metric_names(state))
    _rng(tree["shuffle_rng"], "shuffle_rng", type(state.rng.bit_generator))
    from ..autograd.random import state_problem

    if (problem := state_problem(tree["global_rng"])) is not None:  # PyTorch's state bytes
        raise _Bad("global_rng", problem)
    _optimizer(tree["optimizer"], state, tree["step"])
    if (tree["scheduler"] is None) != (state.scheduler is None):
        return  # a run with another scheduler: _check names the mismatch
    if state.scheduler is not None:
        _like(tree["scheduler"], state.scheduler.state_dict(), "scheduler", epoch, settings=True)
    _callbacks(tree["callbacks"], state, epoch)
    _rates(tree, state)


def _rates(tree, state) -> None:
    """Each group's lr is one a scheduler of the backup set last (the ReduceLROnPlateau
    callback's or the scheduler's ``_last_lr``), or this run's own lr when none can change it."""
    candidates = [tree["scheduler"]] if isinstance(tree["scheduler"], dict) else []
    candidates += [s["scheduler"] for s in tree["callbacks"].values()
                   if isinstance(s, dict) and isinstance(s.get("scheduler"), dict)]  # fmt: skip
    for i, (group, mine) in enumerate(
        zip(tree["optimizer"]["param_groups"], state.optimizer.param_groups)
    ):
        lr = group.get("lr")
        allowed = [c["_last_lr"][i] for c in candidates if _nth(c.get("_last_lr"), i)]
        if not candidates:
            allowed = [mine.get("lr")]
        if lr not in allowed:
            raise _Bad(
                f"optimizer/param_groups/{i}/lr",
                f"is {lr!r}, but no scheduler of the backup set it ({allowed} would fit)",
            )


def _nth(values, i: int) -> bool:
    return isinstance(values, list) and i < len(values)


def _layout(tree) -> None:
    """What ``BackupAndRestore._check`` reads: optimizer groups and callback keys."""
    saved = tree["optimizer"]
    if not isinstance(saved, dict) or set(saved) != {"state", "param_groups"}:
        raise _Bad("optimizer", "must hold exactly 'state' and 'param_groups'")
    groups = saved["param_groups"]
    if not isinstance(groups, list) or not all(
        isinstance(g, dict) and isinstance(g.get("params"), list) for g in groups
    ):
        raise _Bad("optimizer/param_groups", "must be a list of groups, each with 'params'")
    callbacks = tree["callbacks"]
    if not isinstance(callbacks, dict) or not all(isinstance(k, str) for k in callbacks):
        raise _Bad("callbacks", "must map callback keys to their state")


def _metric_names(state) -> set:
    """The columns ``fit`` logs for this run: loss and the task's metrics (also ``val_``),
    lr, time. Whether a regression gets rmse and r2 depends on the output's width: one
    row's forward pass tells (in eval mode, global random state put back after)."""
    from ..autograd import Tensor, no_grad
    from ..autograd.random import default_generator

    names = {"loss"}
    if state.task == "classification":
        names.add("accuracy")
    else:
        saved_rng, was_training = default_generator().get_state(), state.model.training
        try:
            state.model.eval()
            with no_grad(), np.errstate(all="ignore"):
                out = state.model(Tensor._wrap(state.x[:1]))
            if getattr(out, "_data", out).size == state.y[:1].size:
                names |= {"rmse", "r2"}
        except Exception:  # a model that fails here fails in fit too, which says why
            names |= {"rmse", "r2"}
        finally:
            state.model.train(was_training)
            default_generator().set_state(saved_rng)
    if state.has_validation:
        names |= {f"val_{name}" for name in names}
    if state.optimizer.param_groups[0].get("lr") is not None:
        names.add("lr")
    return names | {"time"}


def _history(saved, epoch: int, names: set) -> None:
    keys = {"epochs", "values", "best_epoch"}
    if not isinstance(saved, dict) or not keys <= set(saved) <= keys | {"at"}:
        raise _Bad("history", "must hold 'epochs', 'values', 'best_epoch' and maybe 'at'")
    epochs = saved["epochs"]
    if not isinstance(epochs, np.ndarray) or epochs.dtype != np.int64 or epochs.ndim != 1:
        raise _Bad("history/epochs", f"must be a 1-d int64 array, got {_show(epochs)}")
    if not np.array_equal(epochs, np.arange(1, epoch + 1)):
        raise _Bad("history/epochs", f"must number the epochs 1 to {epoch} (the backup's epoch)")
    values, at = saved["values"], saved.get("at", {})
    dense = {"loss", "time"} & names
    if not isinstance(values, dict) or (epoch and not dense <= set(values) <= names):
        raise _Bad("history/values", f"must map this run's metrics {sorted(names)} to arrays")
    if not isinstance(at, dict) or not set(at) <= set(values) - dense:
        raise _Bad("history/at", "must map metrics measured at some epochs only to their epochs")
    for key, column in values.items():
        field = f"history/values/{key}"
        if not isinstance(key, str) or not key.isidentifier() or len(key) > 64:
            raise _Bad("history/values", f"has a metric name {_show(key)}")
        if not isinstance(column, np.ndarray) or column.dtype != np.float64 or column.ndim != 1:
            raise _Bad(field, f"must be a 1-d float64 array, got {_show(column)}")
        length = epoch
        if key in at:
            where = at[key]
            if not isinstance(where, np.ndarray) or where.dtype != np.int64 or where.ndim != 1:
                raise _Bad(f"history/at/{key}", f"must be a 1-d int64 array, got {_show(where)}")
            if where.size and (where[0] < 1 or where[-1] > epoch or (np.diff(where) <= 0).any()):
                raise _Bad(f"history/at/{key}", f"must be rising epoch numbers from 1 to {epoch}")
            length = where.shape[0]
        if column.shape[0] != length:
            raise _Bad(field, f"has {column.shape[0]} values for {length} epochs")
    time = values.get("time")
    if time is not None and not (np.isfinite(time).all() and (np.diff(time) >= 0).all()):
        raise _Bad("history/values/time", "must be finite seconds that never decrease")
    if time is not None and time.size and time[0] < 0:
        raise _Bad("history/values/time", "must be >= 0")
    if saved["best_epoch"] is not None:
        _whole(saved["best_epoch"], "history/best_epoch", 1, max(epoch, 1))


def _rng(saved, field: str, kind) -> None:
    """A bit generator's state as NumPy takes it, tried on a scratch generator first."""
    if not isinstance(saved, dict) or saved.get("bit_generator") != kind.__name__:
        raise _Bad(field, f"must be the state of a {kind.__name__} bit generator")
    if any(isinstance(v, bool) for v in _leaves(saved)):
        raise _Bad(field, "holds True/False where NumPy keeps whole numbers")
    scratch = kind()
    try:
        scratch.state = saved
        same = scratch.state == saved
    except Exception as error:  # NumPy's own refusal: OverflowError, ValueError, ...
        raise _Bad(field, f"is refused by NumPy ({type(error).__name__}: {error})") from None
    if not same:
        raise _Bad(field, "is not a state NumPy keeps as given")


def _leaves(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _leaves(value)
    else:
        yield node


def _optimizer(saved, state, steps: int) -> None:
    optimizer = state.optimizer
    current = optimizer.state_dict()
    groups = saved["param_groups"]
    if not isinstance(groups, list) or len(groups) != len(optimizer.param_groups):
        return  # another layout: _check names the mismatch
    params = []
    for i, (group, mine, packed) in enumerate(
        zip(groups, optimizer.param_groups, current["param_groups"])
    ):
        field = f"optimizer/param_groups/{i}"
        if not isinstance(group, dict) or set(group) != set(packed):
            raise _Bad(field, f"must hold exactly {sorted(packed)}")
        if group["params"] != packed["params"]:
            raise _Bad(
                f"{field}/params", f"must be {packed['params']}, got {_show(group['params'])}"
            )
        for key, value in group.items():
            if key == "params":
                continue
            if key == "lr":  # the one option a scheduler changes
                if isinstance(value, bool) or not isinstance(value, numbers.Real):
                    raise _Bad(f"{field}/lr", f"must be a number, got {_show(value)}")
                if not 0 <= value < math.inf:
                    raise _Bad(f"{field}/lr", f"must be a finite number >= 0, got {value!r}")
                continue
            _like(value, packed[key], f"{field}/{key}", 0)
            if value != packed[key]:
                raise _Bad(f"{field}/{key}", f"is {_show(value)}, but this run has {packed[key]!r}")
        params += [(p, mine) for p in mine["params"]]
    entries = saved["state"]
    if not isinstance(entries, dict):
        raise _Bad("optimizer/state", "must map parameter indices to their state")
    if steps:  # after an update every trained parameter has its state (if the class keeps one)
        for index, (p, group) in enumerate(params):
            if p.requires_grad and index not in entries and _state_keys(optimizer, p, group):
                raise _Bad("optimizer/state", f"lacks parameter {index}'s state")
    for index, entry in entries.items():
        field = f"optimizer/state/{index}"
        _whole(index, f"optimizer/state (index {index!r})", 0, len(params) - 1)
        p, group = params[index]
        wanted = _state_keys(optimizer, p, group)
        if not isinstance(entry, dict) or set(entry) != wanted:
            raise _Bad(field, f"must hold exactly {sorted(wanted)}")
        for key, value in entry.items():
            array = getattr(value, "_data", value)
            if not isinstance(array, np.ndarray | np.generic):
                raise _Bad(f"{field}/{key}", f"must be an array, got {_show(value)}")
            if key == "step":
                number = float(array) if array.shape == () and array.dtype.kind == "f" else None
                if array.shape != () or number is None or not number.is_integer():
                    raise _Bad(f"{field}/step", f"must be a whole float scalar, got {_show(array)}")
                _whole(int(number), f"{field}/step", 0, steps)
            elif array.dtype != p._data.dtype or array.shape != p._data.shape:
                raise _Bad(
                    f"{field}/{key}",
                    f"is {array.dtype}{list(array.shape)}, but its parameter is "
                    f"{p._data.dtype}{list(p._data.shape)}",
                )


def _state_keys(optimizer, p, group) -> set:
    """The state keys the optimizer's class keeps for a parameter, from one scratch step."""
    from ..autograd.tensor import Tensor
    from ..nn import Parameter

    settings = {k: v for k, v in group.items() if k in optimizer.defaults}
    scratch_p = Parameter(Tensor._wrap(np.zeros(1, dtype=p._data.dtype)))
    scratch = type(optimizer)([scratch_p], **settings)
    scratch_p.grad = Tensor._wrap(np.zeros(1, dtype=p._data.dtype))
    scratch.step()
    return set(scratch.state.get(scratch_p, {}))


def _callbacks(saved, state, epoch: int) -> None:
    from .backup import _keyed

    if not isinstance(saved, dict):
        raise _Bad("callbacks", "must map callback keys to their state")
    for key, cb in _keyed(state):
        if key in saved and type(cb).__module__.startswith("backprop."):
            _like(saved[key], cb.state_dict(), f"callbacks/{key}", epoch)


def _like(value, template, field: str, epoch: int, settings: bool = False) -> None:
    """``value`` has the shape of ``template`` (a fresh ``state_dict`` of the same object).

    Dicts have the same keys, non-empty lists and tuples the same length; arrays the same
    dtype and shape; numbers the same type, finite where the template is, whole numbers
    from 0 to the epoch (plus the template's own count); None may become a number. With
    ``settings`` (a scheduler), every field but the progress ones equals the template.
    """
    if isinstance(template, dict):
        if not isinstance(value, dict) or set(value) != set(template):
            raise _Bad(field, f"must hold exactly {sorted(map(str, template))}")
        for key in template:
            sub = f"{field}/{key}"
            inner = settings or key == "scheduler"
            if settings and key not in PROGRESS and value[key] != template[key]:
                raise _Bad(sub, f"is {_show(value[key])}, but this run has {_show(template[key])}")
            _like(value[key], template[key], sub, epoch, inner)
        return
    if isinstance(template, list | tuple):
        if not isinstance(value, list | tuple) or (template and len(value) != len(template)):
            raise _Bad(field, f"must be a list of {len(template)}, got {_show(value)}")
        for i, (v, t) in enumerate(zip(value, template)):
            _like(v, t, f"{field}/{i}", epoch)
        return
    array = getattr(template, "_data", template)
    if isinstance(array, np.ndarray):
        got = getattr(value, "_data", value)
        if not isinstance(got, np.ndarray) or (got.dtype, got.shape) != (array.dtype, array.shape):
            raise _Bad(field, f"must be a {array.dtype}{list(array.shape)} array, got {_show(got)}")
        return
    if template is None and value is None:
        return
    if isinstance(template, bool) or isinstance(value, bool):
        if type(value) is not type(template):
            wanted = "True or False" if isinstance(template, bool) else "a number"
            raise _Bad(field, f"must be {wanted}, got {value!r}")
        return
    if isinstance(template, str):
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise _Bad(field, f"must be a text, got {_show(value)}")
        return
    if isinstance(template, int) or (template is None and isinstance(value, int)):
        high = epoch + (template or 0)
        _whole(value, field, 0, high)
        return
    if isinstance(template, float) or template is None:
        if not isinstance(value, float) or math.isnan(value):
            raise _Bad(field, f"must be a number, got {_show(value)}")
        if (template is None or math.isfinite(template)) and not math.isfinite(value):
            raise _Bad(field, f"must be finite, got {value!r}")
        return
    raise _Bad(field, f"has an unexpected type: {_show(value)}")


def fingerprint(state) -> dict:
    """What identifies this run's setting, stored in the backup and compared on resume."""
    crc = 0
    for array in (state.x, state.y):
        crc = zlib.crc32(np.ascontiguousarray(array).reshape(-1).view(np.uint8), crc)
    return {
        "rows": int(state.x.shape[0]),
        "features": int(state.x.shape[1]),
        "data_crc32": crc,
        "batches": state.batches,
        "loss": state.loss_name,
        "validation": state.has_validation,
        "optimizer": type(state.optimizer).__name__,
        "defaults": dict(state.optimizer.defaults),
        "scheduler": None if state.scheduler is None else type(state.scheduler).__name__,
        **({} if state.penalty[0] == "none" else {"penalty": [state.penalty[0], state.penalty[1]]}),
        **({} if state.shuffle else {"shuffle": False}),
    }
