"""backprop: multi-layer perceptrons and backpropagation, in the lecture's notation and
PyTorch's API.

``import backprop as torch`` runs the lecture's PyTorch code. ``import backprop`` itself loads
nothing but this file: every public name (``backprop.tensor``, ``backprop.Tensor``,
``backprop.nn``, ``backprop.optim``, ``backprop.fit``, …) is looked up in ``_LAZY`` and its
module imported on first use (PEP 562 module ``__getattr__``), so a process pays for NumPy and
the tensor floor when it first touches a tensor, and for ``nn``, ``train`` or ``spec`` only when
it uses them. ``dir(backprop)`` and ``from backprop import *`` see every name as before.
"""

__version__ = "0.1.0"


_FLOOR = ".autograd"
_FUNCTIONAL = ".autograd.functional"

# name -> (module, attribute); attribute None means the module itself.
_LAZY: dict[str, tuple[str, str | None]] = {}


def _add(module: str, names: str, *, rename: dict[str, str] | None = None) -> None:
    for name in names.split():
        _LAZY[name] = (module, name)
    for name, attribute in (rename or {}).items():
        _LAZY[name] = (module, attribute)


# floor 1: tensors, dtypes, grad mode, factories, function forms, printing, random
_add(
    _FLOOR,
    "Function Size Tensor device double dtype enable_grad float32 float64 get_default_dtype "
    "int64 is_grad_enabled long no_grad set_default_dtype set_grad_enabled",
)
_add(
    ".autograd.dtypes",
    "bool_ float16 bfloat16 half",  # the last three refuse any use, in words
    rename={"bool": "bool_", "float": "float32"},
)
_add(
    ".autograd.factories",
    "arange as_tensor empty empty_like eye from_numpy full full_like linspace ones ones_like "
    "rand rand_like randint randn randn_like randperm tensor zeros zeros_like",
)
_add(
    _FUNCTIONAL,
    "sigmoid tanh relu exp log sqrt abs square neg pow clamp clip sum mean max min amax argmax "
    "argmin var std norm matmul mm maximum minimum softmax log_softmax reshape flatten squeeze "
    "unsqueeze transpose permute t clone detach isnan isinf isfinite allclose equal numel "
    "is_tensor cat stack where linear",
)
# the maths families' function forms (torch.sin, torch.cumsum, torch.gather, ...)
_add(
    ".autograd.functional_math",
    "sin cos tan asin acos atan sinh cosh asinh acosh atanh exp2 expm1 log2 log10 log1p rsqrt "
    "reciprocal sign sgn floor ceil round trunc frac erf erfc erfinv logit nan_to_num deg2rad "
    "rad2deg lgamma digamma atan2 hypot fmod remainder copysign logaddexp fmax fmin xlogy "
    "lerp addcmul addcdiv arcsin arccos arctan arcsinh arccosh arctanh arctan2 fix negative "
    "positive absolute float_power floor_divide true_divide divide multiply subtract add sub "
    "mul div clamp_min clamp_max eq ne lt le gt ge greater greater_equal less less_equal "
    "not_equal isclose logical_and logical_or logical_xor logical_not isneginf isposinf "
    "signbit bitwise_and bitwise_or bitwise_xor bitwise_not nansum nanmean prod cumsum "
    "cumprod cummax cummin logsumexp median nanmedian mode sort argsort msort topk kthvalue "
    "amin "
    "aminmax any all count_nonzero unique bincount histc histogram gather scatter scatter_add "
    "index_select index_add masked_fill masked_select nonzero argwhere take take_along_dim "
    "chunk split tensor_split narrow unbind roll flip fliplr flipud tril triu diag diagonal "
    "diag_embed repeat_interleave tile broadcast_to movedim moveaxis swapaxes swapdims outer "
    "ger dot vdot mv bmm addmm baddbmm cross trace nelement ndimension is_floating_point "
    "column_stack dstack einsum hstack meshgrid row_stack vstack std_mean var_mean",
)
_add(".autograd.printing", "get_printoptions set_printoptions")
_add(".autograd.random", "Generator initial_seed manual_seed seed")
_add(".autograd.random", "get_rng_state set_rng_state", rename={"default_generator": "_default"})
_add(".autograd.random_factories", "normal bernoulli multinomial randint_like")
_LAZY["random"] = (".autograd.random_torch", None)  # torch.random
_add(".errors", "BackpropError")
# ``backprop.gradcheck`` is the function (as ``torch.autograd.gradcheck`` is); its module is
# ``backprop.checks``.
_add(".checks", "gradcheck check_gradients")
_add(".spec", "run")
_add(".spec.predicting", "predict")
_add(".sweep.compare", "compare")
_add(".train", "fit")
_add(".serialization", "save load")  # model files via .io; tensor nests
_add(
    ".autograd.compat_misc",
    "finfo inference_mode is_inference_mode_enabled set_num_threads get_num_threads "
    "set_num_interop_threads get_num_interop_threads use_deterministic_algorithms "
    "are_deterministic_algorithms_enabled int32 int16 int8 uint8 short",
    rename={"int": "int32"},
)
# subpackages and modules reachable as attributes without an explicit import
_SUBMODULES = (
    "autograd nn optim checks errors delta diagnostics data train io spec plots files stable "
    "reading filekind locks summary sweep interop playground display sklearn"
)  # every ``backprop.X.name`` the README and docs write works after ``import backprop``
_LAZY.update({name: ("." + name, None) for name in _SUBMODULES.split()})
_LAZY["utils"] = (".utils", None)  # torch.utils.data code finds backprop.utils.data
_LAZY.update({m: ("." + m, None) for m in ("cuda", "backends", "testing", "legacy")})
_LAZY["accelerator"] = (".accelerator", None)  # torch.accelerator on a CPU-only machine
_add(".legacy", "FloatTensor DoubleTensor LongTensor IntTensor BoolTensor")
_add(".legacy", "set_default_device get_default_device")
_add(".nn.out_of_scope", "compile jit")  # out of scope: calling them raises, names say so


def __getattr__(name: str):
    import importlib

    target = _LAZY.get(name)
    if target is None:
        if name.startswith("_"):
            raise AttributeError(f"module 'backprop' has no attribute {name!r}")
        # every public name of the function-form module was once star-imported here
        # (``backprop.ShapeError`` among them); keep them reachable
        functional = importlib.import_module(_FUNCTIONAL, __name__)
        if not hasattr(functional, name):
            raise AttributeError(f"module 'backprop' has no attribute {name!r}")
        target = (_FUNCTIONAL, name)
    module_name, attribute = target
    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BackpropError",
    "Function",
    "Generator",
    "Size",
    "Tensor",
    "arange",
    "as_tensor",
    "bernoulli",
    "bool_",
    "cat",
    "default_generator",
    "device",
    "double",
    "dtype",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "get_default_dtype",
    "get_printoptions",
    "get_rng_state",
    "initial_seed",
    "int64",
    "is_grad_enabled",
    "is_tensor",
    "linspace",
    "long",
    "manual_seed",
    "multinomial",
    "no_grad",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "seed",
    "set_default_dtype",
    "set_grad_enabled",
    "set_printoptions",
    "set_rng_state",
    "stack",
    "tensor",
    "where",
    "zeros",
    "zeros_like",
]


def _in_ipython() -> None:
    """Inside IPython (Jupyter, VS Code): a NameError names the notebook cell that defines the
    name, and backprop's warnings print as one line (``display/ipython.py``)."""
    import sys

    if "IPython" in sys.modules:
        from .display.ipython import install

        install()


_in_ipython()
del _in_ipython
