"""The playground page as a teacher met it (issue 16): links, weights, presets, cards, the
loss chart and the export note, in Debian's Chromium via Playwright.

Each test reproduces one of the issue's bugs: links that take the pointer and edit the
server's weights (mouse and keyboard, one Tab stop per neuron), 1-D presets that stay with
the 1-D sets, the hover card of a removed neuron, the loss chart's labels and the export
note's command (run). The layouts, the presentation size and the contrast are in
``test_playground_browser_layout.py``. The server, browser and page fixtures are the ones
of ``test_playground_browser.py``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import numpy as np
import pytest

import backprop
from backprop import io
from test_playground_browser import browser, open_page, page, server, until  # noqa: F401


def export_model(pg, tmp_path):
    with pg.expect_download() as info:
        pg.get_by_role("button", name="Export model").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def first_weight(path) -> np.ndarray:
    """The first layer's weight matrix of an exported model file, as the library loads it."""
    model = io.load(path)
    return next(iter(model.parameters())).detach().numpy()


# points 20 %, 35 %, 50 %, 65 % and 80 % along every drawn link, in page coordinates, with
# the link each belongs to (near its ends a link lies under its neurons)
LINK_POINTS = """(() => {
  const box = document.getElementById('links').getBoundingClientRect();
  const out = [];
  for (const p of document.querySelectorAll('#links path.link')) {
    const n = p.getTotalLength();
    for (const f of [0.2, 0.35, 0.5, 0.65, 0.8]) {
      const q = p.getPointAtLength(f * n);
      out.push({x: box.left + q.x, y: box.top + q.y,
                key: [p.dataset.layer, p.dataset.row, p.dataset.col].join(',')});
    }
  }
  return out;
})()"""
HIT = """(pts) => pts.map((p) => {
  const el = document.elementFromPoint(p.x, p.y);
  if (!el || !el.matches('path.hit')) return null;
  return [el.dataset.layer, el.dataset.row, el.dataset.col].join(',');
})"""


def test_links_take_the_pointer_and_a_click_edits_the_servers_weight(page, server, tmp_path):  # noqa: F811
    open_page(page, server, "seed=1")
    points = page.evaluate(LINK_POINTS)
    hits = page.evaluate(HIT, points)
    assert len(points) >= 60
    on_a_link = sum(h is not None for h in hits)
    assert on_a_link >= 0.9 * len(points), f"{on_a_link} of {len(points)} points hit a link"
    # hover shows the weight; a click opens the editor; the server's model takes the value
    point = next(p for p, h in zip(points, hits) if h == p["key"] and p["key"].startswith("1,"))
    layer, row, col = (int(v) for v in point["key"].split(","))
    page.mouse.move(point["x"], point["y"])
    tip = page.locator("#link-tip")
    tip.wait_for(state="visible")
    shown = page.evaluate(f"window.playground.snap.layers[{layer - 1}].w[{row}][{col}]")
    assert re.search(r"w = -?\d", tip.inner_text())
    assert abs(float(re.search(r"w = (\S+)", tip.inner_text()).group(1)) - shown) < 1e-3
    page.mouse.click(point["x"], point["y"])
    page.locator("#editor-input").fill("0.75")
    page.keyboard.press("Enter")
    until(page, f"window.playground.snap.layers[0].w[{row}][{col}] === 0.75")
    assert first_weight(export_model(page, tmp_path))[row, col] == np.float32(0.75)


def test_keyboard_edits_weights_with_one_tab_stop_per_neuron(page, server, tmp_path):  # noqa: F811
    open_page(page, server, "seed=2&view=gradients")
    delta = page.evaluate("window.playground.snap.layers[0].delta[0]")
    stops = page.evaluate(
        """[...document.querySelectorAll('#net-columns *')].filter((el) =>
            el.tabIndex >= 0 && !el.disabled && el.closest('.node.neuron'))
          .map((el) => el.classList.contains('neuron') ? 'neuron' : el.className)"""
    )
    neurons = page.locator(".node.neuron").count()
    assert stops == ["neuron"] * neurons  # the bias square is reached through its neuron
    neuron = page.get_by_label("Neuron 1 of layer 1")
    neuron.focus()
    assert page.locator("#hover").is_visible()
    for _ in range(2):  # bias, then the link from input 1, then from input 2
        page.keyboard.press("ArrowRight")
    assert "X₂" in page.locator("#hover-text").inner_text()
    page.keyboard.press("Enter")
    page.keyboard.type("-1.25")
    page.keyboard.press("Enter")
    until(page, "window.playground.snap.layers[0].w[0][1] === -1.25")
    assert page.evaluate("window.playground.snap.layers[0].delta[0]") != delta  # δ view follows
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith(
        "Neuron 1 of layer 1;"  # back on the neuron, its name saying what ←/→ chose
    )
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # back to the bias
    page.keyboard.press("Enter")
    page.keyboard.type("0.5")
    page.keyboard.press("Enter")
    until(page, "window.playground.snap.layers[0].b[0] === 0.5")
    model = io.load(export_model(page, tmp_path))
    w, b = (p.detach().numpy() for p in list(model.parameters())[:2])
    assert w[0, 1] == np.float32(-1.25) and b[0] == np.float32(0.5)


def test_leaving_a_1d_set_restores_the_users_2d_network(page, server):  # noqa: F811
    mine = "hidden=6,3&activation=relu,relu&optimizer=momentum&batch_size=20&noise=5&lr=0.01"
    open_page(page, server, mine + "&seed=7")
    want = page.evaluate("window.playground.state")
    page.get_by_label("Problem type").select_option("regression")
    until(page, "window.playground.state.problem === 'regression'")
    page.get_by_role("button", name="Dataset y = sin x").click()
    until(page, "window.playground.state.dataset === 'sine'")
    assert page.evaluate("window.playground.state.hidden") != want["hidden"]  # the preset
    page.get_by_label("Problem type").select_option("classification")
    until(page, "window.playground.state.problem === 'classification'")
    page.get_by_role("button", name="Dataset Spiral").click()
    until(page, "window.playground.state.dataset === 'spiral'")
    keys = ["hidden", "activation", "features", "optimizer", "lr", "batch_size", "noise"]
    until(page, f"window.playground.state.hidden.join() === '{','.join(map(str, want['hidden']))}'")
    time.sleep(0.3)
    state = page.evaluate("window.playground.state")
    assert {k: state[k] for k in keys} == {k: want[k] for k in keys}


def test_the_hover_card_goes_with_a_removed_neuron(page, server):  # noqa: F811
    open_page(page, server, "dataset=gauss&classes=5&seed=3")
    page.get_by_label("Output 5", exact=True).hover()
    assert page.locator("#hover").is_visible()
    assert "output 5" in page.locator("#hover-text").inner_text()
    page.locator("#classes").focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    until(
        page, "window.playground.state.classes === 2 && window.playground.snap.sizes.at(-1) === 1"
    )
    time.sleep(0.3)
    page.mouse.move(5, 400)
    time.sleep(0.1)
    assert not page.locator("#hover").is_visible()


def test_loss_chart_labels_have_the_digits_and_stay_off_the_curve(page, server):  # noqa: F811
    open_page(page, server, "seed=5")
    # a loss falling from 0.7 to 0.002 over 200 epochs, drawn by the page's own chart
    page.evaluate(
        """() => { const e = [...Array(200).keys()];
          drawCurve({epochs: e, train: e.map((i) => 0.7 * Math.pow(0.002 / 0.7, i / 199)),
                     test: e.map((i) => 0.7 * Math.pow(0.003 / 0.7, i / 199))}); }"""
    )
    ticks = page.evaluate(
        """[...document.querySelectorAll('#curve-chart .tick')].map((t) => {
          const r = t.getBoundingClientRect();
          return {text: t.textContent, axis: t.parentElement.className,
                  box: [r.left, r.top, r.right, r.bottom]}; })"""
    )
    y = [float(t["text"]) for t in ticks if t["axis"] == "y-axis"]
    assert min(y) == pytest.approx(0.002, rel=0.05)  # the minimum, not "0.00"
    assert max(y) == pytest.approx(0.7, rel=0.05)
    assert all(v > 0 for v in y) and len(set(y)) == len(y)
    canvas = page.evaluate(
        "(() => { const r = document.getElementById('curve').getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom]; })()"
    )
    for t in ticks:  # outside the plot's canvas: never over the curve
        a = t["box"]
        overlap = (
            min(a[2], canvas[2]) - max(a[0], canvas[0]),
            min(a[3], canvas[3]) - max(a[1], canvas[1]),
        )
        assert min(overlap) <= 0, (t, canvas)
    assert canvas[3] - canvas[1] >= 120  # taller than the 70 px of before


@pytest.mark.parametrize("hash_", ["dataset=circle&seed=4&features=x1", "dataset=sine&seed=4"])
def test_the_export_notes_predict_command_runs(page, server, tmp_path, hash_):  # noqa: F811
    open_page(page, server, hash_)
    page.get_by_role("button", name="Step", exact=True).click()
    until(page, "Number(document.getElementById('epoch').dataset.value) >= 1")
    path = export_model(page, tmp_path)
    until(page, "document.getElementById('export-note').textContent.includes('predict')")
    note = page.locator("#export-note").inner_text()
    assert "other than the raw inputs" not in note
    command = re.search(r"backprop predict (\S+) --x (\S+)", note)
    assert command and command.group(1) == path.name
    run = subprocess.run(
        [sys.executable, "-m", "backprop", "predict", str(path), "--x", command.group(2)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_the_library_reads_the_exported_first_layer_as_the_page_shows_it(page, server, tmp_path):  # noqa: F811
    """The weights the tests read back through the export are the page's own (w[j][i] is
    row j, column i of the first Linear layer)."""
    open_page(page, server, "seed=10")
    path = export_model(page, tmp_path)
    shown = np.array(page.evaluate("window.playground.snap.layers[0].w"), dtype=np.float32)
    np.testing.assert_allclose(first_weight(path), shown, atol=6e-5)  # shown to 4 decimals
    with backprop.no_grad():
        assert io.load(path)(backprop.tensor([[0.5, -0.5]])).numpy().shape == (1, 1)
