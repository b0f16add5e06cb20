"""``backprop train``: run an experiment spec, or one described by flags."""

from __future__ import annotations

import argparse

from ..common import (
    VERBOSE_HELP,
    HelpFormatter,
    epoch_count,
    hidden_list,
    int_list,
    name_list,
    out_dir,
    positive_int,
    real,
    seed,
)
from ..trainflags import build_spec  # the flags' spec (also imported from here by tests)

HELP = "train a network from a spec file or from flags; writes model, spec, history, plots"
# lines in a log (not a terminal) without --log-every: each is a stop of the engine and a
# full-set pass for its metrics, so 10,000 epochs print about 100 lines, not 10,000
LOG_LINES = 40  # at most this many epoch lines when not on a terminal (a pipe, a notebook)


def log_interval(epochs: int) -> int:
    """Epochs between two log lines: a round number (1, 2, 5, 10, 25, 50, 100, 250, …) that
    keeps the log to at most ``LOG_LINES`` epoch lines, so epochs read 250, 500, 750, …"""
    scale = 1
    while True:
        for step in (1, 2, 5) if scale == 1 else (1, 2, 2.5, 5):
            every = int(step * scale)
            if every * LOG_LINES >= epochs:
                return every
        scale *= 10


EXAMPLES = """examples:
  backprop train spec.json
  backprop train spec.json --epochs 500 --seed 3 --out runs/try3
  backprop train --data square --layers 1,8,8,1 --activation relu --lr 0.1 --epochs 10000
  backprop train --data spiral --hidden 16,16 --activation tanh --lr 0.03 --batch-size 25
  backprop train --csv houses.csv --target price --hidden 32,32 --validation 0.2
  backprop train spec.json --backup runs/long.backup   (run it again after a crash: resumes)
output: --out DIR (default runs/<name>-<timestamp>/) gets model.safetensors, spec.json,
history.csv, history.json and PNG plots; it appears when the run is done, and an existing
non-empty DIR is refused unless --overwrite, which replaces it whole.
limits, checked before training: epochs × samples ≤ 1e10, parameters ≤ 5e7, one batch's
activations ≤ 2.5e8 numbers, 3 × parameters × samples × epochs ≤ 1e14 (docs/reliability.md).
exit status: 0 done; 2 a user error (one line on stderr); 3 training diverged (a NaN/inf
loss or gradient): the files hold the run's best weights — the epoch with the lowest
training loss, or the starting weights — labelled so in the model file."""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "train",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=HelpFormatter,  # computes --lr's help from the rule
    )
    p.add_argument(
        "spec",
        nargs="?",
        help="an experiment spec (.json), or a built-in one by name (square, abs, xor, "
        "spiral, digits); flags below override it",
    )
    d = p.add_argument_group("data")
    d.add_argument(
        "--data",
        help="a built-in dataset: square, abs, sine, circle, xor, gauss, "
        "spiral, plane, multigauss, digits, iris, wine, breast_cancer, diabetes",
    )
    d.add_argument("--csv", help="a CSV file with a header row")
    d.add_argument("--target", help="the CSV's target column")
    d.add_argument(
        "--features",
        type=name_list,
        metavar="COL,COL",
        help="the CSV's input columns, comma-separated (default: every column but the target)",
    )
    d.add_argument(
        "--task",
        choices=("regression", "classification"),
        help="what the CSV's target is (default: classification for text labels or a few "
        "whole numbers, else regression)",
    )
    d.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        help="standardise the inputs, (x − mean)/std fitted on the training rows (default: "
        "yes for a CSV and scikit-learn sets, no for the lecture's and playground sets)",
    )
    d.add_argument(
        "--standardize-target",
        action=argparse.BooleanOptionalAction,
        help="train a regression on standardised targets z = (y − mean)/std and fold the "
        "scaling into the output layer, so the model file predicts y (default: yes for a "
        "CSV, no for the built-in sets)",
    )
    d.add_argument("--n", type=positive_int, help="number of samples to generate, 1 to 10,000,000")
    d.add_argument("--noise", type=real, help="noise level of a generated dataset, 0 to 1e6")
    m = p.add_argument_group("model")
    m.add_argument(
        "--layers", type=int_list, help="all layer sizes, e.g. 1,8,8,1 (each 1 to 65,536)"
    )
    m.add_argument(
        "--hidden",
        type=hidden_list,
        help="hidden layer sizes, e.g. 8,8 (each 1 to 65,536; up to 1,000)",
    )
    m.add_argument(
        "--activation",
        type=name_list,
        help="one name, or one per hidden layer: relu,tanh (default relu)",
    )
    m.add_argument("--init", help="default, xavier_uniform, xavier_normal, kaiming_uniform, …")
    t = p.add_argument_group("training")
    t.add_argument(
        "--loss",
        help="mse, half_mse, l1, huber, bce_with_logits, cross_entropy, … (default: mse for "
        "regression, bce_with_logits for 2 classes, cross_entropy for more)",
    )
    t.add_argument("--optimizer", help="sgd, adam, adamw, rmsprop, adagrad (default adam)")
    from ..common import LazyHelp
    from ..trainflags import lr_help

    t.add_argument("--lr", type=real, help=LazyHelp(lr_help))  # the rule's own defaults
    t.add_argument(
        "--epochs",
        type=epoch_count,
        help="number of epochs, 0 to 10,000,000 (0: the initial weights, untrained; default "
        "100; with --data, 2,000 for square, abs and sine, 500 for the others)",
    )
    t.add_argument(
        "--batch-size",
        type=positive_int,
        help="minibatch size, 1 to 10,000,000 (default: 32 for a CSV and for --data sets "
        "other than square, abs and sine; else the full batch)",
    )
    t.add_argument("--validation", help="a fraction like 0.2 (random split) or 'test'")
    t.add_argument("--seed", type=seed, help="random seed (data, weights, shuffling), 0 to 2**63-1")
    t.add_argument(
        "--engine", choices=("auto", "delta", "fused", "autograd"), help="gradient engine"
    )
    o = p.add_argument_group("output")
    o.add_argument("--out", help="output folder (default runs/<name>-<timestamp>/)")
    o.add_argument(
        "--backup",
        metavar="DIR",
        help="back up the training state to DIR between epochs; if DIR holds a backup of "
        "this run, resume from it (deleted once training ends)",
    )
    o.add_argument(
        "--backup-every",
        type=positive_int,
        default=None,
        metavar="N",
        help="with --backup: back up after every N-th epoch, 1 to 10^7 (default: by time, at "
        "most once a second, so the cost stays small however many epochs)",
    )
    o.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing run folder --out whole (it is refused otherwise)",
    )
    o.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    o.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print only the result and one line 'run folder: DIR' (no epoch lines, no file list)",
    )
    o.add_argument("--verbose", "-v", action="store_true", help=VERBOSE_HELP)
    o.add_argument(
        "--log-every",
        type=positive_int,
        default=None,
        metavar="N",
        help="print one line every N epochs when not on a terminal, 1 to 10^7 (default: "
        f"every epoch up to {LOG_LINES} epochs, else a round number that gives at most "
        f"{LOG_LINES} lines after the first epoch's)",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    from ..flagnames import flags_named

    with flags_named(args):  # a refused value given as a flag is named by the flag
        return _run(args)


def _run(args) -> int:
    from ...spec import normalize
    from ...spec import run as run_spec
    from ..common import check_interrupt, engine_line
    from ..outputs import describe_files, save_run
    from ..progress import interrupt_callback, measure_callback, progress_callback
    from ..resultline import final_line

    if args.backup_every is not None and not args.backup:
        from ...errors import ConfigError

        raise ConfigError(
            f"--backup-every {args.backup_every} needs --backup DIR (the folder to back up "
            "to); add --backup DIR, or drop --backup-every."
        )
    args.said_lines = []  # 'defaults for …': said once the data and --out were accepted
    spec = normalize(build_spec(args))
    folder = out_dir(args.out, spec["name"], overwrite=args.overwrite)
    log_every = args.log_every or log_interval(spec["epochs"])
    callbacks = [
        _say_first(args.said_lines),
        measure_callback(spec["epochs"], log_interval(spec["epochs"])),  # not the flag's
        progress_callback(spec["epochs"], quiet=args.quiet, log_every=log_every),
        interrupt_callback(),  # a Ctrl+C the kernel's compile swallowed (common.INTERRUPTED)
    ]
    if args.out is not None:
        _inputs_outside(args, spec, args.out)
    if args.backup:
        callbacks.append(_resume_notice(args.backup, args.backup_every))
    from ..fitcheck import hold_poor_fit, ranked_advice, unfinished

    with folder as staging:  # refuses a non-empty --out, or one another run writes, up front
        with hold_poor_fit(
            spec["epochs"]
        ) as held:  # its list of what to try: ranked_advice tries each
            result = run_spec(spec, callbacks=callbacks)
        check_interrupt()  # one swallowed after the last tick: the run is not saved
        from ..lrcheck import SEE_ADVICE, checked_advice, settled_reason

        checked = checked_advice(result, args.quiet)  # before the result line and the files
        reason = result.history.stop_reason
        if checked is not None and reason:  # one voice: never the guard's untested guess
            result.history.stop_reason = settled_reason(reason, SEE_ADVICE)
        print(final_line(result))
        if args.verbose:
            print(engine_line(result.history))
        if checked is not None and reason:
            done = "checked afterwards on this run: " + checked[0]
            result.history.stop_reason = settled_reason(reason, done)
        written = save_run(result, staging, plots=not args.no_plots)
    files = folder.final(written)
    # the CLI's own verdicts on the run (too few epochs, a jump, units that never activate)
    # once its files are kept: a run whose --out is refused at the end says one line
    # (test_concurrent_writers), never a verdict pointing to an 'advice:' that cannot follow
    with hold_poor_fit(spec["epochs"]) as later:  # its 'try …' lists left to the advice
        unfinished(result, held)
    held.extend(later)
    print(describe_files(files) if not args.quiet else f"run folder: {folder.path}")
    from ..common import exit_status

    if checked is not None:
        print(f"advice: {checked[0]}")
    advice = None if checked is None else checked[1]
    from ..constantloss import worse_than_constant

    wild = worse_than_constant(result)  # a classifier's loss above a constant model's
    if wild is not None:
        import warnings

        from ...errors import PoorFitWarning

        warnings.warn(wild, PoorFitWarning, stacklevel=1)
    # a run that did not learn, or is unfinished, or took too large steps: what helps
    tried = ranked_advice(result, args.quiet, bool(held) or wild is not None)
    from ..fitcheck import settled
    from ..linearcheck import linear_note  # a straight line better on the judged rows?

    # the run's own verdicts, unless the advice tried their fixes and none helped clearly
    verdicts = [] if settled(tried) else [*held, *filter(None, (wild, checked))]
    note = linear_note(result, verdicts)  # only of a finished run (Judge.finished)
    if note:
        print(note)
    from ..progress import say_folder_if_cut

    say_folder_if_cut("train", folder.path)  # '| head -2' kept the log, not the folder line
    return exit_status("train", result, advice)


def _say_first(lines: list[str]):
    """Prints ``lines`` when training begins: after the spec, --out and the data (its
    --target, its cells) were accepted, so a refused one gets its one error line alone."""
    from ...train import Callback

    class Say(Callback):
        def on_train_begin(self, state) -> None:
            for line in lines:
                print(line, flush=True)
            lines.clear()

    return Say()


def _inputs_outside(args, spec: dict, out) -> None:
    """No input of the run inside --out: the finished run replaces that folder whole (with
    --overwrite) and a backup there would be swept away with it."""
    from ..overlap import refuse_input_inside

    csv = spec.get("data", {}).get("csv")
    refuse_input_inside(
        out,
        "--out",
        [
            (args.spec, "the spec file given as SPEC"),
            (args.csv, "the CSV file given as --csv"),
            (None if args.csv else csv, "the CSV file the spec names (data.csv)"),
            (args.backup, "the backup folder given as --backup"),
        ],
        "the finished run replaces that folder whole"
        if args.overwrite
        else "a run folder is written whole (--overwrite replaces an old one)",
    )


def _resume_notice(directory: str, every: int):
    """``BackupAndRestore`` that says "resuming from …" once it has verified the backup.

    The backup's own check runs first (``on_train_begin``); a backup of another run is
    refused with that reason alone, never announced.
    """
    from ...train import BackupAndRestore

    class ResumeNotice(BackupAndRestore):
        who = "--backup"  # its messages name the flag the user gave

        def on_train_begin(self, state) -> None:
            super().on_train_begin(state)
            if self.resumed_epoch is not None:
                print(
                    f"resuming from {self.path}: epoch {self.resumed_epoch} of {state.epochs} done",
                    flush=True,
                )

    return ResumeNotice(directory, every=every)
