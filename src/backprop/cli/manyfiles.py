"""One file expected, several given: what a shell pattern that matched several files does.

``backprop predict runs/square-*/model.safetensors --x 1.5`` works after one demo and,
after a second, becomes ``predict A B --x 1.5``: argparse then says "unrecognized
arguments: B", which reads as a bug. Every command whose positional argument is one file
(predict, summary, export, train, gradcheck, …) comes here first: when the words argparse
left over are existing files like the one it took, the error names them all and the
newest (by modification time), and says to give one.
"""

from __future__ import annotations

import os

__all__ = ["several_files"]


def several_files(parser, args, extra: list[str]) -> str | None:
    """The error for a one-file positional that got several existing files, or None."""
    loose = [w for w in extra if not w.startswith("-")]
    if not loose or not all(os.path.isfile(w) for w in loose):
        return None
    for action in getattr(parser, "_actions", []):
        if action.option_strings or action.nargs not in (None, "?"):
            continue
        first = getattr(args, action.dest, None)
        if isinstance(first, str) and os.path.isfile(first):
            files = [first, *loose]
            newest = max(files, key=os.path.getmtime)
            more = f", … ({len(files) - 4} more)" if len(files) > 4 else ""
            shown = ", ".join(files[:4]) + more
            return (
                f"{action.dest.upper()} is one file, but {len(files)} were given ({shown}); a "
                f"shell pattern with * matches every run folder's file: give one, e.g. the "
                f"newest, {newest}"
            )
    return None
