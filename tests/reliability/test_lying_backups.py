"""Issue 12 round 2, item 8: lying training backups — valid files (the SHA-256 is recomputed)
whose tree says something a run never wrote.

A real run crashes at epoch 5 of 9 and leaves its backup; the tree is read back, one field
is changed (every leaf × wrong types and out-of-range values; every mapping × a missing and
an extra key; every list × one element fewer and one more), the file is written again with
a valid checksum, and a fresh run resumes from it. The judge: the resume is refused with a
``ModelFileError`` that names a field (or a ``ConfigError``: the backup is another run's),
and then the model, the optimizer, the scheduler and backprop's global generator are
exactly as before — nothing half-restored; or the resume goes through and ends with the
weights and history of the honest resume. Never another exception. The attacker's own
cases are checked by name first.
"""

import random
import time

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.autograd.random import default_generator
from backprop.errors import ConfigError, ModelFileError
from backprop.train import (
    BackupAndRestore,
    Callback,
    EarlyStopping,
    ReduceLROnPlateau,
    backup_file,
    fit,
)

EPOCHS, CRASH = 9, 5


class Crash(Exception):
    pass


class CrashAt(Callback):
    def on_epoch_end(self, state):
        if state.epoch == CRASH:
            raise Crash


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2)).astype(np.float32)
    return x, (np.sin(2 * x[:, :1]) + x[:, 1:] ** 2).astype(np.float32)


def parts():
    bp.manual_seed(7)
    model = nn.MLP([2, 8, 1], "tanh")
    adam = optim.Adam(model.parameters(), lr=0.01)
    return model, adam, optim.lr_scheduler.StepLR(adam, 3, 0.8)


def run(folder, extra=(), built=None):
    model, adam, schedule = built or parts()
    callbacks = [EarlyStopping("val_loss", patience=20), ReduceLROnPlateau("val_loss", 0.5, 3),
                 *extra, BackupAndRestore(folder, every=1)]  # fmt: skip
    history = fit(model, data(), "mse", adam, EPOCHS, 16, validation=0.25, seed=1,
                  engine="delta", scheduler=schedule, callbacks=callbacks)  # fmt: skip
    return model, history


def outcome(model, history):
    weights = [p.detach().numpy().copy() for p in model.parameters()]
    columns = {k: v for k, v in history.history.items() if k != "time"}
    return weights, columns, history.stop_reason, history.best_epoch


def same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a[0], b[0])) and a[1:] == b[1:]


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    """The backup of a run crashed at epoch 5, and what an honest resume from it ends with."""
    folder = tmp_path_factory.mktemp("honest")
    with pytest.raises(Crash):
        run(folder, [CrashAt()])
    raw = (folder / "backup.safetensors").read_bytes()
    resumed = outcome(*run(folder))
    return raw, resumed


def snapshot(built):
    model, adam, schedule = built
    return (
        [p.detach().numpy().copy() for p in model.parameters()],
        repr(adam.state_dict()),
        repr(schedule.state_dict()),
        repr(default_generator().get_state()),
    )


def attempt(folder, tree, resumed):
    """Resume from ``tree``; ('refused', field or kind) or ('resumed', same as honest)."""
    folder.mkdir()
    backup_file.write(folder / "backup.safetensors", tree)
    built = parts()
    before = snapshot(built)
    try:
        result = run(folder, built=built)
    except (ModelFileError, ConfigError) as error:
        after = snapshot(built)
        same_weights = all(np.array_equal(x, y) for x, y in zip(after[0], before[0]))
        assert same_weights and after[1:] == before[1:], f"half-restored: {error}"
        text = str(error)
        if isinstance(error, ModelFileError):
            assert "the backup's field " in text and "Nothing was restored" in text, text
            return "refused", text.split("the backup's field ", 1)[1].split(" ", 1)[0]
        return "another run", text
    return "resumed", same(outcome(*result), resumed)


# -- the attacker's cases ------------------------------------------------------------------
def _set(tree, path, value):
    """``tree`` with the node at ``path`` replaced (tuples rebuilt, the rest in place)."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(tree, tuple):
        items = list(tree)
        items[key] = _set(items[key], rest, value)
        return tuple(items)
    tree[key] = _set(tree[key], rest, value)
    return tree


ATTACKS = [
    (("epoch",), 2.5, "epoch"),
    (("epoch",), -5, "epoch"),
    (("shuffle_rng", "state", "state"), -1, "shuffle_rng"),
    (("optimizer", "param_groups", 0, "lr"), "x", "optimizer/param_groups/0/lr"),
    (("optimizer", "state", 0, "step"), -1, "optimizer/state/0/step"),
    (("stop_reason",), {"x": 1}, "stop_reason"),
    (("optimizer", "param_groups", 0, "params"), [99, 1, 2, 3], "optimizer/param_groups/0/params"),
]


@pytest.mark.parametrize(
    "path, value, field", ATTACKS, ids=[a[2] + "=" + repr(a[1]) for a in ATTACKS]
)
def test_the_attackers_forged_fields_are_refused_by_name(honest, tmp_path, path, value, field):
    raw, resumed = honest
    (tmp_path / "src.safetensors").write_bytes(raw)
    tree = backup_file.read(tmp_path / "src.safetensors")
    tree = _set(tree, path, value)
    assert attempt(tmp_path / "b", tree, resumed) == ("refused", field)


@pytest.mark.parametrize("case", ["short history", "3-entry history", "int8 state", "2999"])
def test_inconsistent_trees_are_refused(honest, tmp_path, case):
    raw, resumed = honest
    (tmp_path / "src.safetensors").write_bytes(raw)
    tree = backup_file.read(tmp_path / "src.safetensors")
    values = tree["history"]["values"]
    if case == "short history":
        tree["history"]["epochs"] = tree["history"]["epochs"][:3]
    elif case == "3-entry history":
        tree["history"]["values"] = {k: v[:3] for k, v in values.items()}
    elif case == "int8 state":
        tree["optimizer"]["state"][0]["exp_avg"] = tree["optimizer"]["state"][0][
            "exp_avg"
        ]._data.astype(np.int8)
    else:
        tree["epoch"], tree["step"] = 8, 8 * 3
    kind, field = attempt(tmp_path / "b", tree, resumed)
    assert kind == "refused" and field.split("/")[0] in ("history", "optimizer"), field


# -- the structured fuzzer -----------------------------------------------------------------
def walk(node, path=()):
    """(path, value) for every node of the tree, containers included."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            yield from walk(value, (*path, i))


def mutations(value):
    """(label, new value) pairs: wrong types and values no run writes."""
    array = getattr(value, "_data", value)
    if isinstance(array, np.ndarray | np.generic):
        array = np.asarray(array)
        other = np.int8 if array.dtype.kind == "f" else np.float32
        yield "dtype", array.astype(other)
        yield "shape", array[None]
        yield "text", "x"
        yield "none", None
        return
    if isinstance(value, dict):
        for key in list(value)[:3]:
            yield f"drop {key}", {k: v for k, v in value.items() if k != key}
        yield "extra key", {**value, "zz": 1}
        return
    if isinstance(value, list | tuple):
        if value:
            yield "one fewer", type(value)(value[:-1])
            yield "one more", type(value)([*value, value[-1]])
        yield "a dict", {"0": value}
        return
    wrong = [("none", None), ("text", "x"), ("half", 2.5), ("negative", -1), ("huge", 2**129),
             ("bool", True), ("nan", float("nan")), ("list", [1])]  # fmt: skip
    for label, new in wrong:
        if type(new) is not type(value) or (label == "negative" and value != -1):
            yield label, new


def cases(tree):
    found = []
    for path, value in walk(tree):
        if not path:
            continue
        for label, new in mutations(value):
            found.append((path, label, new))
    return found


# a stop reason is any text (a kept backup of a stopped run has one): not a detectable lie
PLAUSIBLE = {("stop_reason", "text")}


def test_forged_backup_fields(honest, tmp_path, count):
    raw, resumed = honest
    source = tmp_path / "src.safetensors"
    source.write_bytes(raw)
    all_cases = cases(backup_file.read(source))
    chosen = random.Random(12).sample(all_cases, min(count(60, 100_000), len(all_cases)))
    tally = {"refused (field named)": 0, "refused: another run": 0, "resumed, same run": 0,
             "plausible value, run differs": 0}  # fmt: skip
    differ, wrong, start = [], [], time.monotonic()
    for i, (path, label, new) in enumerate(chosen):
        tree = backup_file.read(source)
        tree = _set(tree, path, new)
        where = "/".join(map(str, path))
        try:
            kind, detail = attempt(tmp_path / f"c{i}", tree, resumed)
        except Exception as error:  # another exception, or a judge's assertion
            wrong.append(f"{where} <- {label}: {type(error).__name__}: {str(error)[-300:]}")
            continue
        if kind == "refused":
            tally["refused (field named)"] += 1
        elif kind == "another run":
            tally["refused: another run"] += 1
        elif detail:
            tally["resumed, same run"] += 1
        elif (where, label) in PLAUSIBLE:
            tally["plausible value, run differs"] += 1
        else:
            differ.append(f"{where} <- {label}")
    print(
        f"\nlying backups: {len(chosen)} of {len(all_cases)} forged fields (valid SHA-256), "
        f"{time.monotonic() - start:.1f} s: {tally}; resumed into another run: {len(differ)}; "
        f"another exception or a half-restored run: {len(wrong)}"
    )
    assert not wrong, "\n".join(wrong)
    assert not differ, "\n".join(differ)
