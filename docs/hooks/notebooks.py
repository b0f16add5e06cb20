"""mkdocs hook: the site shows the lecture's notebooks executed, as the README promises.

The notebooks are committed without outputs (docs/notebooks/README.md says why). Before
mkdocs-jupyter renders them, this hook runs each one top to bottom in a fresh kernel with
nbclient (the same runner as tests/test_notebooks.py; a cell gets CELL_TIMEOUT seconds) in a
scratch folder, and points the page at the executed copy: the site shows every ✓ line, table,
equation and figure the student sees in Jupyter. A cell that fails stops the build with the
notebook, the cell and the error (a page never shows a traceback as if it were the lesson).

The playground widget is the one output a static page cannot show: it needs the kernel that
trains it. Its output (and the widget state nbclient stores, which nbconvert would load from a
CDN) is replaced by a line saying so, so a page opened directly never points at a picture
that is not there.
"""

import shutil
import tempfile
from pathlib import Path

CELL_TIMEOUT = 300  # seconds per cell; 07's 10,000-epoch run takes about ten
WIDGET_NOTE = (
    "[The playground widget appears here when you run this notebook in Jupyter: it needs a "
    'running kernel, which trains it. Install with pip install -e ".[notebook]" and open it '
    "with jupyter lab docs/notebooks.]"
)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def executed(source: Path, scratch: Path):
    """The notebook at ``source`` run top to bottom in a fresh kernel (cwd ``scratch``)."""
    import nbclient
    import nbformat
    from mkdocs.exceptions import PluginError

    nb = nbformat.read(source, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(scratch)}},
    )
    try:
        client.execute()
    except Exception as error:  # a failing cell, a timeout or a dead kernel: the build stops
        raise PluginError(
            f"docs/notebooks/{source.name} failed while the site ran it:\n{error}"
        ) from None
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if WIDGET_MIME in out.get("data", {}):
                out["data"] = {"text/plain": WIDGET_NOTE}
    return nb


SCRATCH: list[Path] = []  # this build's scratch folder, removed when the site is built


def on_files(files, config, **kwargs):
    import nbformat

    scratch = Path(tempfile.mkdtemp(prefix="backprop-docs-notebooks-"))
    SCRATCH.append(scratch)
    out = scratch / "executed"
    out.mkdir()
    for file in files:
        if not (file.src_uri.startswith("notebooks/") and file.src_uri.endswith(".ipynb")):
            continue
        source = Path(file.abs_src_path)
        run_dir = scratch / source.stem
        run_dir.mkdir()
        target = out / source.name
        nbformat.write(executed(source, run_dir), target)
        shutil.rmtree(run_dir, ignore_errors=True)
        file.abs_src_path = str(target)
    return files


def on_post_build(config, **kwargs):
    while SCRATCH:
        shutil.rmtree(SCRATCH.pop(), ignore_errors=True)
