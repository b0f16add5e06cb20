"""What the playground's server tests share: a message maker and a stand-in WebSocket."""

import json


def msg(kind: str, /, **fields) -> str:
    """One protocol message as the page sends it."""
    return json.dumps({"v": 1, "type": kind, **fields})


class Sink:
    """A stand-in for the tab's WebSocket: keeps what the server sends."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(json.loads(text))

    def snapshots(self) -> list[dict]:
        return [m for m in self.sent if m["type"] == "snapshot"]


def hello(conn, settings: dict | None = None) -> None:
    """The page's ``hello``, with the link's query values as the page reads them (text)."""
    import asyncio

    url = {k: str(v) for k, v in (settings or {}).items()}
    asyncio.run(conn.handle(msg("hello", url=url)))


def tab(settings: dict | None = None):
    """A connection with a session, as after the page's ``hello``."""
    from backprop.playground.connection import Connection

    conn = Connection(Sink())
    hello(conn, settings)
    return conn


def send_text(conn, text: str) -> list[dict]:
    """One raw text from the page; the messages the server answered with."""
    import asyncio

    before = len(conn.ws.sent)
    asyncio.run(conn.handle(text))
    return conn.ws.sent[before:]


def send(conn, message_type: str, /, **fields) -> list[dict]:
    """One message from the page; the messages the server answered with."""
    return send_text(conn, msg(message_type, **fields))


def errors(answers: list[dict]) -> list[dict]:
    """The error messages among a server's answers, whole."""
    return [m for m in answers if m["type"] == "error"]


def error_messages(answers: list[dict]) -> list[str]:
    """The words of the error messages among a server's answers."""
    return [m["message"] for m in errors(answers)]
