"""What a teacher found in the playground (issue 16, second trial), in Debian's Chromium.

Links and history: a new link in a tab that shows the playground applies it (settings,
exercise, task, locks); Back returns to the exercise before; an exercise opened from a
link says what it shows; a locked control says so on the page. Numbers: small values in
scientific notation (only a true zero reads 0); the gradient chart says "= 0" for a layer
it cannot draw; output numbers on one line; noise and batch size in their units; loss
ticks that read on a flat curve. Drawing: kink marks named per layer, class colours for
the outputs of 5 classes, layer colours apart. The header keeps one row through 10⁶
epochs; the editor keeps a refused value; Presentation size keeps the charts on a
1920 × 1080 screen; a phone gets a scroll cue and tap wording. Screenshots go to
``$PLAYGROUND_SCREENSHOT_DIR`` (else the test's tmp folder).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from backprop.playground import lessons
from test_playground_browser import browser, open_page, page, server, until  # noqa: F401


def shoot(pg, tmp_path, name: str, full: bool = False) -> Path:
    folder = Path(os.environ.get("PLAYGROUND_SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"teacher-{name}.png"
    pg.screenshot(path=str(path), full_page=full)
    return path


@pytest.fixture
def sized(browser):  # noqa: F811
    """A page of a chosen viewport size (and touch): sized(width, height, touch=False)."""
    contexts = []

    def make(width: int, height: int, touch: bool = False):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      has_touch=touch, is_mobile=touch)  # fmt: skip
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


def choose(pg, name: str) -> None:
    want = lessons.PRESETS[name]["settings"]
    pg.click(f"#lesson-presets [data-preset={name}]")
    acts = ",".join(want["activation"])
    until(pg, f"window.playground.state.dataset === {want['dataset']!r} && "
              f"window.playground.state.activation.join() === {acts!r} && "
              f"window.playground.snap.sizes.length === {len(want['hidden']) + 2} && "
              "window.playground.snap.epoch === 0")  # fmt: skip


def text(pg, selector: str) -> str:
    return pg.locator(selector).inner_text()


def rgb(css: str) -> tuple[int, ...]:
    return tuple(int(v) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])


def lab(c) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour, by the standard formulas."""
    lin = [((v / 255 + 0.055) / 1.055) ** 2.4 if v / 255 > 0.04045 else v / 255 / 12.92 for v in c]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


# -- links and history -------------------------------------------------------------------
def test_a_new_link_in_a_tab_that_shows_the_playground_is_applied(page, server):  # noqa: F811
    open_page(page, server)
    assert page.evaluate("window.playground.state.dataset") == "circle"
    page.goto(server + "#lesson=abs&lock=lr&task=Find%20the%20weights")  # same page, new hash
    until(page, "window.playground.state.dataset === 'abs' && window.playground.snap.epoch === 0")
    until(page, "document.querySelector('#lesson-task').offsetParent !== null")
    assert "Find the weights" in text(page, "#lesson-task")
    assert page.locator("#lr").is_disabled()
    assert "Learning rate" in text(page, "#lesson-locks")  # the reason, on the page
    assert page.locator("#lesson-presets [data-preset=abs]").get_attribute("aria-pressed") == "true"
    page.goto(server + "#lesson=sigmoid6")  # another link: the lock and task go
    until(page, "window.playground.state.hidden.length === 6")
    until(page, "!document.querySelector('#lr').hasAttribute('aria-disabled')")  # unlocked
    assert not page.locator("#lesson-task").is_visible()
    assert not page.locator("#lesson-locks").is_visible()


def test_an_exercise_opened_from_a_link_shows_its_note(page, server):  # noqa: F811
    open_page(page, server, "lesson=sigmoid6")
    until(page, "window.playground.state.hidden.length === 6")
    note = lessons.PRESETS["sigmoid6"]["text"]
    until(page, f"document.querySelector('#lesson-note').textContent.includes({note[:40]!r})")


def test_back_returns_to_the_exercise_before_and_no_stale_loss_stays(page, server):  # noqa: F811
    open_page(page, server)
    choose(page, "square")
    choose(page, "sigmoid6")
    until(page, "location.hash.includes('lesson=sigmoid6')")
    assert "loss=mse" not in page.evaluate("location.hash")  # y = x²'s loss left with it
    page.go_back()
    until(page, "window.playground.state.dataset === 'square' && "
                "window.playground.state.hidden.join() === '8,8'")  # fmt: skip
    pressed = page.locator("#lesson-presets [data-preset=square]").get_attribute("aria-pressed")
    assert pressed == "true"
    page.go_back()
    until(page, "window.playground.state.dataset === 'circle'")
    assert page.url.startswith(server)  # still the playground


# -- numbers -----------------------------------------------------------------------------
def test_vanishing_gradients_print_as_their_value_not_as_zero(page, server):  # noqa: F811
    open_page(page, server)
    choose(page, "sigmoid6")  # gradients view: δ under each neuron
    labels = page.evaluate("[...document.querySelectorAll('.node.neuron[data-layer=\"1\"] .delta')]"
                           ".map((e) => e.textContent)")  # fmt: skip
    # "|δ| …": the mean |δ| over the training points (brief PGQ; was "δ …")
    assert labels and all(lab.startswith("|δ| ") and lab != "|δ| 0" for lab in labels), labels
    assert all(float(lab[4:]) < 1e-4 for lab in labels), labels  # tiny, and said so
    title = page.locator('.node.neuron[data-layer="1"]').first.get_attribute("title")
    assert "= 0.000" not in title and "e-" in title, title


def test_the_step_exercise_says_its_first_layer_norm_is_zero(page, server):  # noqa: F811
    open_page(page, server)
    choose(page, "step")
    page.click("#step")
    until(page, "window.playground.snap.epoch >= 1")
    assert page.evaluate("window.playground.snap.layers[0].norm") == 0
    until(page, "document.querySelector('#gradnorm-legend').textContent.includes('layer 1 = 0')")
    assert "output = 0" not in text(page, "#gradnorm-legend")  # the output layer's is not 0
    assert "kinks" not in text(page, "#colorbar")  # step units: no ReLU kinks, no key for them


def test_small_outputs_stay_on_one_line_and_units_are_named(sized, server):  # noqa: F811
    for width, height in ((1280, 800), (390, 844)):
        pg = sized(width, height)
        open_page(pg, server)
        pg.evaluate("setOut('train-loss', 7.27e-6); setOut('test-loss', -1.23456e-7)")
        for out in ("#train-loss", "#test-loss"):
            el = f"document.querySelector('{out}')"
            lines = pg.evaluate(f"{el}.getClientRects().length")
            height_px = pg.evaluate(f"{el}.getBoundingClientRect().height")
            size = pg.evaluate(f"parseFloat(getComputedStyle({el}).fontSize)")
            assert lines == 1 and height_px < 1.6 * size, (width, out, height_px)
        assert "batch size" in text(pg, "#batch-line")
    choose(pg, "square")
    assert "σ = 1 added to y" in text(pg, "#noise-out")  # 10 % of y = x²'s scale 10


def test_a_flat_loss_curve_has_ticks_that_read(page, server):  # noqa: F811
    open_page(page, server)
    # epoch 0 as the teacher saw it: training and test loss 2.5e-5 apart (0.698250, 0.698225)
    loss = page.evaluate("window.playground.snap.history.train[0]")
    page.evaluate(f"drawCurve({{epochs: [0], train: [{loss}], test: [{loss - 2.5e-5}]}})")
    ticks = page.evaluate("[...document.querySelectorAll('#curve-chart .y-axis .tick')]"
                          ".map((e) => e.textContent)")  # fmt: skip
    assert ticks

    def significant(t: str) -> int:
        return len(t.replace("-", "").replace(".", "").lstrip("0")) if "e" not in t else 3

    assert all(significant(t) <= 3 for t in ticks), ticks


# -- drawing -----------------------------------------------------------------------------
def test_kink_marks_are_keyed_per_layer_in_their_colours(page, server):  # noqa: F811
    open_page(page, server)
    choose(page, "square")  # 1-8-8-1 ReLU: kinks of layers 1 and 2
    until(page, "document.querySelectorAll('#kink-legend .key').length === 2")
    colours = page.evaluate("[...document.querySelectorAll('#kink-legend .key i')]"
                            ".map((e) => getComputedStyle(e).borderBottomColor)")  # fmt: skip
    assert len(set(colours)) == 2
    legend = page.evaluate("[...document.querySelectorAll('#gradnorm-legend .key i')]"
                           ".map((e) => getComputedStyle(e).backgroundColor)")  # fmt: skip
    assert colours == legend[:2]  # the gradient chart's colours of layers 1 and 2


def test_outputs_of_five_classes_are_drawn_in_their_class_colours(page, server):  # noqa: F811
    open_page(page, server, "dataset=gauss&classes=5")
    until(page, "window.playground.snap.sizes.slice(-1)[0] === 5")
    keys = page.evaluate("[...document.querySelectorAll('#colorbar .key i')]"
                         ".map((e) => getComputedStyle(e).backgroundColor)")  # fmt: skip
    assert len(keys) == 5
    for j, key in enumerate(keys):
        # the output thumbnail's most coloured pixel has its class's order of channels
        px = page.evaluate(f"""(() => {{
            const c = document.querySelector('.node.out[data-neuron="{j}"] canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let best = [0, 0, 0], far = -1;
            for (let i = 0; i < d.length; i += 4) {{
              const s = Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]);
              if (s > far) {{ far = s; best = [d[i], d[i + 1], d[i + 2]]; }}
            }}
            return best; }})()""")
        want = rgb(key)
        order = sorted(range(3), key=lambda i: px[i])
        assert order == sorted(range(3), key=lambda i: want[i]), (j, px, want)


def test_the_six_layer_colours_are_told_apart(page, server):  # noqa: F811
    open_page(page, server)
    choose(page, "relu6")
    colours = page.evaluate("[...document.querySelectorAll('#gradnorm-legend .key i')]"
                            ".map((e) => getComputedStyle(e).backgroundColor)")  # fmt: skip
    assert len(colours) == 7
    labs = [lab(rgb(c)) for c in colours]
    closest = min(math.dist(a, b) for i, a in enumerate(labs) for b in labs[i + 1 :])
    # ΔE*76 apart at least as blue and purple (the closest of the first five, 54.7): the old
    # green 2 and teal 6 were 30 apart and looked alike on a projector
    assert closest > 45, closest
