"""What a sweep database must hold before anything reads or runs it (``Store.verify``).

A database is a file anyone can edit, copy or damage, and a sweep runs whatever its trials'
specs say and labels the results by its configurations. So on open, before a trial is read,
run or shown, the whole file is checked against itself:

- **structure**: the tables ``sweep``, ``config``, ``trial`` and ``owner`` with their
  columns, and each value of the type it is written with (a spec is text, a seed a whole
  number, a status one of four words; a history, when it is read, bytes its header
  describes);
- **the plan**: the one ``sweep`` row's base spec is a checked spec, its grid checked keys
  with lists of values, its seeds whole numbers once each, and its ``key`` the hash of those
  three (``store.sweep_key``);
- **the trials**: the configurations are the grid's points in order, with their labels; the
  trials are every configuration × seed once, and each trial's spec is
  ``grid.apply(base, point)`` with its seed — only the engine may differ, where the plan
  left it ``"auto"`` (the sweep settles it);
- **the files**: every data file a trial's spec names is pinned (``pins``);
- **the results**: a finished trial's times, epochs and metrics within their ranges and
  agreeing with each other (``rowcheck.cheap``); against its history when that is read
  (``rowcheck.with_history``).

Anything else is refused in one line naming what is wrong — the table, the trial, the field
— so a sweep never runs, labels or pools numbers its plan does not say.
"""

from __future__ import annotations

import json
import os

from ..errors import BackpropError, SweepError
from . import paramcount, rowcheck

TRIAL = ("id", "config", "seed", "spec", "status", "owner", "claimed", "attempts", "final_loss",
         "metrics", "history", "epochs", "seconds", "train_seconds", "host", "engine",
         "finished", "notes", "error")  # fmt: skip
COLUMNS = {
    "sweep": ("id", "key", "format", "base", "grid", "seeds", "success", "created", "backprop"),
    "config": ("id", "point", "label", "parameters"),
    "trial": TRIAL,
    "owner": ("id", "host", "pid", "heartbeat"),
}
# per table: a SQL condition every row must meet (the types values are written with)
TYPES = {
    "sweep": "typeof(key) = 'text' AND typeof(format) = 'integer' AND typeof(base) = 'text' "
    "AND typeof(grid) = 'text' AND typeof(seeds) = 'text' AND typeof(success) IN ('text', "
    "'null')",
    "config": "typeof(id) = 'integer' AND typeof(point) = 'text' AND typeof(label) = 'text' "
    "AND typeof(parameters) IN ('integer', 'null')",
    "trial": "typeof(id) = 'integer' AND typeof(config) = 'integer' AND typeof(seed) = "
    "'integer' AND typeof(spec) = 'text' AND status IN ('todo', 'running', 'done', 'failed') "
    "AND typeof(attempts) = 'integer' AND "
    "typeof(metrics) IN ('text', 'null') AND typeof(notes) IN ('text', 'null') AND "
    "typeof(final_loss) IN ('real', 'integer', 'null') AND typeof(seconds) IN ('real', "
    "'integer', 'null') AND (status != 'done' OR (typeof(metrics) = 'text' AND "
    "typeof(seconds) IN ('real', 'integer')))",
}
FIX = "the database was edited or damaged; run the sweep again with a new --db file"


def structure(db, label: str) -> None:
    """Tables, columns and value types (``COLUMNS``, ``TYPES``); a SweepError naming the
    first thing missing or of the wrong type."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "sweep" not in tables:
        raise SweepError(
            f"{label}: holds no sweep (no 'sweep' table); give a database "
            "a sweep wrote (backprop sweep SPEC --grid … --db FILE)."
        )
    for table, columns in COLUMNS.items():
        if table not in tables:
            raise SweepError(f"{label}: not a whole sweep database: no {table!r} table; {FIX}.")
        have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        lacking = [c for c in columns if c not in have]
        if lacking:
            raise SweepError(
                f"{label}: not a database a sweep wrote: its {table!r} table has no column "
                f"{', '.join(map(repr, lacking))}; {FIX}."
            )
    for table, rule in TYPES.items():
        bad = db.execute(f"SELECT id FROM {table} WHERE NOT ({rule}) LIMIT 1").fetchone()
        if bad is not None:
            which = "" if table == "sweep" else f" {bad[0]!r}"
            raise SweepError(
                f"{label}: {table}{which} holds a value of the wrong type or an unknown "
                f"status; {FIX}."
            )
    n = db.execute("SELECT count(*) FROM sweep").fetchone()[0]
    if n != 1:
        raise SweepError(f"{label}: its sweep table holds {n} rows, not 1; {FIX}.")


def _json(text: str, what: str, label: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise SweepError(f"{label}: {what} is not JSON; {FIX}.") from None


def stored_plan(row, label: str, fmt: int) -> dict:
    """The ``sweep`` row (key, format, base, grid, seeds, success) read and checked."""
    from . import grid as grids
    from .results import parse_success
    from .store import sweep_key

    key, version, base_text, grid_text, seeds_text, success = row
    if version > fmt:
        raise SweepError(
            f"{label}: written by a newer backprop (format {version}, this one reads "
            f"{fmt}); upgrade backprop to read it."
        )
    if version < 1:
        raise SweepError(f"{label}: format {version} is not a sweep format; {FIX}.")
    base = _json(base_text, "its base spec", label)
    raw_grid = _json(grid_text, "its grid", label)
    seeds = _json(seeds_text, "its seeds", label)
    from ..spec import normalize

    try:
        if not isinstance(base, dict):
            raise SweepError(f"a JSON {type(base).__name__}, not an object")
        if normalize(base) != base:
            raise SweepError(f"{_first_difference(base, normalize(base), '')} when checked")
    except BackpropError as exc:
        raise SweepError(f"{label}: its base spec is not a checked spec ({exc}); {FIX}.") from None
    if not isinstance(raw_grid, list) or not all(
        isinstance(p, list) and len(p) == 2 and isinstance(p[1], list) and p[1] for p in raw_grid
    ):
        raise SweepError(f"{label}: its grid is not a list of [key, [values]] pairs; {FIX}.")
    grid = dict(raw_grid)
    try:
        if len(grid) != len(raw_grid) or any(grids.check_key(k) != k for k in grid):
            raise SweepError("a key twice or not in the form a sweep writes")
        if not isinstance(seeds, list) or grids.parse_seeds(seeds) != seeds:
            raise SweepError("its seeds are not a list of seeds")
        grids.check_count(grid, seeds)
        parse_success(success)
    except BackpropError as exc:
        raise SweepError(f"{label}: its plan does not hold ({exc}); {FIX}.") from None
    if key != sweep_key(base, grid, seeds):
        raise SweepError(
            f"{label}: its key is not the hash of its base spec, grid and seeds (one of them "
            f"was changed after the sweep was planned); {FIX}."
        )
    return {"key": key, "base": base, "grid": grid, "seeds": seeds, "success": success}


def trials(db, plan: dict, label: str) -> list[str]:
    """Configurations and trials against the plan; returns the data files the trials name."""
    from . import grid as grids

    base, grid, seeds = plan["base"], plan["grid"], plan["seeds"]
    want = grids.points(grid)
    rows = db.execute("SELECT id, point, label, parameters FROM config ORDER BY id").fetchall()
    if len(rows) != len(want):
        raise SweepError(
            f"{label}: {len(rows)} configuration(s) stored, the grid makes {len(want)}; {FIX}."
        )
    specs = []
    parameters = paramcount.counter(dict(db.execute("SELECT path, sha256 FROM file")))
    for i, ((cid, point, text, stored), point_want) in enumerate(zip(rows, want)):
        if cid != i or _json(point, f"configuration {cid}'s point", label) != point_want:
            raise SweepError(f"{label}: configuration {cid} is not the grid's point {i}; {FIX}.")
        if text != grids.label(point_want):
            raise SweepError(f"{label}: configuration {cid}'s label was changed; {FIX}.")
        try:
            specs.append(grids.apply(base, point_want))
        except BackpropError as exc:
            raise SweepError(f"{label}: configuration {text}: {exc}; {FIX}.") from None
        derived = None if stored is None else parameters(specs[-1])
        if derived is not None and stored != derived:  # shown in the table, CSV and plots
            raise SweepError(
                f"{label}: configuration {text}'s parameter count is {stored:,}, its spec "
                f"makes {derived:,}; {FIX}."
            )
    n = len(seeds) * len(want)
    seen = set()
    files = set()
    index = {s: i for i, s in enumerate(seeds)}
    recorded: dict[int, set] = {}  # configuration -> the metrics its finished trials hold
    got = db.execute(
        "SELECT id, config, seed, spec, metrics, notes, status, final_loss, epochs, seconds, "
        "train_seconds, finished FROM trial ORDER BY id"
    )
    created = db.execute("SELECT created FROM sweep").fetchone()[0]
    ids = set()
    for tid, cid, seed, text, metrics, notes, status, *results in got:
        legit = isinstance(tid, int) and 1 <= tid <= n and tid > max(ids, default=0)
        if not legit or (cid, seed) in seen or not 0 <= cid < len(want) or seed not in index:
            raise SweepError(
                f"{label}: trial {tid} (configuration {cid}, seed {seed}) is not one the "
                f"plan makes, or is there twice; {FIX}."
            )
        seen.add((cid, seed))
        ids.add(tid)
        measured = _record(tid, metrics, notes, label)
        spec = _json(text, f"trial {tid}'s spec", label)
        expected = {**specs[cid], "seed": seed}
        where = _differs(spec, expected)
        if where is not None:
            raise SweepError(
                f"{label}: trial {tid}'s spec is not the one its plan makes "
                f"({rows[cid][2]}, seed {seed}): {where}; {FIX}."
            )
        row = dict(zip(rowcheck.RESULTS, results))
        if status == "done":  # its results against their ranges (rowcheck)
            rowcheck.cheap(tid, row, measured, spec, label)
            rowcheck.took(tid, row, created, label)
            recorded.setdefault(cid, set()).update(k for k in measured if k != "diverged")
        elif status == "failed":  # only 'done' is written with results (storeclaims.finish)
            rowcheck.none_yet(tid, status, row, measured, label)
        if spec["data"]["csv"] is not None:
            files.add(spec["data"]["csv"])
    _success_recorded(plan.get("success"), recorded, rows, label)
    gone = _missing(ids, seen, seeds, len(want))
    if gone:
        raise MissingTrials(label, gone, sorted(files))
    if len(seen) != n:
        raise SweepError(f"{label}: {len(seen)} trials stored, the plan makes {n}; {FIX}.")
    return sorted(files)


class MissingTrials(SweepError):
    """Trial rows deleted from a database whose other rows hold: ``gone`` lists each as
    (id, configuration, seed) by the plan's order (trial k is configuration (k-1) // S,
    seed seeds[(k-1) % S]); ``files``: the data files the stored trials name. Reading
    (``--show``, ``load``) refuses naming them; going on (``--resume``) makes them again
    (``Store.reclaim_dead``) and runs them, as resume runs any trial not finished."""

    def __init__(self, label: str, gone: list[tuple[int, int, int]], files: list[str]):
        tid, cid, seed = gone[0]
        more = f" and {len(gone) - 1} more" if len(gone) > 1 else ""
        super().__init__(
            f"{label}: trial {tid} (configuration {cid}, seed {seed}){more} is missing from its "
            "'trial' table (the database was edited or damaged); going on with the sweep "
            "(--resume) makes it again and runs it."
        )
        self.gone, self.files = gone, files


def _missing(ids: set, seen: set, seeds: list, n_configs: int) -> list[tuple[int, int, int]]:
    """The (id, configuration, seed) of trials the plan makes but the table lacks, when the
    stored ones sit at their plan ids; [] when none is missing or they do not."""
    order = [(c, s) for c in range(n_configs) for s in seeds]
    lacking = [k for k in range(1, len(order) + 1) if k not in ids]
    if not lacking or {order[k - 1] for k in lacking} & seen:
        return []
    if len(lacking) + len(seen) != len(order):
        return []
    return [(k, *order[k - 1]) for k in lacking]


def _success_recorded(success, recorded: dict, rows, label: str) -> None:
    """The stored success criterion names a metric every finished configuration records,
    as the --success flag must (``criteria.check``): an edited 'accuracy>0.5' on a
    regression would show 0 % success for every configuration."""
    from . import criteria

    try:
        criteria.check(success, [(rows[c][2], sorted(names)) for c, names in recorded.items()])
    except BackpropError as exc:
        said = str(exc).removeprefix("--success ").rstrip(".")
        raise SweepError(
            f"{label}: its stored success criterion does not hold ({said}); {FIX}."
        ) from None


def _record(tid: int, metrics, notes, label: str) -> dict:
    """A trial's metrics ({name: number, null or bool}) and notes (a list of strings)."""
    m = {} if metrics is None else _json(metrics, f"trial {tid}'s metrics", label)
    n = [] if notes is None else _json(notes, f"trial {tid}'s notes", label)
    if not (
        isinstance(m, dict)
        and all(isinstance(v, int | float | None) for v in m.values())
        and isinstance(n, list)
        and all(isinstance(t, str) for t in n)
    ):
        raise SweepError(
            f"{label}: trial {tid}'s metrics or notes are not as a sweep writes them; {FIX}."
        )
    return m


def _differs(spec, expected: dict) -> str | None:
    """Where a stored trial spec differs from the planned one ('optimizer.lr is 0.5, planned
    0.1'), or None. The engine may be settled where the plan says "auto"."""
    from ..spec.schema import ENGINES

    if not isinstance(spec, dict):
        return "it is not a JSON object"
    if expected["engine"] == "auto" and spec.get("engine") in ENGINES:
        spec = {**spec, "engine": "auto"}
    if spec == expected:
        return None
    return _first_difference(spec, expected, "")


def _first_difference(got, want, path: str) -> str:
    if isinstance(got, dict) and isinstance(want, dict):
        for k in [*want, *(k for k in got if k not in want)]:
            here = f"{path}.{k}" if path else k
            if k not in got:
                return f"{here} is missing"
            if k not in want:
                return f"{here} is not in the plan"
            if got[k] != want[k]:
                return _first_difference(got[k], want[k], here)
    return f"{path or 'the spec'} is {_abridged(got)}, planned {_abridged(want)}"


def _abridged(value) -> str:
    from .grid import abridge

    return abridge(json.dumps(value))


def history(blob, who: str) -> dict[str, list[float]]:
    """``trial.pack_history``'s bytes back, refused in words when the header does not
    describe the bytes that follow it (a damaged or edited database)."""
    from .trial import unpack_history

    if not blob:
        return {}
    if not isinstance(blob, bytes):  # checked here, not on open: reading it costs
        raise SweepError(f"{who}: not bytes as a sweep writes it; {FIX}.")
    head, _, body = blob.partition(b"\n")
    try:
        meta = json.loads(head)
        series = meta["series"]
        ok = all(
            isinstance(s, list) and len(s) == 2 and isinstance(s[0], str)
            and isinstance(s[1], int) and s[1] >= 0 for s in series
        )  # fmt: skip
    except (ValueError, TypeError, KeyError, RecursionError):
        ok = False
    if not ok or 8 * sum(n for _, n in series) != len(body):
        raise SweepError(f"{who}: its header does not describe its bytes; {FIX}.")
    return unpack_history(blob)


def checked_history(trial: dict, who: str) -> dict[str, list[float]]:
    """A trial row's history (``history``), and for a finished trial its results against
    it (``rowcheck.with_history``)."""
    series = history(trial.get("history"), who)
    if trial.get("status") == "done":
        metrics = trial.get("metrics")
        measured = json.loads(metrics) if isinstance(metrics, str) else (metrics or {})
        rowcheck.with_history(trial.get("id"), trial, measured, series, who)
    return series


def damaged(path: str | None, label: str, exc: Exception) -> str:
    """The refusal for a file that starts as a SQLite database but SQLite cannot read (a
    copy cut short, pages overwritten): damaged, with its length against the length its
    header records when it is short ("not a sweep database" said it was something else)."""
    why = ""
    try:
        with open(path or "", "rb") as f:
            head = f.read(100)
            size = os.fstat(f.fileno()).st_size
        page = int.from_bytes(head[16:18], "big")
        page = 65536 if page == 1 else page
        pages = int.from_bytes(head[28:32], "big")
        if len(head) < 100 or size < page * pages:
            want = f"; its header records {page * pages:,}" if len(head) >= 100 else ""
            why = f": cut short, {size:,} bytes{want}"
    except (OSError, ValueError):
        pass
    return (
        f"{label}: damaged ({exc}{why}); SQLite cannot read it. Restore it from a copy, or "
        "give --db a new file name for a new sweep."
    )
