"""The playground page as a teacher met it (issue 16), in Debian's Chromium via Playwright.

Each test reproduces one of the issue's bugs or checks one of its classroom features: links
that take the pointer and edit the server's weights (mouse and keyboard, one Tab stop per
neuron), 1-D presets that stay with the 1-D sets, the hover card of a removed neuron, the
loss chart's labels, the export note's command (run), the phone and large-network layouts,
the presentation size and the contrast of every text. Screenshots at 1280 × 800,
1920 × 1080 and 390 × 844 go to ``$PLAYGROUND_SCREENSHOT_DIR`` (else the test's tmp folder).
The server, browser and page fixtures are the ones of ``test_playground_browser.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import backprop
from backprop import io
from test_playground_browser import browser, open_page, page, server, until  # noqa: F401


def shoot(pg, tmp_path, name: str) -> Path:
    folder = Path(os.environ.get("PLAYGROUND_SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    pg.screenshot(path=str(path))
    return path


@pytest.fixture
def sized(browser, server):  # noqa: F811
    """A page of a chosen viewport size: sized(width, height)."""
    contexts = []

    def make(width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      accept_downloads=True)  # fmt: skip
        contexts.append(context)
        pg = context.new_page()
        pg.errors = []
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
        return pg

    yield make
    for context in contexts:
        errors = [e for pg in context.pages for e in pg.errors]
        context.close()
        assert not errors, errors


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
    page.get_by_label("Value", exact=True).fill("0.75")
    page.keyboard.press("Enter")
    until(page, f"window.playground.snap.layers[0].w[{row}][{col}] === 0.75")
    assert first_weight(export_model(page, tmp_path))[row, col] == np.float32(0.75)


def test_keyboard_edits_weights_with_one_tab_stop_per_neuron(page, server, tmp_path):  # noqa: F811
    open_page(page, server, "seed=2")
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
    assert (
        page.evaluate("document.activeElement.getAttribute('aria-label')") == "Neuron 1 of layer 1"
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


def overlaps(boxes):
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5:
                out.append((a, b))
    return out


def test_a_phone_stacks_the_panels_without_sideways_scroll(sized, server, tmp_path):  # noqa: F811
    pg = sized(390, 844)
    open_page(pg, server, "seed=6")
    assert pg.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    tops = pg.evaluate(
        "['.data-col', '.net-col', '.out-col'].map((s) => {"
        " const r = document.querySelector(s).getBoundingClientRect(); return [r.top, r.bottom]; })"
    )
    assert tops[0][1] <= tops[1][0] and tops[1][1] <= tops[2][0]  # one under the other
    shoot(pg, tmp_path, "phone-390x844")
    pg.evaluate("window.scrollTo(0, document.querySelector('.net-col').offsetTop)")
    shoot(pg, tmp_path, "phone-390x844-network")


LAYOUT = """(() => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const heads = [...document.querySelectorAll('.layer-head > *, .flabel')].map(box);
  const panel = box(document.querySelector('.net-col'));
  const nodes = [...document.querySelectorAll('#net-columns .node')].map(box);
  const bar = [...document.querySelector('header.bar').children].filter((e) => !e.hidden).map(box);
  const below = ['speed', 'stop_epochs', 'stop_loss', 'export-model', 'export-spec']
    .map((id) => document.getElementById(id).getBoundingClientRect().bottom);
  return {heads, panel, nodes, bar, below};
})()"""


def test_a_large_network_fits_its_panel_and_the_controls_stay_in_sight(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(
        pg, server, "hidden=" + ",".join(["16"] * 8) + "&activation=" + ",".join(["relu"] * 8)
    )
    until(pg, "window.playground.snap.sizes.length === 10")
    got = pg.evaluate(LAYOUT)
    assert overlaps(got["heads"]) == []  # + / − buttons, counts, activation menus, labels
    p = got["panel"]
    outside = [n for n in got["nodes"] if n[0] < p[0] or n[2] > p[2] or n[1] < p[1] or n[3] > p[3]]
    assert outside == []
    tops = [b[1] for b in got["bar"]]
    assert max(tops) - min(tops) < 30  # the header is one row
    assert max(got["below"]) <= 800  # speed, stopping and exports above the fold
    assert pg.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    shoot(pg, tmp_path, "large-network-1280x800")


def test_presentation_size_fills_a_projector_with_smooth_enlarged_neurons(sized, server, tmp_path):  # noqa: F811
    pg = sized(1920, 1080)
    open_page(pg, server, "dataset=spiral&hidden=8,8&seed=8")
    pg.get_by_role("button", name="Presentation size").click()
    until(pg, "document.body.classList.contains('present')")
    time.sleep(0.3)
    got = pg.evaluate(
        """(() => { const r = (s) => document.querySelector(s).getBoundingClientRect();
          return {main: [r('main').left, r('main').right], plot: r('#heatmap').width,
                  plot_bottom: r('#heatmap').bottom,
                  font: parseFloat(getComputedStyle(document.querySelector('.hint')).fontSize)
                    * (Number(document.documentElement.style.zoom) || 1),
                  size: window.playground.snap.heatmap.size,
                  wide: document.scrollingElement.scrollWidth}; })()"""
    )
    assert got["main"][0] < 60 and got["main"][1] > 1860  # edge to edge
    assert got["plot"] >= 380 and got["size"] == 100  # a 100 × 100 output map, shown large
    assert got["font"] >= 16 and got["plot_bottom"] <= 1080 and got["wide"] <= 1920
    # the heatmap's tick labels lie outside the plot
    inside = pg.evaluate(
        """(() => { const p = document.getElementById('heatmap').getBoundingClientRect();
          return [...document.querySelectorAll('#heatmap-chart .tick')].filter((t) => {
            const r = t.getBoundingClientRect();
            return r.right > p.left && r.left < p.right && r.bottom > p.top && r.top < p.bottom;
          }).length; })()"""
    )
    assert inside == 0 and pg.locator("#heatmap-chart .tick").count() >= 6
    # an enlarged neuron is drawn at the screen's resolution, interpolated: no 5-pixel blocks
    pg.get_by_label("Neuron 1 of layer 1").hover()
    runs = pg.evaluate(
        """(() => { const c = document.getElementById('hover-canvas');
          const r = c.getBoundingClientRect(), ctx = c.getContext('2d');
          const row = ctx.getImageData(0, Math.floor(c.height / 2), c.width, 1).data;
          let changes = 0;
          for (let i = 4; i < row.length; i += 4) {
            if (row[i] !== row[i - 4] || row[i + 1] !== row[i - 3]) changes++;
          }
          return {backing: c.width, shown: r.width, changes}; })()"""
    )
    assert runs["backing"] >= runs["shown"] - 1
    assert runs["changes"] >= 0.5 * runs["backing"], runs  # smooth: most neighbours differ
    shoot(pg, tmp_path, "presentation-1920x1080")


CONTRAST = """(() => {
  const parse = (s) => {
    const m = s.match(/[\\d.]+/g).map(Number);
    return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1];
  };
  const over = (top, under) =>
    [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const background = (el) => {  // the colours under el, composited from the page down
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] === 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]);
  };
  const opacity = (el) => {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  const canvases = [...document.querySelectorAll('canvas')].map((c) => c.getBoundingClientRect());
  const bad = [];
  let checked = 0;
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const field = el.matches('select, input[type=number], input[type=text]')
      && (el.value || '').trim();
    if (!own && !field) continue;
    if (el.closest('[hidden], option, script, style, svg')) continue;
    const r = el.getBoundingClientRect(), st = getComputedStyle(el);
    if (!r.width || !r.height || st.visibility !== 'visible' || st.display === 'none') continue;
    const bg = background(el);
    const fg = over(parse(st.color).slice(0, 3).concat(parse(st.color)[3] * opacity(el)), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const onPicture = canvases.some((c) =>
      r.left < c.right && r.right > c.left && r.top < c.bottom && r.bottom > c.top);
    checked++;
    const text = (el.value || el.textContent).trim().slice(0, 30);
    const where = onPicture ? ' over a picture' : '';
    if (ratio < need || onPicture) {
      bad.push(`${el.tagName}.${el.className} "${text}" ${ratio.toFixed(2)}:1${where}`);
    }
  }
  return {checked, bad};
})()"""


@pytest.mark.parametrize(
    "hash_",
    [
        "seed=9&features=x1,x2",
        "dataset=sine&seed=9&view=gradients",
        "dataset=plane&seed=9&show_test=true",
    ],
)
def test_every_text_meets_wcag_aa_contrast(sized, server, tmp_path, hash_):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, hash_)
    pg.get_by_role("button", name="Step", exact=True).click()
    until(pg, "Number(document.getElementById('epoch').dataset.value) >= 1")
    time.sleep(0.2)
    got = pg.evaluate(CONTRAST)
    assert got["checked"] > 60
    assert got["bad"] == []
    shoot(pg, tmp_path, "page-1280x800-" + re.sub(r"\W+", "-", hash_))


def test_the_library_reads_the_exported_first_layer_as_the_page_shows_it(page, server, tmp_path):  # noqa: F811
    """The weights the tests read back through the export are the page's own (w[j][i] is
    row j, column i of the first Linear layer)."""
    open_page(page, server, "seed=10")
    path = export_model(page, tmp_path)
    shown = np.array(page.evaluate("window.playground.snap.layers[0].w"), dtype=np.float32)
    np.testing.assert_allclose(first_weight(path), shown, atol=6e-5)  # shown to 4 decimals
    with backprop.no_grad():
        assert io.load(path)(backprop.tensor([[0.5, -0.5]])).numpy().shape == (1, 1)
