"""Turn job results into Markdown: one table per job, the targets of issue 6, the document."""

from __future__ import annotations

import datetime
import os

from .common import machine, table


def _find(result: dict, prefix: str):
    return next((r for r in result["rows"] if r.peer.startswith(prefix)), None)


def job_markdown(result: dict) -> str:
    if "markdown" in result:  # a section that renders itself (user_paths)
        return result["markdown"]
    job = result["job"]
    lines = [f"### {result['title']}", ""]
    rows = result["rows"]
    ref = result.get("reference")
    if job == "import":
        torch = _find(result, "torch")
        lines += ["| module | import (s) | × torch |", "|---|---|---|"]
        for r in rows:
            ratio = f"{torch.seconds / r.seconds:.1f}×" if torch else "-"
            lines.append(f"| {r.peer} | {r.seconds:.3f} | {ratio} |")
    elif job == "memory":
        torch = _find(result, "torch")
        lines += ["| peer | peak RSS (MB) | growth (MB) | torch peak / peak |", "|---|---|---|---|"]
        for r in rows:
            ratio = f"{torch.extra['peak_mb'] / r.extra['peak_mb']:.2f}×" if torch else "-"
            lines.append(
                f"| {r.peer} | {r.extra['peak_mb']:.0f} | {r.extra['growth_mb']:.0f} | {ratio} |"
            )
    else:
        columns = []
        if job == "autograd":
            columns.append(("µs/op", lambda r: f"{r.extra['us_per_op']:.2f}"))
        else:
            columns.append(("final loss", lambda r: f"{r.loss:.4f}"))
        if job == "wide":
            columns.append(("GFLOP/s", lambda r: f"{r.extra['gflops']:.0f}"))
        if job == "digits":
            columns.append(("test acc.", lambda r: f"{r.extra['accuracy']:.4f}"))
        lines.append(table(rows, ref, columns))
    if result.get("compile"):
        c = result["compile"]
        lines += [
            "",
            f"Compile policy figures (fresh processes): import numba {c['import_numba']:.2f} s; "
            f"cached kernel load {c['warm_load']:.2f} s; cold compile {c['cold_compile']:.2f} s; "
            f"the run itself {c['run_in_memory'] * 1e3:.0f} ms. The fresh-process rows exclude "
            "`import numba`, as the torch rows exclude `import torch`.",
        ]
    for note in result.get("notes", []):
        lines.append(f"- {note}")
    return "\n".join(lines)


def _ratio(a, b) -> float:
    return a.us_per_step / b.us_per_step if a and b else float("nan")


def targets(results: list[dict]) -> list[tuple[str, str, str, bool | None]]:
    """(job, target, measured, met?) for each target of issue 6 that this run measured."""
    by = {r["job"]: r for r in results}
    out = []
    if "lecture" in by:
        r = by["lecture"]
        torch = _find(r, "torch eager (1")
        for prefix, label, goal in (
            ("backprop fused (kernel", "fused, kernel in memory", 80),
            ("backprop fused, fresh process, warm", "fused, fresh process, warm cache", 80),
            ("backprop δ-engine", "NumPy path (no compiled loop)", 8),
        ):
            row = _find(r, prefix)
            if torch and row:
                ratio = _ratio(torch, row)
                out.append(("lecture", f"{label} ≥ {goal}×", f"{ratio:.1f}×", ratio >= goal))
    if "wide" in by:
        r = by["wide"]
        peaks = r.get("peaks", {})
        torch_1 = _find(r, "torch eager (1 thread)")
        for n in (1, 2):
            s = "" if n == 1 else "s"
            torch = _find(r, f"torch eager ({n} thread{s})")
            ours = [x for x in r["rows"] if x.peer.startswith("backprop") and f"({n} thr" in x.peer]
            if torch and ours:
                best = min(ours, key=lambda x: x.seconds)
                ratio = _ratio(torch, best)
                met = ratio >= 1.2
                if n == 2 and torch_1 and torch.us_per_step > torch_1.us_per_step:
                    met = None  # 2 threads slower than 1: another process held a core
                out.append(
                    ("wide", f"≥ 1.2× torch at {n} thread{s}", f"{ratio:.2f}× ({best.peer})", met)
                )
                if n in peaks:
                    share = best.extra["gflops"] / max(peaks[n].values())
                    out.append(
                        ("wide", f"≥ 85 % of GEMM peak at {n} thread{s}", f"{share:.0%}",
                         None if met is None else share >= 0.85)
                    )  # fmt: skip
    if "digits" in by:
        r = by["digits"]
        torch = _find(r, "torch eager (1")
        sk = _find(r, "scikit-learn MLPClassifier (1")
        ours = _find(r, "backprop fused") or _find(r, "backprop δ")
        if torch and ours:
            ratio = _ratio(torch, ours)
            out.append(("digits", f"{ours.peer} ≥ 3× torch", f"{ratio:.2f}×", ratio >= 3))
        if sk and ours:
            ratio = _ratio(sk, ours)
            out.append(("digits", f"{ours.peer} ≥ 2× scikit-learn", f"{ratio:.2f}×", ratio >= 2))
        if ours:
            best = max(
                x.extra["accuracy"] for x in r["rows"] if x is not ours and x.steps == ours.steps
            )
            gap = (best - ours.extra["accuracy"]) * 100
            out.append(
                (
                    "digits",
                    "accuracy within 0.5 pt of the best full-run peer",
                    f"{-gap:+.2f} pt",
                    gap <= 0.5,
                )
            )
    if "import" in by:
        ours = _find(by["import"], "backprop")
        out.append(("import", "≤ 0.15 s", f"{ours.seconds:.3f} s", ours.seconds <= 0.15))
    if "autograd" in by:
        r = by["autograd"]
        torch, ours = _find(r, "torch"), _find(r, "backprop")
        if torch and ours:
            a, b = ours.extra["us_per_op"], torch.extra["us_per_op"]
            out.append(("autograd", "per-op ≤ torch's", f"{a:.2f} vs {b:.2f} µs/op", a <= b))
    if "memory" in by:
        r = by["memory"]
        torch = _find(r, "torch")
        for row in r["rows"]:
            if row is not torch and torch:
                a, b = row.extra["peak_mb"], torch.extra["peak_mb"]
                out.append(
                    ("memory", f"{row.peer} peak ≤ torch's", f"{a:.0f} vs {b:.0f} MB", a <= b)
                )
    return out


def summary(results: list[dict]) -> str:
    lines = ["## Targets (issue 6)", "", "| job | target | measured | met |", "|---|---|---|---|"]
    for job, goal, measured, met in targets(results):
        verdict = "yes" if met else "no"
        if met is None:
            verdict = "not measurable: torch was slower at 2 threads than at 1 (machine busy)"
        lines.append(f"| {job} | {goal} | {measured} | {verdict} |")
    return "\n".join(lines)


def document(results: list[dict], quick: bool, repeats: int) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m benchmarks{' --quick' if quick else ''}` on {when}; medians of "
        f"{repeats} runs per peer, peers timed round-robin in one process after a warm-up. The "
        "machine is shared and noisy: read the ratios, not the absolute times. Each job gives "
        "the load average around it: with other processes on a 2-core machine, the 2-thread "
        "peers (BLAS/OpenMP threads waiting on each other) are the first to suffer.",
        "",
        "## Machine",
        "",
        *[f"- {line}" for line in machine()],
        "",
        summary(results),
        "",
        "## Jobs",
        "",
    ]
    for result in results:
        before, after = result.get("load", (float("nan"), float("nan")))
        lines += [
            job_markdown(result),
            "",
            f"(job wall time {result['wall']:.0f} s; 1-minute load average {before:.1f} before, "
            f"{after:.1f} after, on {os.cpu_count()} CPUs)",
            "",
        ]
    return "\n".join(lines)
