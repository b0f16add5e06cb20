"""The eighth Jupyter student's findings (issue 17, brief N17I).

Inputs to the δ engine (``delta.trace``/``backward``/``compute``) pass the one reader of
numbers ``fit`` uses (``data.checks.as_numeric``), so text, ragged lists and a lone number
get backprop's own message, never NumPy's; a 0-d input is refused as ``nn.Linear`` and
PyTorch refuse it, with the call that works. Kernel tests (nbclient) reuse
``test_notebook_trial6._execute``; the page and widget items are in
``test_notebook_trial8_browser.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop import delta, nn
from backprop.delta import lecture
from backprop.errors import BackpropError


def _said(fn, *args) -> str:
    with pytest.raises(BackpropError) as caught:
        fn(*args)
    return str(caught.value)


# -- 1. the δ engine's inputs --------------------------------------------------------------


def test_a_lone_number_is_refused_with_the_call_that_works_as_torch_refuses_it():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):  # PyTorch: a 0-d input to a Linear layer is an error
        torch.nn.Linear(1, 1)(torch.tensor(0.5))
    net = lecture.scalar_network((0.8, -1.3, 0.7))
    said = _said(delta.trace, net, 0.5)
    assert "one number" in said and "[[0.5]]" in said, said
    assert "has 1 feature" not in said  # the old message: '1 feature … but expects 1'
    # the call it names works, and gives the lecture's ŷ for x = 0.5 (hand-worked: 0.220281)
    assert round(float(delta.trace(net, [[0.5]]).y_hat.item()), 6) == 0.220281


def test_text_is_refused_as_not_numbers_for_x_and_for_y():
    net = lecture.scalar_network((0.8, -1.3, 0.7))
    said = _said(delta.trace, net, "ab")
    assert "not numbers" in said and "'ab'" in said and "x" in said, said
    said = _said(delta.trace, net, [[0.5]], [["ab"]], nn.MSELoss())
    assert "not numbers" in said and "'ab'" in said and "y" in said, said
    said = _said(delta.trace, nn.MLP([2, 1]), [[1, "a"]])  # NumPy makes both text
    assert "'a' at row 0, column 1" in said and "astype(float)" not in said, said


def test_ragged_rows_get_backprops_error_naming_the_rows_not_numpys():
    net = nn.MLP([2, 3, 1])
    for call in (
        lambda: delta.trace(net, [[1, 2], [3]]),
        lambda: delta.backward(net, [[1, 2], [3]], [[1.0], [2.0]], nn.MSELoss()),
        lambda: delta.trace(net, [[1, 2], [3, 4]], [[1.0], [2.0, 3.0]], nn.MSELoss()),
    ):
        said = _said(call)
        assert "sequence" not in said and "inhomogeneous" not in said, said
        assert "row 0" in said and "row 1" in said, said


# -- 2. Ctrl-C during fit ------------------------------------------------------------------


def test_ctrl_c_in_fit_keeps_the_epochs_done_and_the_weights_and_stays_a_keyboardinterrupt():
    import backprop as bp
    from backprop import fit, optim
    from backprop.train import Callback

    class CtrlC(Callback):  # Ctrl-C arriving while epoch 4's end is handled
        def on_epoch_end(self, state):
            if state.epoch == 4:
                raise KeyboardInterrupt

    bp.manual_seed(0)
    x = bp.linspace(-1, 1, 20).reshape(20, 1)
    model = nn.MLP([1, 8, 1])
    sgd = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(KeyboardInterrupt) as caught:  # a script still stops, the CLI exits 130
        fit(model, (x, x**2), nn.MSELoss(), sgd, epochs=100, callbacks=[CtrlC()], verbose=False)
    stop = caught.value
    assert "interrupted after epoch 4 of 100" in str(stop) and "keeps its weights" in str(stop)
    assert len(stop.history) == 4
    # the weights are those of 4 full-batch epochs: the same run for 4 epochs gives them
    kept = [p.detach().numpy().copy() for p in model.parameters()]
    bp.manual_seed(0)
    again = nn.MLP([1, 8, 1])
    fit(again, (x, x**2), nn.MSELoss(), optim.SGD(again.parameters(), lr=0.1), 4, verbose=False)
    for a, b in zip(kept, again.parameters(), strict=True):
        np.testing.assert_array_equal(a, b.detach().numpy())


LONG = """import signal, threading
import backprop as bp
from backprop import fit, nn, optim
bp.manual_seed(0)
x = bp.linspace(-3, 3, 100).reshape(100, 1)
y = x**2
long_model = nn.MLP([1, 64, 64, 1], activation="relu")
long_opt = optim.Adam(long_model.parameters(), lr=0.001)
threading.Timer(8, lambda: signal.raise_signal(signal.SIGINT)).start()  # Kernel > Interrupt
h_long = fit(long_model, (x, y), nn.MSELoss(), long_opt, epochs=1_000_000, verbose=True)"""


def _kernel_outputs(cells, folder, notebook, monkeypatch):
    """Each cell's outputs (``test_notebook_trial6._execute``'s text) and its display data."""
    from test_notebook_trial6 import _execute

    return _execute(cells, folder, notebook, monkeypatch)


@pytest.mark.slow
def test_an_interrupted_fit_in_a_kernel_is_one_message_and_the_next_cell_says_interrupted(
    tmp_path, monkeypatch
):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    # the student's notebook: a markdown cell first, so JupyterLab's count differs from code's
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# My work"),
        nbformat.v4.new_code_cell(LONG),
        nbformat.v4.new_markdown_cell("Now look at the history."),
        nbformat.v4.new_code_cell("print(h_long)"),
    ]
    path = tmp_path / "student.ipynb"
    nbformat.write(nb, path)
    shown = _kernel_outputs([LONG, "print(h_long)"], tmp_path, path, monkeypatch)
    stopped, after = shown
    assert "interrupted after epoch" in stopped and "keeps its weights" in stopped, stopped
    for inner in ("spans.py", "numpy_loop.py", "numpy_step.py", "fused", "apinames.py"):
        assert inner not in stopped, stopped  # no engine frames
    assert "frames inside backprop not shown; %xmode verbose" in stopped
    hint = after.splitlines()[-1]
    assert "'h_long' is defined in cell 2 of student.ipynb" in hint, hint  # all cells counted
    assert "Cell 2/4" in hint and "was interrupted" in hint and "fix that" not in hint, hint


# -- 3. a spec run leaves the caller's random stream alone ---------------------------------


def _next_draws_after(call) -> tuple:
    import backprop as bp

    bp.manual_seed(123)
    bp.randn(3)
    call()
    return bp.randn(3).numpy(), bp.initial_seed()


def test_run_and_a_sweep_leave_the_global_stream_as_torch_fork_rng_does():
    import warnings

    import backprop as bp

    torch = pytest.importorskip("torch")
    torch.manual_seed(123)  # the anchor: a block under fork_rng leaves the stream where it was
    torch.randn(3)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        torch.randn(100)
    anchor = torch.randn(3)
    torch.manual_seed(123)
    torch.randn(3)
    assert torch.equal(anchor, torch.randn(3))

    expected = _next_draws_after(lambda: None)
    spec = {"data": {"name": "square"}, "epochs": 3, "seed": 7}
    runs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = _next_draws_after(lambda: runs.append(bp.run(spec, verbose=False)))
        np.testing.assert_array_equal(got[0], expected[0])
        assert got[1] == 123
        grid = {"optimizer.lr": [0.01, 0.1]}
        got = _next_draws_after(lambda: bp.sweep(spec, grid, workers=1, progress=False))
        np.testing.assert_array_equal(got[0], expected[0])
    # the spec's seed still makes the start: the same weights whatever the stream held,
    # and those of PyTorch's nn.Linear layers after torch.manual_seed(7) (1-8-8-1)
    from backprop.spec import prepare

    bp.manual_seed(99)
    first = [p.detach().numpy() for p in prepare(spec).net.parameters()]
    bp.randn(50)
    second = [p.detach().numpy() for p in prepare(spec).net.parameters()]
    torch.manual_seed(7)
    layers = [torch.nn.Linear(1, 8), torch.nn.Linear(8, 8), torch.nn.Linear(8, 1)]
    theirs = [p.detach().numpy() for layer in layers for p in layer.parameters()]
    for a, b, c in zip(first, second, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


# -- 4. notebook 07: the data cell run again after the loop --------------------------------

DATA_AGAIN = """
x = 5 * torch.randn(100, 1)
y = torch.square(x) + torch.randn_like(x)
adam = optim.Adam(model.parameters(), lr=1e-1)
loss_function = nn.MSELoss()
"""


def test_notebook_07s_check_names_the_data_cell_when_it_ran_again_after_the_loop():
    from backprop.display.lecture import LectureCheckError
    from test_notebook_trial6 import NOTEBOOKS, nbformat

    cells = nbformat.read(NOTEBOOKS / "07_square_run.ipynb", 4).cells
    code = [c.source for c in cells if c.cell_type == "code"]
    model_cell = next(s for s in code if "model = MultilayerPerceptron(1, 8)" in s)
    data_cell = next(s for s in code if "x = 5 * torch.randn(100, 1)" in s)
    loop_cell = next(s for s in code if "for epoch in range(n_epoch)" in s)
    check_cell = next(s for s in code if "final = trained_mse(" in s)
    imports = code[0].replace("from IPython.display import Image, display", "")
    cls = next(s for s in code if "class MultilayerPerceptron" in s)
    ns: dict = {}
    for source in (imports, cls, model_cell, data_cell, loop_cell.replace("10000", "300")):
        exec(source, ns)
    exec(check_cell.replace("say_training_mse(final, n_epoch)", ""), ns)  # the loop's network
    exec(data_cell, ns)  # the student's re-run: new x and y, a new adam
    with pytest.raises(LectureCheckError) as caught:
        exec(check_cell, ns)
    said = str(caught.value)
    assert "data" in said and "after the training loop" in said, said
    assert "far above the noise" not in said  # not blamed on the fit


# -- 8. figures: overlapping weight labels, legend samples, layouts, a figure twice --------


def _label_clashes(fig) -> tuple[list, list]:
    """(pairs of weight labels whose drawn boxes overlap, labels that a link other than
    their own crosses), from what matplotlib drew (boxes turned with their text)."""
    from matplotlib.path import Path as MPath

    fig.canvas.draw()  # boxes as drawn
    ax = fig.axes[0]
    boxes = []
    for text in ax.texts:
        patch = text.get_bbox_patch()
        if patch is None or text.get_text().startswith(("b =", "W")):
            continue
        outline = patch.get_path().transformed(patch.get_transform())
        boxes.append((text.get_text(), MPath(outline.vertices), text.get_color()))
    from matplotlib.collections import LineCollection

    links = [  # every link as drawn, in the display's pixels
        MPath(ax.transData.transform(segment))
        for collection in ax.collections
        if isinstance(collection, LineCollection)
        for segment in collection.get_segments()
    ]
    overlaps = [
        (a, b)
        for i, (a, pa, _) in enumerate(boxes)
        for b, pb, _ in boxes[i + 1 :]
        if pa.intersects_path(pb, filled=True)
    ]
    # each label sits on its own link: a box crossed by two or more links sits on a crossing
    crossed = [(a, pa) for a, pa, _ in boxes if sum(pa.intersects_path(p, True) for p in links) > 1]
    # ... which is fair only when no place on its link (its middle 18-82 %, where values are
    # written) is free of other links and labels: the drawn box slid along the link, checked
    # with matplotlib's own geometry, not the placement's estimates
    from matplotlib.collections import PathCollection

    neurons = [  # the drawn circles (scatter sizes are points², radius = √s / 2 points)
        MPath.circle(ax.transData.transform(xy), np.sqrt(size) / 2 * fig.dpi / 72)
        for collection in ax.collections
        if isinstance(collection, PathCollection)
        for xy, size in zip(
            collection.get_offsets(),
            np.broadcast_to(collection.get_sizes(), (len(collection.get_offsets()),)),
            strict=True,
        )
    ]
    unfair = []
    for name, box in crossed:
        centre = box.vertices[:4].mean(axis=0)
        own = min(links, key=lambda p: _distance(centre, *p.vertices[:2]))
        start, end = own.vertices[:2]
        others = [p for p in links if p is not own]
        labels = [pb for b, pb, _ in boxes if b != name] + neurons
        for t in np.linspace(0.18, 0.82, 65):
            moved = MPath(box.vertices - centre + start + t * (end - start))
            if not any(moved.intersects_path(p, True) for p in [*others, *labels]):
                unfair.append((name, round(float(t), 2)))  # a free place it did not take
                break
    return overlaps, unfair


def _distance(point, a, b) -> float:
    a, b, point = np.asarray(a), np.asarray(b), np.asarray(point)
    t = np.clip(np.dot(point - a, b - a) / np.dot(b - a, b - a), 0, 1)
    return float(np.hypot(*(a + t * (b - a) - point)))


def test_notebook_01s_diagram_has_no_weight_labels_over_each_other():
    import backprop as bp
    from backprop.plots import network_diagram

    bp.manual_seed(0)  # notebook 01's 2-3-3-1 network
    model = nn.Sequential(
        nn.Linear(2, 3, bias=False),
        nn.Sigmoid(),
        nn.Linear(3, 3, bias=False),
        nn.Sigmoid(),
        nn.Linear(3, 1, bias=False),
    ).double()
    fig = network_diagram(model, title="2-3-3-1, no biases")
    assert len([t for t in fig.axes[0].texts if t.get_bbox_patch() is not None]) >= 18
    overlaps, on_crossings = _label_clashes(fig)  # a crossing only where no free stretch is
    assert overlaps == [] and on_crossings == [], (overlaps, on_crossings)


def test_a_lone_loss_curves_legend_samples_have_its_colour():
    from backprop.plots import loss_curves

    noisy = np.exp(-np.linspace(0, 3, 800)) * 10 + np.random.default_rng(0).exponential(1, 800)
    lines = loss_curves({"loss": list(noisy)}, None, loss="mse").axes[0].get_lines()
    colour = {line.get_label(): line.get_color() for line in lines}
    assert colour["thin: each epoch"] == colour["training"], colour
    assert (
        colour["thick: rolling median of 17 epochs (centred; fewer at the ends)"]
        == colour["training"]
    )


def _code(name: str) -> list[str]:
    from test_notebook_trial6 import NOTEBOOKS, nbformat

    cells = nbformat.read(NOTEBOOKS / f"{name}.ipynb", 4).cells
    return [c.source for c in cells if c.cell_type == "code"]


def test_notebook_04s_activation_panels_keep_their_tick_labels_off_the_neighbour():
    code = _code("04_gradient_descent_and_activations")
    cell = next(s for s in code if "axes = fig.subplots(1, 4)" in s)
    ns: dict = {}
    exec(code[0], ns)
    exec(cell.split("figures = Path(")[0], ns)  # the figure, not its file
    fig = ns["fig"]
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.savefig(io.BytesIO(), dpi=80)  # as the cell saves it: the layout is made then
    renderer = fig.canvas.get_renderer()
    for left, right in zip(fig.axes, fig.axes[1:], strict=False):
        edge = left.get_window_extent(renderer).x1  # the left panel's frame
        nearest = right.yaxis.get_tightbbox(renderer).x0  # its drawn tick labels' left end
        assert nearest > edge + 2, (right.get_title(), nearest, edge)  # a gap, in pixels


def test_no_notebook_shows_a_result_and_then_its_plot_again():
    """A bare result whose display includes its figure, then ``result.plot()``: twice."""
    import ast

    from test_notebook_trial6 import NOTEBOOKS

    twice = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        shown = set()
        for source in _code(path.stem):
            try:
                body = ast.parse("\n".join(ln for ln in source.splitlines() if ln[:1] not in "%!"))
            except SyntaxError:
                continue
            last = (
                body.body[-1].value if body.body and isinstance(body.body[-1], ast.Expr) else None
            )
            if isinstance(last, ast.Name):
                shown.add(last.id)
            elif (
                isinstance(last, ast.Call)
                and isinstance(last.func, ast.Attribute)
                and last.func.attr == "plot"
                and isinstance(last.func.value, ast.Name)
                and last.func.value.id in shown
            ):
                twice.append((path.name, ast.unparse(last)))
    assert twice == [], twice
