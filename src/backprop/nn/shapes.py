"""One message for data whose rows do not fit the network's first layer, for every engine.

``nn.Linear`` (autograd), the δ engine (``delta.forward``/``backward``/``trace``), the compiled
loop and ``fit`` all refuse input of the wrong width with these words, so a student reads
the same fix whichever path ran. The fix never reshapes samples into other samples: a
``(50, 1)`` column given to a 2-input network is 50 samples of one feature, and
``x.reshape(-1, 2)`` would turn it into 25 samples of two numbers that never belonged
together (the δ engine's message suggested exactly that). Either the data gets the features
the network expects, or the network is built for the data's features.
"""

from __future__ import annotations

__all__ = ["wrong_width"]


def wrong_width(who: str, shape, n_in: int, what: str = "input", layer: bool = False) -> str:
    """``who: input of shape [N, k] has k features … expects n_in …`` and the two real fixes:
    data of n_in features, or a network (``layer=True``: a layer) built for k."""
    shape = [int(n) for n in shape]
    got = shape[-1] if shape else 1
    column = len(shape) == 1 and n_in == 1

    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    hint = " A 1-D batch of numbers must be a column: x.reshape(-1, 1)." if column else ""
    if layer:
        expects, build = "the layer expects", f"build the layer with in_features={got}"
    else:
        expects = "the network's first layer expects"
        build = f"build the network with {n(got, 'input')} (nn.MLP([{got}, ...]))"
    return (
        f"{who}: {what} of shape {shape} has {n(got, 'feature')} in its last dimension, but "
        f"{expects} {n_in} (in_features). Give data of shape (N, {n_in}), one row per "
        f"sample with its {n(n_in, 'feature')}, or {build}.{hint}"
    )
