"""A sweep's results table: per configuration, the final loss over seeds and the success rate.

``Results`` is what ``backprop.sweep(...)`` and ``backprop.sweep.load(db)`` return: one
``Row`` per configuration — mean ± std (sample, n − 1) and median of the final training loss
over its finished seeds, the success rate against a stated criterion (``"loss<1e-3"``,
``"r2>=0.99"``: a metric of ``train.metrics``, a comparison, a number), the parameter count
and the mean seconds per trial — plus every trial's record. It prints as a plain-text table
(fixed columns, no colour: the same through a pipe), writes CSV (``to_csv``) and renders as
HTML in a notebook. No pandas needed.
"""

from __future__ import annotations

import html
import json
import math
import operator
import re
import statistics
from dataclasses import dataclass

from ..errors import ConfigError
from ..textrules import escape


def shown(text) -> str:
    """Stored text (a label, a note, an error, a name, a path) as a terminal, a page or a
    CSV shows it: control and direction-changing characters escaped (``textrules.escape``),
    so an edited database cannot set a terminal's title, clear it or turn a line around."""
    return escape(str(text))


_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_CRITERION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*(\S+)\s*$", re.ASCII)


def _ascii_number(text: str, number: str, form: str) -> float:
    """The criterion's threshold by the files' rule for numbers (``csvtable.to_float``, as
    every number flag reads since the command line took it): ASCII decimal forms only.
    Python's float reads '１' (full-width) and '1_0' too; those are refused with the ASCII
    spelling meant. NaN for no number at all (the caller says so)."""
    from ..data.csvtable import to_float

    value = to_float(number)
    if value is not None:
        return value
    try:
        meant = repr(float(number))
    except ValueError:
        return math.nan
    raise ConfigError(
        f"--success {text!r}: {number!r} is not written in ASCII decimal digits (numbers "
        "follow the files' rule: digits 0-9 with a sign, '.' and an exponent, no '_', no "
        f"other script's digits); it reads as {meant}: write that if you meant it."
    )


def parse_success(text: str | None):
    """'loss<1e-3' → ('loss', '<', 0.001); None stays None. A bad criterion says the form."""
    if text is None:
        return None
    from ..train.metrics import METRIC_NAMES

    form = "write it as METRIC<NUMBER, e.g. 'loss<1e-3' or 'r2>=0.99'"
    match = _CRITERION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ConfigError(f"--success {text!r}: not a criterion; {form}.")
    name, op, number = match.groups()
    if name not in METRIC_NAMES:
        from ..errors import did_you_mean

        hint = did_you_mean(name, METRIC_NAMES)
        starts = [m for m in METRIC_NAMES if m.startswith(name.lower())] if len(name) > 1 else []
        if not hint and starts:  # 'acc' for accuracy, 'val_acc' for val_accuracy
            hint = f" Did you mean {starts[0]!r}?"
        raise ConfigError(
            f"--success {text!r}: {name!r} is not a metric; one of {', '.join(METRIC_NAMES)}.{hint}"
        )
    value = _ascii_number(text, number, form)
    if not math.isfinite(value):
        raise ConfigError(f"--success {text!r}: {number!r} is not a finite number; {form}.")
    _reachable(text, name, op, value)
    return name, op, value


# each metric's range: (lowest, highest) it can take (None: unbounded on that side)
_RANGES = {"loss": (0.0, None), "accuracy": (0.0, 1.0), "rmse": (0.0, None), "r2": (None, 1.0)}


def _reachable(text: str, name: str, op: str, value: float) -> None:
    """Refuse a criterion no trial can meet (``accuracy>90``: accuracy is 0 to 1;
    ``loss<-1``: a loss is never negative), naming the metric's range."""
    lo, hi = _RANGES[name.removeprefix("val_")]
    never = (
        (op == ">" and hi is not None and value >= hi)
        or (op == ">=" and hi is not None and value > hi)
        or (op == "<" and lo is not None and value <= lo)
        or (op == "<=" and lo is not None and value < lo)
    )
    if not never:
        return
    span = (
        f"from {lo:g} to {hi:g}"
        if lo is not None and hi is not None
        else f"{lo:g} or more"
        if lo is not None
        else f"at most {hi:g}"
    )
    fix = (
        f"a fraction: for 90 % write '{name}>0.9'"
        if name.endswith("accuracy") and value > 1
        else f"give a threshold inside that range, e.g. '{_example(name)}'"
    )
    raise ConfigError(f"--success {text!r}: no trial can meet it: {name} is {span}; {fix}.")


def _example(name: str) -> str:
    base = name.removeprefix("val_")
    return name + {"loss": "<1e-3", "accuracy": ">0.9", "rmse": "<1e-3", "r2": ">=0.99"}[base]


def _mark(trial: dict, criterion) -> bool | None:
    """Whether a finished trial meets ``criterion`` (a diverged one never does)."""
    if criterion is None:
        return None
    name, op, value = criterion
    metrics = trial.get("metrics") or {}
    got = metrics.get(name)
    if got is None or metrics.get("diverged") or not math.isfinite(got):
        return False
    return bool(_OPS[op](got, value))


@dataclass
class Row:
    """One configuration over its seeds."""

    config: int
    label: str
    point: dict
    parameters: int | None
    trials: int  # in the grid
    done: int  # finished (failed ones not counted)
    failed: int
    diverged: int
    mean: float
    std: float
    median: float
    best: float
    success: float | None  # fraction of finished trials that meet the criterion
    seconds: float  # mean wall seconds per finished trial


def _row(config, trials: list[dict], criterion) -> Row:
    cid, point, label, parameters = config
    label = shown(label)  # stored text: every table, word, plot and CSV shows it escaped
    done = [t for t in trials if t["status"] == "done"]
    losses = [
        t["final_loss"]
        for t in done
        if t["final_loss"] is not None
        and math.isfinite(t["final_loss"])
        and not t["metrics"].get("diverged")
    ]
    marks = [_mark(t, criterion) for t in done]
    nan = math.nan
    return Row(
        config=cid,
        label=label,
        point=json.loads(point),
        parameters=parameters,
        trials=len(trials),
        done=len(done),
        failed=sum(t["status"] == "failed" for t in trials),
        diverged=sum(bool(t["metrics"].get("diverged")) for t in done),
        mean=statistics.fmean(losses) if losses else nan,
        std=statistics.stdev(losses) if len(losses) > 1 else nan,
        median=statistics.median(losses) if losses else nan,
        best=min(losses) if losses else nan,
        success=(sum(marks) / len(marks)) if criterion is not None and marks else None,
        seconds=statistics.fmean(t["seconds"] for t in done) if done else nan,
    )


class Results:
    """The table of a sweep (rows by configuration) and its trials; iterate for the rows."""

    def __init__(
        self, plan: dict, configs: list, trials: list[dict], *, success=None, path=None,
        history=None,
    ) -> None:  # fmt: skip
        self.plan = plan
        self.path = path
        self._history_of = history  # (path, id) -> a trial's history, for rows without one
        self.success = success if isinstance(success, str) or success is None else None
        self.criterion = parse_success(self.success)
        for t in trials:
            t["metrics"] = (
                json.loads(t["metrics"]) if isinstance(t["metrics"], str) else (t["metrics"] or {})
            )
        self._trials = trials
        by_config: dict[int, list] = {}
        for t in trials:
            by_config.setdefault(t["config"], []).append(t)
        self.rows = [_row(c, by_config.get(c[0], []), self.criterion) for c in configs]

    # -- the trials -----------------------------------------------------------------------
    @property
    def trials(self) -> list[dict]:
        """Every trial: id, config, seed, status, final_loss, metrics, seconds, engine, host,
        finished (a Unix time)
        (its spec and history through ``spec(id)`` and ``history(id)``)."""
        keep = (
            "id",
            "config",
            "seed",
            "status",
            "final_loss",
            "metrics",
            "epochs",
            "seconds",
            "train_seconds",
            "engine",
            "host",
            "finished",
            "error",
        )
        return [{k: t.get(k) for k in keep} for t in self._trials]

    def _trial(self, tid: int) -> dict:
        for t in self._trials:
            if t["id"] == tid:
                return t
        raise ConfigError(
            f"sweep trial {tid!r}: no such trial; ids run from 1 to {len(self._trials)}."
        )

    def spec(self, tid: int) -> dict:
        """Trial ``tid``'s spec: ``backprop train`` on it gives the same numbers."""
        return json.loads(self._trial(tid)["spec"])

    def history(self, tid: int) -> dict[str, list[float]]:
        """Trial ``tid``'s per-epoch training losses (and validation losses, if any)."""
        from .storecheck import checked_history

        trial = self._trial(tid)
        if "history" not in trial and self._history_of is not None and self.path is not None:
            return self._history_of(self.path, tid)  # read from the file when asked
        return checked_history(trial, f"sweep trial {tid}'s history")

    def notes(self) -> list[tuple[str, int, int, str]]:
        """The trials' warnings (the step unit's zero gradient, units that died, a poor fit),
        each kind once per configuration: (label, trials that gave it, trials done, text).
        A kind is the warning's first clause (up to ':' or ' ('); seeds that say the same
        thing with their own numbers count as one warning, shown with the first trial's
        numbers (each seed's line was printed apart, each '(1 of 2 trials)')."""
        out = []
        for row in self.rows:
            seen: dict[str, list] = {}  # kind -> [trials, first text, texts differ]
            for t in self._trials:
                if t["config"] == row.config and t["status"] == "done":
                    for text in dict.fromkeys(json.loads(t.get("notes") or "[]")):
                        text = shown(text)
                        kind = text.split(":")[0].split(" (")[0].strip()
                        if kind in seen:
                            seen[kind][0] += 1
                            seen[kind][2] = seen[kind][2] or text != seen[kind][1]
                        else:
                            seen[kind] = [1, text, False]
            out.extend(
                (row.label, n, row.done, f"{text} (numbers: one trial's)" if differ else text)
                for n, text, differ in seen.values()
            )
        return out

    def waiting(self) -> dict[str, int]:
        """{data file: failed trials that wait for it}: trials that failed because their
        data file changed during the sweep (``pins.waiting``); a resume re-runs them once
        the file is as pinned again (``Store.retry_waiting``)."""
        from .pins import waiting

        out: dict[str, int] = {}
        for t in self._trials:
            if t["status"] == "failed" and waiting(t.get("error")):
                spec = t.get("spec")
                data = (json.loads(spec) if isinstance(spec, str) else spec or {}).get("data")
                path = str((data or {}).get("csv") or "?")
                out[path] = out.get(path, 0) + 1
        return out

    @property
    def complete(self) -> bool:
        return all(t["status"] in ("done", "failed") for t in self._trials)

    def counts(self) -> dict[str, int]:
        out = {"todo": 0, "running": 0, "done": 0, "failed": 0}
        for t in self._trials:
            out[t["status"]] += 1
        return out

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i) -> Row:
        return self.rows[i]

    # -- shown ----------------------------------------------------------------------------
    def _cells(self) -> tuple[list[str], list[list[str]]]:
        head = ["configuration", "seeds", "final loss mean ± std", "median"]
        if self.criterion is not None:
            from .criteria import in_loss_units  # rmse<1e-3 ≈ loss<1e-6: the loss column's unit

            same = in_loss_units(self.success, self.plan.get("base") or {}, self.plan.get("grid"))
            said = shown(self.success.replace(" ", "")) + (f" ≈ {same}" if same else "")
            head.append(f"success ({said})")
        head += ["params", "s/trial"]
        body = []
        for r in self.rows:
            seeds = f"{r.done}/{r.trials}" + (f" ({r.failed} failed)" if r.failed else "")
            if r.diverged:
                seeds += f" ({r.diverged} diverged)"
            std = "" if math.isnan(r.std) else f" ± {r.std:.3g}"
            cells = [r.label, seeds, f"{_g(r.mean)}{std}", _g(r.median)]
            if self.criterion is not None:
                cells.append("-" if r.success is None else f"{r.success:.0%}")
            cells += ["-" if r.parameters is None else f"{r.parameters:,}", _g(r.seconds, 3)]
            body.append(cells)
        return head, body

    def table(self) -> str:
        """The results as a plain-text table, one line per configuration."""
        head, body = self._cells()
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        lines = [
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
            ).rstrip()
            for row in [head, *body]
        ]
        counts = self.counts()
        total = sum(counts.values())
        note = f"{counts['done']} of {total} trials done"
        if counts["failed"]:
            note += f", {counts['failed']} failed"
            from .store import lost

            n_lost = sum(t["status"] == "failed" and lost(t.get("error")) for t in self._trials)
            if n_lost:
                note += f" ({n_lost} of them lost their worker: --resume runs them again)"
            waits = self.waiting()
            if waits:
                files = ", ".join(sorted(waits))
                note += (
                    f" ({sum(waits.values())} of them waiting for a data file changed during "
                    f"the sweep: {shown(files)}; put it back as it was and --resume re-runs "
                    "them)"
                )
        if counts["todo"] or counts["running"]:
            note += f", {counts['todo'] + counts['running']} to go (resume to finish)"
        unit = self._standardised()
        return "\n".join([*lines, f"({note}; final loss = the last epoch's training loss{unit})"])

    def _standardised(self) -> str:
        """', on the standardised target …' when a CSV's regression trained on z-scores of
        its target column (``data.standardize_target``: null means yes for a CSV)."""
        data = (self.plan.get("base") or {}).get("data") or {}
        regression = any("rmse" in (t.get("metrics") or {}) for t in self._trials)
        if data.get("csv") is None or data.get("standardize_target") is False or not regression:
            return ""
        target = shown(data.get("target") or "target")
        return (
            f", and it and rmse are on the standardised target: {target} in units of its "
            "standard deviation, as the runs trained on it"
        )

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        counts = self.counts()
        return (
            f"<sweep Results: {len(self.rows)} configuration(s), {counts['done']} of "
            f"{sum(counts.values())} trial(s) done>"
        )

    def to_csv(self, path=None) -> str:
        """One line per configuration (the point's keys as columns); written to ``path``
        when given. Returns the CSV text (``trialcsv.table_text``)."""
        from . import trialcsv

        text = trialcsv.table_text(self)
        if path is not None:  # never the sweep's database; replaced atomically (files.py)
            from ..files import atomic_write_text
            from .paths import check_output

            check_output(path, db=self.path)

            atomic_write_text(path, text, who="--csv")
        return text

    def trials_csv(self, path=None) -> str:
        """One line per trial — each seed's final loss, metrics, seconds (``trialcsv``);
        written to ``path`` when given. Returns the CSV text."""
        from . import trialcsv

        return trialcsv.text(self) if path is None else trialcsv.write(self, path)

    def _repr_html_(self) -> str:
        head, body = self._cells()
        side = ["left"] + ["right"] * (len(head) - 1)  # numbers line up on the right
        th = "".join(
            f'<th style="text-align:{a};padding:0 0.6em">{html.escape(h)}</th>'
            for h, a in zip(head, side)
        )
        rows = "".join(
            "<tr>"
            + "".join(
                f'<td style="text-align:{a};padding:0 0.6em">{html.escape(c)}</td>'
                for c, a in zip(r, side)
            )
            + "</tr>"
            for r in body
        )
        return (
            f"<table><thead><tr>{th}</tr></thead><tbody>{rows}</tbody></table>"
            f"<p>{html.escape(self.table().splitlines()[-1])}</p>"
        )


def _g(value: float, digits: int = 4) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}g}"


def _csv(value: float) -> str:
    return "" if value is None or math.isnan(value) else repr(value)
