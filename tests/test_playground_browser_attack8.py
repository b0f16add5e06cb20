"""Issue 16, brief PGL, on the page in Debian's Chromium: a 2-D dataset button on a 1-D
lesson with the network locked (all or nothing), Export under a lesson that hides settings
(the page says the file shows them before it is made), a locked stop refused at Play with
the teacher's words. Screenshots go to ``$PLAYGROUND_SCREENSHOT_DIR`` (else tmp)."""

from __future__ import annotations

import pytest

from backprop.playground.locks import BY_TEACHER
from test_playground_browser_teacher import (  # noqa: F401
    browser,
    open_page,
    server,
    shoot,
    sized,
    until,
)

STATE = "JSON.stringify(window.playground.state)"


# -- close25: a 2-D dataset button on a 1-D lesson with the network locked ---------------------
# before: the click sent the dataset, then (a second message) the user's 2-D network, which
# the lock refused: the data was the circle's, the network and optimizer still the 1-D set's
@pytest.mark.parametrize("lock", ["network", "optimizer"])
def test_a_2d_dataset_button_is_all_or_nothing_under_a_lock(sized, server, tmp_path, lock):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, f"v=1&lesson=square&lock={lock}&seed=1")
    until(pg, "window.playground.state.dataset === 'square' && window.playground.snap")
    before = pg.evaluate("window.playground.state")
    pg.locator(".dataset[data-name=plane]").click(force=True)  # a 2-D regression set: shown
    pg.wait_for_timeout(1500)  # any second message the click made has been answered
    after = pg.evaluate("window.playground.state")
    shoot(pg, tmp_path, f"attack8-plane-under-lock-{lock}")
    assert after == before, {k: (before[k], after[k]) for k in after if after[k] != before.get(k)}
    said = pg.evaluate("document.body.innerText")
    assert BY_TEACHER in said, said[-600:]


def test_a_2d_dataset_button_brings_the_2d_network_in_one_change(sized, server):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "v=1&dataset=plane&hidden=5,3&seed=1")
    pg.locator(".dataset[data-name=sine]").click()
    until(pg, "window.playground.state.dataset === 'sine'")
    pg.evaluate("""() => { window.__sets = [];
      const send0 = window.WebSocket.prototype.send;
      window.WebSocket.prototype.send = function (t) {
        if (String(t).includes('"set"')) window.__sets.push(String(t));
        return send0.call(this, t);
      };
    }""")
    pg.locator(".dataset[data-name=plane]").click()
    until(pg, "window.playground.state.dataset === 'plane' && "
              "window.playground.state.hidden.join() === '5,3'")  # fmt: skip
    pg.wait_for_timeout(800)
    sets = pg.evaluate("window.__sets")
    assert len(sets) == 1 and '"hidden":[5,3]' in sets[0], sets


# -- close25: Export under a lesson that hides settings says so before the file is made ------------
# before: Export spec saved a file naming the hidden optimizer, learning rate and activation
@pytest.mark.parametrize("what", ["spec", "model"])
def test_export_says_the_file_names_the_hidden_settings_first(sized, server, tmp_path, what):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "v=1&lesson=abs&hide=optimizer,lr,activation&seed=1")
    until(pg, "window.playground.snap")
    downloads = []
    pg.on("download", lambda d: downloads.append(d))
    pg.locator(f"#export-{what}").click()
    until(pg, "document.querySelector('#export-note').textContent.includes('hides')", 5)
    note = pg.locator("#export-note").inner_text()
    shoot(pg, tmp_path, f"attack8-export-{what}-asks")
    assert "Optimizer" in note and "Learning rate" in note and "Activation" in note, note
    pg.wait_for_timeout(500)
    assert not downloads  # nothing made yet
    pg.locator("#export-note button", has_text="Cancel").click()
    assert not pg.locator("#export-note").inner_text()
    pg.locator(f"#export-{what}").click()
    with pg.expect_download():
        pg.locator("#export-note button", has_text="anyway").click()


def test_export_without_hidden_settings_asks_nothing(sized, server):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "v=1&lesson=abs&lock=optimizer&seed=1")
    until(pg, "window.playground.snap")
    with pg.expect_download():
        pg.locator("#export-spec").click()


# -- attacker borderline: Play at a locked stop says why, in the teacher's voice ---------------
def test_play_at_a_locked_stop_is_refused_with_the_teachers_words(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, "v=1&lock=stop&stop_epochs=3&seed=1")
    until(pg, "window.playground.snap")
    for _ in range(3):
        pg.locator("#step").click()
        pg.wait_for_timeout(300)
    until(pg, "window.playground.snap.epoch === 3", 10)
    pg.locator("#play").click()
    pg.wait_for_timeout(1000)
    shoot(pg, tmp_path, "attack8-play-at-locked-stop")
    assert pg.evaluate("window.playground.snap.epoch") == 3
    said = pg.evaluate("document.body.innerText")
    assert BY_TEACHER in said and "Reset" in said, said[-600:]
