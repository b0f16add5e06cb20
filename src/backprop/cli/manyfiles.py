"""One file expected, several given: what a shell pattern that matched several files does.

``backprop predict runs/square-*/model.safetensors --x 1.5`` works after one demo and,
after a second, becomes ``predict A B --x 1.5``: argparse then says "unrecognized
arguments: B", which reads as a bug. Every command whose positional argument is one file
(predict, summary, export, train, gradcheck, …), or an option that takes one (--input),
comes here first: when the words argparse
left over are existing files like the one it took, the error names them all and the
newest (by modification time), and says to give one.
"""

from __future__ import annotations

import os

__all__ = ["several_files"]


def several_files(parser, args, extra: list[str], argv: list[str]) -> str | None:
    """The error for a one-file argument that got several existing files, or None.

    ``argv``: the command line's words; the file just before the first left-over one is
    the value argparse took, and names the argument (MODEL, --input, …)."""
    loose = [w for w in extra if not w.startswith("-")]
    if not loose or not all(os.path.isfile(w) for w in loose):
        return None
    at = argv.index(loose[0]) if loose[0] in argv else 0
    first = argv[at - 1] if at > 0 else None
    if first is None or not os.path.isfile(first):
        return None
    for action in getattr(parser, "_actions", []):
        if action.nargs not in (None, "?") or getattr(args, action.dest, None) != first:
            continue
        name = max(action.option_strings, key=len) if action.option_strings else None
        files = [first, *loose]
        newest = max(files, key=os.path.getmtime)
        more = f", … ({len(files) - 4} more)" if len(files) > 4 else ""
        shown = ", ".join(files[:4]) + more
        return (
            f"{name or action.dest.upper()} is one file, but {len(files)} were given "
            f"({shown}); a shell pattern with * matches every file it fits (every run "
            f"folder's, after a second run): give one, e.g. the newest, {newest}"
        )
    return None
