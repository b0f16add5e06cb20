"""``backprop playground``: TensorFlow Playground's idea, trained by backprop, in the browser."""

from __future__ import annotations

import argparse
import sys

from ..._extras import install_hint
from ..common import port, whole

MAX_TABS = 64

HELP = "open the browser playground: datasets, features, layers, live training and heatmaps"
EXAMPLES = f"""examples:
  backprop playground                 serve on http://127.0.0.1:8000/
  backprop playground --open          and open it in the web browser
  backprop playground --port 0        on any free port (the URL is printed)
needs the web extra: {install_hint("web", notebook=False)}"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "playground",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--port", type=port, default=8000, help="port to listen on, 0 to 65535 (8000; 0: any free)"
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (127.0.0.1: this machine only; 0.0.0.0 exposes it to the network)",
    )
    p.add_argument("--open", action="store_true", help="open the page in the web browser")
    p.add_argument(
        "--max-tabs",
        type=whole(1, MAX_TABS, f"each tab trains on this machine; allow 1 to {MAX_TABS}"),
        default=8,
        help=f"tabs that may be open at once, 1 to {MAX_TABS} (8); more are refused",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    from ...errors import ConfigError

    try:
        from ...playground.server import is_loopback, serve
    except ImportError as exc:
        raise ConfigError(
            f"the playground needs the web extra ({exc.name} is not installed): "
            f"{install_hint('web', notebook=False)}"
        ) from None
    if not is_loopback(args.host):
        print(
            f"backprop playground: warning: binding {args.host} makes the playground reachable "
            "from other machines on your network; anyone who can reach it can run training "
            "on this computer. Use the default 127.0.0.1 unless you mean it.",
            file=sys.stderr,
        )

    def ready(url: str) -> None:
        print(f"backprop playground: serving on {url}  (Ctrl+C stops)", flush=True)
        if args.open:
            import webbrowser

            webbrowser.open(url)

    try:
        serve(args.host, args.port, on_ready=ready, max_sessions=args.max_tabs)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
            "try another --port (0 picks a free one)"
        ) from None
    return 0
