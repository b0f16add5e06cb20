"""The weight editor's Enter (trial 2, attacker #5), in Debian's Chromium via Playwright.

Opening the editor and pressing Enter sent the rounded value it shows (0.0494 for
0.04938792809844017), so the network changed and the export said weights were typed by
hand; "1,000" was sent as 1 and "0x1F" as 31. Now an unchanged value sends nothing, and
thousands separators and hex are refused with the rule beside the field.
"""

from __future__ import annotations

from test_playground_browser import browser, open_page, page, server, until  # noqa: F401

SPY = """(() => { window.sentEdits = []; const real = send;
  send = (type, body) => {
    if (type === 'edit') window.sentEdits.push(body);
    return real(type, body);
  };
})()"""


def open_bias(pg):
    pg.locator(".node .bias >> nth=0").click()
    until(pg, "!document.getElementById('editor').hidden")


def test_enter_on_the_shown_value_sends_nothing_and_odd_numbers_are_refused(page, server):  # noqa: F811
    open_page(page, server, "seed=1")
    page.evaluate(SPY)
    before = page.evaluate("window.playground.snap.layers[0].b[0]")
    open_bias(page)
    page.keyboard.press("Enter")
    until(page, "document.getElementById('editor').hidden")
    assert page.evaluate("window.sentEdits") == []
    for text in ("1,000", "0x1F"):
        open_bias(page)
        page.locator("#editor-input").fill(text)
        page.keyboard.press("Enter")
        message = page.locator("#editor-msg")
        assert message.is_visible() and text in message.inner_text()
        assert "no thousands separators, no hex" in message.inner_text()
        page.keyboard.press("Escape")
    assert page.evaluate("window.sentEdits") == []
    assert page.evaluate("window.playground.snap.layers[0].b[0]") == before
    open_bias(page)  # a decimal comma is still a decimal comma
    page.locator("#editor-input").fill("0,5")
    page.keyboard.press("Enter")
    until(page, "window.playground.snap.layers[0].b[0] === 0.5")
    assert page.evaluate("window.sentEdits.length") == 1
