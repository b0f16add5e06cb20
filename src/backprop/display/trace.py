"""A ``delta.Trace`` as the lecture writes it: the equations, layer by layer, numbers in.

Forward: a[0] = x, then for each layer W[l], f[l] = W[l]ᵀ a[l−1] (+ b[l]), a[l] = g(f[l]).
Backward, from the output down: δ[L], δ[l] = g′(f[l]) ∘ W[l+1] δ[l+1], ∂E/∂W[l] =
a[l−1] δ[l]ᵀ (summed over samples) and ∂E/∂b[l] = δ[l]. Vectors are the lecture's columns,
one column per sample (the first ``MAX_SAMPLES``); large arrays show their corners.

Two renderings of the same equations, in one MIME bundle:

* ``text/latex`` — ``$$\\begin{aligned} … \\end{aligned}$$`` with ``bmatrix`` values, for
  front ends that typeset LaTeX (nbconvert to PDF, ``IPython.display.Latex``);
* ``text/html`` — each equation twice: as TeX in ``\\(\\displaystyle … \\)``
  (JupyterLab and the classic Notebook typeset HTML outputs with MathJax) and as an HTML
  table of numbers under Unicode symbols. A CSS rule shows the typeset form when MathJax
  has run and the HTML form otherwise (VS Code, marimo, a static page), so every front
  end reads one clean copy.
"""

from __future__ import annotations

import numpy as np

from ._html import box, clip, esc, matrix, num

MAX_SAMPLES = 4  # columns (samples) shown of a vector's batch
MAX_LAYERS = 12  # layers written out (the first and last half); ``print(trace)`` lists all


def _columns(rows: np.ndarray) -> np.ndarray:
    """Row-shaped values (N × n) as the lecture's columns, one per sample shown (n × k)."""
    return np.asarray(rows, dtype=np.float64)[:MAX_SAMPLES].T


def _bmatrix(m: np.ndarray) -> str:
    m = np.atleast_2d(m)
    cols = clip(m.shape[1])
    lines = []
    for i in clip(m.shape[0]):
        if i is None:
            cells = [r"\vdots" if j is not None else r"\ddots" for j in cols]
        else:
            cells = [r"\cdots" if j is None else num(m[i, j], "-") for j in cols]
        lines.append(" & ".join(cells))
    return r"\begin{bmatrix}" + r" \\ ".join(lines) + r"\end{bmatrix}"


def _gap(t, backward: bool) -> tuple:
    """The line that stands for the middle layers of a deep net (values None)."""
    L, half = len(t.layers), MAX_LAYERS // 2
    lo, hi = (L - half, half + 1) if backward else (half + 1, L - half)
    words = f"layers {lo} to {hi} not shown (print(trace) has every layer's norms)"
    return ("…", f"\\vdots\\ \\text{{{words}}}", f"⋮ {words}", None)


def _written(t) -> list:
    """The layers written out, a None where the middle of a deep net is left out."""
    L, half = len(t.layers), MAX_LAYERS // 2
    if L <= MAX_LAYERS:
        return list(t.layers)
    return [*t.layers[:half], None, *t.layers[L - half :]]


def equations(t) -> list[tuple]:
    """Every equation of the trace: (section, TeX left side, Unicode left side, values);
    values is None for the line that stands for a deep net's middle layers."""
    L = len(t.layers)
    e = "\\hat y" if t.loss is None else "E"
    eu = "ŷ" if t.loss is None else "E"
    out = [("forward", "a^{[0]} = x", "a[0] = x", _columns(t.x))]
    for lt in _written(t):
        if lt is None:
            out.append(_gap(t, backward=False))
            continue
        l = lt.l
        sec = f"layer {l}: g[{l}] = {lt.g}"
        bias_t = f" + b^{{[{l}]}}" if lt.b is not None else ""
        bias_u = f" + b[{l}]" if lt.b is not None else ""
        out.append((sec, f"W^{{[{l}]}}", f"W[{l}]", lt.W))
        if lt.b is not None:
            out.append((sec, f"b^{{[{l}]}}", f"b[{l}]", lt.b.reshape(-1, 1)))
        out.append(
            (
                sec,
                f"f^{{[{l}]}} = W^{{[{l}]\\mathsf{{T}}}} a^{{[{l - 1}]}}{bias_t}",
                f"f[{l}] = W[{l}]ᵀ a[{l - 1}]{bias_u}",
                _columns(lt.f),
            )
        )
        out.append((sec, f"a^{{[{l}]}} = g(f^{{[{l}]}})", f"a[{l}] = g(f[{l}])", _columns(lt.a)))
    summed = len(t.x) > 1
    for lt in reversed(_written(t)):
        if lt is None:
            out.append(_gap(t, backward=True))
            continue
        l = lt.l
        sec = f"backward, layer {l}"
        if lt.g_prime is not None:
            out.append((sec, f"g'(f^{{[{l}]}})", f"g′(f[{l}])", _columns(lt.g_prime)))
        if l == L:
            seed_t = "1" if t.loss is None else "\\partial E/\\partial \\hat y"
            seed_u = "1" if t.loss is None else "∂E/∂ŷ"
            if lt.g_prime is None:
                how_t = f"(\\partial a/\\partial f)^{{\\mathsf T}} {seed_t}"
                how_u = f"(∂a/∂f)ᵀ {seed_u}"
            else:
                how_t, how_u = f"g'(f^{{[{l}]}}) \\circ {seed_t}", f"g′(f[{l}]) ∘ {seed_u}"
            out.append(
                (sec, f"\\delta^{{[{l}]}} = {how_t}", f"δ[{l}] = {how_u}", _columns(lt.delta))
            )
        else:
            out.append(
                (
                    sec,
                    f"\\delta^{{[{l}]}} = g'(f^{{[{l}]}}) \\circ "
                    f"W^{{[{l + 1}]}}\\delta^{{[{l + 1}]}}",
                    f"δ[{l}] = g′(f[{l}]) ∘ W[{l + 1}] δ[{l + 1}]",
                    _columns(lt.delta),
                )
            )
        over = r"\textstyle\sum_{\text{samples}} " if summed else ""
        over_u = " (summed over samples)" if summed else ""
        out.append(
            (
                sec,
                f"\\frac{{\\partial {e}}}{{\\partial W^{{[{l}]}}}} = "
                f"{over}a^{{[{l - 1}]}}\\delta^{{[{l}]\\mathsf{{T}}}}",
                f"∂{eu}/∂W[{l}] = a[{l - 1}] δ[{l}]ᵀ{over_u}",
                lt.dW,
            )
        )
        if lt.db is not None:
            out.append(
                (
                    sec,
                    f"\\frac{{\\partial {e}}}{{\\partial b^{{[{l}]}}}} = {over}\\delta^{{[{l}]}}",
                    f"∂{eu}/∂b[{l}] = δ[{l}]{over_u}",
                    lt.db.reshape(-1, 1),
                )
            )
    return out


def _sizes(t) -> str:
    return "-".join(str(n) for n in [t.layers[0].n_prev] + [lt.n for lt in t.layers])


def _heading(t) -> tuple[str, str]:
    """The title and the loss line, the loss line as ``print(trace)`` writes it: ``loss:
    none — …`` without a loss, ``loss: mse, …;  E = …`` with one."""
    n = t.x.shape[0]
    shown = f", the first {MAX_SAMPLES} shown as columns" if n > MAX_SAMPLES else ""
    value = "" if t.loss is None else f";  E = {num(t.loss)}"
    title = f"Backpropagation trace of a {_sizes(t)} MLP on N = {n} sample(s){shown}"
    return title, f"loss: {t.loss_text}{value}"


def to_latex(t) -> str:
    """All the equations as one LaTeX ``aligned`` block in ``$$``."""
    rows = [
        f"&{lhs}" if values is None else f"{lhs} &= {_bmatrix(values)}"
        for _, lhs, _, values in equations(t)
    ]
    return "$$\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}$$"


def to_html(t) -> str:
    """The equations by section: typeset TeX under MathJax, an HTML table otherwise."""
    title, loss = _heading(t)
    parts = [f'<div class="bp-head">{esc(title)}</div><div class="bp-muted">{esc(loss)}</div>']
    section = None
    for sec, lhs, uni, values in equations(t):
        if values is None:
            parts.append(f'<div class="bp-muted">{esc(uni)}</div>')
            section = None
            continue
        if sec != section:
            parts.append(f"<h4>{esc(sec)}</h4>")
            section = sec
        tex = f"\\(\\displaystyle {lhs} = {_bmatrix(values)}\\)"
        parts.append(
            f'<div class="bp-eq"><span class="bp-tex">{esc(tex)}</span>'
            f'<span class="bp-uni">{esc(uni)} = {matrix(values)}</span></div>'
        )
    for note in t.notes:
        parts.append(f'<div class="bp-muted">note: {esc(note)}</div>')
    return box("".join(parts))


def mimebundle(t) -> dict:
    """``{text/plain, text/html, text/latex}`` for ``Trace._repr_mimebundle_``."""
    return {"text/plain": repr(t), "text/html": to_html(t), "text/latex": to_latex(t)}
