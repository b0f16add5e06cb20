"""Names people type for the spec's fields and the CLI's flags, and the name we use (floor 5).

Edit distance finds a misspelling (``optimiser`` → ``optimizer``) but not a synonym: a
student who writes ``"learning_rate": 0.1`` (PyTorch's and scikit-learn's keyword) or
``"n_epochs"`` is one word away from ``lr``/``epochs`` in meaning and far away in letters.
``suggest(key, known, section)`` tries this table first, then difflib; the spec checker
(``schema._fields``) and the CLI's unknown-flag error (``flag_hint``) both use it, so a
spec file and a command line get the same suggestion. Each entry maps what people type
(lowercase, ``-`` and ``_`` alike) to the field it means in that section of the spec.
"""

from __future__ import annotations

__all__ = ["FIELD_SYNONYMS", "flag_hint", "suggest"]

_EPOCHS = ("n_epochs", "num_epochs", "nb_epochs", "max_epochs", "epoch_count", "max_iter",
           "n_iter", "iterations", "n_iterations", "num_iterations", "steps")  # fmt: skip
_LR = ("learning_rate", "learningrate", "lr_rate", "learning_rate_init", "rate", "eta",
       "step_size", "alpha_lr")  # fmt: skip
_HIDDEN = ("hidden_layers", "hidden_layer_sizes", "hidden_sizes", "hidden_units",
           "n_hidden", "units", "neurons", "hidden_layer")  # fmt: skip
_ACTIVATION = ("activation_function", "activations", "act", "nonlinearity",
               "non_linearity", "activation_fn", "act_fn", "transfer_function")  # fmt: skip

# section ("" = the top level) -> {what people type: the field it means}
FIELD_SYNONYMS: dict[str, dict[str, str]] = {
    "": {
        **dict.fromkeys(_EPOCHS, "epochs"),
        **dict.fromkeys(
            (
                "batch",
                "batchsize",
                "minibatch",
                "minibatch_size",
                "mini_batch_size",
                "batch_length",
            ),
            "batch_size",
        ),
        **dict.fromkeys(("random_state", "random_seed", "rng_seed", "manual_seed"), "seed"),
        **dict.fromkeys(
            (
                "validation_split",
                "val_split",
                "validation_fraction",
                "val",
                "val_ratio",
                "validation_ratio",
                "valid",
            ),
            "validation",
        ),
        **dict.fromkeys(("optim", "solver", "opt"), "optimizer"),
        **dict.fromkeys(("loss_function", "loss_fn", "criterion", "cost", "objective"), "loss"),
        **dict.fromkeys(("scheduler", "lr_schedule", "lr_scheduler"), "schedule"),
        **dict.fromkeys(("dataset", "datasets", "train_data"), "data"),
        **dict.fromkeys(("network", "net", "architecture", "mlp"), "model"),
        **dict.fromkeys(("early_stop", "earlystopping", "patience"), "early_stopping"),
        # a model's or optimizer's own fields written at the top level
        **dict.fromkeys(_LR, "optimizer"),
        **dict.fromkeys(_HIDDEN, "model"),
        **dict.fromkeys(_ACTIVATION, "model"),
    },
    "data": {
        **dict.fromkeys(("dataset", "set", "data", "data_name"), "name"),
        **dict.fromkeys(("file", "path", "csv_file", "csv_path", "filename"), "csv"),
        **dict.fromkeys(("label", "labels", "y", "target_column", "targets"), "target"),
        **dict.fromkeys(("inputs", "columns", "x", "feature_columns", "feature_names"), "features"),
        **dict.fromkeys(("samples", "n_samples", "num_samples", "size", "rows"), "n"),
        **dict.fromkeys(("normalize", "normalise", "scale", "standardise"), "standardize"),
        **dict.fromkeys(("test_size", "test_split", "test_fraction"), "test_ratio"),
        **dict.fromkeys(("train_size", "train_split", "train_fraction"), "train_ratio"),
    },
    "model": {
        **dict.fromkeys(_HIDDEN, "hidden"),
        **dict.fromkeys(("layers", "layer_sizes", "shape", "architecture"), "sizes"),
        **dict.fromkeys(_ACTIVATION, "activation"),
        **dict.fromkeys(("output", "out_activation", "final_activation"), "output_activation"),
        **dict.fromkeys(
            (
                "initializer",
                "initialization",
                "initialisation",
                "weight_init",
                "kernel_initializer",
            ),
            "init",
        ),
        **dict.fromkeys(("use_bias", "biases"), "bias"),
        **dict.fromkeys(("precision", "float"), "dtype"),
    },
    "optimizer": {
        **dict.fromkeys(_LR, "lr"),
        **dict.fromkeys(("type", "kind", "algorithm", "optimizer", "solver"), "name"),
        **dict.fromkeys(
            ("momentum", "weight_decay", "betas", "beta_1", "beta_2", "eps", "nesterov"), "options"
        ),
    },
    "loss": {**dict.fromkeys(("type", "kind", "function", "loss"), "name")},
    "schedule": {**dict.fromkeys(("type", "kind", "scheduler"), "name")},
    "early_stopping": {**dict.fromkeys(("metric", "watch", "monitor_metric"), "monitor")},
}


def _plain(word: str) -> str:
    return str(word).strip().lower().replace("-", "_").lstrip("_")


def suggest(key, known, section: str = "") -> str | None:
    """The field of ``known`` that ``key`` most likely means: a synonym of ``section``'s
    table (only if it is one of ``known``), else the nearest spelling, else None."""
    word = _plain(key)
    target = FIELD_SYNONYMS.get(section.rpartition(".")[2], {}).get(word)
    if target is not None and target in known:
        return target
    import difflib  # a misspelt key only: a run that spells its spec right never loads it

    close = difflib.get_close_matches(str(key), list(known), n=1)
    return close[0] if close else None


def nested_hint(key, section: str) -> str:
    """For a key that belongs one level down (``learning_rate`` at the top level, an
    optimizer's ``momentum``): where it goes, e.g. ' (it goes inside "optimizer": {"lr":
    …})'; else ''."""
    word = _plain(key)
    if section == "optimizer" and FIELD_SYNONYMS["optimizer"].get(word) == "options":
        return f' (it goes inside "options": {{"{word}": …}})'
    if section:
        return ""
    for inner in ("optimizer", "model"):
        field = FIELD_SYNONYMS[inner].get(word)
        if field is not None and FIELD_SYNONYMS[""].get(word) == inner:
            return f' (it goes inside "{inner}": {{"{field}": …}})'
    return ""


# flags people type for the CLI's flags (without the leading dashes, '-' and '_' alike)
_FLAG_SYNONYMS = {
    **dict.fromkeys(_EPOCHS, "epochs"),
    **dict.fromkeys(_LR, "lr"),
    **dict.fromkeys(_HIDDEN, "hidden"),
    **dict.fromkeys(("layer_sizes", "sizes", "architecture"), "layers"),
    **dict.fromkeys(_ACTIVATION, "activation"),
    **dict.fromkeys(("batch", "batchsize", "minibatch", "mini_batch_size"), "batch_size"),
    **dict.fromkeys(("dataset", "set"), "data"),
    **dict.fromkeys(("optim", "optimiser", "solver"), "optimizer"),
    **dict.fromkeys(("loss_function", "criterion", "cost"), "loss"),
    **dict.fromkeys(("random_state", "random_seed"), "seed"),
    **dict.fromkeys(("output", "output_dir", "outdir", "dir"), "out"),
    **dict.fromkeys(("validation_split", "val_split", "val"), "validation"),
    **dict.fromkeys(("label", "y", "target_column"), "target"),
    **dict.fromkeys(("normalize", "normalise", "standardise", "scale"), "standardize"),
}


def flag_hint(word: str, flags) -> str:
    """' Did you mean --lr?' for a flag synonym (``--learning-rate``) among ``flags``,
    else ''."""
    name = _FLAG_SYNONYMS.get(_plain(word.split("=", 1)[0]))
    if name is None:
        return ""
    flag = "--" + name.replace("_", "-")
    return f" Did you mean {flag!r}?" if flag in flags else ""
