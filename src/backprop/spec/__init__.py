"""Floor 5: the experiment spec — one JSON document for library, CLI and playground.

``load(path)`` reads and checks a spec file, ``normalize(dict)`` checks a spec in memory and
fills every default, ``run(spec)`` trains it, ``prepare(spec)`` builds the parts without
training. ``backprop.run`` is ``run``; ``save_run(result, folder)`` writes its run folder
whole (``runfolder``: refused if the folder is not empty unless ``overwrite=True``, one
writer at a time). The lecture's y = x² run ships as
``backprop/specs/square.json`` (``builtin("square")``).
"""

from __future__ import annotations

from .._lazy import lazy

# name -> the module that holds it, imported on first use (checking a spec does not load
# the runner or the run-folder writer)
__getattr__, __dir__ = lazy(
    __name__,
    {
        "Run": ".runner",
        "RunFolder": ".runfolder",
        "SPEC_VERSION": ".schema",
        "load": ".runner",
        "normalize": ".schema",
        "prepare": ".runner",
        "run": ".runner",
        "save_run": ".runfolder",
    },
    globals(),
)


def builtin_names() -> list[str]:
    """The names ``builtin`` takes, sorted.

    Examples:
        >>> from backprop import spec
        >>> spec.builtin_names()
        ['abs', 'digits', 'spiral', 'square', 'xor']
    """
    from importlib import resources

    return sorted(
        p.name.removesuffix(".json")
        for p in resources.files("backprop.specs").iterdir()
        if p.name.endswith(".json")
    )


def builtin(name: str) -> dict:
    """A spec shipped with the package (``square``, ``abs``, ``xor``, ``spiral``, ``digits``).

    Examples:
        >>> from backprop import spec
        >>> square = spec.builtin('square')  # the lecture's y = x²
        >>> square['model'], square['optimizer'], square['epochs']
        ({'sizes': [1, 8, 8, 1], 'activation': 'relu'}, {'name': 'adam', 'lr': 0.1}, 10000)
    """
    import json
    from importlib import resources

    from ..errors import SpecError

    names = builtin_names()
    if name not in names:
        raise SpecError(f"builtin spec {name!r}: unknown; choose one of {', '.join(names)}.")
    text = resources.files("backprop.specs").joinpath(f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def builtin_for(path) -> str | None:
    """The built-in spec a spec argument names, or None: ``"square"`` (or ``"square.json"``)
    when no file of that name exists, so ``backprop.run("square")`` and ``backprop train
    square`` work wherever a spec path does. A file of that name wins (it is what was named).

    Examples:
        >>> from backprop import spec
        >>> spec.builtin_for('square.json')  # no such file here: the built-in
        'square'
        >>> spec.builtin_for('my_experiment.json') is None
        True
    """
    import os

    if not isinstance(path, str | os.PathLike):
        return None
    try:
        text = os.fspath(path)
    except TypeError:
        return None
    if not isinstance(text, str) or not text or os.sep in text or "\0" in text:
        return None
    if (os.altsep and os.altsep in text) or os.path.lexists(text):
        return None
    name = text.removesuffix(".json")
    return name if name in builtin_names() else None


def near_builtin(path) -> str | None:
    """A built-in spec name close to a missing spec path (``sqaure`` → ``square``), or None."""
    import difflib
    import os

    try:
        text = os.fspath(path)
    except TypeError:
        return None
    if not isinstance(text, str) or os.sep in text:
        return None
    close = difflib.get_close_matches(text.removesuffix(".json"), builtin_names(), n=1)
    return close[0] if close else None


__all__ = [
    "SPEC_VERSION",
    "Run",
    "RunFolder",
    "builtin",
    "builtin_for",
    "builtin_names",
    "load",
    "normalize",
    "prepare",
    "run",
    "save_run",
]
