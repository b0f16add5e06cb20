"""mkdocs hook: serve MathJax from the site itself, never from a CDN.

mkdocs-jupyter renders the notebooks' $…$ and $$…$$ for MathJax 2; its default script address
is a CDN, which pages of this project must not load. jupyter-server-mathjax (in the ``docs``
extra) ships MathJax 2.7 as package data: this hook copies it into ``assets/mathjax/`` of the
built site, with a local configuration that uses the STIX-Web fonts it ships (MathJax's
default TeX web fonts are not in the package), and mkdocs.yml points mkdocs-jupyter's
``custom_mathjax_url`` there (``config=TeX-AMS-MML_HTMLorMML-full,local/backprop,Safe``).
"""

import shutil
from pathlib import Path


def on_post_build(config, **kwargs):
    import jupyter_server_mathjax

    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    target = Path(config["site_dir"]) / "assets" / "mathjax"
    shutil.copytree(source, target, dirs_exist_ok=True)
    local = target / "config" / "local"
    local.mkdir(parents=True, exist_ok=True)
    (local / "backprop.js").write_text(LOCAL_CONFIG, encoding="utf-8")


LOCAL_CONFIG = """MathJax.Hub.Config({
  "HTML-CSS": {availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web",
               imageFont: null, linebreaks: {automatic: true}},
  SVG: {font: "STIX-Web", linebreaks: {automatic: true}}
});
MathJax.Ajax.loadComplete("[MathJax]/config/local/backprop.js");
"""
