"""``backprop compare``: the lecture's two questions, each answered by one sweep.

``width-depth`` asks "Why did we use 8x8 with ReLU?" of y = x²; ``activations`` asks "Which
activation function(s)?" of y = |x − 1|. The questions, the analysis and the words live in
``backprop.sweep.compare``; this module renders them (table, words, where the plots went).
"""

from __future__ import annotations

import argparse
import sys

HELP = "answer the lecture's questions by experiment: width-depth (y = x²), activations (|x − 1|)"

EXAMPLES = """examples:
  backprop compare width-depth                  widths 1,2,4,8,16 × depths 1,2,3, seeds 0..9
  backprop compare activations --out runs/acts  relu, tanh, sigmoid, step × 2 and 8 units
  backprop compare width-depth --quick          2,000 epochs × 3 seeds: the full run's answer
                                                in about a third of its time (class, CI)
the answer: a table (final loss mean ± std and median over seeds, the success rate against
the criterion its heading states, parameters, seconds per trial), a few sentences drawn
from the numbers, the plots (PNG) and the table as CSV in --out DIR. Every trial is kept in
--db (default DIR/trials.db): the same command with the same --out (or --db) resumes and
skips finished trials; backprop sweep --show-trial DB ID prints a trial's spec.
exit status: 0 every trial done; 1 some trials failed; 2 a user error (one line on stderr);
130 Ctrl+C (finished trials are kept)."""


def add_parser(sub) -> None:
    from ...sweep.compare import QUESTIONS

    p = sub.add_parser(
        "compare",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "question",
        choices=list(QUESTIONS),
        metavar="QUESTION",
        help="width-depth (why 8x8 for y = x²?) or activations (which one for |x − 1|?)",
    )
    p.add_argument(
        "--seeds", help="seeds of each configuration: 0..9, 0,3,7 or a count (default 10)"
    )
    p.add_argument(
        "--epochs",
        type=_epochs,
        metavar="N",
        help="train N epochs instead of the question's own (a quick mode; a new sweep)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="2,000 epochs and 3 seeds (measured to reach the full run's conclusions; "
        "--epochs and --seeds override)",
    )
    p.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="worker processes, 1 to 256 (default: the machine's cores; 1 runs in this process)",
    )
    p.add_argument(
        "--db",
        metavar="FILE",
        help="the SQLite file that keeps every trial (default DIR/trials.db); the same "
        "question with the same FILE resumes",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="where the plots (PNG), table.csv and trials.db go (default "
        "runs/compare-QUESTION-<time>/)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace table.csv and the PNGs in --out even when they are not ones compare "
        "wrote (they are refused otherwise; compare's own are replaced when run again)",
    )
    p.add_argument(
        "--no-plots",
        action="store_true",
        help="draw no plots (width-depth then trains no trial again; activations still "
        "trains a few again for its words)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print only the table and words")
    p.set_defaults(run=run)


def _workers(text: str) -> int:
    from ..common import whole

    return whole(1, 256, "a sweep runs 1 to 256 worker processes")(text)


def _epochs(text: str) -> int:
    """1 or more: 0 (train's and a spec's untrained network) trains nothing to compare."""
    from ..common import MAX_WHOLE, whole

    why = "a comparison trains its networks (train --epochs 0 saves one untrained)"
    return whole(1, MAX_WHOLE, why)(text)


class _Lazy:
    """The sweep command's progress (a bar on a terminal, lines through a pipe), started at
    the first finished trial, when the total is known."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.shown = quiet, None

    def __call__(self, p) -> None:
        if self.shown is None:
            from .sweep import _progress

            self.shown = _progress(p.total, p.done + p.failed - 1, self.quiet)
        self.shown(p)

    def stop(self) -> None:
        if self.shown is not None:
            self.shown.stop()


def run(args) -> int:
    import os
    import time

    from ...sweep.compare import compare, question
    from ...sweep.compare_words import other_run
    from ...sweep.paths import check_folder
    from ...sweep.store import OtherSweep

    q = question(args.question)
    out = args.out
    if out is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = os.path.join("runs", f"compare-{q.name}-{stamp}")
    check_folder(out)  # before the first line names a path in it (sweep/paths.py)
    db = args.db or os.path.join(out, "trials.db")
    if not args.quiet:
        print(f"compare {q.name}: {q.asks}")
        print(f"trials go to {db} (the same command with --db {db} resumes)")
    show = _Lazy(args.quiet)
    from ...sweep.compare_files import undone_if_refused

    try:
        with undone_if_refused(out, os.path.dirname(db) or None):  # no empty --out left
            answer = _compare(compare, q, args, db, out, show)
    except OtherSweep as exc:  # the fix in the command line's flags
        show.stop()
        raise exc.reworded(other_run(q, exc, cli=True)) from None
    except KeyboardInterrupt:
        show.stop()
        print(
            f"backprop compare: interrupted; finished trials are kept in {db}: the same "
            f"command with --db {db} goes on",
            file=sys.stderr,
        )
        return 130
    show.stop()
    print(answer.table())
    print()
    for line in answer.words:
        print(f"- {line}")
    if not args.quiet:
        notes = _notes(answer.results.notes())
        if notes:
            print("warnings the trials gave (the first words of each, per configuration):")
            for label, n, done, text in notes:
                print(f"  {label} ({n} of {done} trials): {text}")
        for path in answer.plots.values():
            print(f"plot: {path}")
        if answer.csv is not None:
            print(f"table: {answer.csv}")
        print(f"database: {db}  (backprop sweep --show-trial {db} ID prints a trial's spec)")
    return 1 if answer.results.counts()["failed"] else 0


def _compare(compare, q, args, db, out, show):
    return compare(
        q.name,
        seeds=args.seeds,
        epochs=args.epochs,
        quick=args.quick,
        db=db,
        workers=args.workers,
        out=out,
        plots=not args.no_plots,
        progress=show,
        overwrite=args.overwrite,
    )


def _notes(notes: list) -> list:
    """The trials' warnings with like ones merged: the same first clause (up to ':' or
    ' (') of one configuration counts once, with the trials that gave any of them."""
    merged: dict[tuple, list] = {}
    for label, n, done, text in notes:
        if text.startswith("model.hidden ["):
            continue  # 'a 1-unit layer at both ends': the question's own 1x1x1, not a slip
        head = text.split(":")[0].split(" (")[0].strip()
        if (label, head) in merged:
            merged[(label, head)][1] += n
        else:
            merged[(label, head)] = [label, n, done, head]
    return [tuple(v) for v in merged.values()]
