"""A sweep's results table: per configuration, the final loss over seeds and the success rate.

``Results`` is what ``backprop.sweep(...)`` and ``backprop.sweep.load(db)`` return: one
``Row`` per configuration — mean ± std (sample, n − 1) and median of the final training loss
over its finished seeds, the success rate against a stated criterion (``"loss<1e-3"``,
``"r2>=0.99"``: a metric of ``train.metrics``, a comparison, a number), the parameter count
and the mean seconds per trial — plus every trial's record. It prints as a plain-text table
(fixed columns, no colour: the same through a pipe), writes CSV (``to_csv``) and renders as
HTML in a notebook (``resultstext``). No pandas needed. The criterion is read and checked by
``success``.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass

from ..errors import ConfigError
from . import resultstext
from .resultstext import _csv, _g, shown  # noqa: F401 (trialcsv and others read them here)
from .success import _mark, parse_success  # noqa: F401 (driver, criteria, plots read them here)


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

    # -- shown (resultstext) ---------------------------------------------------------------
    def _cells(self) -> tuple[list[str], list[list[str]]]:
        return resultstext.cells(self)

    def table(self) -> str:
        """The results as a plain-text table, one line per configuration."""
        return resultstext.table(self)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        counts = self.counts()
        return (
            f"<sweep Results: {len(self.rows)} configuration(s), {counts['done']} of "
            f"{sum(counts.values())} trial(s) done>"
        )

    def to_csv(self, path=None, *, overwrite: bool = False) -> str:
        """One line per configuration (the point's keys as columns); written to ``path``
        when given (an existing file only if it is such a table, or with ``overwrite``:
        ``backprop.replacing``). Returns the CSV text (``trialcsv.table_text``)."""
        from . import trialcsv

        text = trialcsv.table_text(self)
        if path is not None:  # never the database nor through a link (paths.write_output)
            from .paths import write_output

            write_output(path, text, db=self.path, who="--csv", overwrite=overwrite)
        return text

    def trials_csv(self, path=None, *, overwrite: bool = False) -> str:
        """One line per trial — each seed's final loss, metrics, seconds (``trialcsv``);
        written to ``path`` when given (as ``to_csv``). Returns the CSV text."""
        from . import trialcsv

        if path is None:
            return trialcsv.text(self)
        return trialcsv.write(self, path, overwrite=overwrite)

    def _repr_html_(self) -> str:
        return resultstext.html_table(self)
