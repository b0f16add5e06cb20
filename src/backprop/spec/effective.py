"""The spec a run folder records: the run's spec with every defaulted value it used filled in.

A normalised spec keeps ``null`` where the user left a choice to its default (the optimizer's
learning rate, a built-in dataset's size and noise, a CSV's task and features, whether
regression targets were standardised). ``spec.json`` of a run folder records what the run
actually used instead, so the file reproduces the run on its own and a reader sees
``"lr": 0.001``, not ``"lr": null`` (issue 15). Values that stay ``null`` mean the same
thing in every release: ``batch_size`` (the full batch), ``schedule`` and ``early_stopping``
(none), ``model.sizes`` or ``model.hidden`` (whichever the other one gives).
"""

from __future__ import annotations

import copy
import inspect

__all__ = ["effective_spec"]

# a built-in dataset's options that make(**params) rebuilds it from; the others are the
# spec's own keys (name, seed) or standardize, which a named set decides itself
_DATA_KEYS = ("n", "noise", "train_ratio")


def effective_spec(run) -> dict:
    """A copy of ``run.spec`` with the defaults the run used written in (see the module)."""
    spec = copy.deepcopy(run.spec)
    _optimizer(spec, run)
    data, dataset = spec.get("data") or {}, getattr(run, "dataset", None)
    if data.get("seed") is None and spec.get("seed") is not None:
        data["seed"] = spec["seed"]  # the data's seed defaults to the run's
    params = dict(getattr(dataset, "params", None) or {})
    if data.get("name") is not None and params.get("name") == data["name"]:
        for key in _DATA_KEYS:
            if data.get(key) is None and params.get(key) is not None:
                if key == "train_ratio" and data.get("test_ratio") is not None:
                    continue  # the spec gave the split as test_ratio: one of the two
                data[key] = params[key]
        if isinstance(params.get("standardize"), bool):  # what the set did, not the schema's
            data["standardize"] = params["standardize"]  # default (named sets keep their own)
        options = data.setdefault("options", {})
        known = {"name", "seed", "standardize", *_DATA_KEYS, "test_ratio"}
        for key, value in params.items():  # set-specific options (classes=2 for spiral)
            if key not in known and key not in options:
                options[key] = value
    if data.get("csv") is not None and params.get("name") == "csv":
        for key in ("task", "features", "test_ratio"):
            if data.get(key) is None and params.get(key) is not None:
                data[key] = params[key]
    if data.get("standardize_target") is None and getattr(dataset, "task", None) == "regression":
        data["standardize_target"] = getattr(run, "target_scaling", None) is not None
    return spec


def _optimizer(spec: dict, run) -> None:
    """``optimizer.lr``: the learning rate the run started with (the optimizer's default)."""
    opt = spec.get("optimizer")
    if not isinstance(opt, dict) or opt.get("lr") is not None:
        return
    optimizer = getattr(run, "optimizer", None)
    groups = getattr(optimizer, "param_groups", None) or [{}]
    lr = groups[0].get("initial_lr")  # a schedule has moved "lr" on from its start
    if lr is None and optimizer is not None:
        default = inspect.signature(type(optimizer).__init__).parameters.get("lr")
        lr = None if default is None else default.default
    if isinstance(lr, int | float) and not isinstance(lr, bool):
        opt["lr"] = float(lr)
