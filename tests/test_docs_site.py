"""The documentation site (mkdocs.yml): ``mkdocs build --strict`` passes, and what it builds
is what the site promises — the API reference generated from the docstrings, the notebooks
rendered with their equations, and no page that loads anything from another host.

Skipped when the ``docs`` extra is not installed (.ci/run installs it).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")
pytest.importorskip("mkdocs_jupyter")
pytest.importorskip("material")
pytest.importorskip("jupyter_server_mathjax")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


def test_strict_build_has_every_page(site):
    for page in ("index.html", "notebooks/index.html", "api/index.html", "architecture/index.html"):
        assert (site / page).is_file(), page
    for notebook in sorted((ROOT / "docs" / "notebooks").glob("*.ipynb")):
        assert (site / "notebooks" / notebook.stem / "index.html").is_file(), notebook.name


@pytest.mark.parametrize(
    ("page", "names"),
    [
        ("api/delta", ["backprop.delta.backward", "backprop.delta.trace", "LayerTrace"]),
        ("api/nn", ["HalfMSELoss", "MLP", "Linear", "Step"]),
        ("api/optim", ["Adam", "SGD"]),
        ("api/train", ["backprop.fit", "History", "EarlyStopping"]),
        ("api/spec", ["backprop.run"]),
        ("api/checks", ["backprop.gradcheck", "backprop.check_gradients"]),
        ("api/sklearn", ["MLPRegressor", "MLPClassifier"]),
    ],
)
def test_api_reference_comes_from_the_docstrings(site, page, names):
    html = (site / page / "index.html").read_text(encoding="utf-8")
    for name in names:
        assert name in html, f"{page}: {name} is not documented"
    # a docstring's text, not only a heading: the engine's module docstring names the recursion
    if page == "api/delta":
        assert "δ recursion" in html


def test_notebook_pages_render_math_from_the_site(site):
    html = (site / "notebooks" / "06_tensors_and_autograd" / "index.html").read_text("utf-8")
    assert "w2.grad" in html and "epsilon = 0.001" in html
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', html, flags=re.I)
    assert scripts and all(not s.startswith(("http:", "https:", "//")) for s in scripts), scripts
    assert (site / "assets" / "mathjax" / "MathJax.js").is_file()
    assert (site / "assets" / "mathjax" / "config" / "local" / "backprop.js").is_file()


def test_no_page_loads_anything_from_another_host(site):
    remote = re.compile(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="(?:https?:)?//', re.I)
    loading = [
        str(p.relative_to(site))
        for p in site.rglob("*.html")
        if remote.search(p.read_text(encoding="utf-8", errors="replace"))
    ]
    assert not loading, f"pages that load from another host: {loading}"
