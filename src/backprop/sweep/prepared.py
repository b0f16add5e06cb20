"""What a sweep's trials of one configuration share, made once per configuration.

Trials of one configuration differ only in their seed. Building a trial's network
(``spec.build.model_for``: the spec's model part checked against the data, an ``nn.MLP``
made module by module, its weights drawn from the seed) cost more than a millisecond a trial,
most of it the structure, which every seed rebuilt the same. Here the first trial of a
configuration builds its network through ``model_for`` as before (checks, warnings and all)
and keeps an untrained copy as the configuration's *template*; each later trial gets a fresh
copy of the template's structure (``_fresh_copy``: new parameter arrays, no weights copied)
whose weights are drawn from its own seed exactly as ``model_for`` draws them —
``backprop.manual_seed(seed)``, then each ``Linear``'s ``reset_parameters`` in the order the
MLP made them — so its weights are ``model_for``'s bit for bit.

A configuration is the whole spec but its seed, with the data's shapes (the checks
``model_for`` makes read only those). A network with a non-default ``model.init``, with
parameters or buffers outside its ``Linear`` layers, or whose build warned, is built by
``model_for`` every time. ``trial.run_trial`` hands ``model_for`` here to ``spec.runner``
(``runner.MODEL_FOR``) for the length of its run; nothing else uses it.
"""

from __future__ import annotations

import json
import warnings
from collections import OrderedDict

import numpy as np

import backprop

from ..autograd.tensor import Tensor
from ..nn import Linear, Parameter
from ..spec import build  # its model_for looked up at each call (a test may wrap it)

MAX_TEMPLATES = 256  # configurations remembered per process (a sweep's whole grid, usually)
_templates: dict = {}  # configuration key -> untrained model, or None: build it each time


def _key(spec: dict, dataset, loss_name: str) -> str:
    """The configuration a trial belongs to, as far as its network goes."""
    shapes = [getattr(getattr(dataset, name, None), "shape", None) for name in ("x", "y", "x_test")]
    facts = [loss_name, dataset.task, getattr(dataset, "n_classes", None), shapes]
    rest = {k: v for k, v in spec.items() if k != "seed"}
    return json.dumps([rest, facts], sort_keys=True, default=str)


def _reusable(model, spec: dict) -> bool:
    """Whether a fresh copy with its Linear layers reset is what ``model_for`` builds."""
    if spec["model"]["init"] != "default":
        return False
    for module in model.modules():
        if isinstance(module, Linear):
            continue
        if module._parameters or module._buffers:
            return False
    return True


def _fresh_copy(module):
    """A new module of the same structure as ``module``: its own (uninitialised) parameter
    arrays of the same shapes and dtypes, its own child modules; nothing trained shared."""
    new = object.__new__(type(module))
    state = dict(module.__dict__)
    state["_parameters"] = {
        name: None
        if p is None
        else Parameter(Tensor._wrap(np.empty_like(p._data)), p._requires_grad)
        for name, p in module._parameters.items()
    }
    state["_modules"] = {
        name: None if child is None else _fresh_copy(child)
        for name, child in module._modules.items()
    }
    state["_buffers"] = {}
    state["_non_persistent_buffers_set"] = set()
    state["_forward_pre_hooks"] = OrderedDict()
    state["_forward_hooks"] = OrderedDict()
    for name, value in state.items():
        if isinstance(value, list):  # MLP.sizes and the like: not shared either
            state[name] = list(value)
    new.__dict__.update(state)
    return new


def model_for(spec: dict, dataset, loss_name: str):
    """``spec.build.model_for``'s network for this trial, its structure made once per
    configuration (module docstring)."""
    key = _key(spec, dataset, loss_name)
    template = _templates.get(key, _templates)
    if template is _templates:  # the configuration's first trial: built as ever
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = build.model_for(spec, dataset, loss_name)
        for w in caught:  # said as the build said them; such a configuration is not kept
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if len(_templates) < MAX_TEMPLATES:
            keep = not caught and _reusable(model, spec)
            _templates[key] = _fresh_copy(model) if keep else None
        return model
    if template is None:
        return build.model_for(spec, dataset, loss_name)
    backprop.manual_seed(spec["seed"])  # as model_for: the seed, then the layers in order
    model = _fresh_copy(template)
    for module in model.modules():
        if isinstance(module, Linear):
            module.reset_parameters()
    return model
