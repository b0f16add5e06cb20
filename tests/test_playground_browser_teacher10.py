"""Issue 16, brief PGQ (the tenth teacher), on the page in Debian's Chromium: a note goes with
the weights or data it describes, the backward view says what its links mean, the dialog
offers no solution where there is none, δ labels carry two digits, the seed shows whole, the
weight editor pauses training and has no tooltip over it, a CSV's labels and plot axes name
its columns, a refusal is drawn once. Screenshots go to ``$PLAYGROUND_SCREENSHOT_DIR``."""

from __future__ import annotations

import pytest

from test_playground_browser_teacher import (  # noqa: F401
    browser,
    open_page,
    server,
    shoot,
    sized,
    until,
)
from test_playground_teacher10 import CURVE, EXAM

STATUS = "document.getElementById('status')"
SOLVED = "window.playground.snap && window.playground.snap.edits > 0"


def _status(pg) -> str:
    return pg.evaluate(f"{STATUS}.textContent")


def _upload(pg, tmp_path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    before = pg.evaluate("window.playground.data && window.playground.data.id")
    pg.set_input_files("#csv", str(path))
    until(pg, f"window.playground.data && window.playground.data.id !== {before or 0}", 20)


# -- item 1: before, the solution's note stayed after Reset, beside a loss of 4.9
@pytest.mark.parametrize("then", ["reset", "step"])
def test_the_solution_note_goes_when_the_weights_change(sized, server, tmp_path, then):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "lesson=abs&seed=2")
    pg.locator("#lesson-solution").click()
    until(pg, f'{STATUS}.textContent.includes("The lecture\'s weights")')
    pg.locator("#reset" if then == "reset" else "#step").click()
    until(pg, f'!{STATUS}.textContent.includes("The lecture\'s weights")')
    said = _status(pg)
    assert "first step" not in said, said  # what the next Step did is past
    shoot(pg, tmp_path, f"teacher10-solution-then-{then}")


# -- item 2: before, curve.csv's standardised-target note stayed on exam.csv's page
def test_a_csvs_note_goes_with_its_data(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "seed=1")
    _upload(pg, tmp_path, "curve.csv", CURVE)
    until(pg, f"{STATUS}.textContent.includes('trained standardised')")
    pg.locator("#lr").select_option("0.01")  # another setting: the data's note stays
    until(pg, "window.playground.state.lr === 0.01")
    assert "trained standardised" in _status(pg)
    axes = pg.locator("#plot-axes").inner_text()  # item 10: the 1-D plot's axes named
    assert "temperature" in axes and "yield" in axes, axes
    shoot(pg, tmp_path, "teacher10-csv-curve")
    _upload(pg, tmp_path, "exam.csv", EXAM)
    until(pg, "window.playground.data.task === 'classification'")
    assert "standardised" not in _status(pg), _status(pg)
    labels = pg.evaluate(
        "[...document.querySelectorAll('.node.feature .flabel')].map((e) => e.textContent)"
    )
    assert "hours·sleep" in labels, labels  # item 10: fitted, not "hou…·sl…"
    assert "sin hours" in labels and "sin sleep" in labels, labels
    axes = pg.locator("#plot-axes").inner_text()
    assert "hours" in axes and "sleep" in axes, axes
    shoot(pg, tmp_path, "teacher10-csv-exam")


# -- item 3: before, the backward view redrew links by ∂E/∂w under a hint about weights
def test_the_backward_views_hint_says_what_its_links_mean(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "seed=1&hidden=4&activation=tanh")
    hint = pg.locator(".net-hint").inner_text()
    assert "the weight's size" in hint and "∂E/∂w" not in hint, hint
    pg.locator("#view-gradients").check()
    until(pg, "document.querySelector('.net-hint').innerText.includes('∂E/∂w')")  # with the links
    hint = pg.locator(".net-hint").inner_text()
    assert "|∂E/∂w|" in hint and "sign of ∂E/∂w" in hint and "the weight's size" not in hint, hint
    assert "mean |δ|" in hint, hint
    swatches = pg.locator(".net-hint .swatch")  # the legend's colours are the links' colours
    assert swatches.count() == 2 and all(swatches.nth(i).is_visible() for i in range(2))
    shoot(pg, tmp_path, "teacher10-backward-hint")


# -- item 8: before, "δ 2e-9": one significant digit of the mean |δ| the card gave as 1.96e-9
def test_the_delta_labels_have_two_digits_and_say_mean(sized, server):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "seed=3&hidden=6,6&activation=tanh,tanh&view=gradients")
    until(pg, "[...document.querySelectorAll('.node .delta')].some((d) => d.textContent)")
    labels = pg.evaluate(
        "[...document.querySelectorAll('.node.neuron')].map((n) => [n.dataset.layer,"
        " n.dataset.neuron, n.querySelector('.delta').textContent,"
        " n.querySelector('.delta').title])"
    )
    means = pg.evaluate("window.playground.snap.layers.map((l) => l.delta)")
    checked = 0
    for layer, neuron, text, title in labels:
        mean = means[int(layer) - 1][int(neuron)]
        assert text.startswith("|δ| ") and "mean |δ|" in title, (text, title)
        if mean:
            shown = float(text.split()[1])
            assert abs(shown - mean) <= 0.05 * abs(mean), (text, mean)  # 2 significant digits
            checked += 1
    assert checked >= 10, labels


# -- item 4: before, a page with no exercise offered "Show solution button: shown"
def test_the_dialog_offers_no_solution_where_there_is_none(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "seed=1&dataset=xor")
    pg.evaluate("lessons.openDialog()")
    row = pg.locator('#lesson-dialog select[data-control="solution"]').locator("xpath=..")
    assert "none in this link" in row.inner_text(), row.inner_text()
    shoot(pg, tmp_path, "teacher10-dialog-no-solution")
    pg.evaluate("document.getElementById('lesson-dialog').close()")
    pg.evaluate("send('preset', {name: 'abs'})")
    until(pg, "window.playground.state.dataset === 'abs'")
    pg.evaluate("lessons.openDialog()")
    assert "none in this link" not in row.inner_text(), row.inner_text()


# -- item 9: before, the Seed field showed "21474836" of 2147483647
@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_the_seed_field_shows_every_digit(sized, server, tmp_path, size):  # noqa: F811
    pg = sized(*size, touch=size[0] < 500)
    open_page(pg, server, "seed=2147483647")
    until(pg, "document.getElementById('seed').value === '2147483647'")
    room = pg.evaluate(
        """(() => { const el = document.getElementById('seed'), cs = getComputedStyle(el);
        const ctx = document.createElement('canvas').getContext('2d'); ctx.font = cs.font;
        const text = ctx.measureText(el.value).width;
        const inner = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
        return {text, inner}; })()"""
    )
    # Chromium's spin buttons take 15 px of the inner width
    assert room["text"] <= room["inner"] - 15, room
    pg.locator("#seed").scroll_into_view_if_needed()
    shoot(pg, tmp_path, f"teacher10-seed-{size[0]}")


# -- item 10: before, training went on under the open editor (its value old when Set) and a
# link's tooltip came back over it
def test_the_editor_pauses_training_and_takes_no_tooltip(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "seed=1&dataset=xor&hidden=4&activation=tanh&speed=slow")
    pg.locator("#play").click()
    until(pg, "window.playground.snap.running && window.playground.snap.epoch > 0")
    link = pg.locator("path.hit").first
    link.click()
    until(pg, "!document.getElementById('editor').hidden")
    until(pg, "!window.playground.snap.running")  # paused while a value is typed
    held = pg.evaluate("window.playground.snap.layers[0].w[0][0]")
    assert pg.locator("#editor-input").input_value() == str(held)  # the value it paused at
    box = link.bounding_box()
    pg.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    pg.mouse.move(box["x"] + box["width"] / 2 + 3, box["y"] + box["height"] / 2 + 2)
    assert pg.locator("#link-tip").is_hidden() and pg.locator("#hover").is_hidden()
    shoot(pg, tmp_path, "teacher10-editor-paused")
    pg.locator("#editor-input").fill("0.5")
    pg.keyboard.press("Enter")
    until(pg, "document.getElementById('editor').hidden")  # set, not refused
    until(pg, "window.playground.snap.running")  # trains on when the editor closes
    pg.locator("#play").click()
    until(pg, "!window.playground.snap.running")
    assert pg.evaluate("window.playground.snap.edits") == 1


# -- item 10: before, a locked control's refusal was drawn twice (below the network, in Output)
def test_a_refusal_is_drawn_once(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "seed=1&dataset=xor&lock=features")
    pg.locator('.node.feature[data-feature="x1x2"]').click(force=True)  # aria-disabled
    until(pg, "!document.getElementById('notice').hidden")
    said = pg.locator("#notice").inner_text()
    assert "locked by this lesson link" in said, said
    assert said in _status(pg)  # kept for the record (read again when the notice goes)
    assert not pg.locator("#status").is_visible()
    shoot(pg, tmp_path, "teacher10-refusal-once")
    pg.wait_for_timeout(400)  # a key within 300 ms is the gesture that made it (notices.js)
    pg.keyboard.press("Escape")
    until(pg, "document.getElementById('notice').hidden")
    assert pg.locator("#status").is_visible()
