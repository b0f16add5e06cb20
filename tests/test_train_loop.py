"""fit: equal to hand-written loops (the lecture's, and PyTorch's), seeded minibatches that
visit every sample once, δ engine = autograd, random stratified validation splits and
metrics equal to scikit-learn's."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.delta import DeltaEngineError
from backprop.errors import ConfigError
from backprop.train import Callback
from train_helpers import lecture_data, mlp64, seeded, train, weights


class LecturePerceptron(nn.Module):
    """The lecture's MultilayerPerceptron(1, 8): a Module the δ engine cannot read."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 8)
        self.linear2 = nn.Linear(8, 8)
        self.linear3 = nn.Linear(8, 1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.linear3(self.relu(self.linear2(self.relu(self.linear(x)))))


class Recorder(nn.Module):
    """Linear(1, k) that records the first column (a row id) of every training batch."""

    def __init__(self, k=1):
        super().__init__()
        self.linear = nn.Linear(1, k)
        self.seen = []

    def forward(self, x):
        if self.training:
            self.seen.append(x.numpy()[:, 0].round().astype(int).tolist())
        return self.linear(x)


class EpochWeights(Callback):
    def __init__(self):
        self.weights = []

    def on_epoch_end(self, state):
        self.weights.append(weights(state.model))


# ------------------------------------------------------------------ the loop itself


@pytest.mark.parametrize("kind", ["lecture module (autograd)", "nn.MLP float64 (δ engine)"])
def test_full_batch_fit_equals_the_lecture_loop_step_for_step(kind):
    x, y = lecture_data()
    if kind.startswith("lecture"):
        make = LecturePerceptron
    else:
        make = lambda: nn.MLP([1, 8, 8, 1]).double()  # noqa: E731
        x, y = x.double(), y.double()
    loss_fn, epochs = nn.MSELoss(), 30
    ref = seeded(make)
    adam = optim.Adam(ref.parameters(), lr=0.1)
    ref_losses, ref_weights = [], []
    for _ in range(epochs):  # the lecture's loop; the loss it prints is taken before the step
        adam.zero_grad()
        loss = loss_fn(ref(x), y)
        ref_losses.append(loss.item())
        loss.backward()
        adam.step()
        ref_weights.append(weights(ref))

    model = seeded(make)
    snaps = EpochWeights()
    history = train(model, (x, y), loss_fn, epochs, callbacks=[snaps], lr=0.1)
    assert history.epochs == list(range(1, epochs + 1))
    if kind.startswith("lecture"):
        assert history.engine == "autograd"
        assert history["loss"] == ref_losses  # the very same operations: bit for bit
        for got, want in zip(snaps.weights, ref_weights):
            for g, w in zip(got, want):
                np.testing.assert_array_equal(g, w)
    else:  # compiled when this process holds the kernel (other tests load it), else NumPy
        assert history.engine in ("delta", "fused")
        np.testing.assert_allclose(history["loss"], ref_losses, rtol=1e-10)
        for got, want in zip(snaps.weights, ref_weights):
            for g, w in zip(got, want):
                np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    assert history["lr"] == [0.1] * epochs
    assert all(b > a for a, b in zip(history["time"], history["time"][1:]))


def test_minibatch_fit_matches_a_pytorch_loop():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    y = np.sin(x[:, :1]) * x[:, 1:]
    model = seeded(lambda: mlp64([2, 6, 1]))
    ref = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1))
    ref = ref.double()
    ref.load_state_dict(
        {k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()}
    )
    opt = torch.optim.Adam(ref.parameters(), lr=0.05)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    order, want, want_end = np.random.default_rng(7), [], []
    for _ in range(6):
        perm, total = order.permutation(50), 0.0
        for lo in range(0, 50, 16):
            rows = torch.from_numpy(perm[lo : lo + 16])
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(ref(xt[rows]), yt[rows])
            total += loss.item() * len(rows)  # the epoch's loss: batch losses by batch size
            loss.backward()
            opt.step()
        want.append(total / 50)
        with torch.no_grad():
            want_end.append(torch.nn.functional.mse_loss(ref(xt), yt).item())
    history = train(model, (x, y), nn.MSELoss(), 6, batch_size=16, seed=7, lr=0.05)
    np.testing.assert_allclose(history["loss"], want, rtol=1e-10)
    # rmse is measured on the whole set after the last epoch: √ of torch's end-of-run MSE
    assert history.epochs_of("rmse") == [6]
    np.testing.assert_allclose(history["rmse"][-1] ** 2, want_end[-1], rtol=1e-9)
    for name, p in ref.named_parameters():
        got = model.state_dict()[name].numpy()
        np.testing.assert_allclose(got, p.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_minibatches_are_seeded_reshuffled_each_epoch_and_visit_every_sample_once():
    x, y = np.arange(10.0).reshape(10, 1), np.zeros((10, 1))
    model = seeded(Recorder)
    train(model, (x, y), "mse", 3, batch_size=3, seed=5, lr=0.01, opt=optim.SGD)
    assert [len(b) for b in model.seen] == [3, 3, 3, 1] * 3  # the last partial batch is kept
    rng = np.random.default_rng(5)
    for epoch in range(3):
        rows = [i for batch in model.seen[4 * epoch : 4 * epoch + 4] for i in batch]
        assert sorted(rows) == list(range(10))
        assert rows == rng.permutation(10).tolist()
    assert model.seen[:4] != model.seen[4:8]
    unshuffled = seeded(Recorder)
    train(unshuffled, (x, y), "mse", 2, batch_size=4, shuffle=False, lr=0.01, opt=optim.SGD)
    assert unshuffled.seen == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] * 2


def test_same_seed_same_history_other_seed_other_history():
    x, y = lecture_data()
    runs = {}
    for seed in (0, 0, 1):
        model = seeded(lambda: nn.MLP([1, 8, 1]))
        h = train(model, (x, y), nn.MSELoss(), 4, batch_size=16, seed=seed, lr=0.05)
        runs.setdefault(seed, []).append(h["loss"])
    assert runs[0][0] == runs[0][1]
    assert runs[0][0] != runs[1][0]


@pytest.mark.parametrize("task", ["regression", "classification"])
@pytest.mark.parametrize(("dtype", "tol"), [("float64", 1e-10), ("float32", 1e-6)])
def test_delta_and_autograd_engines_give_the_same_run(task, dtype, tol):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 2))
    if task == "regression":
        y, sizes, loss = np.c_[x[:, 0] * x[:, 1], np.sin(x[:, 0])], [2, 8, 8, 2], nn.MSELoss()
    else:
        y, sizes, loss = (x[:, 0] > x[:, 1]).astype(int) + (x[:, 0] > 1), [2, 8, 3], "ce"
    runs = []
    for engine in ("delta", "autograd"):
        model = seeded(lambda: nn.MLP(sizes, activation="tanh").to(getattr(bp, dtype)))
        h = train(model, (x, y), loss, 5, batch_size=16, validation=0.25, engine=engine, lr=0.03)
        runs.append((h, weights(model)))
    (hd, wd), (ha, wa) = runs
    assert (hd.engine, ha.engine) == ("delta", "autograd")
    assert set(hd.history) == set(ha.history)
    for key in hd.history:
        if key != "time":
            np.testing.assert_allclose(hd[key], ha[key], rtol=tol, atol=tol, err_msg=key)
    for a, b in zip(wd, wa):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_models_and_losses_the_delta_engine_cannot_take_fall_back_to_autograd():
    x, y = lecture_data(40)
    model = seeded(LecturePerceptron)
    before = weights(model)
    with pytest.raises(DeltaEngineError, match="engine='delta'"):
        train(model, (x, y), nn.MSELoss(), engine="delta", lr=1e-3, opt=optim.SGD)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))
    assert train(model, (x, y), nn.MSELoss(), lr=1e-4, opt=optim.SGD).engine == ("autograd")
    mlp = seeded(lambda: nn.MLP([1, 4, 1]))
    custom = lambda p, t: ((p - t) ** 2).mean()  # noqa: E731
    h = train(mlp, (x, y), custom, 2, lr=1e-4, opt=optim.SGD)
    assert h.engine == "autograd" and len(h["loss"]) == 2 and "rmse" in h.history


# ------------------------------------------------------------------ validation


def test_validation_split_is_random_and_stratified_never_the_last_rows():
    labels = np.array([0, 1] * 40 + [2] * 20)  # the last 20 % are all class 2
    x = np.arange(100.0).reshape(100, 1)
    splits = []
    for seed in (0, 0, 1):
        model = seeded(lambda: Recorder(3))
        loss = nn.CrossEntropyLoss()
        h = train(model, (x, labels), loss, validation=0.2, seed=seed, lr=0, opt=optim.SGD)
        rows = set(model.seen[0])
        val = sorted(set(range(100)) - rows)
        assert len(rows) == 80 and len(val) == 20 and "val_accuracy" in h.history
        assert val != list(range(80, 100))
        counts = np.bincount(labels[val], minlength=3)
        np.testing.assert_array_equal(counts, [8, 8, 4])  # 20 % of 40, 40, 20
        splits.append(val)
    assert splits[0] == splits[1] != splits[2]


def test_stratified_split_keeps_every_class_within_one_sample():
    from backprop.train.inputs import validation_rows

    rng = np.random.default_rng(0)
    for trial in range(20):
        labels = rng.integers(0, rng.integers(2, 6), size=rng.integers(20, 90))
        n, fraction = len(labels), rng.uniform(0.1, 0.5)
        train, val = validation_rows(n, fraction, trial, labels)
        assert sorted(np.r_[train, val].tolist()) == list(range(n))
        assert len(val) == math.floor(n * fraction + 1e-9)
        for c in np.unique(labels):
            share = np.sum(labels == c) * len(val) / n
            assert abs(np.sum(labels[val] == c) - share) < 1


def test_validation_pairs_and_the_datasets_test_part():
    rng = np.random.default_rng(1)
    x, x_test = rng.normal(size=(30, 2)), rng.normal(size=(10, 2))
    y, y_test = x @ [[1.0], [-2.0]], x_test @ [[1.0], [-2.0]]
    data = SimpleNamespace(name="toy", task="regression", x=x, y=y, x_test=x_test, y_test=y_test)
    for validation in ("test", (x_test, y_test)):
        model = seeded(lambda: mlp64([2, 4, 1]))
        h = train(model, data, "mse", 2, validation=validation, lr=0.01)
        with bp.no_grad():
            want = nn.MSELoss()(model(bp.tensor(x_test)), bp.tensor(y_test)).item()
        assert h["val_loss"][-1] == pytest.approx(want, rel=1e-12)
    model = seeded(lambda: mlp64([2, 4, 1]))
    with pytest.raises(ConfigError, match="test part"):
        train(model, (x, y), "mse", validation="test", lr=0.1, opt=optim.SGD)
    with pytest.raises(ConfigError, match=r"\(0, 1\)"):
        train(model, (x, y), "mse", validation=1.5, lr=0.1, opt=optim.SGD)


# ------------------------------------------------------------------ metrics


def test_reported_metrics_equal_scikit_learn_on_the_same_predictions():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(2)
    x, xv = rng.normal(size=(40, 3)), rng.normal(size=(15, 3))

    def predict(model, inputs):
        with bp.no_grad():
            return model(bp.tensor(inputs)).numpy()

    f = lambda a: np.c_[a[:, 0] - a[:, 1], a[:, 2] ** 2]  # noqa: E731
    model = seeded(lambda: mlp64([3, 8, 2]))
    h = train(model, (x, f(x)), "mse", 3, validation=(xv, f(xv)), lr=0.02)
    for prefix, inputs in (("", x), ("val_", xv)):
        p = predict(model, inputs)
        assert h[prefix + "rmse"][-1] == pytest.approx(
            math.sqrt(sk.mean_squared_error(f(inputs), p)), rel=1e-12
        )
        assert h[prefix + "r2"][-1] == pytest.approx(sk.r2_score(f(inputs), p), rel=1e-12)

    classes = lambda a: (a[:, 0] > 0).astype(int) + (a[:, 1] > 0.5)  # noqa: E731
    model = seeded(lambda: mlp64([3, 8, 3]))
    h = train(model, (x, classes(x)), "cross_entropy", 3, validation=(xv, classes(xv)), lr=0.05)
    for prefix, inputs in (("", x), ("val_", xv)):
        want = sk.accuracy_score(classes(inputs), predict(model, inputs).argmax(1))
        assert h[prefix + "accuracy"][-1] == want

    binary = (x[:, 0] > 0).astype(np.int64)  # class indices for BCE become a float column
    model = seeded(lambda: mlp64([3, 4, 1]))
    h = train(model, (x, binary), nn.BCEWithLogitsLoss(), 3, lr=0.05)
    assert h["accuracy"][-1] == sk.accuracy_score(binary, predict(model, x)[:, 0] > 0)


def test_metric_functions_against_scikit_learn_edge_cases():
    sk = pytest.importorskip("sklearn.metrics")
    from backprop.train import metrics

    rng = np.random.default_rng(4)
    y = rng.normal(size=(20, 3))
    y[:, 1] = 2.0  # a constant target column
    for p in (y + rng.normal(scale=0.3, size=y.shape), y.copy()):
        assert metrics.r2(p, y) == pytest.approx(sk.r2_score(y, p), rel=1e-12, abs=1e-15)
        rmse = math.sqrt(sk.mean_squared_error(y, p))
        assert metrics.rmse(p, y) == pytest.approx(rmse, rel=1e-12, abs=1e-15)
    logits = rng.normal(size=(20, 4))
    labels = rng.integers(0, 4, 20)
    assert metrics.accuracy(logits, labels) == sk.accuracy_score(labels, logits.argmax(1))


def test_docstring_examples_run():
    import doctest
    import importlib

    module = importlib.import_module("backprop.train.fit")  # the attribute is the function
    assert doctest.testmod(module, raise_on_error=True).attempted > 0
