"""``nn.utils.rnn.pad_sequence``: stack sequences of different lengths into one padded batch
(the part of torch's RNN utilities that MLP code over variable-length inputs uses; the
recurrent layers themselves are out of scope)."""

from __future__ import annotations

from ...autograd.tensor import Tensor
from ...errors import ConfigError, DTypeError, ShapeError

__all__ = ["pad_sequence"]


def pad_sequence(
    sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
) -> Tensor:
    """Sequences (L_i, *) → (L_max, B, *) or, with ``batch_first``, (B, L_max, *); the gaps
    hold ``padding_value`` (after each sequence, or before it with ``padding_side='left'``).
    Gradients flow back to every sequence."""
    from ...autograd.factories import full
    from ...autograd.functional import cat, stack

    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0)) if hasattr(sequences, "unbind") else list(sequences)
    sequences = list(sequences)
    if not sequences:
        raise ConfigError("pad_sequence: received an empty list of sequences.")
    if padding_side not in ("right", "left"):
        raise ConfigError(
            f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}."
        )
    for k, s in enumerate(sequences):
        if not isinstance(s, Tensor):
            raise DTypeError(f"pad_sequence: sequence {k} is a {type(s).__name__}, not a Tensor.")
        if s.ndim == 0 or tuple(s.shape[1:]) != tuple(sequences[0].shape[1:]):
            raise ShapeError(
                f"pad_sequence: sequence {k} has shape {list(s.shape)}; every sequence must be "
                f"(L, {', '.join(map(str, sequences[0].shape[1:])) or '*'}) with the same "
                "trailing dimensions."
            )
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        gap = longest - s.shape[0]
        if gap == 0:
            padded.append(s)
            continue
        filler = full((gap, *s.shape[1:]), padding_value, dtype=s.dtype)
        padded.append(cat([s, filler] if padding_side == "right" else [filler, s]))
    return stack(padded, 0 if batch_first else 1)
