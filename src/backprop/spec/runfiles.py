"""The files of a finished run in a folder: model.safetensors, spec.json, history.csv and
history.json (``write_files``), and ``save_run``, which writes them as a whole run folder
(``runfolder.RunFolder``: all or nothing, one writer at a time). ``runfolder`` re-exports
both, as before.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..files import atomic_write_text


def write_files(run, folder) -> dict[str, Path]:
    """model.safetensors, spec.json, history.csv and history.json of ``run`` in ``folder``."""
    from .effective import effective_spec
    from .historyfiles import history_texts

    folder = Path(folder)  # spec.json: the defaults the run used written in (lr, n, task, …)
    text = json.dumps(effective_spec(run), indent=2, default=_jsonable) + "\n"
    csv_text, json_text = history_texts(run.history)  # History.to_csv/to_json's bytes
    return {
        "model": run.save(folder / "model.safetensors"),
        "spec": atomic_write_text(folder / "spec.json", text, follow_symlinks=False),
        "history_csv": atomic_write_text(folder / "history.csv", csv_text),
        "history_json": atomic_write_text(folder / "history.json", json_text),
    }


def save_run(run, path, *, overwrite: bool = False) -> dict[str, Path]:
    """Write a finished ``backprop.run`` result as a run folder (no plots); returns the files.

    The folder appears whole or not at all; an existing one is refused unless ``overwrite``,
    and a concurrent writer is refused naming its pid (see the module's rules).

    Examples:
        >>> import backprop
        >>> from backprop import spec
        >>> square = spec.builtin('square')
        >>> square['epochs'] = 200
        >>> import os, tempfile
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> files = spec.save_run(backprop.run(square), os.path.join(folder.name, 'square'))
        >>> sorted(files)
        ['history_csv', 'history_json', 'model', 'spec']
    """
    from .runfolder import RunFolder

    folder = RunFolder(path, overwrite=overwrite)
    with folder as staging:
        written = write_files(run, staging)
    return folder.final(written)


def _jsonable(value):
    """NumPy scalars and arrays as JSON values; anything else as text."""
    return value.tolist() if hasattr(value, "tolist") else str(value)
