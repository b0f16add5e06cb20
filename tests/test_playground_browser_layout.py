"""The playground's layout in Debian's Chromium via Playwright (issue 16): a 390 × 844
phone, an 8 × 16 network at 1280 × 800, the presentation size at 1920 × 1080, and the
WCAG AA contrast of every rendered text.

Screenshots go to ``$PLAYGROUND_SCREENSHOT_DIR`` (else the test's tmp folder); look at
them. The server and browser fixtures are the ones of ``test_playground_browser.py``.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from test_playground_browser import browser, open_page, page, server, until  # noqa: F401


def shoot(pg, tmp_path, name: str) -> Path:
    folder = Path(os.environ.get("PLAYGROUND_SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    pg.screenshot(path=str(path))
    return path


@pytest.fixture
def sized(browser, server):  # noqa: F811
    """A page of a chosen viewport size: sized(width, height)."""
    contexts = []

    def make(width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      accept_downloads=True)  # fmt: skip
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


def overlaps(boxes):
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5:
                out.append((a, b))
    return out


def test_a_phone_stacks_the_panels_without_sideways_scroll(sized, server, tmp_path):  # noqa: F811
    pg = sized(390, 844)
    open_page(pg, server, "seed=6")
    assert pg.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    tops = pg.evaluate(
        "['.data-col', '.net-col', '.out-col'].map((s) => {"
        " const r = document.querySelector(s).getBoundingClientRect(); return [r.top, r.bottom]; })"
    )
    assert tops[0][1] <= tops[1][0] and tops[1][1] <= tops[2][0]  # one under the other
    shoot(pg, tmp_path, "phone-390x844")
    pg.evaluate("window.scrollTo(0, document.querySelector('.net-col').offsetTop)")
    shoot(pg, tmp_path, "phone-390x844-network")
    # 8 layers of 16: the network scrolls inside its panel, the page still not sideways
    eight = ",".join(["16"] * 8)
    pg = sized(390, 844)
    open_page(pg, server, f"hidden={eight}&activation={eight.replace('16', 'relu')}&seed=6")
    until(pg, "window.playground.snap.sizes.length === 10")
    assert pg.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    pg.evaluate("window.scrollTo(0, document.querySelector('.net-col').offsetTop)")
    shoot(pg, tmp_path, "phone-390x844-8x16")


LAYOUT = """(() => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const heads = [...document.querySelectorAll('.layer-head > *, .flabel')].map(box);
  const panel = box(document.querySelector('.net-col'));
  const nodes = [...document.querySelectorAll('#net-columns .node')].map(box);
  const bar = [...document.querySelector('header.bar').children].filter((e) => !e.hidden).map(box);
  const below = ['speed', 'stop_epochs', 'stop_loss', 'export-model', 'export-spec']
    .map((id) => document.getElementById(id).getBoundingClientRect().bottom);
  return {heads, panel, nodes, bar, below};
})()"""


def test_a_large_network_fits_its_panel_and_the_controls_stay_in_sight(sized, server, tmp_path):  # noqa: F811
    pg = sized(1280, 800)
    open_page(
        pg, server, "hidden=" + ",".join(["16"] * 8) + "&activation=" + ",".join(["relu"] * 8)
    )
    until(pg, "window.playground.snap.sizes.length === 10")
    got = pg.evaluate(LAYOUT)
    assert overlaps(got["heads"]) == []  # + / − buttons, counts, activation menus, labels
    p = got["panel"]
    outside = [n for n in got["nodes"] if n[0] < p[0] or n[2] > p[2] or n[1] < p[1] or n[3] > p[3]]
    assert outside == []
    tops = [b[1] for b in got["bar"]]
    assert max(tops) - min(tops) < 30  # the header is one row
    assert max(got["below"]) <= 800  # speed, stopping and exports above the fold
    assert pg.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    shoot(pg, tmp_path, "large-network-1280x800")


def test_presentation_size_fills_a_projector_with_smooth_enlarged_neurons(sized, server, tmp_path):  # noqa: F811
    pg = sized(1920, 1080)
    open_page(pg, server, "dataset=spiral&hidden=8,8&seed=8")
    pg.get_by_role("button", name="Presentation size").click()
    until(pg, "document.body.classList.contains('present')")
    time.sleep(0.3)
    got = pg.evaluate(
        """(() => { const r = (s) => document.querySelector(s).getBoundingClientRect();
          return {main: [r('main').left, r('main').right], plot: r('#heatmap').width,
                  plot_bottom: r('#heatmap').bottom,
                  font: parseFloat(getComputedStyle(document.querySelector('.hint')).fontSize)
                    * (Number(document.documentElement.style.zoom) || 1),
                  size: window.playground.snap.heatmap.size,
                  wide: document.scrollingElement.scrollWidth}; })()"""
    )
    assert got["main"][0] < 60 and got["main"][1] > 1860  # edge to edge
    assert got["plot"] >= 380 and got["size"] == 100  # a 100 × 100 output map, shown large
    assert got["font"] >= 16 and got["plot_bottom"] <= 1080 and got["wide"] <= 1920
    # the heatmap's tick labels lie outside the plot
    inside = pg.evaluate(
        """(() => { const p = document.getElementById('heatmap').getBoundingClientRect();
          return [...document.querySelectorAll('#heatmap-chart .tick')].filter((t) => {
            const r = t.getBoundingClientRect();
            return r.right > p.left && r.left < p.right && r.bottom > p.top && r.top < p.bottom;
          }).length; })()"""
    )
    assert inside == 0 and pg.locator("#heatmap-chart .tick").count() >= 6
    # an enlarged neuron is drawn at the screen's resolution, interpolated: no 5-pixel blocks
    pg.get_by_label("Neuron 1 of layer 1").hover()
    runs = pg.evaluate(
        """(() => { const c = document.getElementById('hover-canvas');
          const r = c.getBoundingClientRect(), ctx = c.getContext('2d');
          const row = ctx.getImageData(0, Math.floor(c.height / 2), c.width, 1).data;
          let changes = 0;
          for (let i = 4; i < row.length; i += 4) {
            if (row[i] !== row[i - 4] || row[i + 1] !== row[i - 3]) changes++;
          }
          return {backing: c.width, shown: r.width, changes}; })()"""
    )
    assert runs["backing"] >= runs["shown"] - 1
    assert runs["changes"] >= 0.5 * runs["backing"], runs  # smooth: most neighbours differ
    shoot(pg, tmp_path, "presentation-1920x1080")


CONTRAST = """(() => {
  const parse = (s) => {
    const m = s.match(/[\\d.]+/g).map(Number);
    return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1];
  };
  const over = (top, under) =>
    [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const background = (el) => {  // the colours under el, composited from the page down
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] === 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]);
  };
  const opacity = (el) => {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  const canvases = [...document.querySelectorAll('canvas')].map((c) => c.getBoundingClientRect());
  const bad = [];
  let checked = 0;
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const field = el.matches('select, input[type=number], input[type=text]')
      && (el.value || '').trim();
    if (!own && !field) continue;
    if (el.closest('[hidden], option, script, style, svg')) continue;
    const r = el.getBoundingClientRect(), st = getComputedStyle(el);
    if (!r.width || !r.height || st.visibility !== 'visible' || st.display === 'none') continue;
    const bg = background(el);
    const fg = over(parse(st.color).slice(0, 3).concat(parse(st.color)[3] * opacity(el)), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const onPicture = canvases.some((c) =>
      r.left < c.right && r.right > c.left && r.top < c.bottom && r.bottom > c.top);
    checked++;
    const text = (el.value || el.textContent).trim().slice(0, 30);
    const where = onPicture ? ' over a picture' : '';
    if (ratio < need || onPicture) {
      bad.push(`${el.tagName}.${el.className} "${text}" ${ratio.toFixed(2)}:1${where}`);
    }
  }
  return {checked, bad};
})()"""


@pytest.mark.parametrize(
    "hash_",
    [
        "seed=9&features=x1,x2",
        "dataset=sine&seed=9&view=gradients",
        "dataset=plane&seed=9&show_test=true",
    ],
)
def test_every_text_meets_wcag_aa_contrast(sized, server, tmp_path, hash_):  # noqa: F811
    pg = sized(1280, 800)
    open_page(pg, server, hash_)
    pg.get_by_role("button", name="Step", exact=True).click()
    until(pg, "Number(document.getElementById('epoch').dataset.value) >= 1")
    time.sleep(0.2)
    got = pg.evaluate(CONTRAST)
    assert got["checked"] > 60
    assert got["bad"] == []
    shoot(pg, tmp_path, "page-1280x800-" + re.sub(r"\W+", "-", hash_))
