"""One module per subcommand; each has ``add_parser(subparsers)`` and a ``run(args)``."""

from . import (
    compare,
    demo,
    explain,
    export,
    gradcheck,
    playground,
    predict,
    summary,
    sweep,
    train,
    vanishing,
)

ALL = (
    demo,
    train,
    predict,
    summary,
    explain,
    gradcheck,
    vanishing,
    export,
    playground,
    sweep,
    compare,
)
NAMES = tuple(module.__name__.rpartition(".")[2] for module in ALL)
