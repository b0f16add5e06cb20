"""Markdown for the "user paths" section: one ratio table per job (path × peer, the 2× rule
beside each public path), the extras (hand loop, makemore, import time) and the issue-13
targets table with met / not met. Measuring lives in ``user_paths``; nothing here times."""

from __future__ import annotations

import importlib.util
import math
import os
import statistics

from .common import Peer, measure, python_snippet

RULE = (
    "2× rule (non-zero exit): a public path may be at most 2× slower per step than the "
    "direct use of the engine it can reach, same threads and scope — fit(auto|fused), "
    "backprop.run and the estimators vs the best INTERNAL path; fit(delta) and the "
    "delta.backward hand loop vs INTERNAL delta.Plan; fit(autograd) vs the hand loop on "
    "autograd; the CLI process vs the INTERNAL kernel process. A crash also exits non-zero. "
    "Missed targets only with --strict."
)


LOSS_NOTE = (
    "final loss: what each path reports — History's last-epoch loss (fit, run, estimators), "
    "the kernel's last-epoch loss (INTERNAL fused.train), the last batch's loss (hand loops, "
    "INTERNAL delta.Plan, torch), scikit-learn's loss_ (×2 for MSE); a sanity check that "
    "each path trained, not a comparison of learning (accuracy is)."
)
PEERS = ("torch eager", "scikit-learn")  # a ratio column each, when the job has the peer


def _peer_ref(rows, r, peer: str = "torch eager"):
    """The ``peer`` row to hold ``r`` against: same threads, same scope."""
    same = ("scope", "threads")
    for x in rows:
        if x.peer.startswith(peer) and all(x.extra.get(k) == r.extra.get(k) for k in same):
            return x
    return None


def _times(peer, r) -> str:
    ok = peer is not None and r.seconds > 0 and peer.seconds > 0
    return _fmt(peer.us_per_step / r.us_per_step if ok else None, ".2f") + ("×" if ok else "")


def _fmt(value, spec: str, missing: str = "-") -> str:
    return (
        missing
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (format(value, spec))
    )


def render(result: dict) -> str:
    """One job's table: µs/step, × each peer (torch eager, scikit-learn), loss, accuracy, the
    engine that ran, peak memory (processes), GFLOP/s and share of the GEMM peak (wide), and
    the 2× rule."""
    from .user_paths import gate

    rows = result["rows"]
    checks = {c["path"]: c for c in gate(rows)}
    wide = "flops" in result
    peers = [p for p in PEERS if any(r.peer.startswith(p) for r in rows)]
    head = [
        "path",
        "kind",
        "µs/step",
        *[f"× {p}" for p in peers],
        "final loss",
        "test acc.",
        "engine",
        "peak RSS MB",
    ]
    if wide:
        head += ["GFLOP/s", "of GEMM peak"]
    head.append("2× rule")
    lines = [
        f"### user paths — {result['title']}",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for r in rows:
        cells = [
            r.peer,
            r.extra.get("kind", ""),
            _fmt(r.us_per_step, ".1f"),
            *[_times(_peer_ref(rows, r, p), r) for p in peers],
            _fmt(r.loss, ".4f"),
            _fmt(r.extra.get("accuracy"), ".4f"),
            str(r.extra.get("engine", "-")),
            _fmt(r.extra.get("peak_mb"), ".0f"),
        ]
        if wide:
            gflops = result["flops"] / (r.us_per_step * 1e-6) / 1e9
            peak = max(result["peaks"].get(r.extra.get("threads"), {}).values(), default=None)
            in_process = r.extra.get("scope") == "in-process"
            cells += [_fmt(gflops, ".0f"), f"{gflops / peak:.0%}" if peak and in_process else "-"]
        c = checks.get(r.peer)
        if r.note:
            cells.append("CRASH")
        elif c:
            cells.append(f"{c['ratio']:.2f}× {c['reference']}: {'ok' if c['ok'] else 'FAIL'}")
        elif r.extra.get("serves"):
            cells.append("reference")
        else:
            cells.append("-")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for r in rows:
        if r.note:
            lines.append(f"- {r.peer}: {r.note}")
    for note in (*result.get("notes", []), LOSS_NOTE):
        lines.append(f"- {note}")
    if wide:
        lines.append(
            "- GEMM peak (GFLOP/s, float32 square matmul, best of 7): "
            + "; ".join(
                f"{n} thread(s): " + ", ".join(f"{k} {v:.0f}" for k, v in p.items())
                for n, p in result["peaks"].items()
            )
        )
    before, after = result["load"]
    lines.append(
        f"- job wall {result['wall']:.0f} s; 1-minute load average {before:.2f} before, "
        f"{after:.2f} after, {os.cpu_count()} CPUs. The 2× rule column: see the end of the section."
    )
    return "\n".join(lines)


def extras(quick: bool, repeats: int) -> dict:
    """The hand-written lecture loop and makemore (``benchmarks.handloop`` / ``makemore``,
    when present), and ``import backprop`` in fresh interpreters."""
    rows, notes = [], []
    for module, steps in (
        ("handloop", 100 if quick else 2000),
        ("makemore", 50 if quick else 2000),
    ):
        if importlib.util.find_spec(f"benchmarks.{module}") is None:
            notes.append(f"benchmarks/{module}.py not present: skipped.")
            continue
        mod = importlib.import_module(f"benchmarks.{module}")
        peers = [
            Peer(f"{module}: torch eager (1 thread)", lambda n, m=mod: (m.run_torch(n), {})),
            Peer(f"{module}: backprop", lambda n, m=mod: (m.run_backprop(n), {})),
        ]
        try:
            rows += measure(peers, steps, 1 if quick else repeats, warmup_steps=max(steps // 20, 5))
        except Exception as err:  # noqa: BLE001 - reported, and the section fails
            notes.append(f"benchmarks/{module}.py crashed: {type(err).__name__}: {err}")
    from .overhead import _import_time

    runs = 2 if quick else max(repeats, 5)
    imp = _import_time("backprop", runs)
    first = statistics.median(float(python_snippet(_FIRST_USE)) for _ in range(runs))
    failed = any("crashed" in n for n in notes)
    return {"rows": rows, "notes": notes, "import": imp, "first_use": first, "failed": failed}


# ``import backprop`` is lazy (PEP 562): what a training script loads on first use, too.
_FIRST_USE = """import time
t = time.perf_counter()
import backprop
backprop.tensor([1.0]); backprop.nn.MLP; backprop.optim.Adam; backprop.train.fit
print(time.perf_counter() - t)"""


def _row(results, job, prefix, scope="in-process"):
    for res in results:
        if res["name"] == job:
            for r in res["rows"]:
                wanted = r.peer.startswith(prefix) and r.extra.get("scope") == scope
                if wanted and not math.isnan(r.seconds):
                    return r
    return None


def targets(results: list[dict], extra: dict, quick: bool) -> list[tuple]:
    """(job, target, measured, met) for each issue-13 target this run measured."""
    out = []

    def ratio_target(job, label, path, peer, goal, scope="in-process", peer_scope=None):
        a, b = _row(results, job, path, scope), _row(results, job, peer, peer_scope or scope)
        if a and b:
            x = b.us_per_step / a.us_per_step
            out.append((job, f"{label} ≥ {goal}× {b.peer}", f"{x:.2f}×", x >= goal))

    for path in ('fit(engine="auto")', "backprop.run(spec)"):
        ratio_target("lecture", path, path, "torch eager (1", 50)
    ratio_target("lecture", "NumPy δ path", 'fit(engine="delta")', "torch eager (1", 10)
    ratio_target("lecture", "hand loop on autograd", "hand loop, autograd", "torch eager (1", 2)
    demo = _row(results, "lecture", "`backprop demo", "process")
    if demo:
        out.append(
            (
                "lecture",
                "`backprop demo square --no-plots` ≤ 0.6 s",
                f"{demo.seconds:.2f} s",
                demo.seconds <= 0.6,
            )
        )
        ratio_target(
            "lecture", "demo process", "`backprop demo", "torch eager script", 10, "process"
        )
    for n, s in ((1, ""), (2, "s")):
        ratio_target(
            "wide", f"fit at {n} thread{s}", f'fit(engine="auto") ({n}', f"torch eager ({n}", 1.2
        )
        wide = next((r for r in results if r["name"] == "wide"), None)
        found = (wide or {}).get("steady", {}).get(n)
        if found and "ratio" in found:  # the same target per step, the run's fixed costs apart
            x = found["ratio"]
            label = f"fit at {n} thread{s}, steady state (per step, per-run cost apart)"
            out.append(("wide", f"{label} ≥ 1.2× torch eager", f"{x:.2f}×", x >= 1.2))
    t1, t2 = _row(results, "wide", "torch eager (1"), _row(results, "wide", "torch eager (2")
    if t1 and t2 and t2.us_per_step > t1.us_per_step:  # torch slower at 2 threads: a core was busy
        out = [(*t[:3], None) if t[1].startswith("fit at 2") else t for t in out]
    for path in ("backprop.sklearn.MLPClassifier", "`backprop train"):
        scope = "process" if path.startswith("`") else "in-process"
        peer = "torch eager script" if scope == "process" else "torch eager (1"
        label = "`backprop train digits.json` process" if scope == "process" else path
        ratio_target("digits", label, path, peer, 3, scope)
    ratio_target("digits", "MLPClassifier", "backprop.sklearn.MLPClassifier", "scikit-learn", 2)
    ratio_target(
        "digits", "`backprop train digits.json` process", "`backprop train",
        "scikit-learn script", 2, "process",
    )  # fmt: skip
    ours = _row(results, "digits", "backprop.sklearn.MLPClassifier")
    for peer in ("torch eager (1", "scikit-learn"):
        other = _row(results, "digits", peer)
        if ours and other and "accuracy" in ours.extra and "accuracy" in other.extra:
            gap = (ours.extra["accuracy"] - other.extra["accuracy"]) * 100
            out.append(
                (
                    "digits",
                    f"MLPClassifier accuracy ≥ {other.peer}'s − 0.5 pt",
                    f"{gap:+.2f} pt",
                    gap >= -0.5,
                )
            )
    mm = {r.peer: r for r in extra["rows"] if r.peer.startswith("makemore")}
    if len(mm) == 2:
        t, b = mm["makemore: torch eager (1 thread)"], mm["makemore: backprop"]
        x = t.us_per_step / b.us_per_step
        out.append(("makemore", "autograd ≥ 1.0× torch eager", f"{x:.2f}×", x >= 1.0))
    out.append(
        (
            "import",
            "`import backprop` ≤ 0.1 s",
            f"{extra['import']:.3f} s (first use "
            f"of tensor, nn, optim, fit: {extra['first_use']:.3f} s)",
            extra["import"] <= 0.1,
        )
    )
    for res in results:
        procs = [r for r in res["rows"] if r.extra.get("peak_mb") is not None]
        torch = next((r for r in procs if r.peer.startswith("torch")), None)
        ours = [r for r in procs if r.extra.get("kind") == "public"]
        if torch and ours:
            worst = max(ours, key=lambda r: r.extra["peak_mb"])
            a, b = worst.extra["peak_mb"], torch.extra["peak_mb"]
            out.append(
                (
                    res["name"],
                    "peak memory ≤ torch's (whole processes)",
                    f"{a:.0f} vs {b:.0f} MB ({worst.peer})",
                    a <= b,
                )
            )
    return out


def section(result: dict) -> tuple[str, str]:
    """The whole section (every job's table, then the tail) and the tail alone: the extras,
    the targets and the exit decision."""
    head = ["## User paths (issue 13)", ""]
    for res in result["results"]:
        head += [res["markdown"], ""]
    lines = []
    extra = result["extras"]
    if extra["rows"]:
        lines += [
            "### hand loop and makemore (benchmarks/handloop.py, makemore.py)",
            "",
            "| peer | µs/step | × torch eager |",
            "|---|---|---|",
        ]
        for r in extra["rows"]:
            t = next(x for x in extra["rows"] if x.peer.split(":")[0] == r.peer.split(":")[0])
            lines.append(
                f"| {r.peer} | {r.us_per_step:.1f} | {t.us_per_step / r.us_per_step:.2f}× |"
            )
        lines.append("")
    lines += [f"- {n}" for n in extra["notes"]]
    lines += [
        "",
        "### targets (issue 13)",
        "",
        "| job | target | measured | met |",
        "|---|---|---|---|",
    ]
    for job, goal, measured, met in result["targets"]:
        verdict = "not measurable (busy machine)" if met is None else "yes" if met else "NOT MET"
        lines.append(f"| {job} | {goal} | {measured} | {verdict} |")
    verdict = "FAILED (2× rule or crash)" if result["failed"] else "passed"
    lines += ["", f"User paths gate: {verdict}. {RULE}"]
    tail = "\n".join(lines)
    return "\n".join(head) + "\n" + tail, tail
