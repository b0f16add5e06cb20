"""The standalone page's network panel between the phone and the wide layouts (issue 16,
helper N17H's finding), in Debian's Chromium: from 1,001 to about 1,180 px the three
columns left the network panel too narrow for 8 layers and it cut the last layers and the
output node off with no cue. Now, as in the notebook widget (nbwidget.WIDGET_CSS), the
panel scrolls sideways at every width; the cue shows exactly when it has more to show
(measured), and the layer heads sit inside the panel. Also: a CSV's feature names use the
room the features column has. Screenshots go to ``$PLAYGROUND_SCREENSHOT_DIR``.
"""

from __future__ import annotations

import pytest

from test_playground_browser import browser, open_page, server, until  # noqa: F401
from test_playground_browser_teacher import choose, shoot, sized  # noqa: F401

EIGHT16 = "hidden=" + ",".join(["16"] * 8) + "&activation=" + ",".join(["relu"] * 8)
EIGHT1 = "hidden=" + ",".join(["1"] * 8) + "&activation=" + ",".join(["relu"] * 8)

MEASURE = """(() => {
  const net = document.querySelector('.network');
  const p = net.getBoundingClientRect();
  const box = (s, side) =>
    [...document.querySelectorAll(s)].map((e) => e.getBoundingClientRect()[side]);
  const cue = document.getElementById('net-scroll-cue');
  return {left: p.left, right: p.left + net.clientWidth, top: p.top,
    out: Math.max(...box('.net-col-output .node', 'right')),
    heads: Math.min(...box('.layer-head', 'top')),
    scrolls: /auto|scroll/.test(getComputedStyle(net).overflowX),
    more: net.scrollWidth - net.clientWidth,
    cue: !!cue && !cue.hidden && cue.textContent !== '',
    page: document.scrollingElement.scrollWidth - innerWidth,
    clipped: net.scrollHeight - net.clientHeight};
})()"""


@pytest.mark.parametrize("width", [1001, 1100, 1180, 1280])
def test_the_network_shows_whole_or_scrolls_with_the_cue(sized, server, tmp_path, width):  # noqa: F811
    for name, hash_ in [("8x16", EIGHT16), ("8x1", EIGHT1), ("relu6", None)]:
        pg = sized(width, 800)
        open_page(pg, server, hash_ or "seed=6")
        if hash_ is None:
            choose(pg, "relu6")
        else:
            until(pg, "window.playground.snap.sizes.length === 10")
        got = pg.evaluate(MEASURE)
        shoot(pg, tmp_path, f"layout2-{name}-{width}")
        assert got["page"] <= 0, (name, width, got)  # never the page sideways
        assert got["heads"] >= got["top"] - 0.5, (name, width, got)  # heads inside the panel
        assert got["clipped"] <= 0, (name, width, got)  # nothing cut off at the bottom
        if got["out"] > got["right"] + 0.5:  # the output node not in view: the panel scrolls
            assert got["scrolls"] and got["more"] > 2 and got["cue"], (name, width, got)
            pg.evaluate("(() => { const n = document.querySelector('.network');"
                        " n.scrollLeft = n.scrollWidth; })()")  # fmt: skip
            until(pg, "document.getElementById('net-scroll-cue').hidden")
            end = pg.evaluate(MEASURE)
            assert end["out"] <= end["right"] + 0.5, (name, width, end)  # reachable
        else:  # the whole network shows: no cue
            assert not got["cue"], (name, width, got)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_csvs_feature_names_use_the_room_the_column_has(sized, server, tmp_path, width):  # noqa: F811
    pg = sized(width, 844)
    open_page(pg, server, "seed=1")
    rows = [f"{50 + i},{(i * 7 % 11) / 4},{i % 2}" for i in range(60)]
    path = tmp_path / "houses.csv"
    path.write_text("living_area_sqft,rooms,sold\n" + "\n".join(rows) + "\n")
    pg.set_input_files("#csv", str(path))
    until(pg, "window.playground.state.dataset === 'csv' && window.playground.data", 15)
    until(pg, "document.querySelector('.node.feature').title.includes('living')", 10)
    got = pg.evaluate("""(() => {
      const net = document.querySelector('.network');
      return {panel: net.clientWidth, page: document.scrollingElement.scrollWidth - innerWidth,
        labels: [...document.querySelectorAll('.flabel')].map((l) => [l.textContent,
          l.getBoundingClientRect().left - net.getBoundingClientRect().left + net.scrollLeft,
          l.closest('.node').getAttribute('aria-label')])};
    })()""")
    pg.evaluate("window.scrollTo(0, document.querySelector('.net-col').offsetTop)")
    shoot(pg, tmp_path, f"layout2-csv-{width}")
    assert got["page"] <= 0, got
    texts = {t for t, _, _ in got["labels"]}
    assert all(left >= 0 for _, left, _ in got["labels"]), got  # none cut at the panel's edge
    assert all("living_area_sqft" in name for t, _, name in got["labels"] if "liv" in t), got
    if width > 1000:  # room for the whole names (it drew "living_…", "liv…·roo…")
        assert {"living_area_sqft", "living_area_sqft²"} <= texts, got
        assert any(t.endswith("·rooms") and len(t) > 10 for t in texts), got  # rooms whole
    else:  # a phone: cut to the room, never under the 8 characters the server cut to
        first = next(t for t, _, _ in got["labels"] if t.startswith("liv"))
        assert len(first) >= 8, got
