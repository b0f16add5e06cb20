"""The trace's HTML in a real browser (headless Debian chromium): one clean copy either way.

The trace's ``text/html`` holds each equation twice — TeX for MathJax and an HTML table of
the same numbers — and a CSS rule shows the typeset TeX once MathJax has run, the table
otherwise. Checked here on a static page, without MathJax (what VS Code or marimo show)
and with the MathJax 2.7 that the docs extra ships (jupyter-server-mathjax; JupyterLab's
MathJax 3 is checked by tests/test_playground_widget_lab.py). Set
``DISPLAY_SCREENSHOT_DIR`` to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import backprop as bp
from backprop import delta, nn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytest.importorskip("playwright")
if not CHROMIUM:
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

VISIBLE = (
    "(s) => [...document.querySelectorAll(s)].filter(e => e.offsetParent !== null"
    " && getComputedStyle(e).visibility !== 'hidden').length"
)


def _page(tmp_path, html: str, head: str = "") -> Path:
    page = tmp_path / "trace.html"
    page.write_text(f"<!doctype html><meta charset=utf-8>{head}<body>{html}</body>", "utf-8")
    return page


def _trace():
    bp.manual_seed(0)
    model = nn.MLP([2, 3, 1], activation="sigmoid")
    return delta.trace(model, bp.randn(3, 2), bp.randn(3, 1), nn.MSELoss())


def _shoot(page, name: str) -> None:
    folder = os.environ.get("DISPLAY_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def _open(url: str, wait):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--allow-file-access-from-files"]
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(url)
        wait(page)
        result = (
            page.evaluate(VISIBLE, ".bp-uni"),
            page.evaluate(VISIBLE, ".bp-tex"),
            page.locator(".MathJax").count(),
            page.inner_text("body"),
        )
        _shoot(page, Path(url.split("?")[0]).stem + ".png")
        browser.close()
    return result


def test_without_mathjax_the_html_table_shows_and_the_tex_does_not(tmp_path):
    t = _trace()
    equations = t._repr_latex_().count("&=")
    page = _page(tmp_path, t._repr_html_())
    tables, tex, typeset, text = _open(page.as_uri(), lambda p: p.wait_for_timeout(200))
    assert (tables, tex, typeset) == (equations, 0, 0)
    assert "δ[1] = g′(f[1]) ∘ W[2] δ[2]" in text and "\\delta" not in text
    assert f"{t[1].delta[0, 0]:.4g}".replace("-", "\u2212") in text


def test_with_mathjax_every_equation_is_typeset_and_the_table_hidden(tmp_path):
    mathjax = pytest.importorskip("jupyter_server_mathjax")
    script = Path(mathjax.__file__).parent / "static" / "MathJax.js"
    head = (
        '<script type="text/x-mathjax-config">MathJax.Hub.Config({"HTML-CSS": {availableFonts:'
        ' ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web", imageFont: null}});'
        f'</script><script src="{script.as_uri()}?config=TeX-AMS-MML_HTMLorMML-full"></script>'
    )
    t = _trace()
    equations = t._repr_latex_().count("&=")
    page = _page(tmp_path, t._repr_html_(), head).rename(tmp_path / "trace_mathjax.html")

    def typeset(p):
        p.wait_for_function(
            f"() => document.querySelectorAll('.MathJax').length >= {equations}", timeout=30_000
        )

    tables, tex, count, _ = _open(page.as_uri(), typeset)
    assert (tables, tex, count) == (0, equations, equations)
