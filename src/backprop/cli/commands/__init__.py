"""One module per subcommand; each has ``add_parser(subparsers)`` and a ``run(args)``."""

from . import demo, explain, export, gradcheck, playground, predict, summary, train, vanishing

ALL = (demo, train, predict, summary, explain, gradcheck, vanishing, export, playground)
NAMES = tuple(module.__name__.rpartition(".")[2] for module in ALL)
