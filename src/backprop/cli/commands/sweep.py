"""``backprop sweep``: one spec over a grid of settings and seeds, every trial in a database."""

from __future__ import annotations

import argparse
import sys

HELP = "run a spec over a grid of settings and seeds; a results table, a resumable database"

EXAMPLES = """examples:
  backprop sweep square --grid model.hidden=8,8x8,16x16 --seeds 0..9
  backprop sweep square --grid model.activation=relu,step --success "loss<1.5" --db runs/acts.db
  backprop sweep spec.json --grid optimizer.lr=0.1,0.01 --grid optimizer.name=adam,sgd
  backprop sweep --resume runs/acts.db          go on after a crash or Ctrl+C; print the table
  backprop sweep --show-trial runs/acts.db 17   trial 17's spec (save it; backprop train runs it)
grid keys are spec paths (model.hidden, model.activation, optimizer.lr, optimizer.name,
data.noise, epochs, …); layer sizes read 8x8 as two layers of 8. Every trial is an
ordinary spec: --show-trial prints one, and backprop train gives the same numbers.
on a cluster: --cluster tcp://HOST:8786 runs the trials on a Dask scheduler's workers (the
same numbers; the cluster extra here and the same backprop on every worker; docs/sweeps.md).
limits: at most 10,000 trials (configurations × seeds), refused before any work.
exit status: 0 every trial done; 1 some trials failed (the table says which); 2 a user
error (one line on stderr); 130 Ctrl+C (finished trials are kept: --resume goes on)."""


# train's flags for spec fields, as grid keys (a sweep takes every field through --grid)
_FIELDS = {"lr": "optimizer.lr", "optimizer": "optimizer.name", "hidden": "model.hidden",
           "layers": "model.sizes", "activation": "model.activation", "init": "model.init",
           "loss": "loss.name", "noise": "data.noise", "n": "data.n", "data": "data.name",
           "batch-size": "batch_size", "standardize": "data.standardize"}  # fmt: skip


def _field_hint(flag: str, extra: list[str]) -> str:
    """' --epochs is a spec field: sweep it with --grid epochs=500' for a train flag or a
    spec path given to sweep as a flag ('' for other words: the did-you-mean decides)."""
    from ...spec.schema import TOP

    name, _, value = flag.lstrip("-").partition("=")
    i = extra.index(flag)
    if not value and i + 1 < len(extra) and not extra[i + 1].startswith("--"):
        value = extra[i + 1]
    if name == "seed":
        return f" A sweep's seeds are --seeds: --seeds {value or '0..9'}"
    key = _FIELDS.get(name) or (name.replace("-", "_") if name.replace("-", "_") in TOP else None)
    if key is None and "." in name:
        key = name  # --model.hidden: a spec path already
    if key is None or key in ("data", "model", "loss", "optimizer", "name", "version"):
        return ""
    if key in ("model.hidden", "model.sizes") and value:
        value = value.replace(",", "x")  # train's 8,8 (one net) is the grid's 8x8
    shown = value or "V1,V2"
    return (
        f" {flag.split('=')[0]} is a spec field; a sweep sets it with --grid: --grid "
        f"{key}={shown} (several values comma-separated: every one runs)"
    )


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.field_hint = _field_hint  # --epochs 500: --grid epochs=500, not '--csv'
    p.add_argument(
        "spec", nargs="?", help="an experiment spec (.json), or a built-in one by name (square, …)"
    )
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a spec path and its values, e.g. model.hidden=8,8x8 or optimizer.lr=0.1,0.01 "
        "(repeat for more keys: every combination runs)",
    )
    p.add_argument(
        "--seeds",
        help="seeds of each configuration: 0..9, 0,3,7 or a count (10 = 0..9); default: the "
        "spec's seed",
    )
    p.add_argument(
        "--db",
        metavar="FILE",
        help="the SQLite file that keeps every trial (default runs/sweep-<name>-<time>.db); "
        "the same sweep with the same FILE resumes",
    )
    p.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="worker processes, 1 to 256 (default: the machine's cores; 1 runs in this process)",
    )
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run the trials on the Dask cluster whose scheduler is at ADDRESS "
        "(tcp://host:8786; needs the cluster extra here and backprop on every worker); "
        "also with --resume",
    )
    p.add_argument(
        "--success",
        metavar="CRITERION",
        help="what counts as a success, e.g. 'loss<1e-3' or 'r2>=0.99' (a column of rates)",
    )
    p.add_argument(
        "--csv",
        metavar="FILE",
        help="also write the table as CSV to FILE (an existing FILE only if it is such a "
        "table, or with --overwrite)",
    )
    p.add_argument(
        "--trials-csv",
        metavar="FILE",
        help="also write every trial (each seed's final loss, metrics, seconds) as CSV to FILE",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --csv and --trials-csv files even when they are not ones sweep wrote",
    )
    p.add_argument(
        "--resume", metavar="DB", help="go on with the sweep in DB (no SPEC or --grid needed)"
    )
    p.add_argument(
        "--show", metavar="DB", help="print the table of the sweep in DB as far as it ran"
    )
    p.add_argument(
        "--show-trial",
        nargs=2,
        metavar=("DB", "ID"),
        help="print trial ID's spec as JSON (backprop train runs it to the same numbers)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print only the table")
    p.set_defaults(run=run)


def _workers(text: str) -> int:
    from ..common import whole

    return whole(1, 256, "a sweep runs 1 to 256 worker processes")(text)


def run(args) -> int:
    from ...errors import ConfigError

    modes = [m for m in ("resume", "show", "show_trial") if getattr(args, m)]
    if len(modes) > 1:
        raise ConfigError(
            f"--{modes[0].replace('_', '-')} and --{modes[1].replace('_', '-')}: give one of them."
        )
    if modes:
        if args.spec or args.grid or args.seeds:
            raise ConfigError(
                f"--{modes[0].replace('_', '-')} reads the sweep from its "
                "database; drop SPEC, --grid and --seeds."
            )
        if args.db:
            raise ConfigError(
                f"--{modes[0].replace('_', '-')} names the database itself; drop --db."
            )
    for out, flag in ((args.csv, "--csv"), (args.trials_csv, "--trials-csv")):
        if out:  # before any work: never the database or the spec, a regular file
            from ...sweep.paths import check_output

            db = args.db or args.resume or args.show or (args.show_trial or [None])[0]
            check_output(out, db=db, spec=args.spec, who=flag, overwrite=args.overwrite)
    if args.csv and args.trials_csv and args.csv == args.trials_csv:
        raise ConfigError(f"--csv and --trials-csv are both {args.csv!r}; give each its own file.")
    if args.cluster and (args.show or args.show_trial):
        raise ConfigError(
            f"--{modes[0].replace('_', '-')} only reads the database; drop --cluster "
            "(it runs trials: a new sweep or --resume DB)."
        )
    if args.show_trial:
        return _show_trial(*args.show_trial)
    if args.show:
        from ...sweep import load

        return _finish(args, load(args.show, success=args.success))
    if args.resume:
        return _resume(args)
    if not args.spec:
        raise ConfigError(
            "give a spec (backprop sweep square --grid model.hidden=8,8x8), or "
            "--resume DB to go on with a stored sweep."
        )
    return _new(args)


def _new(args) -> int:
    from ...sweep import grid as grids
    from ...sweep.driver import check_workers, plan

    check_workers(args.workers, args.cluster)  # --cluster's address and extra: before the db

    if args.spec:
        from ...spec import builtin_for

        name = builtin_for(args.spec)
        if name is not None and not args.quiet:
            print(f"spec: the built-in {name!r} (backprop/specs/{name}.json)")
    laid = plan(args.spec, grids.parse_grid(args.grid), args.seeds, args.success)
    if args.spec and name is None and not args.quiet:
        _defaults_said(args.spec, laid)
    db = args.db
    if db is None:  # a new file, never another sweep's of the same second
        from ...sweep.paths import default_db

        db = default_db(laid["base"]["name"])
    from ...sweep.store import Store

    store = Store(db)
    try:
        resumed = store.create(
            laid["key"],
            laid["base"],
            laid["grid"],
            laid["seeds"],
            laid["configs"],
            laid["trials"],
            args.success,
        )
    finally:
        store.close()
    n_configs, n_seeds = len(laid["configs"]), len(laid["seeds"])
    if not args.quiet:
        what = "resuming the sweep in" if resumed else "trials go to"
        print(
            f"sweep: {n_configs} configuration(s) × {n_seeds} seed(s) = "
            f"{n_configs * n_seeds} trials; {what} {db}"
        )
    args.resume = db
    return _resume(args, announced=True)


def _resume(args, announced: bool = False) -> int:
    from ...sweep.cluster import LostScheduler
    from ...sweep.driver import _existing as existing
    from ...sweep.driver import check_workers, drive, read

    cluster = getattr(args, "cluster", None)
    workers = check_workers(args.workers, cluster)
    from ...sweep.results import parse_success

    parse_success(args.success)
    store = existing(args.resume)
    try:
        from ...sweep.criteria import check_stored
        from ...sweep.owners import holders

        check_stored(args.success, store)
        if args.success is not None:
            store._write(lambda cur: cur.execute("UPDATE sweep SET success = ?", (args.success,)))
        counts = store.counts()
        total = sum(counts.values())
        if not args.quiet and not announced:
            print(f"sweep: {args.resume}: {counts['done']} of {total} trials done")
        if not args.quiet and counts["done"] and announced:
            print(f"{counts['done']} of {total} trials were done already; running the rest")
        held = holders(store) if counts["running"] else []
        if held and not args.quiet:
            print(
                f"{counts['running']} trial(s) are running in {', '.join(held)}; this run "
                "takes the rest and waits for those (Ctrl+C stops waiting; they go on)",
                flush=True,
            )
        if cluster is not None and not args.quiet and counts["todo"]:
            print(f"cluster: {cluster} (Dask distributed)", flush=True)
        show = _progress(total, counts["done"] + counts["failed"], args.quiet)
        try:
            drive(store, workers, show, None, cluster)
        except KeyboardInterrupt:
            show.stop()
            done = store.counts()["done"]
            print(
                f"backprop sweep: interrupted; {done} of {total} trials are kept in "
                f"{args.resume}: {_again(args.resume, cluster)} goes on",
                file=sys.stderr,
            )
            return 130
        except LostScheduler as exc:  # the fix with this database's file and the cluster
            show.stop()
            raise exc.resumed_by(
                f"finished trials are kept in {args.resume}: {_again(args.resume, cluster)} "
                "goes on."
            ) from None
        except BaseException:  # a lost cluster, a full disk: the bar goes before the line
            show.stop()
            raise
        show.stop()
        results = read(store, args.success)
    finally:
        store.close()
    return _finish(args, results)


def _defaults_said(path, laid) -> None:
    """A spec file that names a built-in set and leaves out its epochs, lr or batch gets the
    set's own (``spec.setdefaults``), as train says for --data NAME; say which, unless the
    grid sweeps them."""
    import json

    from ...spec.setdefaults import describe, open_settings

    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, ValueError):
        return
    filled = {k: v for k, v in open_settings(raw).items() if k not in laid["grid"]}
    if filled:
        data = laid["base"]["data"]
        print(f"sweep: {describe(filled, data.get('name'), data.get('csv'))}")


def _again(db, cluster) -> str:
    """The command that goes on with the sweep in ``db`` (on ``cluster``, if it ran there)."""
    import shlex

    on = f" --cluster {shlex.quote(cluster)}" if cluster else ""
    return f"backprop sweep --resume {shlex.quote(str(db))}{on}"


def _finish(args, results) -> int:
    print(results.table())
    notes = results.notes()
    if notes and not args.quiet:
        print("warnings the trials gave (once per configuration):")
        for label, n, done, text in notes:
            print(f"  {label} ({n} of {done} trials): {text}")
    failures = _failures(results)
    if failures and not args.quiet:
        print("why trials failed (once per configuration and error):")
        for label, n, text in failures:
            print(f"  {label} ({n} trial{'s' if n > 1 else ''}): {text}")
    if args.csv:
        results.to_csv(args.csv, overwrite=args.overwrite)
        if not args.quiet:
            print(f"table: {args.csv}")
    if args.trials_csv:
        results.trials_csv(args.trials_csv, overwrite=args.overwrite)
        if not args.quiet:
            print(f"trials: {args.trials_csv}")
    if results.path and not args.quiet:
        from ...sweep.results import shown

        path = shown(results.path)
        print(f"database: {path}  (backprop sweep --show-trial {path} ID prints a trial's spec)")
    return 1 if results.counts()["failed"] else 0


def _failures(results) -> list[tuple[str, int, str]]:
    """(label, trials, error) of the failed trials, like errors of one configuration merged."""
    from ...textrules import abridge, escape

    labels = {r.config: r.label for r in results.rows}
    seen: dict[tuple[str, str], int] = {}
    for t in results.trials:
        if t["status"] == "failed":
            key = (labels.get(t["config"], ""), abridge(escape(str(t["error"] or "?")), 400))
            seen[key] = seen.get(key, 0) + 1
    return [(label, n, text) for (label, text), n in seen.items()]


def _show_trial(db: str, tid_text: str) -> int:
    import json

    from ...errors import ConfigError
    from ...sweep import load
    from ..common import NUMBER_RULE

    if not (tid_text.isascii() and tid_text.strip().isdigit()):  # int() reads '１' as 1
        from ...textrules import abridge, escape

        raise ConfigError(
            f"--show-trial {abridge(escape(db))} {abridge(escape(tid_text))!r}: the trial ID "
            f"is a whole number, as the database numbers trials from 1 ({NUMBER_RULE})."
        )
    try:
        tid = int(tid_text)
    except ValueError:
        raise ConfigError(
            f"--show-trial {db} {tid_text}: the trial ID is a whole number, as "
            "the database numbers trials from 1."
        ) from None
    results = load(db)
    spec = results.spec(tid)
    results.history(tid)  # its results checked against its history (sweep.rowcheck)
    if spec["data"]["csv"] is not None:
        from ...errors import SweepError
        from ...sweep.store import Store

        store = Store(db)
        try:
            store.check_files()
        except SweepError as exc:  # the spec still prints: train would read the file as is
            print(f"backprop sweep: warning: {exc}", file=sys.stderr)
        finally:
            store.close()
    print(json.dumps(spec, indent=2))
    return 0


def _progress(total: int, before: int, quiet: bool):
    """The trials' progress (``cli.sweepbar``): a bar, lines through a pipe, or none."""
    from ..sweepbar import progress

    return progress(total, before, quiet)
