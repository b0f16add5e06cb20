"""Issue 16, brief PGO (the eighth teacher), on the page in Debian's Chromium: Play after a
stop trains on, the lesson dialog on a CSV page names the dataset students really get, its
Exercise menu names only what the page is set up as. Screenshots go to
``$PLAYGROUND_SCREENSHOT_DIR`` (else tmp)."""

from __future__ import annotations

from test_playground_browser_teacher import (  # noqa: F401
    browser,
    open_page,
    server,
    shoot,
    sized,
    until,
)

EPOCH = "Number(document.getElementById('epoch').dataset.value)"
HOUSES = "size,rooms,price\n" + "".join(f"{50 + i},{1 + i % 4},{100 + 3 * i}\n" for i in range(40))


# -- P1: before, Play after the stop at 3 trained to epoch 4 and stopped, the Reset sentence twice
def test_play_after_a_stop_trains_on_and_says_reset_once(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "seed=1&stop_epochs=3&speed=normal")
    pg.locator("#play").click()
    until(pg, "!document.getElementById('notice').hidden", 20)
    said = pg.locator("#notice").inner_text()
    assert said.count("Reset starts again") == 1, said
    shoot(pg, tmp_path, "teacher9-stop-notice")
    pg.locator("#play").click()
    until(pg, f"{EPOCH} >= 12", 20)  # on past the stop, not one epoch
    assert pg.evaluate("window.playground.snap.running"), pg.evaluate("window.playground.snap")
    pg.locator("#play").click()  # pause


# -- P2: before, the dialog said Circle for a regression CSV whose link opens on the plane
def test_the_csv_pages_dialog_names_the_dataset_students_get(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "seed=1")
    pg.evaluate("send('preset', {name: 'square'})")
    until(pg, "window.playground.state.dataset === 'square'")
    path = tmp_path / "houses.csv"
    path.write_text(HOUSES)
    pg.set_input_files("#csv", str(path))
    until(pg, "window.playground.state.dataset === 'csv'", 20)
    pressed = pg.locator("#lesson-presets [aria-pressed=true]").count()
    assert pressed == 0  # y = x² is no longer marked
    pg.evaluate("lessons.openDialog()")
    said = pg.locator("#lesson-dialog-csv").inner_text()
    assert "Plane" in said and "Circle" not in said and "not in the link" in said, said
    url = pg.locator("#lesson-dialog-url").input_value()
    assert "lesson=" not in url, url
    shoot(pg, tmp_path, "teacher9-csv-dialog")
    student = sized(1280, 800)
    open_page(student, server, url.split("#", 1)[1])
    assert student.evaluate("window.playground.state.dataset") == "plane"


# -- P3: before, the default page's dialog offered Sigmoid × 6 and wrote lesson=sigmoid6 on a
# 4-2 tanh net; a student's dialog with the exercises locked could choose one
def test_the_dialog_names_only_the_exercise_the_page_is_set_up_as(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "seed=1&hidden=4,2&activation=tanh,tanh")
    pg.evaluate("lessons.openDialog()")
    offered = pg.evaluate(
        "[...document.querySelectorAll('#lesson-dialog-preset option')]"
        ".filter((o) => o.value && !o.disabled).map((o) => o.value)"
    )
    assert offered == [], offered
    pg.evaluate(
        "(() => { const s = document.getElementById('lesson-dialog-preset'); s.value = 'sigmoid6';"
        " s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )
    assert "lesson=" not in pg.locator("#lesson-dialog-url").input_value()
    shoot(pg, tmp_path, "teacher9-dialog-exercises")
    pg.evaluate("document.getElementById('lesson-dialog').close()")
    pg.evaluate("send('preset', {name: 'sigmoid6'})")
    until(pg, "window.playground.state.hidden.length === 6")
    pg.evaluate("lessons.openDialog()")
    assert pg.locator("#lesson-dialog-preset").input_value() == "sigmoid6"
    assert "lesson=sigmoid6" in pg.locator("#lesson-dialog-url").input_value()


def test_a_students_dialog_with_the_exercises_locked_chooses_none(sized, server, tmp_path):  # noqa: F811
    pg = sized(390, 844, touch=True)
    open_page(pg, server, "v=1&lesson=abs&lock=presets&seed=2")
    pg.evaluate("lessons.openDialog()")
    assert pg.locator("#lesson-dialog-preset").is_disabled()
    assert "locked by this lesson" in pg.locator("#lesson-dialog-preset-why").inner_text()
    assert "lesson=abs" in pg.locator("#lesson-dialog-url").input_value()  # its own, kept
    pg.evaluate(
        "(() => { const s = document.getElementById('lesson-dialog-preset'); s.disabled = false;"
        " s.value = 'step'; s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )
    assert "lesson=step" not in pg.locator("#lesson-dialog-url").input_value()
    shoot(pg, tmp_path, "teacher9-student-dialog")


# -- P5: before, lock=solution left Show solution undrawn (display: none) while the locks line
# listed it; locked.js's rule: a locked control is drawn disabled and answers with the refusal
def test_a_locked_show_solution_is_drawn_disabled_and_answers(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "v=1&lesson=abs&lock=solution&seed=2")
    button = pg.locator("#lesson-solution")
    until(pg, "document.getElementById('lesson-solution').offsetParent !== null", 5)
    assert button.get_attribute("aria-disabled") == "true"
    assert "Show solution" in pg.locator("#lesson-locks").inner_text()
    before = pg.evaluate("JSON.stringify(window.playground.snap.weights)")
    button.click(force=True)  # aria-disabled: Playwright would wait for it to be enabled
    until(pg, "!document.getElementById('notice').hidden", 5)
    assert "by this lesson" in pg.locator("#notice").inner_text()
    pg.wait_for_timeout(500)
    assert pg.evaluate("JSON.stringify(window.playground.snap.weights)") == before
    shoot(pg, tmp_path, "teacher9-solution-locked")


# -- P4: before, on a phone with lock=weights the refused tap on a bias also enlarged the
# neuron, whose card covered the refusal
def test_a_refused_bias_tap_on_a_phone_opens_no_card(sized, server, tmp_path):  # noqa: F811
    pg = sized(390, 844, touch=True)
    open_page(pg, server, "v=1&dataset=abs&problem=regression&features=x1&hidden=2&activation=relu"
              "&optimizer=adam&lr=0.05&seed=2&lesson=abs&lock=weights")  # fmt: skip
    bias = pg.locator(".node.neuron[data-layer='1'][data-neuron='0'] .bias")
    bias.scroll_into_view_if_needed()
    bias.tap(force=True)  # aria-disabled (locked): Playwright would wait
    until(pg, "!document.getElementById('notice').hidden", 5)
    pg.wait_for_timeout(300)
    assert pg.evaluate("document.getElementById('hover').hidden"), "the card covers the refusal"
    shoot(pg, tmp_path, "teacher9-phone-bias-refused")
    # a tap on the neuron itself still enlarges it
    pg.locator(".node.neuron[data-layer='1'][data-neuron='1'] canvas").tap()
    until(pg, "!document.getElementById('hover').hidden", 5)


# -- P6: before, the y = sin x button replaced optimizer, lr, batch, noise and network silently
def test_a_1d_dataset_button_says_what_its_preset_set(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "seed=1&dataset=plane&problem=regression&optimizer=sgd&lr=0.3")
    pg.locator(".dataset[data-name=sine]").click()
    until(pg, "window.playground.state.dataset === 'sine'")
    said = pg.locator("#status").inner_text()
    lr = pg.evaluate("window.playground.state.lr")
    assert "y = sin x set its own starting settings" in said, said
    assert f"learning rate {lr:g}" in said and "optimizer Adam" in said, said
    assert "come back" in said and "noise 10 %" in said, said
    shoot(pg, tmp_path, "teacher9-sine-preset")
    pg.locator(".dataset[data-name=plane]").click()
    until(pg, "window.playground.state.dataset === 'plane'")
    until(pg, "window.playground.state.lr === 0.3 && window.playground.state.optimizer === 'sgd'")


# -- P7: before, a phone's hint said "Click … Click … Tap" (only the neuron's verb followed the
# input); the hint names the input's verbs throughout
def test_the_network_hint_names_the_inputs_verbs(sized, server):  # noqa: F811
    phone = sized(390, 844, touch=True)
    open_page(phone, server, "seed=1")
    said = phone.locator(".net-hint").inner_text()
    assert "Click" not in said and "Hover" not in said and said.count("Tap") == 3, said
    laptop = sized(1280, 800)
    open_page(laptop, server, "seed=1")
    said = laptop.locator(".net-hint").inner_text()
    assert "Tap" not in said and said.count("Click") == 2 and "Hover over" in said, said


# -- P9: before, at 1920 x 1080 with 6 layers the loss chart's wrapped last line was at the
# bottom edge and the network's card went 26 px past it (the zoom measured the legends only)
def test_presentation_size_keeps_the_whole_network_card_in_view(sized, server, tmp_path):  # noqa: F811
    pg = sized(1920, 1080)
    open_page(pg, server, "seed=1&lesson=sigmoid6")
    pg.locator("#present").click()
    until(pg, "document.body.classList.contains('present')")
    pg.wait_for_timeout(500)
    low = pg.evaluate(
        "[innerHeight, document.querySelector('.net-col').getBoundingClientRect().bottom,"
        " ...[...document.querySelectorAll('.net-col .charts > *')]"
        ".map((e) => e.getBoundingClientRect().bottom)]"
    )
    assert max(low[1:]) <= low[0], low
    shoot(pg, tmp_path, "teacher9-present-1920-6-layers")
