"""The lecture's two questions, answered by experiment: ``backprop.compare(question)``.

The lecture asks "Why did we use 8x8 with ReLU?" (for y = x²) and "Which activation
function(s)?" (for y = |x − 1|, which it then builds from two ReLUs) and answers "Stack
Overflow suggested!". Each question here is data — a base spec, a grid, seeds and a stated
success criterion — run as an ordinary sweep (``driver.sweep``: the local pool, the SQLite
store, resume), then read: the table (``results.Results``), plain words drawn from its
numbers (``compare_words``) and pictures (``plots.sweep``).

Some evidence needs the trained networks, which a trial does not keep: the fitted curves
and whether a layer's weights moved at all. A trial is an ordinary spec that re-runs to the
same numbers, so ``refit`` trains chosen trials again in this process (within a budget of
stored trial seconds), checks the final loss comes out the same, and keeps the curve on a
grid and which layers never moved from their initial weights. Above ``driver`` and
``results``; the command line (``backprop compare``) renders what this returns.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..apinames import python_api
from ..errors import ConfigError, did_you_mean
from . import compare_files as files
from .paths import check_folder
from .store import OtherSweep

REFIT_SECONDS = 6.0  # stored trial seconds that refits for the curves may cost, at most


@dataclass(frozen=True)
class Question:
    """One question as data: what runs, and what counts as an answer."""

    name: str
    asks: str  # the lecture's words
    base: str  # a built-in spec
    grid: dict
    seeds: int
    success: str  # a sweep criterion on the trial's final metrics
    success_words: str  # what it means, said in the table's heading
    truth: str  # the noise-free function, for the curves
    plots: tuple[str, ...]
    factor: float = 1.5  # the knee: within this factor of the best median loss
    evidence: bool = False  # the words need refits (whether layers moved) even without plots
    # (epochs, seeds) of the quick mode: measured to reach the full run's conclusions (knee,
    # the lecture's net, which never succeed, the most reliable) in about a third of its time
    quick: tuple[int, int] = (2000, 3)


WIDTHS = (1, 2, 4, 8, 16)
DEPTHS = (1, 2, 3)
ACTIVATIONS = ("relu", "tanh", "sigmoid", "step")

QUESTIONS = {
    "width-depth": Question(
        name="width-depth",
        asks="Why did we use 8x8 with ReLU? (y = x² + noise, widths × depths, ReLU)",
        base="square",
        grid={"model.hidden": [[w] * d for d in DEPTHS for w in WIDTHS]},
        seeds=10,
        success="rmse<1.1",
        success_words=(
            "success = training RMSE < 1.1: the targets carry noise of σ = 1, so an RMSE "
            "within 10 % of 1 means the net has learnt x² and little but the noise is left"
        ),
        truth="x**2",
        plots=("loss_vs_parameters", "heatmap", "curves"),
    ),
    "activations": Question(
        name="activations",
        asks="Which activation function(s)? (y = |x − 1|, 2 hidden units as the lecture "
        "builds it, and 8)",
        base="abs",
        grid={"model.hidden": [[2], [8]], "model.activation": list(ACTIVATIONS)},
        seeds=10,
        success="rmse<1e-3",
        success_words=(
            "success = training RMSE < 1e-3 on the 200 noise-free points, x uniform on "
            "[−3, 5]: |x − 1| found to 1e-3, as max(0, x − 1) + max(0, 1 − x) finds it exactly"
        ),
        truth="abs(x-1)",
        plots=("boxplots", "curves"),
        evidence=True,
    ),
}
TRUTHS = {"x**2": np.square, "abs(x-1)": lambda x: np.abs(x - 1.0)}


def question(name) -> Question:
    """The built-in question called ``name``, or a ConfigError with the nearest name."""
    if isinstance(name, str) and name in QUESTIONS:
        return QUESTIONS[name]
    raise ConfigError(
        f"compare question {name!r}: not a built-in question; one of "
        f"{', '.join(QUESTIONS)}.{did_you_mean(name, QUESTIONS)}"
    )


def base_spec(q: Question, epochs=None) -> dict:
    """The question's base spec, with ``epochs`` written in when given (a quick mode)."""
    from ..spec import builtin, normalize

    spec = builtin(q.base)
    if epochs is not None:
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ConfigError(
                f"compare epochs: must be a whole number of at least 1 (the question's own "
                f"is {spec['epochs']:,}; 0, a spec's untrained network, trains nothing to "
                f"compare); got {epochs!r}."
            )
        spec["epochs"] = epochs
    return normalize(spec)


# -- refits: the trained networks of chosen trials ------------------------------------------


@dataclass
class Fit:
    """One trial trained again: its curve on ``x`` and what moved."""

    trial: int
    config: int
    seed: int
    x: np.ndarray  # the grid
    y: np.ndarray  # ŷ on the grid
    data_x: np.ndarray  # the trial's training inputs
    data_y: np.ndarray
    unmoved: list[int]  # the Linear layers (1, 2, …) whose weights and bias never changed
    layers: int
    same: bool  # the final loss came out as stored, bit for bit


def _linears(model) -> list:
    from ..nn import Linear

    return [m for m in model.modules() if isinstance(m, Linear)]


def _state(layer) -> list[np.ndarray]:
    return [np.array(p.data.numpy(), copy=True) for p in layer.parameters()]


def refit_one(spec: dict, trial: dict, grid_x: np.ndarray) -> Fit:
    """Train ``spec`` again (its final loss must be ``trial``'s) and read the network."""
    from ..plots._base import evaluate
    from ..spec import prepare, run

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = [_state(layer) for layer in _linears(prepare(spec).net)]
        ran = run(spec, verbose=False)
    after = [_state(layer) for layer in _linears(ran.net)]
    unmoved = [
        i + 1
        for i, (a, b) in enumerate(zip(start, after))
        if all(np.array_equal(u, v) for u, v in zip(a, b))
    ]
    losses = ran.history.history.get("loss") or [math.nan]
    stored = trial["final_loss"]
    same = (stored is None and not math.isfinite(losses[-1])) or stored == float(losses[-1])
    return Fit(
        trial=trial["id"],
        config=trial["config"],
        seed=trial["seed"],
        x=grid_x,
        y=evaluate(ran.net, grid_x[:, None])[:, 0],
        data_x=np.asarray(ran.dataset.x, dtype=float)[:, 0],
        data_y=np.asarray(ran.dataset.y, dtype=float)[:, 0],
        unmoved=unmoved,
        layers=len(after),
        same=same,
    )


def chosen_trials(results, budget: float = REFIT_SECONDS) -> list[dict]:
    """Finished trials to train again: k of each configuration, the most (every seed at
    best, one at least) whose estimated cost fits in ``budget`` seconds, spread from its
    best final loss to its worst so both outcomes show (for k = 1: the median one). A
    trial is estimated at the median of its configuration's stored seconds (a worker's
    first trial also paid the start-up)."""
    import statistics

    done = [t for t in results.trials if t["status"] == "done"]
    by_config: dict[int, list] = {}
    for t in done:
        by_config.setdefault(t["config"], []).append(t)
    if not by_config:
        return []
    each = sum(statistics.median(t["seconds"] or 0.0 for t in ts) for ts in by_config.values())
    most = max(len(ts) for ts in by_config.values())
    k = most if each <= 0 else max(1, min(most, int(budget // each)))
    pick = []
    for ts in by_config.values():
        ranked = sorted(ts, key=_loss_order)
        if k == 1:  # one seed: the one with the median final loss
            at = [(len(ranked) - 1) // 2]
        else:
            at = sorted({round(i) for i in np.linspace(0, len(ranked) - 1, min(k, len(ranked)))})
        pick += sorted((ranked[i] for i in at), key=lambda t: t["seed"])
    return pick


def _loss_order(trial: dict) -> tuple:
    loss = trial["final_loss"]
    finite = loss is not None and math.isfinite(loss)
    return (not finite, loss if finite else 0.0, trial["seed"])


def refit(results, q: Question, budget: float = REFIT_SECONDS) -> list[Fit]:
    """The chosen trials trained again (``chosen_trials``), on a grid over their data."""
    pick = chosen_trials(results, budget)
    if not pick:
        return []
    from ..spec import prepare

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xs = [prepare(results.spec(t["id"])).dataset.x for t in pick]
    lo, hi = min(float(np.min(x)) for x in xs), max(float(np.max(x)) for x in xs)
    grid_x = np.linspace(lo, hi, 401)
    return [refit_one(results.spec(t["id"]), t, grid_x) for t in pick]


# -- the answer ---------------------------------------------------------------------------


@dataclass
class Comparison:
    """A question's answer: the sweep's table, the words, the plots (paths or figures)."""

    question: Question
    results: object  # sweep.Results
    words: list[str]
    fits: list[Fit] = field(default_factory=list)
    plots: dict[str, Path] = field(default_factory=dict)  # written PNGs, by kind
    figures: dict = field(default_factory=dict)  # Figures when no directory was given
    csv: Path | None = None

    @property
    def rows(self):
        return self.results.rows

    def setup(self) -> str:
        """The run's settings, from the stored base spec: data, optimizer, epochs, seeds."""
        base = self.results.plan.get("base") or {}
        data, opt = base.get("data") or {}, base.get("optimizer") or {}
        seeds = self.results.plan.get("seeds") or []
        few = ",".join(map(str, seeds)) if len(seeds) <= 3 else f"{seeds[0]}..{seeds[-1]}"
        if len(seeds) > 3 and seeds != list(range(seeds[0], seeds[0] + len(seeds))):
            few = f"{len(seeds)} seeds"
        batch = base.get("batch_size")
        noise = data.get("noise")
        if noise is None:
            from ..data import DATASETS

            info = DATASETS.get(data.get("name"))
            noise = info.defaults.get("noise") if info is not None else None
        return (
            f"data {data.get('name')} ({data.get('n')} points, noise {noise}), "
            f"{opt.get('name')} lr {opt.get('lr')}, {base.get('epochs', 0):,} epochs, "
            f"{'full batch' if batch is None else f'batch {batch}'}, seeds {few}"
        )

    def heading(self) -> str:
        return f"{self.question.asks}\n{self.setup()}\n{self.question.success_words}."

    def table(self) -> str:
        return f"{self.heading()}\n{self.results.table()}"

    def __str__(self) -> str:
        parts = [self.table(), "", *(f"- {w}" for w in self.words)]
        if self.plots:
            parts += ["", "plots:", *(f"  {p}" for p in self.plots.values())]
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"<compare {self.question.name!r}: {self.results!r}>"

    def _repr_html_(self) -> str:
        from ..display.sweep import comparison_html

        return comparison_html(self)


@python_api("compare")
def compare(
    name,
    *,
    seeds=None,
    epochs=None,
    db=None,
    workers=None,
    out=None,
    plots=True,
    progress="auto",
    quick=False,
    overwrite=False,
) -> Comparison:
    """Answer the lecture's question ``name`` ("width-depth" or "activations") by experiment.

    ``seeds``: a count, "0..9" or a list (default 10 seeds, 0..9). ``epochs``: train this
    many epochs instead of the question's own (fewer: a quick mode). ``db``: the SQLite
    file keeping every trial (the same file resumes and skips finished trials).
    ``workers``: processes (default: the cores). ``out``: a directory for the plots (PNG)
    and the table (``table.csv``); without it the plots are Figures shown in a notebook.
    An existing table.csv or PNG there is replaced only if compare wrote it (a sweep table,
    a PNG: ``backprop.replacing``), or with ``overwrite=True``.
    ``quick=True``: the question's quick mode (``Question.quick``: 2,000 epochs, 3 seeds,
    measured to keep the full run's conclusions; ``seeds``/``epochs`` given win).
    ``plots=False`` draws none (and trains no trial again). ``progress``: as ``sweep``'s —
    "auto" (a bar over the trials in a notebook, the one ``sweep`` and ``fit`` show; none
    elsewhere), True (a bar anywhere), False or None (none), or a function called with a
    ``sweep.Progress`` after each trial. Returns a ``Comparison``: ``.results`` (the
    sweep's table), ``.words``, ``.plots``.

    Examples:
        >>> import backprop
        >>> answer = backprop.compare("activations", seeds=2, epochs=50, workers=1, plots=False)
        >>> [row.label for row in answer.rows][:2]
        ['model.hidden=2 model.activation=relu', 'model.hidden=2 model.activation=tanh']
    """
    from .driver import check_workers, sweep, trial_progress
    from .grid import parse_seeds

    q = question(name)
    if not isinstance(quick, bool):
        raise ConfigError(f"compare quick: must be True or False; got {quick!r}.")
    if quick:
        epochs = q.quick[0] if epochs is None else epochs
        seeds = q.quick[1] if seeds is None else seeds
    base = base_spec(q, epochs)
    seeds = q.seeds if seeds is None else seeds
    parse_seeds(seeds)  # bad seeds or workers are refused before a directory is made
    check_workers(workers)
    show = trial_progress(progress, "compare")  # sweep's bar (display/trials.py), as sweep's
    if not isinstance(plots, bool):
        raise ConfigError(f"compare plots: must be True or False; got {plots!r}.")
    if plots:
        files.plots_possible()  # before any trial runs, not after them all
    if out is not None:
        out = Path(out)
        check_folder(out, who="compare out")  # the CLI's --out rule (paths.check_folder)
    # a refusal below (a FIFO db, too many trials) removes the empty folders made here
    with files.undone_if_refused(out), warnings.catch_warnings():
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            files.check(out, q, plots, db, overwrite)  # table.csv, PNGs: before any trial
        # the width-1 nets' 'hidden layer of 1 unit' notice is the question, not a slip
        warnings.simplefilter("ignore")
        try:
            results = sweep(
                base,
                q.grid,
                seeds,
                db=db,
                workers=workers,
                success=q.success,
                progress=show,
            )
        except OtherSweep as exc:  # this question with other seeds: say compare's fix
            from .compare_words import other_run

            raise exc.reworded(other_run(q, exc, cli=False)) from None
    return answer(q, results, out=out, plots=plots, overwrite=overwrite)


def answer(q: Question, results, *, out=None, plots=True, overwrite=False) -> Comparison:
    """The words, refits and plots for a finished (or partly finished) sweep."""
    from .compare_words import words
    from .criteria import in_loss_units

    fits = refit(results, q) if (plots or q.evidence) else []
    from ..spec import builtin

    epochs = (results.plan.get("base") or {}).get("epochs")
    own = builtin(q.base)["epochs"]
    need = in_loss_units(q.success, results.plan.get("base") or {}, results.plan.get("grid"))
    done = Comparison(q, results, words(q, results.rows, fits, epochs=epochs, own=own, need=need))
    done.fits = fits
    if out is not None:
        done.csv = Path(out) / "table.csv"
        files.write(done.csv, results.to_csv().encode(), overwrite)  # and before the trials
    if plots:
        from ..plots import sweep as sweep_plots

        for kind in q.plots:
            path = None if out is None else Path(out) / files.png(q, kind)
            drawn = sweep_plots.draw(kind, q, results, fits, None)
            if path is None:
                done.figures[kind] = drawn
            else:  # never through a link put in --out (paths.check_owned)
                done.plots[kind] = files.write(path, drawn._repr_png_(), overwrite)
    return done
