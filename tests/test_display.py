"""Rich notebook displays and figures (issue 17), checked without a browser.

The trace's LaTeX is read back and compared with PyTorch's gradients; every HTML display
is checked for its numbers and for escaping user text; plot functions and ``.plot()``
return Figures (and still save); ``fit``'s progress bar is silent when asked.
"""

from __future__ import annotations

import re
import sys
import types
from html import escape as html_escape
from pathlib import Path

import numpy as np
import pytest

import backprop as bp
from backprop import delta, diagnostics, nn, optim, plots
from backprop.checks import GradientCheckResult, ParameterCheck
from backprop.display import progress

torch = pytest.importorskip("torch")
HOSTILE = '<img src=x onerror="alert(1)">&'


def _latex_matrix(latex: str, lhs_start: str) -> np.ndarray:
    """The bmatrix on the line of the LaTeX whose left side starts with ``lhs_start``."""
    for line in latex.splitlines():
        if line.startswith(lhs_start):
            body = re.search(r"\\begin\{bmatrix\}(.*)\\end\{bmatrix\}", line).group(1)
            return np.array([[float(c) for c in row.split("&")] for row in body.split(r"\\")])
    raise AssertionError(f"no line starting {lhs_start!r} in the LaTeX")


def _net_and_torch():
    bp.manual_seed(3)
    model = nn.MLP([2, 3, 2, 1], activation="tanh")
    x = np.random.default_rng(0).normal(size=(3, 2))
    y = np.random.default_rng(1).normal(size=(3, 1))
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    xs = torch.tensor(x, requires_grad=False)
    ws = [torch.tensor(layer.weight.detach().numpy().astype(np.float64), requires_grad=True)
          for layer in layers]  # fmt: skip
    bs = [torch.tensor(layer.bias.detach().numpy().astype(np.float64), requires_grad=True)
          for layer in layers]  # fmt: skip
    a, fs = xs, []
    for i, (w, b) in enumerate(zip(ws, bs)):
        f = a @ w.T + b
        f.retain_grad()
        fs.append(f)
        a = torch.tanh(f) if i < len(ws) - 1 else f
    loss = torch.nn.functional.mse_loss(a, torch.tensor(y))
    loss.backward()
    return model, x, y, ws, fs, loss


def test_trace_latex_holds_torchs_deltas_and_weight_gradients():
    model, x, y, ws, fs, loss = _net_and_torch()
    t = delta.trace(model.double(), bp.tensor(x), bp.tensor(y), nn.MSELoss())
    bundle = t._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "text/latex"}
    latex = bundle["text/latex"]
    assert latex.startswith("$$\\begin{aligned}") and latex.endswith("\\end{aligned}$$")
    for l in (1, 2, 3):
        # δ[l] as the lecture's columns, one per sample: torch's ∂E/∂f[l] transposed
        shown = _latex_matrix(latex, f"\\delta^{{[{l}]}} =")
        np.testing.assert_allclose(shown, fs[l - 1].grad.numpy().T, rtol=1e-3, atol=1e-6)
        # ∂E/∂W[l] = a[l−1] δ[l]ᵀ, n[l−1] × n[l]: torch's weight.grad transposed
        shown = _latex_matrix(latex, f"\\frac{{\\partial E}}{{\\partial W^{{[{l}]}}}}")
        np.testing.assert_allclose(shown, ws[l - 1].grad.numpy().T, rtol=1e-3, atol=1e-6)
    assert f"{loss.item():.6g}" in repr(t) and len(repr(t)) < 80
    # the HTML carries the same equations twice: TeX for MathJax and a table without it
    html = bundle["text/html"]
    assert html.count('class="bp-eq"') == latex.count("&=")
    assert "δ[1] = g′(f[1]) ∘ W[2] δ[2]" in html
    assert html_escape("\\delta^{[1]} = g'(f^{[1]}) \\circ W^{[2]}\\delta^{[2]}") in html


@pytest.mark.parametrize("loss", [None, "mse"])
def test_trace_html_heading_names_the_loss_as_print_does(loss):
    # the heading's loss part reads "loss: none — …" or "loss: mse, …", as print(trace)
    # writes it (it ran on after "sample(s): " without the word "loss")
    model = nn.MLP([2, 3, 1], activation="relu")
    x, y = np.ones((2, 2)), np.ones((2, 1))
    t = delta.trace(model, x, y if loss else None, loss)
    printed = next(line for line in str(t).splitlines() if line.startswith("loss:"))
    html = t._repr_html_()
    head = html[: html.index("<h4>")]
    assert html_escape(printed.split(";  E =")[0]) in head
    assert "sample(s):" not in head
    if loss:
        assert f"E = {t.loss:.4g}" in head


def test_trace_clips_a_wide_layer_and_many_samples():
    model = nn.MLP([30, 40, 1])
    x = bp.randn(9, 30)
    t = delta.trace(model, x, bp.randn(9, 1), nn.MSELoss())
    latex = t._repr_latex_()
    a0 = re.search(r"a\^\{\[0\]\} = x &= \\begin\{bmatrix\}(.*?)\\end", latex).group(1)
    rows = a0.split(r"\\")
    assert len(rows) == 9 and r"\vdots" in rows[4]  # 30 inputs: 4 + ⋮ + 4 rows
    assert len(rows[0].split("&")) == 4  # the first 4 of 9 samples as columns
    assert "the first 4 shown" in t._repr_html_()
    deep = delta.trace(nn.MLP([2] + [3] * 15 + [1]), bp.randn(2, 2), bp.randn(2, 1), nn.MSELoss())
    latex = deep._repr_latex_()
    written = sorted({int(m) for m in re.findall(r"\\delta\^\{\[(\d+)\]\} =", latex)})
    assert written == [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]  # 16 layers: 6 + ⋮ + 6
    assert "layers 7 to 10 not shown" in latex


def test_model_html_is_the_summary_and_the_diagram():
    model = nn.MLP([1, 8, 8, 1])  # the lecture's y = x² network: 97 parameters
    html = model._repr_html_()
    assert "total parameters: 97" in html
    assert "Linear(8 → 8)" in html and "8×8" in html
    assert html.count("<img") == 1 and "data:image/png;base64," in html


def test_history_and_run_html_show_the_final_metrics_and_the_curve():
    bp.manual_seed(0)
    model = nn.MLP([1, 4, 1])
    x = bp.randn(30, 1)
    h = bp.fit(model, (x, x * x), nn.MSELoss(), optim.Adam(model.parameters(), lr=0.05),
               epochs=20, validation=0.2, verbose=0)  # fmt: skip
    html = h._repr_html_()
    for key in ("loss", "val_loss"):
        cell = f"<td>{h[key][-1]:.4g}</td>".replace("-", "\u2212")
        assert cell in html
    assert "<img" in html
    run = bp.run({"data": {"name": "square", "n": 40}, "epochs": 5}, verbose=0)
    html = run._repr_html_()
    assert f"{run.history['loss'][-1]:.4g}" in html and html.count("<img") == 2


def test_every_user_text_is_escaped():
    h = bp.train.History()
    h.append(1, {"loss": 1.0})
    h.stop_reason = HOSTILE
    spec = {"name": HOSTILE, "data": {"name": HOSTILE}, "model": {"sizes": [2, 1]},
            "loss": {"name": "mse"}, "optimizer": {"name": "sgd", "lr": 0.1}}  # fmt: skip
    dataset = types.SimpleNamespace(feature_names=[HOSTILE, "b"], target_names=[HOSTILE])
    run = bp.spec.Run(spec, nn.MLP([2, 1]), dataset, None, None, h)
    row = ParameterCheck(HOSTILE, (2,), 0.0, 0.0, True, lecture=HOSTILE)
    check = GradientCheckResult((row,), 1e-6, 1e-5, 1e-3)
    for html in (h._repr_html_(), run._repr_html_(), check._repr_html_()):
        assert "<img src=x" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_gradcheck_and_vanishing_colour_pass_and_fail():
    bp.manual_seed(0)
    model = nn.MLP([2, 3, 1], activation="tanh")
    result = bp.check_gradients(model, nn.MSELoss(), bp.randn(4, 2), bp.randn(4, 1))
    html = result._repr_html_()
    assert result.passed and html.count('class="bp-pass">yes') == len(result.rows)
    bad = ParameterCheck("0.weight", (3, 2), 0.5, 0.9, False)
    html = GradientCheckResult((*result.rows, bad), 1e-6, 1e-5, 1e-3)._repr_html_()
    assert 'class="bp-fail">NO' in html and "1 of 5 parameters FAILED" in html
    v = diagnostics.vanishing_gradients(depths=(2, 10), width=8, samples=16)
    html = v._repr_html_()
    deep = v.first_to_last("sigmoid", 10)
    assert deep < 0.01  # σ' ≤ 0.25 over 10 layers
    assert f'class="bp-fail">{bp.display._html.num(deep)}' in html


def test_tensor_html_shape_dtype_grad_and_clipped_values():
    w = bp.tensor([[1.0, -2.0], [3.0, 4.5]], requires_grad=True)
    (w * 2).sum().backward()
    html = w._repr_html_()
    assert "shape (2, 2)" in html and "requires_grad" in html and "grad: set" in html
    assert "<td>\u22122</td>" in html and "<td>4.5</td>" in html
    assert "grad_fn = MulBackward0" in (w * 3)._repr_html_()
    big = bp.arange(600.0).reshape(20, 30)._repr_html_()
    assert "<td>599</td>" in big and "<td>0</td>" in big and "<td>300</td>" not in big
    assert "⋯" in big and "⋮" in big
    assert "Parameter" in nn.Linear(2, 3).weight._repr_html_()


def test_plot_functions_return_figures_and_still_save(tmp_path):
    from matplotlib.figure import Figure

    bp.manual_seed(0)
    model = nn.MLP([1, 3, 1])
    fig = plots.network_diagram(model)  # was a TypeError: path was required
    assert isinstance(fig, Figure) and fig._repr_png_().startswith(b"\x89PNG")
    assert plots.network_diagram(model, tmp_path / "n.png") == tmp_path / "n.png"
    x = bp.randn(10, 1)
    h = bp.fit(model, (x, x), nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1),
               epochs=3, verbose=0)  # fmt: skip
    t = delta.trace(model, x, x, nn.MSELoss())
    for obj in (h, t, model):
        assert isinstance(obj.plot(), Figure)
        path = obj.plot(tmp_path / f"{type(obj).__name__}.png")
        assert path.read_bytes().startswith(b"\x89PNG")
    assert isinstance(plots.fit_1d(model, x, x), Figure)
    assert isinstance(plots.loss_curves(h), Figure)


PROJECT = Path(__file__).resolve().parents[1]  # the clone this test runs from


def test_without_matplotlib_plot_says_how_to_install(monkeypatch):
    # the error and the display's footer show in a notebook, whose cells run in the notebook's
    # folder (docs/notebooks), where pip install ".[plot]" names no project: the notebook's
    # %pip form with the project's folder, and the terminal's, as widget() says its extra
    h = bp.train.History()
    h.append(1, {"loss": 1.0})
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setattr("backprop._extras.in_kernel", lambda: True)  # h.plot() in a kernel
    cell = f'%pip install -e "{PROJECT}[plot]"'
    terminal = f'in a terminal: pip install -e "{PROJECT}[plot]"'
    with pytest.raises(plots.PlotDependencyError) as error:
        h.plot()
    assert cell in str(error.value) and terminal in str(error.value)
    page = h._repr_html_()  # the table still shows, the picture's place says how
    assert html_escape(cell) in page and html_escape(terminal) in page
    model_page = nn.MLP([1, 2, 1])._repr_html_()  # the model's diagram's place too
    assert html_escape(cell) in model_page


def test_progress_bar_only_when_asked(monkeypatch, capsys):
    import warnings

    bp.manual_seed(0)
    model = nn.MLP([1, 3, 1])
    x = bp.randn(10, 1)

    def train(verbose):
        opt = optim.SGD(model.parameters(), lr=0.01)
        with warnings.catch_warnings():  # a short run's poor-fit words are not the bar
            warnings.simplefilter("ignore", bp.errors.PoorFitWarning)
            bp.fit(model, (x, x), nn.MSELoss(), opt, epochs=40, verbose=verbose)
        return capsys.readouterr()

    assert train("auto") == ("", "")  # not a notebook: silent, as before
    shown = train(True)
    assert "40/40" in shown.err and shown.out == ""
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    assert [type(cb) for cb in progress.progress_callbacks("auto")] == [progress.NotebookProgress]
    assert progress.progress_callbacks(0) == [] and progress.progress_callbacks(False) == []
    assert train(0) == ("", "") and train(False) == ("", "")
    with pytest.raises(bp.errors.ConfigError, match="verbose must be"):
        train("yes")


def bar_seconds_left(monkeypatch, phases, total=3000):
    """The notebook bar's last 'time left', in seconds, after ``phases`` of (seconds, epochs
    per second) on a fake clock, updated every 0.1 s as the span runner's ticks do."""
    import IPython.display

    clock = [0.0]
    lines = []

    class Handle:
        def update(self, bundle, raw):
            lines.append(bundle["text/plain"])

    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: Handle())
    bar = progress.NotebookProgress()
    bar.on_train_begin(types.SimpleNamespace(epochs=total))
    done = 0.0
    for seconds, rate in phases:
        for _ in range(round(seconds / 0.1)):
            clock[0] += 0.1
            done += rate * 0.1
            bar._show(int(done), 1.0)
    h, m, s = re.search(r"(\d+):(\d\d):(\d\d) left", lines[-1]).groups()
    return int(done), 3600 * int(h) + 60 * int(m) + int(s)


def test_progress_time_left_follows_the_recent_rate(monkeypatch):
    # the trial: 349 of 3,000 epochs after 8 s (a slow start), then about 100 epochs/s; the
    # bar said 0:01:02 left and the run ended 26 s later. 4 s at 100/s after the slow start
    # (more than the bar's 3 s window): the time left is the remaining epochs at the recent
    # rate, not at the average since the start (which says 35 s here)
    done, left = bar_seconds_left(monkeypatch, [(8.0, 349 / 8), (4.0, 100.0)])
    truth = (3000 - done) / 100.0
    assert abs(left - truth) <= 0.1 * truth, (done, left, truth)
    done, left = bar_seconds_left(monkeypatch, [(10.0, 100.0)])  # a steady rate: the same
    assert abs(left - (3000 - done) / 100.0) <= 1, (done, left)


def test_plain_reprs_stay_one_short_line():
    bp.manual_seed(0)
    model = nn.MLP([1, 2, 1])
    x = bp.randn(3, 1)
    check = bp.check_gradients(model, nn.MSELoss(), x, x)
    v = diagnostics.vanishing_gradients(depths=(2, 6), width=4, samples=4)
    run = bp.run({"data": {"name": "square", "n": 20}, "epochs": 2}, verbose=0)
    t = delta.trace(model, x, x, nn.MSELoss())
    for obj in (check, v, run, t):
        text = repr(obj)
        assert "\n" not in text and len(text) < 130, text
    assert repr(check) == "<GradientCheckResult: all 4 passed (eps=1e-06); print() shows the table>"
    assert f"sigmoid {v.first_to_last('sigmoid', 6):.2g}" in repr(v)
    assert f"loss={run.history['loss'][-1]:.6g}" in repr(run) and "1-8-8-1 MLP" in repr(run)
