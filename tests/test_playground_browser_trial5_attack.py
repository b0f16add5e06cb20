"""Issue 16's fifth attacker trial, the page's half, in Debian's Chromium via Playwright.

A key given twice in a lesson link (``lock=lr&lock=network``) reached the server as its last
text only (the page's ``parseHash`` kept one value a key): lr came unlocked without a word.
And with the backward view hidden the snapshots now leave out its numbers: the page must
train, draw and show its cards without them. Each test fails on the code the trial ran.
"""

from __future__ import annotations

from test_playground_browser import browser, open_page, page, server, until  # noqa: F401


def test_a_lock_given_twice_locks_both_controls(page, server):  # noqa: F811
    # before: lessons.shut('lr') was '' (only network was locked)
    open_page(page, server, "seed=1&lock=lr&lock=network&task=first&task=second")
    assert page.evaluate("lessons.shut('lr')") == "locked"
    assert page.evaluate("lessons.shut('network')") == "locked"
    notes = page.evaluate("JSON.stringify(window.playground.notes || [])")
    status = page.locator("body").inner_text()
    assert "task: given 2 times" in notes + status, (notes, status[:500])


def test_a_page_whose_backward_view_is_hidden_trains_and_draws_without_gradients(page, server):  # noqa: F811
    # before: the snapshots carried gw/gb/delta with the view hidden; without them, a page
    # that read them unguarded would throw (the fixture fails on any page error)
    open_page(page, server, "seed=1&hide=view")
    page.click("#step")
    until(page, "window.playground.snap.epoch >= 1")
    assert page.evaluate("window.playground.snap.layers.every((l) => !('gw' in l))")
    page.locator(".node.neuron >> nth=0").hover()
    until(page, "!document.getElementById('hover').hidden", 5)
    page.locator("#links path >> nth=0").hover(force=True)
    page.click("#play")
    until(page, "window.playground.snap.epoch >= 5")
    page.click("#play")
