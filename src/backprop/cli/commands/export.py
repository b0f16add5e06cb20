"""``backprop export``: a model file as ONNX (for ONNX Runtime) or as a PyTorch state dict.

``--to onnx`` writes the graph of ``backprop.interop.to_onnx``, with the file's input
standardisation (if it has one) as the graph's first two nodes, so the ONNX model takes raw
inputs. ``--to torch`` writes the ``torch.nn.Sequential``'s state dict as a safetensors file
(tensors only, no pickle: ``safetensors.torch.load_file`` reads it, nothing executes on
load) and prints the few lines of PyTorch that rebuild the module and load it; the file's
input standardisation is folded into the first Linear, so that module takes raw inputs too
and predicts what ``backprop predict`` does (a regression's target scaling is in the model
file's weights already).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HELP = "export a model file to ONNX or to a PyTorch state dict (safetensors)"
EXAMPLES = """examples:
  backprop export runs/square/model.safetensors --to onnx        writes ./square.onnx
  backprop export model.safetensors --to onnx --opset 13 --out serve/model.onnx
  backprop export model.safetensors --to torch                   writes model.torch.safetensors
  backprop export model.safetensors --to onnx --out - | ...      the ONNX bytes on stdout

ONNX: input 'input' (batch, n_in), output 'output' (batch, n_out), the model's dtype.
torch: the state dict of torch.nn.Sequential(...) under the same keys (0.weight, 0.bias, ...);
the command prints the PyTorch code that rebuilds the module and loads the file.
Both take raw inputs, as backprop predict does: a CSV model's input standardisation is in
the ONNX graph, and folded into the torch module's first layer. A classifier's output is its
raw logits (the sigmoid or softmax was in the training loss); the command prints how to get
probabilities and classes."""

_SUFFIX = {"onnx": ".onnx", "torch": ".torch.safetensors"}


def _opset(text: str) -> int:
    """A whole number by the command line's rule; its range is the exporter's (13 to the newest
    opset the installed onnx knows), said there with both bounds."""
    from ..common import _int

    return _int(text.strip(), text, "17")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "export",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="a .safetensors model file written by backprop")
    p.add_argument("--to", required=True, choices=("onnx", "torch"), help="the target format")
    p.add_argument(
        "--out",
        help="output file (default: beside the model, with .onnx / .torch.safetensors — in "
        "the current folder, named after the run, for a model in a run folder; "
        "'-': standard output); a FIFO or device is written to, never replaced; an existing "
        "file only if it is of the kind --to writes (or with --overwrite)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --out even when it is not a file this command wrote",
    )
    p.add_argument(
        "--opset",
        type=_opset,
        default=None,
        help="ONNX opset (default 17, at least 13)",
    )
    p.set_defaults(run=run)


def _out_path(args) -> Path:
    """``--out``, or beside the model: model.onnx next to model.safetensors — and for a model
    in a run folder (whose files belong to the run; runs/ holds run folders only), in the
    current folder, named after the run (square-20261207-0312.onnx)."""
    if args.out:
        return Path(args.out)
    from ..overlap import _run_folder

    source = Path(args.model)
    folder = _run_folder(os.fspath(source))
    if folder is not None:
        return Path(Path(folder).name + _SUFFIX[args.to])
    stem = (
        source.name[: -len(".safetensors")] if source.name.endswith(".safetensors") else source.stem
    )
    return source.with_name(stem + _SUFFIX[args.to])


def run(args) -> int:
    from ... import io
    from ...errors import ConfigError
    from ..overlap import foreign_output_guard, refuse_foreign_output, refuse_output_over_input

    if args.opset is not None and args.to != "onnx":
        raise ConfigError("--opset applies to --to onnx only.")
    out = _out_path(args)
    refuse_output_over_input(
        args.out or out, "--out", [(args.model, "the model file given as MODEL")]
    )
    refuse_foreign_output(out, "--out", args.to, overwrite=args.overwrite)
    f = io.read(args.model)
    if str(out) == "-" and sys.stdout.isatty():
        raise ConfigError(
            "--out -: standard output is a terminal, and the export is binary; redirect it "
            "(--out - > model.onnx, or | another command) or give a file path."
        )
    scaler = f.scaler
    guard = foreign_output_guard(out, "--out", args.to, overwrite=args.overwrite)
    export = _onnx if args.to == "onnx" else _torch
    code = export(f.model, out, scaler, opset=args.opset, guard=guard)
    note = logits_note(f.full_spec, args.to)
    if note and args.to == "torch":  # comments under the code above, so it pastes whole
        import textwrap

        note = "\n".join(
            "# " + part for line in note.splitlines() for part in textwrap.wrap(line, 94)
        )
    if note:
        _say(out)(note if args.to == "torch" else "\n" + note)
    return code


def logits_note(spec: dict | None, to: str) -> str | None:
    """For a classifier: the exported output is the raw logits (the sigmoid or softmax sits
    in the training loss, bce_with_logits or cross_entropy, not in the graph), which class is
    which, and how to get probabilities and classes in the target framework."""
    spec = spec or {}
    loss = (spec.get("loss") or {}).get("name")
    data = spec.get("data") or {}
    if data.get("task") != "classification" or loss not in ("bce_with_logits", "cross_entropy"):
        return None
    names = [str(n) for n in data.get("target_names") or []]
    if loss == "bce_with_logits":
        zero, one = names if len(names) == 2 else ("0", "1")
        head = (
            f"output: one raw logit z per row, not a probability (the sigmoid was in the "
            f"training loss, bce_with_logits, so it is not in the exported model): "
            f"p({one!r}) = sigmoid(z), p({zero!r}) = 1 - p({one!r}); the class is {one!r} "
            f"where z > 0, else {zero!r}."
        )
        how = (
            "in PyTorch: z = model(x); p = torch.sigmoid(z); k = (z > 0).long()"
            if to == "torch"
            else "with ONNX Runtime: z = session.run(None, {'input': x})[0]; "
            "p = 1 / (1 + np.exp(-z)); k = (z > 0).astype(int)"
        )
        return f"{head}\n{how}  (k = 0 is {zero!r}, k = 1 is {one!r})"
    shown = names[:12] + (["…"] if len(names) > 12 else [])
    order = f" ({', '.join(shown)}, in that order)" if names else ""
    head = (
        f"output: {len(names) or 'one'} raw logits per row, one per class{order}, not "
        "probabilities (the softmax was in the training loss, cross_entropy, so it is not in "
        "the exported model)."
    )
    how = (
        "in PyTorch: z = model(x); p = torch.softmax(z, dim=1); k = z.argmax(dim=1)"
        if to == "torch"
        else "with ONNX Runtime: z = session.run(None, {'input': x})[0]; "
        "e = np.exp(z - z.max(axis=1, keepdims=True)); p = e / e.sum(axis=1, keepdims=True); "
        "k = z.argmax(axis=1)"
    )
    return f"{head}\n{how}  (k indexes the classes above)" if names else f"{head}\n{how}"


def _write(out: Path, data: bytes, guard=None) -> None:
    """``--out``: a file by ``backprop.files``' rule (``guard`` judged at write time), or
    standard output for ``-``."""
    from ...files import atomic_write_bytes, write_stdout

    if str(out) == "-":
        write_stdout(data, who="--out -")
    else:
        atomic_write_bytes(out, data, who="--out", guard=guard)


def _onnx(model, out: Path, scaler, *, opset=None, guard=None) -> int:
    from ...interop.onnx_export import DEFAULT_OPSET, onnx_model

    _write(out, onnx_model(model, opset=opset, scaler=scaler).SerializeToString(), guard)
    say = _say(out)
    first = next(m for m in model.modules() if hasattr(m, "in_features"))
    dtype = str(first.weight._data.dtype)
    n_out = [m for m in model.modules() if hasattr(m, "out_features")][-1].out_features
    say(
        f"wrote {_name(out)} (ONNX opset {opset or DEFAULT_OPSET}): input 'input' "
        f"[batch, {first.in_features}] {dtype} -> output 'output' [batch, {n_out}]"
    )
    if scaler:
        say("the graph standardises its inputs first, (x - mean) / std: give it raw inputs")
    return 0


def _say(out: Path):
    """print, or print to stderr when the export itself goes to stdout (``--out -``)."""
    if str(out) == "-":
        return lambda text="": print(text, file=sys.stderr)
    return print


def _name(out: Path) -> str:
    return "standard output" if str(out) == "-" else str(out)


def _torch(model, out: Path, scaler, *, opset=None, guard=None) -> int:
    from ...interop import to_torch
    from ...replacing import PRODUCER

    try:
        import safetensors.torch
    except ImportError as exc:  # pragma: no cover - torch is optional at run time
        from ...errors import ConfigError

        raise ConfigError("--to torch needs PyTorch: pip install torch") from exc
    module = to_torch(model, scaler=scaler or None)  # raw inputs in, as predict
    state = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
    # "producer" is backprop's mark: transformers' save_pretrained writes format: pt too,
    # and only a file with the mark is replaced as an earlier export (backprop.replacing)
    metadata = {"format": "pt", "producer": PRODUCER}
    if scaler:  # a record of what layer 0 holds now, not a step left to the reader
        metadata["folded_input_scaler"] = json.dumps(scaler)
    _write(out, safetensors.torch.save(state, metadata=metadata), guard)
    say = _say(out)
    say(f"wrote {_name(out)} (PyTorch state dict, safetensors). Rebuild and load it with:\n")
    say(torch_code(module, Path("model.torch.safetensors") if str(out) == "-" else out, scaler))
    return 0


def torch_code(module, path: Path, scaler=None) -> str:
    """Python source that rebuilds ``module`` (a flat torch Sequential) and loads ``path``."""
    import torch

    lines = ["import torch", "from safetensors.torch import load_file"]
    parts = []
    for child in module.children():
        if type(child).__name__ == "TorchStep":
            if "from backprop.interop.torch_bridge import TorchStep" not in lines:
                lines.append("from backprop.interop.torch_bridge import TorchStep")
            parts.append("TorchStep()")
        else:
            parts.append(f"torch.nn.{child!r}")
    double = any(p.dtype == torch.float64 for p in module.parameters())
    lines.append("")
    lines.append("model = torch.nn.Sequential(")
    lines.extend(f"    {p}," for p in parts)
    lines.append(")" + (".double()" if double else ""))
    lines.append(f"model.load_state_dict(load_file({str(path)!r}))")
    if scaler:
        lines.append(
            "# give it raw inputs: the training's standardisation (x - mean) / std is folded "
            "into the first Linear"
        )
    return "\n".join(lines)
