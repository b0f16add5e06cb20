"""Issue 16, the sixth teacher's layout and lesson-link findings, in Debian's Chromium.

Presentation size on a 390 px phone made the page 650 px wide and was lost on a reload;
the stop notice lay over the exercises (clicks went through it) and stayed over a new
exercise; a lock's refusal told students how to remove the lock and covered the link's
tooltip; Upload CSV stayed usable-looking with the dataset locked (every upload refused)
and no locked control but the feature buttons answered a click; "Epoch 187 · step 187"
gave away a hidden batch size. Each test fails on the code the teacher ran. Screenshots go
to ``$PLAYGROUND_SCREENSHOT_DIR`` (else the test's tmp folder).
"""

# ruff: noqa: F811  (pytest's fixtures, imported by name)
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

SIZES = [(1280, 800), (1920, 1080), (390, 844)]
NOTICE = "(() => { const n = document.getElementById('notice'); return !!n && !n.hidden; })()"
# every visible control a notice must not lie over, and whether one does
COVERS = """(() => {
  const n = document.getElementById('notice');
  if (!n || n.hidden) return [];
  const a = n.getBoundingClientRect();
  const els = [...document.querySelectorAll('button, select, input, .node, #link-tip, #hover')]
    .filter((e) => e.offsetParent !== null && !e.closest('#notice'));
  return els.filter((e) => { const b = e.getBoundingClientRect();
    return b.width > 0 && b.left < a.right && b.right > a.left
      && b.top < a.bottom && b.bottom > a.top; })
    .map((e) => e.id || e.className || e.tagName); })()"""


TOPS = "[...document.querySelectorAll('.col')].map((c) => c.getBoundingClientRect().top)"


def _phone(size) -> bool:
    return size[0] < 500


# -- 2: presentation size fits every screen and is this browser's choice ------------------------
@pytest.mark.parametrize("width,height", [(390, 844), (768, 1024), (1280, 800), (1920, 1080)])
def test_presentation_size_never_overflows_the_viewport(sized, server, tmp_path, width, height):
    pg = sized(width, height, touch=width < 500)
    open_page(pg, server, "seed=1")
    pg.locator("#present").click()
    until(pg, "document.body.classList.contains('present')")
    pg.wait_for_timeout(300)
    wide = pg.evaluate("""[document.documentElement.scrollWidth, innerWidth,
      ...[...document.querySelectorAll('.col')].map((c) => c.getBoundingClientRect().right)]""")
    assert max(wide[0], *wide[2:]) <= wide[1] + 1, wide  # nothing past the screen's right edge
    if width < 1000:  # stacked: the network below the data, the output below the network
        tops = pg.evaluate(TOPS)
        assert tops == sorted(tops) and tops[1] > tops[0] + 100, tops
    shoot(pg, tmp_path, f"teacher6-present-{width}", full=True)


def test_presentation_size_is_kept_on_a_reload_and_not_carried_by_a_link(sized, server, browser):
    pg = sized(1920, 1080)
    open_page(pg, server, "seed=1")
    pg.locator("#present").click()
    until(pg, "document.body.classList.contains('present')")
    pg.reload()
    until(pg, "window.playground && window.playground.snap")
    assert pg.locator("#present").get_attribute("aria-pressed") == "true"
    assert pg.evaluate("document.body.classList.contains('present')")
    assert "present" not in pg.evaluate("location.hash")  # a link is the experiment, not the screen
    other = sized(1920, 1080)  # another browser opening the same link: normal size
    open_page(other, server, pg.evaluate("location.hash.slice(1)"))
    assert other.locator("#present").get_attribute("aria-pressed") == "false"
    pg.locator("#present").click()  # off again: a reload keeps that too
    pg.reload()
    until(pg, "window.playground && window.playground.snap")
    assert not pg.evaluate("document.body.classList.contains('present')")


# -- 3: notices lie over nothing and go with the state they describe -----------------------------
@pytest.mark.parametrize("size", SIZES)
def test_the_stop_notice_covers_no_control_and_goes_with_a_new_exercise(
    sized, server, tmp_path, size
):
    pg = sized(*size, touch=_phone(size))
    open_page(pg, server, "seed=1&stop_epochs=3&speed=fast")
    pg.locator("#play").click()
    until(pg, NOTICE, 20)
    assert "Stopped" in pg.locator("#notice").inner_text()
    assert pg.evaluate(COVERS) == []
    # a click on a control below it lands there (nothing lies over the exercises)
    b = pg.locator("#lesson-presets [data-preset=square]").bounding_box()
    x, y = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
    hit = pg.evaluate(
        f"document.elementFromPoint({x}, {y}).closest('[data-preset]')?.dataset.preset"
    )
    assert hit == "square"
    shoot(pg, tmp_path, f"teacher6-stop-notice-{size[0]}")
    # the state it describes replaced without a click (a new exercise from the keyboard, a
    # link): the notice goes with it
    pg.evaluate("send('preset', {name: 'square'})")
    until(pg, "window.playground.state.dataset === 'square' && window.playground.snap.epoch === 0")
    until(pg, f"!{NOTICE}", 5)


@pytest.mark.parametrize("how", ["reset", "dataset"])
def test_a_notice_goes_when_reset_or_a_new_dataset_replaces_its_state(sized, server, how):
    pg = sized(1280, 800)
    open_page(pg, server, "seed=1&stop_epochs=3&speed=fast")
    pg.locator("#play").click()
    until(pg, NOTICE, 20)
    pg.evaluate("send('reset')" if how == "reset" else "send('set', {changes: {dataset: 'xor'}})")
    until(pg, f"!{NOTICE}", 5)


# -- 4: a refusal says the teacher locked it, beside the control, over no tooltip -----------------
@pytest.mark.parametrize("size", SIZES)
def test_a_lock_refusal_says_the_teacher_set_it_and_not_how_to_remove_it(
    sized, server, tmp_path, size
):
    pg = sized(*size, touch=_phone(size))
    open_page(pg, server, "seed=1&lock=lr")
    lr = pg.locator("#lr")
    lr.scroll_into_view_if_needed()
    lr.tap(force=True) if _phone(size) else lr.click(force=True)
    until(pg, NOTICE, 5)
    said = pg.locator("#notice").inner_text()
    assert "Learning rate" in said and "teacher" in said, said
    assert "without the lesson part" not in said and "open the playground" not in said, said
    assert pg.evaluate(COVERS) == []
    shoot(pg, tmp_path, f"teacher6-lock-refusal-{size[0]}")
    pg.evaluate("send('set', {changes: {lr: 1}})")  # the server's words, the same rule
    until(pg, "/teacher/.test(document.getElementById('status').textContent)", 5)
    assert "lesson part" not in pg.locator("#status").inner_text()


LINK_MIDDLE = """(() => {
  const p = document.querySelectorAll('#links path.hit')[3], m = p.getScreenCTM();
  const q = p.getPointAtLength(p.getTotalLength() / 2);
  return [q.x * m.a + q.y * m.c + m.e, q.x * m.b + q.y * m.d + m.f]; })()"""


def test_a_locked_links_refusal_leaves_its_tooltip_uncovered(sized, server, tmp_path):
    pg = sized(1280, 800)
    open_page(pg, server, "lesson=abs&seed=2&lock=weights")
    x, y = pg.evaluate(LINK_MIDDLE)
    pg.mouse.move(x, y)
    until(pg, "!document.getElementById('link-tip').hidden", 5)
    pg.mouse.click(x, y)
    until(pg, NOTICE, 5)
    pg.mouse.move(x + 1, y)
    until(pg, "!document.getElementById('link-tip').hidden", 5)
    said = pg.locator("#notice").inner_text()
    assert "Typing weights" in said and "teacher" in said and "lesson part" not in said, said
    assert pg.evaluate(COVERS) == []
    shoot(pg, tmp_path, "teacher6-locked-link-refusal")


# -- 5: every locked control looks disabled and answers; Upload with the dataset locked --------
LOCKED = [  # (the lock, a control it takes every use of, the words its refusal names)
    ("upload", "#csv", "Upload CSV"),
    ("dataset", "#csv", "Dataset"),  # every upload is refused with the dataset locked
    ("network", "#add-layer", "Hidden layers"),
    ("network", "#remove-layer", "Hidden layers"),
    ("network", ".layer-head .round.tiny >> nth=0", "Hidden layers"),
    ("lr", "#lr", "Learning rate"),
    ("activation", "#activation-all", "Activation"),
    ("activation", ".layer-act >> nth=0", "Activation"),
    ("seed", "#regenerate", "Seed"),
    ("seed", "#seed", "Seed"),
    ("noise", "#noise", "Noise"),
    ("show_test", "#show_test", "Show test data"),
    ("export", "#export-spec", "Exports"),
    ("dataset", "#datasets button >> nth=1", "Dataset"),
]


@pytest.mark.parametrize("lock,selector,words", LOCKED)
def test_every_locked_control_looks_disabled_and_answers_with_its_refusal(
    sized, server, lock, selector, words
):
    pg = sized(1280, 800)
    open_page(pg, server, f"seed=1&lock={lock}")
    el = pg.locator(selector)
    assert el.get_attribute("aria-disabled") == "true", selector  # reads disabled
    assert not el.evaluate("(e) => e.disabled"), selector  # but reachable: focusable, it answers
    look = el.evaluate("(e) => getComputedStyle(e.closest('label.file') || e).opacity")
    assert float(look) < 0.7, look
    before = pg.evaluate("JSON.stringify(window.playground.state)")
    pickers = []
    pg.on("filechooser", lambda fc: pickers.append(fc))
    el.scroll_into_view_if_needed()
    el.click(force=True)
    until(pg, NOTICE, 5)
    said = pg.locator("#notice").inner_text()
    assert words in said and "teacher" in said, said
    el.focus()  # the keyboard: Enter, Space and the arrows are answered the same way
    for key in ("Enter", " ", "ArrowUp", "ArrowDown"):
        pg.keyboard.press("Escape")
        pg.keyboard.press(key)
        until(pg, NOTICE, 5)
    pg.wait_for_timeout(500)  # a change would have come back by now
    assert pickers == []
    assert pg.evaluate("JSON.stringify(window.playground.state)") == before


def test_a_locked_slider_does_not_move_when_tapped_on_a_phone(sized, server):
    pg = sized(390, 844, touch=True)
    open_page(pg, server, "seed=1&lock=noise,classes")
    noise = pg.locator("#noise")
    noise.scroll_into_view_if_needed()
    b = noise.bounding_box()
    pg.touchscreen.tap(b["x"] + b["width"] * 0.8, b["y"] + b["height"] / 2)
    until(pg, NOTICE, 5)
    assert "Noise" in pg.locator("#notice").inner_text()
    pg.wait_for_timeout(500)
    assert noise.input_value() == "0" and pg.evaluate("window.playground.state.noise") == 0


def test_the_lesson_dialog_warns_of_upload_shown_with_the_dataset_locked(sized, server, tmp_path):
    pg = sized(1280, 800)
    open_page(pg, server, "seed=1")
    pg.locator("#lesson-link").click()
    warn = pg.locator("#lesson-dialog-useless")
    assert not warn.is_visible()
    pg.locator("#lesson-dialog select[data-control=dataset]").select_option("lock")
    until(pg, "!document.getElementById('lesson-dialog-useless').hidden", 5)
    said = warn.inner_text()
    assert "Upload CSV" in said and "Dataset" in said, said
    shoot(pg, tmp_path, "teacher6-dialog-upload-warning")
    pg.locator("#lesson-dialog select[data-control=upload]").select_option("hide")
    until(pg, "document.getElementById('lesson-dialog-useless').hidden", 5)


# -- 6: a hidden batch size is not worked out from the header ------------------------------------
@pytest.mark.parametrize("hide", ["batch_size", "train_ratio"])
def test_a_hidden_batch_size_or_split_shows_no_step_count(sized, server, tmp_path, hide):
    pg = sized(1280, 800)
    open_page(pg, server, f"seed=1&batch_size=2000&hide={hide}&stop_epochs=5&speed=fast")
    pg.locator("#play").click()
    until(pg, "Number(document.getElementById('epoch').dataset.value) >= 5", 20)
    header = pg.locator("header").inner_text()
    assert "step" not in header.replace("Step", "").lower(), header  # steps per epoch: n / batch
    assert not pg.locator("#steps-line").is_visible()
    assert not pg.locator("#step-batch").is_visible()  # its presses to an epoch count the steps
    assert pg.locator("#epoch").is_visible()
    if hide == "batch_size":
        assert "batch size" not in header, header
    shoot(pg, tmp_path, f"teacher6-hidden-{hide}")


def test_a_dataset_button_a_lock_always_refuses_looks_disabled_and_answers(sized, server):
    pg = sized(1280, 800)
    open_page(pg, server, "lesson=abs&seed=2&lock=network")  # 1-D sets bring their networks
    square = pg.locator("#datasets button[data-name=square]")
    until(pg, "document.querySelector('#datasets [data-name=square]').ariaDisabled === 'true'", 5)
    square.click(force=True)
    until(pg, NOTICE, 5)
    said = pg.locator("#notice").inner_text()
    assert "Hidden layers" in said and "teacher" in said, said
    pg.wait_for_timeout(500)
    assert pg.evaluate("window.playground.state.dataset") == "abs"
    assert pg.locator("#datasets button[data-name=abs]").get_attribute("aria-disabled") is None


@pytest.mark.parametrize("size", SIZES)
def test_upload_with_the_dataset_locked_is_drawn_disabled_and_says_why(
    sized, server, tmp_path, size
):
    pg = sized(*size, touch=_phone(size))
    open_page(pg, server, "seed=1&lock=dataset")
    label = pg.locator("label.file")
    assert float(label.evaluate("(l) => getComputedStyle(l).opacity")) < 0.7
    pickers = []
    pg.on("filechooser", lambda fc: pickers.append(fc))
    label.scroll_into_view_if_needed()
    label.tap(force=True) if _phone(size) else label.click(force=True)  # (aria-disabled inside)
    until(pg, NOTICE, 5)
    said = pg.locator("#notice").inner_text()
    assert "Upload CSV" in said and "cannot be used" in said and "Dataset" in said, said
    assert pg.evaluate(COVERS) == []
    shoot(pg, tmp_path, f"teacher6-upload-dataset-locked-{size[0]}")
    pg.wait_for_timeout(300)
    assert pickers == []


def test_a_hidden_class_count_is_printed_nowhere(sized, server):
    pg = sized(1280, 800)
    open_page(pg, server, "seed=1&dataset=gauss&classes=4&hide=classes")
    until(pg, "window.playground.data.classes === 4")
    for sel in ("#data-info", "#loss-note", "header"):
        said = pg.locator(sel).inner_text()
        assert "4 classes" not in said and "4 output" not in said, (sel, said)
