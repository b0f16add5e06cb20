"""What the playground's server tests share: a message maker and a stand-in WebSocket."""

import json


def msg(kind: str, **fields) -> str:
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
