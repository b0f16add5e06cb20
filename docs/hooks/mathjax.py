"""mkdocs hook: serve MathJax from the site itself, never from a CDN.

mkdocs-jupyter renders the notebooks' $…$ and $$…$$ for MathJax 2; its default script address
is a CDN, which pages of this project must not load. jupyter-server-mathjax (in the ``docs``
extra) ships MathJax 2.7 as package data: this hook copies it into ``assets/mathjax/`` of the
built site, with a local configuration that uses the STIX-Web fonts it ships (MathJax's
default TeX web fonts are not in the package; see LOCAL_CONFIG for the two font requests it
also turns off), and mkdocs.yml points mkdocs-jupyter's
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


# Two font requests that fail offline, found in Chromium's network log of a notebook page:
# the hidden MathML that MathJax writes beside each equation for screen readers (AssistiveMML)
# carries mathvariant="script" for \\mathcal, and the NativeMML output's stylesheet maps it to
# MathJax's TeX font fonts/HTML-CSS/TeX/otf/MathJax_Script-Regular.otf, which the package
# does not ship (a 404): the hidden MathML keeps the page's font instead (it is never seen).
# And HTML-CSS's MathJax_Blank test font is url('about:blank'), which Chromium refuses with a
# console error: local('MathJax_Blank') fails the same way (no such font) without a request.
LOCAL_CONFIG = """MathJax.Hub.Config({
  "HTML-CSS": {availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web",
               imageFont: null, linebreaks: {automatic: true},
               styles: {
                 "@font-face": {"font-family": "MathJax_Blank", src: "local('MathJax_Blank')"},
                 ".MJX_Assistive_MathML [mathvariant]": {"font-family": "inherit"}
               }},
  SVG: {font: "STIX-Web", linebreaks: {automatic: true}}
});
MathJax.Ajax.loadComplete("[MathJax]/config/local/backprop.js");
"""
