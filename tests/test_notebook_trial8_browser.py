"""The eighth Jupyter student's findings (issue 17, brief N17I): the playground page and the
notebook widget, in Debian's Chromium (and a JupyterLab for the widget). A change that builds
a new network while it trained says so and the exercise's chip follows its note; a widget
whose kernel restarted shows ▶ greyed, not ⏸."""

from __future__ import annotations

import pytest

from test_playground_browser import browser, page, server  # noqa: F401  (fixtures)

# -- 7. the page: a change that starts the network again says so; the chip follows the note


@pytest.mark.slow
def test_a_change_that_restarts_a_playing_network_says_so_and_the_exercise_chip_lets_go(
    page,  # noqa: F811
    server,  # noqa: F811
):
    from test_playground_browser import open_page, until
    from test_playground_browser_teacher import choose

    open_page(page, server)
    choose(page, "square")
    assert page.locator("#lesson-presets .preset.selected").count() == 1
    page.click("#play")
    until(page, "window.playground.snap.running && window.playground.snap.epoch > 20")
    page.select_option("#activation-all", "tanh")
    until(page, "window.playground.state.activation.join() === 'tanh,tanh'")
    until(page, "window.playground.snap.epoch === 0 && !window.playground.snap.running")
    until(page, "document.getElementById('status').textContent.includes('epoch 0')", 5)
    status = page.locator("#status").inner_text()
    assert "Activation" in status and "starts again at epoch 0" in status, status
    assert "paused" in status and "▶" in status, status
    assert page.locator("#lesson-note").is_hidden()  # the exercise's text went ...
    assert page.locator("#lesson-presets .preset.selected").count() == 0  # ... so did its chip


@pytest.mark.slow
def test_a_playing_widget_whose_kernel_restarted_shows_play_greyed_not_pause(
    tmp_path,
    browser,  # noqa: F811
):
    """The dead widget kept ⏸ under its 'kernel restarted' notice (the student's screenshot)."""
    import json

    import test_playground_widget_lab as wl

    lab = wl.lab.__wrapped__(type("F", (), {"mktemp": staticmethod(lambda _n: tmp_path)})())
    base, token, root = next(lab)
    try:
        (root / "dead.ipynb").write_text(json.dumps(wl.notebook([wl.WIDGET_CELL])))
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/lab/workspaces/dead/tree/dead.ipynb?token={token}&reset")
        kernel = "window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel"
        page.wait_for_function(
            f"() => document.querySelector('.jp-Notebook .jp-Cell') && {kernel}?.status === 'idle'",
            timeout=60_000,
        )
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        frame = panel.frame_locator("iframe[title='backprop playground']")
        frame.locator(".node").first.wait_for(timeout=60_000)
        play = frame.locator("#play")
        play.dispatch_event("click")
        for _ in range(300):  # playing: the button offers Pause
            if play.get_attribute("aria-label") == "Pause":
                break
            page.wait_for_timeout(100)
        assert play.get_attribute("aria-label") == "Pause"
        kernel = "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
        page.evaluate(f"() => {{ {kernel}.restart(); }}")
        panel.locator(".backprop-widget-notice").wait_for(state="visible", timeout=30_000)
        page.wait_for_timeout(300)
        assert play.get_attribute("aria-label") == "Play"  # ▶, not ⏸
        assert "run the widget's cell again" in play.get_attribute("title")  # and why
        assert "gone" in play.get_attribute("class")
        page.close()
        assert errors == []
    finally:
        next(lab, None)
