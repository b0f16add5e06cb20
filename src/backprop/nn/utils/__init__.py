"""``nn.utils``: helpers around a training step, with PyTorch's names — gradient clipping
(``clip_grad_norm_``, ``clip_grad_value_``), parameters as one flat vector
(``parameters_to_vector``, ``vector_to_parameters``) and ``rnn.pad_sequence`` for batching
sequences of different lengths. They work on tensors and ``.grad``; none holds state.
"""

from . import rnn
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "rnn",
    "vector_to_parameters",
]
