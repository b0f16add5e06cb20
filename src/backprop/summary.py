"""``summary(model)``: a model's layers, shapes in both orientations and parameter counts.

The table PyTorch users have asked for since 2017, in the lecture's terms: for each layer l
the weight as the lecture writes it, W[l] of shape n[l−1] × n[l], next to the Parameter's
own (out, in) layout, the bias, g[l] and the parameter count. Works for any Module; the
lecture's layer view needs a Linear + activation chain (``backprop.delta.layers``), and
other modules are listed by parameter only. It returns a value; printing is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LayerRow:
    l: int
    description: str
    lecture_shape: str  # W[l]: n[l−1] × n[l]
    torch_shape: str  # weight: out × in
    bias: str
    params: int
    activation: str


@dataclass
class ModelSummary:
    name: str
    sizes: list[int] | None
    rows: list[LayerRow]
    total: int
    trainable: int
    dtype: str
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        arch = "-".join(map(str, self.sizes)) if self.sizes else "(not a plain MLP)"
        lines = [f"{self.name}: {arch}"]
        head = ("l", "layer", "W[l] (n[l-1]×n[l])", "weight (out×in)", "bias", "params", "g[l]")
        table = [head] + [
            (str(r.l), r.description, r.lecture_shape, r.torch_shape, r.bias, str(r.params),
             r.activation)
            for r in self.rows
        ]  # fmt: skip
        widths = [max(len(row[i]) for row in table) for i in range(len(head))]
        for row in table:
            lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        lines.append(
            f"total parameters: {self.total:,} (trainable {self.trainable:,}); dtype {self.dtype}"
        )
        lines.extend(self.notes)
        return "\n".join(lines)


def summary(model, name: str | None = None) -> ModelSummary:
    """Describe ``model`` layer by layer (lecture and PyTorch orientations side by side)."""
    from .delta import DeltaEngineError, layers

    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    dtype = str(params[0].dtype).removeprefix("backprop.") if params else "-"
    title = name or type(model).__name__
    try:
        net = layers(model)
    except DeltaEngineError:
        rows = [
            LayerRow(i, n, "-", "×".join(map(str, p.shape)), "-", p.numel(), "-")
            for i, (n, p) in enumerate(model.named_parameters(), start=1)
        ]
        note = "not a Linear + activation chain: parameters listed one by one"
        return ModelSummary(title, None, rows, total, trainable, dtype, [note])
    rows = []
    for layer in net:
        n_in, n_out = layer.n_in, layer.n_out
        count = layer.weight.numel() + (layer.bias.numel() if layer.bias is not None else 0)
        rows.append(
            LayerRow(
                l=layer.index,
                description=f"Linear({n_in} → {n_out})",
                lecture_shape=f"{n_in}×{n_out}",
                torch_shape=f"{n_out}×{n_in}",
                bias=str(n_out) if layer.bias is not None else "none",
                params=count,
                activation=layer.g_name,
            )
        )
    sizes = [net[0].n_in] + [layer.n_out for layer in net]
    return ModelSummary(title, sizes, rows, total, trainable, dtype)
