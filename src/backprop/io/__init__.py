"""Model files: a trained MLP and its description in one safetensors file (floor 5).

``save(model, path)`` writes the weights under PyTorch's state-dict keys plus, as JSON in
the file's metadata, the model part of the spec (sizes, activations and their options, bias,
dtype), the full experiment spec if given (its data scaler too) and any user metadata, so
the file alone rebuilds a ready model: ``load(path)`` returns it in eval mode, predicting
bit-identically. Writes are atomic; reading treats the file as untrusted (never pickle,
never eval) and turns every problem (missing, truncated, corrupted, foreign, NaN weights)
into one ``ModelFileError`` with a one-line reason. It stores ``nn.MLP`` models and
``nn.Sequential`` stacks of ``Linear`` and registry activations only; for any other module
save ``model.state_dict()`` with your own code. Training checkpoints (optimizer state) are
not model files.
"""

from .container import MAX_HEADER
from .modelfile import FORMAT, RESERVED, ModelFile, load, read, save
from .modelspec import build_model, expected_tensors, model_spec, normalize_model_spec

__all__ = [
    "FORMAT",
    "MAX_HEADER",
    "RESERVED",
    "ModelFile",
    "build_model",
    "expected_tensors",
    "load",
    "model_spec",
    "normalize_model_spec",
    "read",
    "save",
]
