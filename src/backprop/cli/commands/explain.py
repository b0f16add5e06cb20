"""``backprop explain``: the δ recursion of a lecture example or a model, in its notation."""

from __future__ import annotations

import argparse
import os

from ..common import float_list, seed

HELP = "show every f[l], a[l], δ[l], ∂E/∂W[l] of one backward pass"
EXAMPLES = """examples:
  backprop explain scalar                   the slides' scalar example (1-1-1-1, no bias)
  backprop explain vector --x 0.7,-1.2      the vector example (2-2-2-1)
  backprop explain abs --x 2.5 --y 2 --loss half_mse   |x − 1| by hand; ŷ = 1.5, off by −0.5
  backprop explain model.safetensors --x 0.3 --y 0.09 --loss mse
  backprop explain iris.safetensors --x 6,2.9,4.5,1.5 --y versicolor   a classifier: --y is a
                                            class (name or index); its own loss, cross_entropy"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "explain",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "network",
        nargs="?",
        default="scalar",
        help="scalar, vector, abs, or a .safetensors model file (default: scalar)",
    )
    p.add_argument(
        "--x", type=float_list, help="one input sample, e.g. 0.5 or 0.7,-1.2 (finite numbers)"
    )
    p.add_argument(
        "--y",
        help="its target: a number (comma-separated for several outputs); for a classifier "
        "model, a class as its file names it (--y 3, --y inner) or its index (needed with --loss)",
    )
    p.add_argument(
        "--loss",
        default=None,
        help="none (δ = ∂ŷ/∂f, as on the slides), half_mse (E = ½(ŷ − y)², the "
        "lecture's), mse (PyTorch's), … (default when --y is given: a classifier's own loss, "
        "else half_mse)",
    )
    p.add_argument(
        "--seed", type=seed, default=0, help="weights of the vector example, 0 to 2**63-1 (0)"
    )
    p.set_defaults(run=run)


def run(args) -> int:
    import numpy as np

    from ... import delta, io
    from ...delta import lecture
    from ...errors import ConfigError

    defaults = {"scalar": [0.5], "vector": [0.7, -1.2], "abs": [2.5]}
    scaler = None  # a model file's input standardisation, applied as predict applies it
    file_spec = None  # a model file's experiment spec: its classes and loss
    if args.network == "scalar":
        model = lecture.scalar_network()
    elif args.network == "vector":
        model = lecture.vector_network(args.seed)
    elif args.network == "abs":
        model = lecture.abs_network()
    elif os.path.lexists(args.network) or os.sep in args.network or "." in args.network:
        f = io.read(args.network)  # the file's kind is checked by content
        model, scaler, file_spec = f.model.double(), f.scaler, f.full_spec
    else:
        from ...errors import did_you_mean

        raise ConfigError(
            f"NETWORK {args.network!r}: no such file, and not one of scalar, vector, abs; "
            "give one of those or a model file (.safetensors)."
            + did_you_mean(args.network, ("scalar", "vector", "abs"))
        )
    x = args.x if args.x is not None else defaults.get(args.network)
    n_in = delta.layers(model)[0].n_in
    if x is None:
        raise ConfigError(
            f"--x: give one input sample for a model file: {_count(n_in)}, e.g. "
            f"{_x_example(n_in, scaler)} (and --y, its target, to trace the loss's δ)"
        )
    if len(x) != n_in:
        raise ConfigError(
            f"--x: the network takes {n_in} input(s), got {len(x)} value(s): {x}; give "
            f"{_count(n_in)}, e.g. {_x_example(n_in, scaler)}"
        )
    from ..classtarget import class_target, classes_of, footer, header

    classes = classes_of(file_spec, args.loss, delta.layers(model)[-1].n_out)
    logits = None  # a classifier without a target: ŷ is a logit, said after the trace
    if classes is not None and args.loss is None and args.y is None:
        classes, logits = None, classes  # no target: δ = ∂ŷ/∂f, as on the slides
    given = args.y is not None  # '' too: refused below, never read as "no target"
    loss_name = classes.loss if classes else args.loss or ("half_mse" if given else "none")
    index = None
    if loss_name == "none":
        loss = y = None
    else:
        if args.y is None:
            raise ConfigError(f"--y: the loss {loss_name} needs a target; pass --y")
        from ...nn.loss_modules import loss_class

        cls = loss_class(loss_name)
        loss = cls(reduction="sum" if cls.loss == "half_mse" else "mean")
        if classes is not None:
            index, y = class_target(args.y, classes)
        else:
            y = np.asarray([_numbers(args.y)], dtype=np.float64)
    raw = np.asarray([x], dtype=np.float64)
    if scaler:  # a[0] is what the network sees: the standardised x, as in predict
        from ...data.dataset import Standardizer

        fitted = Standardizer.from_dict(scaler)
        raw = fitted.transform(raw)
        shown = ", ".join(f"{v:g}" for v in x)
        print(
            f"inputs standardised as the model file says (as backprop predict does): "
            f"x = [{shown}] → a[0] = z = (x − mean) / std\n"
        )
    if index is not None:
        print(header(classes, index, args.y.strip()))
    traced = delta.trace(model, raw, y, loss)
    if scaler:
        traced.x_name = "z"  # the standardised input, not the x typed
    print(traced)
    if index is not None:
        print(footer(classes, traced.y_hat, index))
    elif logits is not None:
        from ..classtarget import logit_note

        print(logit_note(logits, traced.y_hat))
    elif y is not None:
        _exact_fit_note(model, raw, y, args.network)
    _silent_layer_note(model, raw)
    return 0


def _numbers(text: str) -> list[float]:
    """--y as numbers, its errors in the flag's words (as argparse's type= gave them)."""
    import argparse

    from ...errors import ConfigError

    try:
        return float_list(text)
    except argparse.ArgumentTypeError as exc:
        raise ConfigError(f"--y: {exc}") from None


def _silent_layer_note(model, raw) -> None:
    """A hidden ReLU layer with every unit at 0 for this sample stops the recursion: every
    δ and ∂E/∂W below it is 0. Say so, so the zeros do not read as a bug."""
    import numpy as np

    from ... import delta

    net = delta.layers(model)
    cache = delta.forward(model, raw, net)
    for layer in net[:-1]:
        if layer.g_name == "relu" and not np.any(cache.a[layer.index]):
            l = layer.index
            below = "W[1]" if l == 1 else f"W[1] … W[{l}]"
            print(
                f"\nnote: every unit of layer {l} is 0 for this x (f[{l}] ≤ 0, where ReLU's "
                f"slope is 0), so δ[{l}] = g'(f[{l}]) ∘ (…) = 0 and the gradients of {below} "
                f"are 0 for this sample; ŷ is then the same for every x near it. Another --x "
                "shows the recursion reach the first layer."
            )
            return


def _exact_fit_note(model, raw, y, network: str) -> None:
    """When ŷ = y the loss's gradient is 0, so every δ and ∂E/∂W printed is 0: say why
    (the lecture's |x − 1| network fits every x exactly), and how to see nonzero ones."""
    import numpy as np

    from ... import delta

    y_hat = delta.forward(model, raw).output
    if not np.array_equal(y_hat.reshape(-1), np.asarray(y, dtype=np.float64).reshape(-1)):
        return
    shown = ", ".join(f"{v:g}" for v in y_hat.reshape(-1))
    why = " (the lecture's hand-built |x − 1| network fits every x exactly)" * (network == "abs")
    other = float(y_hat.reshape(-1)[0]) + 0.5
    print(
        f"\nnote: ŷ = y = {shown}: the network fits this sample exactly{why}, so ∂E/∂ŷ = 0 "
        f"and every δ[l] and ∂E/∂W[l] above is 0. Give a target it misses to see the "
        f"recursion carry an error down, e.g. --y {other:g}."
    )


def _x_example(n_in: int, scaler: dict | None) -> str:
    """An --x with the model's input count: its training inputs' means when the file keeps
    them (a standardised model), else 0.5 each; ``--x=`` when it starts with a minus."""
    values = scaler["mean"] if scaler and len(scaler.get("mean", [])) == n_in else [0.5] * n_in
    text = ",".join(f"{float(f'{v:.3g}'):g}" for v in values)
    return f"--x={text}" if text.startswith("-") else f"--x {text}"


def _count(n_in: int) -> str:
    return "one number" if n_in == 1 else f"{n_in} numbers, comma-separated"
