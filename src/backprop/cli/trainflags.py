"""The spec that ``backprop train``'s flags describe: ``build_spec`` lays the flags over the
spec file (if any), refuses a misspelt ``--data`` before anything is printed, and fills in
a built-in set's training defaults (``spec.build.builtin_set_defaults``) the flags leave
open, saying which.
"""

from __future__ import annotations

__all__ = ["build_spec"]


def build_spec(args) -> dict:
    """The spec file (if any) with the flags laid over it."""
    import json
    from pathlib import Path

    from ..errors import ConfigError

    spec: dict = {}
    if args.spec:
        from ..spec import builtin_for, load  # says what the path is: missing, a folder, …
        from .flagnames import load_file

        _number_as_spec(args.spec)
        name = builtin_for(args.spec)
        if name is not None:  # no file of that name: the spec shipped with backprop
            print(f"spec: the built-in {name!r} (backprop/specs/{name}.json)")
        spec = load_file(load, Path(args.spec))
        if name is None:
            _said_set_defaults(args)
    elif not (args.data or args.csv):
        raise ConfigError(
            "give a spec file (backprop train spec.json) or a dataset (--data NAME or --csv FILE)"
        )
    if args.data or args.csv:
        if args.data and args.csv:
            raise ConfigError("--data and --csv: give one of them, not both")
        if args.csv and not args.target:
            raise ConfigError(f"--csv {args.csv}: add --target COLUMN, the column to predict")
        spec["data"] = (
            {"name": args.data} if args.data else {"csv": args.csv, "target": args.target}
        )
    if args.features is not None or args.task is not None:
        if not args.csv and "csv" not in spec.get("data", {}):
            given = "--features" if args.features is not None else "--task"
            raise ConfigError(f"{given} describes a CSV's columns; add --csv FILE")
        for key in ("features", "task"):
            if getattr(args, key) is not None:
                spec["data"][key] = getattr(args, key)
    data = spec.setdefault("data", {})
    for key in ("n", "noise", "standardize", "standardize_target"):
        if getattr(args, key) is not None:
            data[key] = getattr(args, key)
    model = spec.setdefault("model", {})
    if args.layers and args.hidden is not None:
        raise ConfigError(
            f"--layers {','.join(map(str, args.layers))} and --hidden "
            f"{','.join(map(str, args.hidden))}: give one — --layers names every size "
            "(inputs to outputs), --hidden only the hidden ones"
        )
    if args.layers:
        model.pop("hidden", None)
        model["sizes"] = args.layers
    if args.hidden is not None:
        model.pop("sizes", None)
        model["hidden"] = args.hidden
    if args.activation:
        model["activation"] = args.activation[0] if len(args.activation) == 1 else args.activation
    elif args.layers or args.hidden is not None:
        _fit_activations_to_depth(model, args)
    if args.init:
        model["init"] = args.init
    if args.loss:
        spec["loss"] = {"name": args.loss}
    opt = spec.setdefault("optimizer", {})
    if isinstance(opt, str):
        opt = spec["optimizer"] = {"name": opt}
    if args.optimizer:
        opt["name"] = args.optimizer
    if args.lr is not None:
        opt["lr"] = args.lr
    for key in ("epochs", "batch_size", "seed", "engine"):
        if getattr(args, key) is not None:
            spec[key] = getattr(args, key)
    if args.validation is not None:
        spec["validation"] = (
            args.validation if args.validation == "test" else _fraction(args.validation)
        )
    csv_data = isinstance(data, dict) and data.get("csv") and not data.get("test_ratio")
    if spec.get("validation") == "test" and csv_data:
        raise ConfigError(  # said in the CLI's words, before the CSV is read
            f"--validation test: checks each epoch on the data's test rows, and a CSV read "
            f"with --csv has none (built-in sets --data NAME have them); give --validation 0.2 "
            f"to hold out a random 20 % of {data['csv']}'s rows instead"
        )
    if not args.spec:
        from ..spec.runfolder import slug

        spec["name"] = args.data or slug(Path(args.csv).stem, "csv")
        if args.data:
            from ..spec import normalize

            normalize(json.loads(json.dumps(spec)))  # --data sqaure: refused before defaults
            _set_defaults(args, spec)
        elif not args.quiet:
            _said_csv_defaults(args, spec)
    return json.loads(json.dumps(spec))


_ADAM = {"adam": "Adam", "adamw": "AdamW"}


def lr_help() -> str:
    """--lr's help, from the rules a run follows (never restated): each optimizer's own
    default lr, and what ``spec.setdefaults.open_settings`` fills in for Adam and AdamW on a
    built-in set (--data) and on a CSV (--csv)."""
    import inspect

    from ..data import DATASETS
    from ..optim import OPTIMIZERS
    from ..spec.setdefaults import open_settings

    def both(names: list[str]) -> str:
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    own: dict[float, list[str]] = {}
    for name, cls in OPTIMIZERS.items():
        own.setdefault(float(inspect.signature(cls).parameters["lr"].default), []).append(name)
    filled: dict[str, dict[str, set]] = {}
    for name in _ADAM:
        for flag, data in [("--data", {"name": n}) for n in DATASETS] + [("--csv", {"csv": "t"})]:
            value = open_settings({"data": data, "optimizer": name}).get("optimizer.lr")
            if value is not None:
                filled.setdefault(name, {}).setdefault(flag, set()).add(float(value))
    by_rule: dict[str, list[str]] = {}
    for name, flags in filled.items():
        said = {flag: " or ".join(f"{v:g}" for v in sorted(vs)) for flag, vs in flags.items()}
        if len(set(said.values())) == 1:  # one value for --data and --csv: said once
            rule = f"{next(iter(said.values()))} with {' or '.join(said)}"
        else:
            rule = "; ".join(f"{v} with {flag}" for flag, v in said.items())
        by_rule.setdefault(rule, []).append(name)
    plain = ", ".join(f"{v:g} for {both(names)}" for v, names in own.items())
    runs = "; ".join(f"{both(names)}: {rule}" for rule, names in by_rule.items())
    return (
        f"learning rate, above 0 and at most 1000 (default: the optimizer's own, {plain}; "
        f"{runs}, as for a spec file naming a built-in set or a CSV without an lr)"
    )


def _say(args, text: str) -> None:
    """A 'defaults for …' line: kept in ``args.said_lines`` when the command prints it once
    its arguments were judged valid (``train``: when training begins, so a refused
    --target or --out gets its one error line alone), else printed now."""
    said = getattr(args, "said_lines", None)
    if said is None:
        print(text)
    else:
        said.append(text)


def _said_set_defaults(args) -> None:
    """A spec file naming a built-in set and leaving out lr, epochs or batch_size gets the
    set's own (``spec.setdefaults``, as ``backprop.run`` does): one line says which, as for
    ``--data NAME``; the ones a flag gives are not listed."""
    import json
    from pathlib import Path

    from ..spec.setdefaults import listed, open_settings

    try:
        raw = json.loads(Path(args.spec).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # load_file read it already; nothing more to say
    filled = open_settings(raw)
    for key, flag in (("optimizer.lr", "lr"), ("epochs", "epochs"), ("batch_size", "batch_size")):
        if getattr(args, flag, None) is not None:
            filled.pop(key, None)
    if filled and not args.quiet:
        name = raw["data"] if isinstance(raw["data"], str) else raw["data"].get("name")
        name = name or raw["data"].get("csv")
        _say(
            args,
            f"defaults for data {name} (left out of {args.spec}): {listed(filled)} (what fits "
            "a built-in set in about a second; flags override)",
        )


def _said_csv_defaults(args, spec: dict) -> None:
    """``--csv FILE`` without a spec file: one line with the network and the training
    settings the flags leave open, as ``--data NAME`` has (the spec's own defaults, Adam's lr
    for a CSV ``spec.build.CSV_LR``, and its minibatches of 32)."""
    from ..spec.build import CSV_BATCH_SIZE, CSV_LR
    from ..spec.schema import MODEL, TOP

    said = []
    if args.layers is None and args.hidden is None:
        said.append("hidden layers 8,8 (--hidden)")
    if args.activation is None:
        said.append(f"{MODEL['activation']} units (--activation)")
    opt = spec.get("optimizer") or {}
    name = str(opt.get("name", "adam")).lower()
    if args.lr is None and name in _ADAM:
        said.append(f"{_ADAM[name]} lr {CSV_LR:g} (--lr)")
    elif args.optimizer is None:
        said.append("Adam (--optimizer)")
    if args.epochs is None:
        said.append(f"{TOP['epochs']:,} epochs (--epochs)")
    if args.batch_size is None:
        said.append(f"minibatches of {CSV_BATCH_SIZE} (--batch-size)")
    if said:
        _say(
            args,
            f"defaults for --csv {args.csv}: {', '.join(said)} (what fits typical tables in "
            "seconds, docs/cli.md; flags override)",
        )


def _set_defaults(args, spec: dict) -> None:
    """``--data NAME`` without a spec file: the training settings that fit a built-in set in
    about a second (``spec.build.builtin_set_defaults``) for each one the flags leave open;
    one line says which were filled in."""
    from ..spec.build import builtin_set_defaults

    chosen = builtin_set_defaults(args.data)
    filled = []
    opt = spec["optimizer"]
    if args.lr is None and opt.get("name", "adam").lower() in ("adam", "adamw"):
        opt["lr"] = chosen["lr"]
        filled.append(f"{_ADAM[opt.get('name', 'adam').lower()]} lr {opt['lr']:g}")
    if args.epochs is None:
        spec["epochs"] = chosen["epochs"]
        filled.append(f"{spec['epochs']:,} epochs")
    if args.batch_size is None:
        spec["batch_size"] = chosen["batch_size"]
        size = spec["batch_size"]
        filled.append("the full batch" if size is None else f"minibatches of {size}")
    if filled and not args.quiet:
        _say(
            args,
            f"defaults for --data {args.data}: {', '.join(filled)} (what fits a built-in set "
            "in about a second; flags override)",
        )


def _fit_activations_to_depth(model: dict, args) -> None:
    """A spec's activations, one per hidden layer, made to fit the depth --hidden/--layers
    give: one name for every layer stays one name; a list of different names cannot be
    stretched or cut without guessing, so it is refused with the fix (--activation)."""
    from ..errors import ConfigError

    names = model.get("activation")
    if not isinstance(names, list):
        return
    if len(set(names)) <= 1:  # the spec's "relu" as the loader spelt it out: ['relu', 'relu']
        model["activation"] = names[0] if names else "relu"
        return
    depth = len(args.hidden) if args.hidden is not None else len(args.layers) - 2
    if depth != len(names):
        given = (
            f"--hidden {','.join(map(str, args.hidden))}"
            if args.hidden is not None
            else (f"--layers {','.join(map(str, args.layers))}")
        )
        layers = "1 hidden layer" if depth == 1 else f"{depth} hidden layers"
        raise ConfigError(
            f"{given} gives {layers}, and the spec names one activation per hidden layer "
            f"for {len(names)} ({','.join(names)}): add --activation, one name for every "
            f"layer (--activation {names[0]}) or one per hidden layer"
        )


def _fraction(text: str) -> float:
    import argparse

    from ..errors import ConfigError
    from .common import plain_number

    try:
        value = float(plain_number(text.strip()))
    except argparse.ArgumentTypeError as exc:  # 0.2 in another script's digits, 0_2
        raise ConfigError(f"--validation: {exc}") from None
    except ValueError:
        from ..errors import did_you_mean

        raise ConfigError(
            f"--validation: expected a fraction like 0.2 or 'test', got {text!r}."
            + did_you_mean(text.strip(), ("test",))
        ) from None
    if 1 < value <= 100:  # a percentage: say the fraction it means
        raise ConfigError(
            f"--validation {text}: must be a fraction of the rows, at most 0.9, got "
            f"{value:g}; for {value:g} % of the rows give --validation {value / 100:g}"
        )
    return value


def _number_as_spec(word: str) -> None:
    """'--hidden 8 8' left the second 8 to SPEC: a number that names no file is a list
    flag's value split by a space, not a spec file."""
    import os

    from ..errors import ConfigError

    try:
        [float(v) for v in word.split(",")]
    except ValueError:
        return
    if not os.path.lexists(word):
        raise ConfigError(
            f"SPEC {word!r}: numbers, not a spec file; a list flag takes its values in one "
            "word, comma-separated: --hidden 8,8, --layers 1,8,8,1, --activation relu,tanh"
        )
