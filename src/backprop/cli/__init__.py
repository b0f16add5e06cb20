"""Floor 6: the ``backprop`` command line.

``main(argv)`` parses the arguments, runs one subcommand and returns the exit status: 0 on
success, 1 when a check fails (``gradcheck``), 2 for a user mistake — which prints one
clear line on stderr, never a traceback. The subcommands hold no maths; they call the
library and render what it returns.
"""

from .app import main

__all__ = ["main"]
