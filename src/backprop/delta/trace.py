"""The δ recursion laid open: every f[l], a[l], g'(f[l]), δ[l], ∂E/∂W[l], ∂E/∂b[l] (floor 3).

``trace(model, x, y, loss)`` runs the δ engine and returns a ``Trace`` that holds every
intermediate with its shape and prints, in the lecture's notation, a summary table (one row
a layer) followed by each layer's values. W[l] is shown as the lecture's n[l−1] × n[l]
matrix (``Linear.weight.T``; the Parameter itself keeps PyTorch's (out, in) layout). For
every hidden layer the trace also computes δ[l] the long way, diag(g'(f[l])) · (W[l+1] δ[l+1])
with the full diagonal matrix, and records how far it is from the Hadamard form
g'(f[l]) ∘ (W[l+1] δ[l+1]) the engine uses (the slide "Exploiting Diagonal Matrix").

With ``loss=None`` δ[l] is the lecture's ∂ŷ/∂f[l] (the slides' scalar and vector examples);
with a loss it is ∂E/∂f[l]. Nothing here changes ``.grad``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import IndexingError
from .engine import check_target_has_loss, compute, g_prime
from .losses import describe_loss

_MAX_ROWS = 4  # samples shown of row-shaped values (f, a, δ)
_MAX_COLS = 8  # entries shown of a vector, rows and columns of a matrix (its corners)
_MAX_LAYERS = 12  # layers printed in full (the last and first half); the table has them all
_MAX_TABLE = 40  # rows of the summary table (the first and last half)


@dataclass
class LayerTrace:
    """Everything about layer l; row-shaped arrays have one row per sample.

    Examples:
        >>> import numpy as np
        >>> from backprop import delta, nn
        >>> from backprop.delta import lecture
        >>> model = lecture.scalar_network((0.8, -1.3, 0.7))  # the slides' W[1], W[2], W[3]
        >>> t = delta.trace(model, np.array([[0.5]]))  # no loss: ∂ŷ/∂W
        >>> layer = t[2]
        >>> layer.g, layer.f.round(6), layer.a.round(6)
        ('sigmoid', array([[-0.778294]]), array([[0.314688]]))
        >>> layer.g_prime.round(6)  # σ'(f) = a(1 − a)
        array([[0.215659]])
        >>> layer.delta.round(6)  # g'(f[2]) ∘ W[3] δ[3], δ[3] = 1
        array([[0.150962]])
        >>> layer.dW.round(6)  # a[1] δ[2]
        array([[0.090379]])
    """

    l: int
    n_prev: int
    n: int
    g: str
    W: np.ndarray  # n[l−1] × n[l], the lecture's orientation
    b: np.ndarray | None
    f: np.ndarray
    a: np.ndarray
    g_prime: np.ndarray | None  # None for a row-wise (softmax) output
    back: np.ndarray | None  # W[l+1] δ[l+1] (hidden layers) — the back-propagated error
    delta: np.ndarray
    dW: np.ndarray  # ∂E/∂W[l] = a[l−1] δ[l]ᵀ, summed over rows; n[l−1] × n[l]
    db: np.ndarray | None
    diag_vs_hadamard: float | None  # max |diag(g')·v − g'∘v|; None for the output layer

    @property
    def shapes(self) -> dict[str, tuple]:
        return {
            "W": self.W.shape,
            "f": self.f.shape,
            "a": self.a.shape,
            "delta": self.delta.shape,
            "dW": self.dW.shape,
            "db": None if self.db is None else self.db.shape,
        }


@dataclass
class Trace:
    """A whole backward pass in the lecture's notation; ``print(trace)`` shows it.

    Examples:
        The slides' scalar example (numbers checked by hand, see ``Gradients``); ``print(t)`` shows
        every quantity by layer, ``t[l]`` is layer l:

        >>> import numpy as np
        >>> from backprop import delta, nn
        >>> from backprop.delta import lecture
        >>> model = lecture.scalar_network((0.8, -1.3, 0.7))  # the slides' W[1], W[2], W[3]
        >>> E = nn.HalfMSELoss(reduction='sum')
        >>> t = delta.trace(model, np.array([[0.5]]), np.array([[1.0]]), E)
        >>> round(t.loss, 6)
        0.303981
        >>> t.y_hat.round(6)
        array([[0.220281]])
        >>> [round(t[l].dW.item(), 6) for l in (1, 2, 3)]  # the lecture's ∂E/∂W[l]
        [0.018382, -0.07047, -0.245368]
    """

    x: np.ndarray
    y: np.ndarray | None
    y_hat: np.ndarray
    loss: float | None
    loss_text: str
    layers: list[LayerTrace]
    notes: list[str] = field(default_factory=list)
    x_name: str = "x"  # what a[0] is: "z" when the input was standardised (explain)

    def __getitem__(self, l: int) -> LayerTrace:
        """Layer l in the lecture's numbering (1 … L)."""
        if not 1 <= l <= len(self.layers):
            raise IndexingError(f"trace: layers are numbered 1 … {len(self.layers)}, got {l}")
        return self.layers[l - 1]

    def __str__(self) -> str:
        return render(self)

    def __repr__(self) -> str:
        sizes = "-".join(str(n) for n in [self.layers[0].n_prev] + [t.n for t in self.layers])
        loss = "no loss: δ[l] = ∂ŷ/∂f[l]" if self.loss is None else f"E = {self.loss:.6g}"
        return f"<Trace of a {sizes} MLP on {self.x.shape[0]} sample(s), {loss}>"

    # Notebook displays (backprop.display, a floor above, imported when a front end asks).
    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        from ..display import trace_mimebundle

        return trace_mimebundle(self)

    def _repr_html_(self) -> str:
        from ..display import trace_html

        return trace_html(self)

    def _repr_latex_(self) -> str:
        from ..display import trace_latex

        return trace_latex(self)

    def plot(self, path=None, **kwargs):
        """‖δ[l]‖ and ‖∂E/∂W[l]‖ per layer (``plots.trace_norms``): the Figure, or the
        path when one is given."""
        from ..plots import trace_norms

        return trace_norms(self, path, **kwargs)


def trace(model, x, y=None, loss=None) -> Trace:
    """Run forward and the δ recursion on ``x`` and keep every intermediate.

    Examples:
        >>> import numpy as np
        >>> from backprop import delta
        >>> from backprop.delta import lecture
        >>> t = delta.trace(lecture.scalar_network((0.8, -1.3, 0.7)), np.array([[0.5]]))
        >>> print(t)  # doctest: +ELLIPSIS
        Backpropagation trace: 1-1-1-1 MLP, N = 1 sample(s)
        ...
        >>> round(t[3].dW.item(), 6), round(t[1].delta.item(), 6)  # ∂ŷ/∂W[3] = a[2], δ[1]
        (0.314688, -0.047151)
    """
    check_target_has_loss("delta.trace", y, loss)
    grads = compute(model, x, y, loss)
    cache = grads.cache
    net = cache.layers
    L = len(net)
    out = []
    for l, layer in enumerate(net, start=1):
        f, a = cache.f[l], cache.a[l]
        gp = None if layer.rowwise else g_prime(layer, f, a)
        back = diag_gap = None
        if l < L:
            back = grads.delta[l + 1] @ net[l].weight._data
            # The slide's long way: a diagonal matrix times a vector, sample by sample.
            long_way = np.stack([np.diag(gp[i]) @ back[i] for i in range(f.shape[0])])
            diag_gap = float(np.max(np.abs(long_way - grads.delta[l]))) if f.size else 0.0
        out.append(
            LayerTrace(
                l=l,
                n_prev=layer.n_in,
                n=layer.n_out,
                g=layer.g_name,
                W=layer.weight._data.T.copy(),
                b=None if layer.bias is None else layer.bias._data.copy(),
                f=f,
                a=a,
                g_prime=gp,
                back=back,
                delta=grads.delta[l],
                dW=grads.weight_grads[l],
                db=grads.bias_grads[l],
                diag_vs_hadamard=diag_gap,
            )
        )
    y_arr = None if y is None else np.asarray(getattr(y, "_data", y))
    return Trace(
        x=cache.a[0],
        y=y_arr,
        y_hat=cache.output,
        loss=None if loss is None else float(grads.loss),
        loss_text=describe_loss(loss),
        layers=out,
        notes=grads.notes,
    )


# -- rendering --------------------------------------------------------------------------
def _fmt(v: float) -> str:
    return f"{v: .4f}" if abs(v) < 1e4 and (abs(v) >= 1e-4 or v == 0) else f"{v: .3e}"


def _vec(row: np.ndarray) -> str:
    """A vector; past _MAX_COLS entries, the first and last _MAX_COLS // 2 and how many not."""
    row = np.ravel(row)
    if row.size <= _MAX_COLS:
        return "[" + ", ".join(_fmt(float(v)) for v in row) + "]"
    half = _MAX_COLS // 2
    ends = [", ".join(_fmt(float(v)) for v in part) for part in (row[:half], row[-half:])]
    return f"[{ends[0]}, … {row.size - _MAX_COLS} more …, {ends[1]}]"


def _mat(m: np.ndarray, indent: int = 0) -> str:
    """A matrix one row a line, rows aligned under the first (``indent`` = its column); past
    _MAX_COLS rows or columns, its corners and how many rows and columns were left out."""
    if m.ndim == 1:
        return _vec(m)
    sep = ",\n" + " " * (indent + 1)
    if m.shape[0] <= _MAX_COLS:
        body = sep.join(_vec(r) for r in m)
    else:
        half = _MAX_COLS // 2
        gap = f"… {m.shape[0] - _MAX_COLS} more rows …"
        body = sep.join([*(_vec(r) for r in m[:half]), gap, *(_vec(r) for r in m[-half:])])
    cut = m.shape[0] > _MAX_COLS or m.shape[1] > _MAX_COLS
    note = f"  ({m.shape[0]}×{m.shape[1]}: only the corners shown)" if cut else ""
    return "[" + body + "]" + note


def _rows(m: np.ndarray) -> str:
    """Row-shaped values: one bracket per sample, at most _MAX_ROWS of them."""
    shown = [_vec(r) + "ᵀ" for r in m[:_MAX_ROWS]]
    more = f" … ({m.shape[0] - _MAX_ROWS} more samples)" if m.shape[0] > _MAX_ROWS else ""
    return ", ".join(shown) + more


def _norm(m: np.ndarray) -> str:
    return f"{float(np.linalg.norm(m)):.3e}"


_VECTORS = (
    "vectors are the lecture's column vectors (n[l]×1) of one sample, written [...]ᵀ (the "
    "table's batch shape N×n[l] stacks them as rows); W[l] is n[l−1]×n[l]"
)
_BATCH = (
    "vectors are the lecture's column vectors (n[l]×1), one [...]ᵀ per sample; in the batch "
    "form they are the N = {n} rows of F[l] = A[l−1] W[l] (N×n[l])"
)


def _shown(layers: list) -> list:
    """The layers printed in full, a None where the middle of a deep net is left out."""
    L = len(layers)
    if L <= _MAX_LAYERS:
        return list(layers)
    half = _MAX_LAYERS // 2
    return [*layers[:half], None, *layers[L - half :]]


def render(t: Trace) -> str:
    sizes = "-".join(str(n) for n in [t.layers[0].n_prev] + [lt.n for lt in t.layers])
    n = t.x.shape[0]
    e = "ŷ" if t.loss is None else "E"
    lines = [
        f"Backpropagation trace: {sizes} MLP, N = {n} sample(s)",
        f"loss: {t.loss_text}" + ("" if t.loss is None else f";  E = {_fmt(t.loss).strip()}"),
        "",
        f"  l  n[l]  g[l]          W[l] (n[l-1]×n[l])  batch of f, a, δ   ∂{e}/∂W[l]   ‖δ[l]‖      "
        f"‖∂{e}/∂W[l]‖",
    ]
    L = len(t.layers)
    for lt in t.layers:
        if L > _MAX_TABLE and _MAX_TABLE // 2 < lt.l <= L - _MAX_TABLE // 2:
            if lt.l == _MAX_TABLE // 2 + 1:
                lines.append(f"  … {L - _MAX_TABLE} more layers …")
            continue
        w_shape = f"{lt.n_prev}×{lt.n}"
        rows = f"{n}×{lt.n}"
        lines.append(
            f"  {lt.l:<2} {lt.n:<5} {lt.g:<13} {w_shape:<19} {rows:<18} {w_shape:<10} "
            f"{_norm(lt.delta):<11} {_norm(lt.dW)}"
        )
    lines += ["", _VECTORS if n == 1 else _BATCH.format(n=n), "", "forward pass:"]
    lines.append(f"  a[0] = {t.x_name} = {_rows(t.x)}")
    for lt in _shown(t.layers):
        if lt is None:
            lines.append(f"  … layers {_MAX_LAYERS // 2 + 1} to {L - _MAX_LAYERS // 2} not shown …")
            continue
        lines.append("")
        lines.append(f"layer {lt.l}: g[{lt.l}] = {lt.g}, W[{lt.l}] is {lt.n_prev}×{lt.n}")
        lines.append(f"  W[{lt.l}]      = {_mat(lt.W, 14)}")
        if lt.b is not None:
            lines.append(f"  b[{lt.l}]      = {_vec(lt.b)}ᵀ")  # a column, n[l]×1
        bias = f" + b[{lt.l}]" if lt.b is not None else ""
        lines.append(f"  f[{lt.l}]      = W[{lt.l}]ᵀ a[{lt.l - 1}]{bias} = {_rows(lt.f)}")
        lines.append(f"  a[{lt.l}]      = g(f[{lt.l}]) = {_rows(lt.a)}")
    lines.append("")
    lines.append(f"  ŷ = a[{L}] = {_rows(t.layers[-1].a)}")
    if t.loss is not None:
        lines.append(f"  E = {_fmt(t.loss).strip()}  (the loss named at the top)")
    lines += ["", f"backward pass (δ[l] = ∂{e}/∂f[l], from the output down):"]
    for lt in reversed(_shown(t.layers)):
        if lt is None:
            lines.append(f"  … layers {L - _MAX_LAYERS // 2} to {_MAX_LAYERS // 2 + 1} not shown …")
            continue
        lines.append("")
        lines.append(f"layer {lt.l}:")
        if lt.g_prime is not None:
            lines.append(f"  g'(f[{lt.l}])  = {_rows(lt.g_prime)}")
        if lt.l == L:
            # no loss: the seed is ∂ŷ/∂ŷ = 1
            seed = "1" if t.loss is None else "∂E/∂ŷ"
            how = f"(∂a/∂f)ᵀ {seed}" if lt.g_prime is None else f"g'(f[{lt.l}]) ∘ {seed}"
            lines.append(f"  δ[{lt.l}]      = {how} = {_rows(lt.delta)}")
        else:
            lines.append(f"  W[{lt.l + 1}] δ[{lt.l + 1}] = {_rows(lt.back)}")
            lines.append(
                f"  δ[{lt.l}]      = g'(f[{lt.l}]) ∘ (W[{lt.l + 1}] δ[{lt.l + 1}]) = "
                + _rows(lt.delta)
            )
            lines.append(
                f"               = diag(g'(f[{lt.l}])) (W[{lt.l + 1}] δ[{lt.l + 1}])  "
                f"(max difference {lt.diag_vs_hadamard:.1e})"
            )
        summed = " (summed over samples)" if n > 1 else ""
        head = f"  ∂{e}/∂W[{lt.l}]  = a[{lt.l - 1}] δ[{lt.l}]ᵀ{summed} = "
        lines.append(head + _mat(lt.dW, len(head)))
        if lt.db is not None:
            lines.append(f"  ∂{e}/∂b[{lt.l}]  = δ[{lt.l}]{summed} = {_vec(lt.db)}ᵀ")
    for note in t.notes:
        lines.append("")
        lines.append("note: " + note)
    return "\n".join(lines)
