"""nn layers against PyTorch 2.13: the lecture's MultilayerPerceptron (parameters, state
dict, repr, loading torch weights), Linear, activations, Sequential and MLP."""

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
from backprop.errors import ConfigError, DTypeError, ShapeError

torch = pytest.importorskip("torch")


TOL = 1e-10


def make_lecture_model(nn_module):
    """The lecture's model, written exactly as on the slides, for either library."""

    class MultilayerPerceptron(nn_module.Module):  # 3 layers, with 2 hidden layers
        def __init__(self, input_size, hidden_size):
            # Call to the __init__ function of the super class
            super(MultilayerPerceptron, self).__init__()  # noqa: UP008 - as on the slide
            # Bookkeeping: Saving the initialization parameters
            self.input_size = input_size
            self.hidden_size = hidden_size
            # Defining of our layers
            self.linear = nn_module.Linear(self.input_size, self.hidden_size)
            self.linear2 = nn_module.Linear(self.hidden_size, self.hidden_size)
            self.linear3 = nn_module.Linear(self.hidden_size, 1)
            self.relu = nn_module.ReLU()

        def forward(self, x):
            linear = self.linear(x)
            linear2 = self.linear2(self.relu(linear))
            linear3 = self.linear3(self.relu(linear2))
            return linear3

    return MultilayerPerceptron


def torch_state_as_ours(module):
    return {k: bp.tensor(v.detach().numpy()) for k, v in module.state_dict().items()}


# -- the lecture's model ---------------------------------------------------------------------
def test_lecture_model_parameters_state_dict_and_repr_equal_torch():
    ours = make_lecture_model(nn)(1, 8)
    theirs = make_lecture_model(torch.nn)(1, 8)
    assert [(k, tuple(p.shape)) for k, p in ours.named_parameters()] == [
        (k, tuple(p.shape)) for k, p in theirs.named_parameters()
    ]
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]
    assert list(ours.state_dict()) == [
        "linear.weight", "linear.bias", "linear2.weight", "linear2.bias",
        "linear3.weight", "linear3.bias",
    ]  # fmt: skip
    assert repr(ours) == repr(theirs)
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ours.parameters())


def test_lecture_model_named_parameters_print_like_torch():
    ours = make_lecture_model(nn)(1, 8)
    theirs = make_lecture_model(torch.nn)(1, 8)
    ours.load_state_dict(torch_state_as_ours(theirs))
    ours_text = repr(list(ours.named_parameters())).replace("backprop", "torch")
    assert ours_text == repr(list(theirs.named_parameters()))


def test_loading_torch_weights_gives_identical_outputs_and_gradients(rng):
    ours = make_lecture_model(nn)(1, 8)
    theirs = make_lecture_model(torch.nn)(1, 8).double()
    result = ours.double().load_state_dict(torch_state_as_ours(theirs))
    assert repr(result) == "<All keys matched successfully>"
    x = 5 * rng.normal(size=(100, 1))
    y = x**2 + rng.normal(size=(100, 1))
    loss = nn.MSELoss()(ours(bp.tensor(x)), bp.tensor(y))
    ref = torch.nn.MSELoss()(theirs(torch.tensor(x)), torch.tensor(y))
    assert loss.item() == pytest.approx(ref.item(), rel=1e-12)
    loss.backward()
    ref.backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, err_msg=name)


def test_lecture_training_loop_runs_and_fits():
    bp.manual_seed(0)
    x = 5 * bp.randn(100, 1)
    y = bp.square(x) + bp.randn_like(x)
    model = make_lecture_model(nn)(1, 8)
    adam = bp.optim.Adam(model.parameters(), lr=1e-1)
    loss_function = nn.MSELoss()
    first = loss_function(model(x), y).item()
    for _ in range(400):
        adam.zero_grad()
        loss = loss_function(model(x), y)
        loss.backward()
        adam.step()
    assert f"{loss}" == str(loss.item())
    assert loss.item() < first / 20


# -- Linear ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 5, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias, rng):
    ours = nn.Linear(3, 2, bias=bias, dtype=bp.float64)
    theirs = torch.nn.Linear(3, 2, bias=bias, dtype=torch.float64)
    ours.load_state_dict(torch_state_as_ours(theirs))
    x = rng.normal(size=shape)
    xo, xt = bp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xo), theirs(xt)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=TOL, atol=TOL)
    g = rng.normal(size=ref.shape)
    out.backward(bp.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=TOL)
    if bias:
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=TOL)
    assert repr(ours) == repr(theirs)


def test_linear_default_init_is_within_one_over_sqrt_fan_in():
    layer = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight, layer.bias):
        values = p.detach().numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.97 * bound
    # U(−b, b) has standard deviation b/√3
    assert layer.weight.detach().numpy().std() == pytest.approx(bound / np.sqrt(3), rel=0.02)
    assert layer.weight.dtype == bp.float32


def test_linear_init_is_reproducible_with_manual_seed():
    bp.manual_seed(7)
    a = nn.Linear(3, 4)
    bp.manual_seed(7)
    b = nn.Linear(3, 4)
    assert np.array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    assert not np.array_equal(a.weight.detach().numpy(), nn.Linear(3, 4).weight.detach().numpy())


def test_linear_wrong_width_names_layer_and_input_shape():
    layer = nn.Linear(1, 8)
    with pytest.raises(ShapeError) as info:
        layer(bp.zeros(100))
    message = str(info.value)
    assert "in_features=1" in message and "out_features=8" in message
    assert "[100]" in message and "reshape(-1, 1)" in message
    with pytest.raises(ShapeError, match=r"\[4, 2\].*expects 1"):
        layer(bp.zeros(4, 2))
    with pytest.raises(ConfigError, match="in_features"):
        nn.Linear(-1, 2)


def test_linear_input_that_is_not_a_tensor_or_has_no_features():
    layer = nn.Linear(2, 3)
    with pytest.raises(DTypeError, match=r"Linear\(in_features=2, out_features=3\): input must"):
        layer([[1.0, 2.0]])  # was "operand: expected a Tensor", naming no layer
    with pytest.raises(ShapeError, match="0-d tensor"):
        layer(bp.tensor(1.0))
    with pytest.raises(DTypeError) as info:
        layer(bp.ones(1, 2, dtype=bp.int64))
    assert "model.to" not in str(info.value)  # a model cannot be int64


# -- activations -------------------------------------------------------------------------------
ACTIVATIONS = [
    ("Sigmoid", {}),
    ("Tanh", {}),
    ("ReLU", {}),
    ("ReLU", {"inplace": True}),
    ("LeakyReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.2}),
    ("ELU", {}),
    ("ELU", {"alpha": 0.5}),
    ("GELU", {}),
    ("GELU", {"approximate": "tanh"}),
    ("Softplus", {}),
    ("Softplus", {"beta": 2.0, "threshold": 5.0}),
    ("SiLU", {}),
    ("Softmax", {"dim": 1}),
    ("Softmax", {"dim": 0}),
    ("LogSoftmax", {"dim": -1}),
    ("Identity", {}),
    ("Flatten", {}),
    ("Flatten", {"start_dim": 0, "end_dim": 1}),
]


@pytest.mark.parametrize("name, options", ACTIVATIONS, ids=lambda v: str(v))
@pytest.mark.parametrize("shape", [(7, 3), (2, 3, 4)])
def test_activation_modules_match_torch(name, options, shape, rng):
    ours, theirs = getattr(nn, name)(**options), getattr(torch.nn, name)(**options)
    assert repr(ours) == repr(theirs)
    x = rng.normal(size=shape) * 4
    x.flat[0] = 0.0
    xo, xt = bp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xo * 1.0), theirs(xt * 1.0)  # not leaves: torch's inplace=True needs that
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=TOL, atol=TOL)
    g = rng.normal(size=ref.shape)
    out.backward(bp.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=TOL, atol=TOL)


def test_softplus_extreme_inputs_are_finite_and_match_torch():
    x = np.array([-1e4, -50.0, 0.0, 19.9, 20.1, 1e4])
    xo, xt = bp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = nn.Softplus()(xo), torch.nn.Softplus()(xt)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=TOL, atol=0)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=TOL, atol=0)
    assert np.isfinite(out.detach().numpy()).all()


def test_step_is_the_lectures_sgn_and_has_zero_gradient():
    x = bp.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    y = nn.Step()(x)
    assert y.tolist() == [-1.0, -1.0, 1.0]  # sgn(0) = −1, as on the slide
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    assert "cannot" in nn.Step.__doc__
    assert repr(nn.Step()) == "Step()"


def test_activation_modules_name_their_registry_entry():
    from backprop.autograd.activations import ACTIVATIONS as REGISTRY

    for cls in (nn.Step, nn.Sigmoid, nn.Tanh, nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU):
        assert cls.activation in REGISTRY
    assert nn.LeakyReLU(0.3).options == {"negative_slope": 0.3}
    assert nn.Softplus(2.0).options == {"beta": 2.0, "threshold": 20.0}


def test_softmax_without_dim_warns_and_picks_torchs_dim(rng):
    x = rng.normal(size=(3, 4))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = nn.Softmax()(bp.tensor(x))
    with pytest.warns(UserWarning):
        ref = torch.nn.Softmax()(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=TOL)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ConfigError, match="approximate"):
        nn.GELU("fast")


# -- Sequential and MLP ------------------------------------------------------------------------
def test_sequential_indexing_and_editing_match_torch():
    def build(lib):
        return lib.Sequential(lib.Linear(2, 3), lib.ReLU(), lib.Linear(3, 1), lib.Sigmoid())

    ours, theirs = build(nn), build(torch.nn)
    assert repr(ours) == repr(theirs) and len(ours) == 4
    assert isinstance(ours[0], nn.Linear) and isinstance(ours[-1], nn.Sigmoid)
    assert list(ours[1:3].state_dict()) == list(theirs[1:3].state_dict()) == ["2.weight", "2.bias"]
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    for seq, lib in ((ours, nn), (theirs, torch.nn)):
        del seq[1]
        seq.append(lib.Tanh())
        seq.insert(0, lib.Identity())
        seq[1] = lib.Linear(2, 3)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert type(ours.pop(0)).__name__ == "Identity" and len(ours) == 4
    with pytest.raises(IndexError, match="out of range"):
        ours[10]
    nested = nn.Sequential(nn.Sequential(nn.Linear(1, 2)), nn.Tanh())
    assert repr(nested) == repr(torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(1, 2)),
                                                    torch.nn.Tanh()))  # fmt: skip
    assert list(nested.state_dict()) == ["0.0.weight", "0.0.bias"]


def test_sequential_forward_matches_torch(rng):
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    theirs.double()
    ours.load_state_dict(torch_state_as_ours(theirs))
    x = rng.normal(size=(5, 3))
    np.testing.assert_allclose(
        ours(bp.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=TOL
    )


def test_mlp_equals_the_same_torch_sequential(rng):
    model = nn.MLP([2, 8, 8, 1], activation=["tanh", nn.ReLU], output_activation="sigmoid")
    theirs = torch.nn.Sequential(
        torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.ReLU(),
        torch.nn.Linear(8, 1), torch.nn.Sigmoid(),
    )  # fmt: skip
    assert repr(model) == repr(theirs).replace("Sequential", "MLP", 1)
    assert list(model.state_dict()) == list(theirs.state_dict())
    model.double().load_state_dict(torch_state_as_ours(theirs.double()))
    x = rng.normal(size=(6, 2))
    np.testing.assert_allclose(
        model(bp.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=TOL
    )
    assert model.sizes == [2, 8, 8, 1]


def test_mlp_argument_errors():
    with pytest.raises(ConfigError, match="2 activations for 1 hidden"):
        nn.MLP([1, 4, 1], activation=["relu", "tanh"])
    with pytest.raises(ConfigError, match="unknown name"):
        nn.MLP([1, 4, 1], activation="relux")
    with pytest.raises(ConfigError, match="at least two"):
        nn.MLP([3])
    with pytest.raises(ConfigError, match=r"sizes\[1\]"):
        nn.MLP([3, 0, 1])
