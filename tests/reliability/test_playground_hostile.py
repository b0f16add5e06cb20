"""Issue 8, item 8: the playground server under hostile traffic.

The real server runs in a subprocess (see ``playground_harness.py``).
``test_hostile_traffic_is_refused``: 1,000 malformed messages (bad JSON, wrong types and
versions, unknown fields, out-of-range values, binary frames, messages near the size
limit) each answered with exactly one error; oversized messages closed with 1009 on their
own connection; foreign Origins (403) and Hosts (HTTP 400, WebSocket 403) refused; a tab
over the cap refused (1013). The TestClient versions stay in ``tests/test_playground_server.py``.
``test_playground_load.py`` sends the same traffic (``hostile``) while ten tabs train.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

import pytest

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
pytest.importorskip("websockets.asyncio.client", reason="websockets ≥ 13 needed")
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402

from backprop.playground import inbox, protocol  # noqa: E402

from .playground_harness import (  # noqa: E402
    TIMEOUT,
    Server,
    assert_clean_log,
    connect,
    hello,
    malformed,
    msg,
    next_of,
    receive,
    server_starter,
)


@pytest.fixture
def start_server(tmp_path):
    with server_starter(tmp_path) as start:
        yield start


# -- hostile traffic ------------------------------------------------------------------------
async def send_malformed(ws, messages: list, batch: int = 25) -> dict:
    """Send ``messages`` each followed by a ping; every one must get exactly one error.

    Within the tab's budget (``inbox``): at most ``batch`` pairs at a time, fewer than
    ``QUEUE_MAX`` messages, and no faster than its tokens allow (a mirror of the server's
    bucket; the server's is never emptier). Floods past the budget are
    ``test_playground_flood.py``'s."""
    answered, refused_sets = 0, 0
    assert 2 * batch < inbox.QUEUE_MAX
    tokens, at = inbox.BURST, time.monotonic()
    for start in range(0, len(messages), batch):
        part = messages[start : start + batch]
        cost = sum(2 + len(m) // inbox.TOKEN_CHARS for m in part)
        tokens = min(inbox.BURST, tokens + (time.monotonic() - at) * inbox.RATE)
        if tokens < cost:
            await asyncio.sleep((cost - tokens) / inbox.RATE)
            tokens = cost
        tokens, at = tokens - cost, time.monotonic()
        for m in part:
            await ws.send(m)
            await ws.send(msg("ping"))
        for m in part:
            errors = []
            while True:
                reply = await receive(ws)
                if reply["type"] == "pong":
                    break
                if reply["type"] == "error":
                    errors.append(reply["message"])
                else:  # a refused change puts the page's controls back first
                    assert reply["type"] == "state", (reply["type"], str(m)[:200])
                    refused_sets += 1
            assert len(errors) == 1, (str(m)[:200], errors)
            assert "internal error" not in errors[0] and errors[0].strip(), errors[0]
            answered += 1
    return {"answered": answered, "state_resets": refused_sets}


async def oversized(server: Server, text: str | bytes) -> int:
    """The close code a lone oversized message gets (its own connection only); -1 when the
    connection was reset before the close frame could be read (see ``oversized_traffic``)."""
    async with connect(server) as ws:
        try:
            await ws.send(text)
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else -1
        except OSError:  # ECONNRESET while still sending
            return -1
    return 0


async def handshake_status(server: Server, origin: str | None) -> int:
    try:
        async with connect(server, origin=origin) as ws:
            await ws.recv()
    except InvalidStatus as exc:
        return exc.response.status_code
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else -1
    return 101


async def raw_status(server: Server, host: str | None, websocket: bool) -> int:
    """Status of a hand-written request with the given Host header (None: no Host)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    path = "/ws" if websocket else "/"
    lines = [f"GET {path} HTTP/1.1"] + ([f"Host: {host}"] if host is not None else [])
    if websocket:
        lines += [
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
            f"Origin: http://{host}",
        ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), TIMEOUT)
    writer.close()
    return int(status.split()[1])


FOREIGN_ORIGINS = [None, "http://evil.example", "null", "http://localhost:{port}",
                   "http://127.0.0.1:{other}", "https://127.0.0.1:{port}"]  # fmt: skip
FOREIGN_HOSTS = ["evil.example", "evil.example:{port}", "192.168.1.5:{port}",
                 "127.0.0.1.evil.example", "localhost.:{port}"]  # fmt: skip


async def knock(server: Server) -> dict:
    """Foreign Origins and Hosts: every one refused (WebSocket 403, HTTP 400)."""
    fill = {"port": server.port, "other": server.port + 1}
    refused_origins = 0
    for origin in FOREIGN_ORIGINS:
        status = await handshake_status(server, None if origin is None else origin.format(**fill))
        assert status == 403, (origin, status)
        refused_origins += 1
    refused_hosts = 0
    for host in FOREIGN_HOSTS:
        host = host.format(**fill)
        assert await raw_status(server, host, websocket=False) == 400, host
        assert await raw_status(server, host, websocket=True) == 403, host
        refused_hosts += 2
    assert await raw_status(server, None, websocket=False) == 400  # no Host at all
    own = f"127.0.0.1:{server.port}"  # the same requests with our own Host are answered
    assert await raw_status(server, own, websocket=False) == 200
    assert await raw_status(server, own, websocket=True) == 101
    return {"origins": refused_origins, "hosts": refused_hosts + 1}


async def tab_cap(server: Server) -> int:
    """Tabs open until one is refused (an error, then 1013), which happens at the cap."""
    async with contextlib.AsyncExitStack() as stack:
        for i in range(server.max_tabs + 1):
            ws = await stack.enter_async_context(connect(server))
            with contextlib.suppress(ConnectionClosed):  # a refused tab may be closed by now
                await ws.send(msg("hello", url={"seed": str(i)}))
            m = await receive(ws)  # its error came before the close
            if m["type"] == "error":
                # the refusal names the flag that raises the cap
                assert m["fatal"] and "--max-tabs" in m["message"], m
                assert server.stats()["live"] == server.max_tabs
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
                assert closed.value.rcvd.code == 1013
                return 1
            assert m["type"] == "ready", m
            await next_of(ws, "snapshot")
    raise AssertionError(f"{server.max_tabs + 1} tabs opened; none was refused")


async def malformed_traffic(server: Server, n_malformed: int) -> dict:
    """One tab sends the malformed messages; first, how long one answer takes (ping)."""
    figures = {"ping": []}
    async with connect(server) as ws:
        await hello(ws, {"dataset": "xor", "seed": 0})
        for _ in range(5):
            t0 = time.perf_counter()
            await ws.send(msg("ping"))
            await next_of(ws, "pong")
            figures["ping"].append(time.perf_counter() - t0)
        figures.update(await send_malformed(ws, malformed(n_malformed)))
        await ws.send(msg("ping"))  # and the tab is still answered
        await next_of(ws, "pong")
    return figures


async def oversized_traffic(server: Server) -> dict:
    codes = [
        await oversized(server, "x" * (protocol.MAX_MESSAGE + 10)),  # our limit
        await oversized(server, msg("set", changes={"dataset": "y" * protocol.MAX_MESSAGE})),
        await oversized(server, "z" * (2 * protocol.MAX_MESSAGE)),  # the socket's own limit
        await oversized(server, random.Random(1).randbytes(protocol.MAX_MESSAGE + 5000)),
    ]
    # Past the socket's own limit the server refuses the frame from its header, sends 1009
    # and closes while the client is still sending; the server reads through a 16 KB
    # buffer (server.RECEIVE_BUFFER), so the client may be reset before it reads the
    # close frame. Messages under that limit are read whole and always get 1009.
    assert codes[:2] == [1009, 1009], codes
    assert all(code in (1009, -1) for code in codes[2:]), codes
    return {"oversized": len(codes), "oversized_reset": codes.count(-1)}


async def hostile(server: Server, n_malformed: int) -> dict:
    """Everything item 8 says must be refused, side by side, then the tab cap."""
    figures = {}
    for part in await asyncio.gather(
        malformed_traffic(server, n_malformed), oversized_traffic(server), knock(server)
    ):
        figures.update(part)
    figures["cap"] = await tab_cap(server)
    return figures


def test_hostile_traffic_is_refused(start_server):
    """1,000 malformed messages, oversized ones, foreign Origins and Hosts, the tab cap."""
    server = start_server(max_tabs=3)
    n = 1000

    async def main():
        t0 = time.perf_counter()
        figures = await hostile(server, n)
        async with connect(server) as ws:  # still serving, and a new tab works
            ready, _, _ = await hello(ws, {"dataset": "spiral", "seed": 3})
            assert ready["state"]["dataset"] == "spiral"
        return figures, time.perf_counter() - t0

    figures, seconds = asyncio.run(main())
    stats = asyncio.run(server.wait_live(0))
    assert stats == {"live": 0, "sessions": 0}, stats
    assert figures["answered"] == n
    assert_clean_log(server)
    print(
        f"\nplayground hostile traffic ({seconds:.1f} s): {figures['answered']} malformed "
        f"messages each answered with one error ({figures['state_resets']} also reset the "
        f"controls), {figures['oversized']} oversized closed with 1009 "
        f"({figures['oversized_reset']} reset while still sending past the socket's limit), "
        f"{figures['origins']} foreign Origins refused (403), {figures['hosts']} foreign or "
        f"missing Hosts refused (HTTP 400 / WebSocket 403), {figures['cap']} tab over the "
        f"cap refused (1013); afterwards {stats['live']} live tabs, {stats['sessions']} "
        f"Session objects"
    )
