"""Checking the experiment spec stored in a model file, once, when the file is read.

A model file may carry the full experiment spec (metadata ``spec``). ``Run.file_spec`` adds
to its ``data`` section what predicting needs: ``task``, ``feature_names``,
``target_names`` and ``scaler``. Readers (``backprop predict``, ``summary``, ``export``)
use those fields as they are, so a file that lies about them must be refused here, with a
``ModelFileError`` naming the field (``spec.data.feature_names``), the rule and the value.

``check_file_spec(spec, model_spec, label)`` applies:

- the fields predicting uses, wherever they are (``data.<field>``, and the top-level copies
  that playground downloads carry): ``task`` null, ``"regression"`` or
  ``"classification"`` (not null when ``target_names`` are given); ``feature_names``
  null or a list of n_in strings; ``target_names`` null or a list of strings, one per
  output (regression) or one per class (classification: n_out classes, or 2 for a single
  logit), no name with a control character (a line break, tab or NUL: ``control``);
  ``scaler`` null or ``{"mean": [n_in finite numbers], "std": [n_in positive finite
  numbers]}``; ``constant_inputs`` null or a list of distinct input indices (0 to n_in − 1):
  the columns with one value on every training row (their scaler mean is that value);
- no fields other than the spec's (and the added ones above); ``data`` must be a JSON
  object when present; ``model.sizes`` / ``model.hidden``, when
  given, must agree with the stored model;
- a spec that says which version it is (``version``, as every spec ``backprop.run``
  saves) must also pass ``backprop.spec.normalize``, the checker of spec files. A partial
  spec saved by hand (``io.save(..., spec={"data": {"scaler": ...}})``) is checked by the
  rules above only; nothing else in it is read by backprop.
"""

from __future__ import annotations

import math

from ..errors import ModelFileError, SpecError

__all__ = ["ADDED", "check_file_spec"]

# task is a spec field already; target_scaler (how the run standardised its targets) is
# information only: the weights already undo it
ADDED = ("feature_names", "target_names", "scaler", "target_scaler", "constant_inputs")
_TOP_COPIES = ("task", *ADDED)  # playground downloads repeat them at the top level
TASKS = ("regression", "classification")


def _shown(value, width: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _lie(label: str, field: str, rule: str, value) -> ModelFileError:
    return ModelFileError(
        f"{label}: metadata field {field} {rule}, got {type(value).__name__} {_shown(value)}; "
        "the file is corrupted or was edited (save the model again)."
    )


def check_file_spec(spec, model_spec: dict, label: str) -> dict:
    """``spec`` if every rule of the module docstring holds; else ``ModelFileError``."""
    if not isinstance(spec, dict):
        raise _lie(label, "'spec'", "must be a JSON object", spec)
    sizes = model_spec["sizes"]
    n_in, n_out = sizes[0], sizes[-1]
    data = spec.get("data")
    if data is not None and not isinstance(data, dict):
        raise _lie(label, "spec.data", "must be a JSON object", data)
    for where, section in (("spec", spec), ("spec.data", data or {})):
        _check_added(section, where, n_in, n_out, label)
    _check_sizes(spec.get("model"), sizes, label)
    _check_known(spec, data, label)
    if "version" in spec:
        probe = {k: v for k, v in spec.items() if k not in _TOP_COPIES}
        if isinstance(probe.get("name"), str):  # no reader makes a path of it; files from
            from ..spec.runnames import slug  # before names had to be slugs stay readable

            probe["name"] = slug(probe["name"], "model")
        if isinstance(data, dict):
            probe["data"] = {k: v for k, v in data.items() if k not in ADDED}
        try:
            from ..spec.schema import normalize

            normalize(probe)
        except SpecError as error:
            text = str(error) if len(str(error)) <= 300 else str(error)[:297] + "..."
            raise ModelFileError(
                f"{label}: the stored experiment spec (metadata 'spec') is invalid: {text} "
                "The file is corrupted or was edited (save the model again)."
            ) from None
    return spec


def _check_added(section: dict, where: str, n_in: int, n_out: int, label: str) -> None:
    task = section.get("task")
    if task is not None and task not in TASKS:
        raise _lie(label, f"{where}.task", f"must be null or one of {list(TASKS)}", task)
    if task is None and section.get("target_names") is not None:
        raise _lie(label, f"{where}.task", f"must be one of {list(TASKS)} when target_names "
                   "are given (they mean classes or output columns by the task)", task)  # fmt: skip
    _names(section, "feature_names", where, n_in, "one per model input", label)
    if task == "classification":
        classes = n_out if n_out > 1 else 2
        rule = f"one per class ({classes} for {n_out} output(s))"
    else:
        classes, rule = n_out, "one per model output"
    _names(section, "target_names", where, classes, rule, label)
    if "scaler" in section and section["scaler"] is not None:
        _check_scaler(section["scaler"], f"{where}.scaler", n_in, label)
    if section.get("target_scaler") is not None:
        _check_scaler(section["target_scaler"], f"{where}.target_scaler", n_out, label, "output")
    constant = section.get("constant_inputs")
    if constant is not None and not (
        isinstance(constant, list)
        and all(type(j) is int and 0 <= j < n_in for j in constant)
        and len(set(constant)) == len(constant)
    ):
        raise _lie(label, f"{where}.constant_inputs", f"must be null or a list of distinct "
                   f"input indices from 0 to {n_in - 1}", constant)  # fmt: skip


def _names(section: dict, key: str, where: str, count: int, rule: str, label: str) -> None:
    value = section.get(key)
    if value is None:
        return
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    if not ok or len(value) != count:
        raise _lie(label, f"{where}.{key}", f"must be null or a list of {count} strings ({rule})",
                   value)  # fmt: skip
    bad = next((i for i, v in enumerate(value) if control(v)), None)
    if bad is not None:  # a line break in a CSV header we write splits it for some readers
        raise _lie(label, f"{where}.{key}[{bad}]", "must be a name without control "
                   "characters (line breaks, tabs, NUL)", value[bad])  # fmt: skip


def control(name: str) -> bool:
    """True when ``name`` holds a control character (U+0000-U+001F, U+007F-U+009F).

    Names become CSV header cells and class labels in the files ``predict`` writes; the
    ``csv`` module quotes a newline but not a lone carriage return, and a tab or line break
    in a column name is never meant. CSV headers (``data.from_csv``) and model files refuse
    them; formula characters are escaped on output instead (``cli/commands/predict``).
    """
    return any(ord(c) < 32 or 127 <= ord(c) < 160 for c in name)


def _check_scaler(scaler, where: str, n_in: int, label: str, per: str = "input") -> None:
    rule = "must be null or an object with exactly 'mean' and 'std'"
    if not isinstance(scaler, dict):
        raise _lie(label, where, rule, scaler)
    for key in ("mean", "std"):
        if key not in scaler:
            continue
        values = scaler[key]
        kind = "positive finite numbers" if key == "std" else "finite numbers"
        ok = isinstance(values, list) and len(values) == n_in
        ok = ok and all(_finite(v) and (key == "mean" or v > 0) for v in values)
        if not ok:
            raise _lie(label, f"{where}.{key}", f"must be a list of {n_in} {kind} (one per {per})",
                       values)  # fmt: skip
    if set(scaler) != {"mean", "std"}:
        raise _lie(label, where, rule, scaler)


def _check_known(spec: dict, data, label: str) -> None:
    """Unknown fields are errors, as in spec files (a partial spec is checked here too)."""
    from ..spec.schema import DATA, TOP

    for where, section, known in (("spec", spec, {*TOP, *_TOP_COPIES}),
                                  ("spec.data", data or {}, {*DATA, *ADDED})):  # fmt: skip
        unknown = sorted(str(key) for key in section if key not in known)
        if unknown:
            raise _lie(label, f"{where}.{unknown[0][:40]}",
                       f"is not a spec field (known: {', '.join(sorted(known))})",
                       section[unknown[0]])  # fmt: skip


def _check_sizes(model, sizes: list, label: str) -> None:
    if not isinstance(model, dict):
        return  # absent, or checked by normalize for a versioned spec
    given = model.get("sizes")
    if given is not None and given != sizes:
        raise _lie(label, "spec.model.sizes", f"must match the stored model's sizes {sizes}",
                   given)  # fmt: skip
    hidden = model.get("hidden")
    if given is None and hidden is not None and hidden != sizes[1:-1]:
        raise _lie(label, "spec.model.hidden",
                   f"must match the stored model's hidden sizes {sizes[1:-1]}", hidden)  # fmt: skip


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
