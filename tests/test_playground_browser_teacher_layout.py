"""What a teacher found in the playground's layout (issue 16, second trial), in Debian's
Chromium: the header keeps one row and its controls keep their place while the epoch and
step counts grow to 10⁶ epochs at 1280 × 800; the weight editor keeps a refused value open
with the reason; Presentation size keeps the network's charts on a 1920 × 1080 screen with
larger small print; a phone with a six-layer network gets a scroll cue and wording for
touch. Screenshots at 1280 × 800, 1920 × 1080 and 390 × 844 go to
``$PLAYGROUND_SCREENSHOT_DIR`` (else the test's tmp folder).
"""

from __future__ import annotations

from test_playground_browser import browser, open_page, server, until  # noqa: F401
from test_playground_browser_teacher import choose, shoot, sized  # noqa: F401


def fake_counts(pg, epoch: int, steps: int, batch: int) -> None:
    """Draw the last snapshot again with other counts (what 10⁶ epochs would show)."""
    pg.evaluate(f"""(() => {{ const s = JSON.parse(JSON.stringify(window.playground.snap));
        s.epoch = {epoch}; s.steps = {steps}; s.batch_size = {batch}; drawAll(s); }})()""")


def test_the_header_keeps_its_row_and_places_to_a_million_epochs(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server)
    where = "[document.querySelector('header.bar').getBoundingClientRect().height, " \
            "document.querySelector('#lr').getBoundingClientRect().left, " \
            "document.querySelector('.columns').getBoundingClientRect().top]"  # fmt: skip
    start = pg.evaluate(where)
    counts = [(999, 24_975, 10), (10_000, 250_000, 10), (999_999, 249_999_750, 1),
              (1_000_000, 250_000_000, 2000)]  # fmt: skip
    for epoch, steps, batch in counts:
        fake_counts(pg, epoch, steps, batch)
        assert pg.evaluate(where) == start, (epoch, steps)
        overflow = pg.evaluate("[...document.querySelectorAll('.counter > *')]"
                               ".some((e) => e.scrollWidth > e.clientWidth + 1)")  # fmt: skip
        assert not overflow, (epoch, steps)  # every digit shown
    assert pg.locator("#epoch").inner_text() == "1,000,000"
    shoot(pg, tmp_path, "header-1e6-1280")


def test_a_refused_weight_keeps_the_editor_open_with_the_reason(sized, server):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server)
    pg.locator('.node.neuron[data-layer="1"][data-neuron="0"]').focus()
    pg.keyboard.press("ArrowRight")  # the first incoming link
    pg.keyboard.press("Enter")
    until(pg, "!document.querySelector('#editor').hidden")
    assert "w[1]₁₁" in pg.locator("#editor-label").inner_text()  # the lecture's notation
    w = pg.evaluate("window.playground.snap.layers[0].w[0][0]")
    pg.fill("#editor-input", "1e9")
    pg.keyboard.press("Enter")
    pg.wait_for_timeout(300)
    assert pg.locator("#editor").is_visible()
    assert pg.locator("#editor-input").input_value() == "1e9"  # what was typed stays
    msg = pg.locator("#editor-msg").inner_text()
    assert "10000" in msg and not msg.startswith("edit")
    assert pg.evaluate("window.playground.snap.layers[0].w[0][0]") == w
    pg.fill("#editor-input", "0.5")
    pg.keyboard.press("Enter")
    until(pg, "window.playground.snap.layers[0].w[0][0] === 0.5")
    assert not pg.locator("#editor").is_visible()


def test_presentation_size_keeps_the_charts_on_a_1920_screen(sized, server, tmp_path):  # noqa: F811
    pg = sized(1920, 1080)
    open_page(pg, server)
    choose(pg, "sigmoid6")  # the tallest exercise: six layers of 8 with δ labels
    pg.click("#present")
    until(pg, "document.body.classList.contains('present')")
    pg.wait_for_timeout(300)
    zoom = pg.evaluate("Number(document.documentElement.style.zoom) || 1")
    assert zoom > 1.2  # larger than the 1280 layout
    for sel in ("#curve-chart", "#gradnorm-chart", "#gradnorm-legend"):
        bottom = pg.evaluate(f"document.querySelector('{sel}').getBoundingClientRect().bottom")
        assert bottom <= 1080, (sel, bottom)
    px = "(s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)"
    for sel in (".delta", "#gradnorm-chart .tick"):
        assert pg.evaluate(f"({px})({sel!r})") * zoom >= 15, sel  # seen from the back row
    shoot(pg, tmp_path, "present-sigmoid6-1920")
    pg.set_viewport_size({"width": 1280, "height": 800})
    pg.click("#present")
    choose(pg, "relu6")
    shoot(pg, tmp_path, "relu6-1280")


def test_a_phone_shows_that_the_network_scrolls_and_speaks_of_taps(sized, server, tmp_path):  # noqa: F811
    pg = sized(390, 844, touch=True)
    open_page(pg, server)
    choose(pg, "relu6")
    net = "document.querySelector('#network')"
    assert pg.evaluate(f"{net}.scrollWidth > {net}.clientWidth")  # wider than the phone
    cue = pg.locator("#net-scroll-cue")
    assert cue.is_visible() and "sideways" in cue.inner_text()
    pg.locator('.node.neuron[data-layer="1"][data-neuron="0"]').tap()
    until(pg, "!document.querySelector('#hover').hidden")
    card = pg.locator("#hover-text").inner_text()
    assert "tap" in card and "←/→" not in card and "Enter" not in card, card
    hint = pg.locator(".net-hint").inner_text().lower()  # its sentences start with capitals
    assert "tap a neuron" in hint and "hover" not in hint, hint
    pg.locator("#net-scroll-cue").scroll_into_view_if_needed()
    shoot(pg, tmp_path, "phone-relu6-390")
    pg.evaluate(f"{net}.scrollLeft = {net}.scrollWidth")
    until(pg, "document.querySelector('#net-scroll-cue').hidden")  # the right end in view
