"""Reaching a Dask scheduler and checking its workers, for a sweep on a cluster (``cluster``).

``connect(address)`` returns a Dask ``Client`` within ``DEADLINE`` seconds or raises a
one-line ``ClusterError``: a refused port is said at once (Dask itself retries until its
timeout); before any ``Client`` is made the server is asked who it is on a connection of our
own that a timeout can cancel (a silent port hangs Dask's handshake for ever, an HTTP port
makes it allocate exabytes, and a failed ``Client`` blocks the interpreter's exit for twice
its timeout: docs/scaling.md, table 5). ``check_workers`` waits for a worker and compares
every worker's backprop (version and a hash of its source files), numpy and numba with this
process's, so the trials give this machine's numbers bit for bit.
"""

from __future__ import annotations

import threading
import time

from ..errors import ClusterError

CONNECT_TIMEOUT = 10.0  # seconds Dask's own connect may take (a silent port ends here)
DEADLINE = 12.0  # seconds for reaching the scheduler and checking its workers, in all


def masked(address) -> str:
    """``address`` as a message may echo it: a user name or password in it (``user:pw@``)
    written as ``***@``, control and direction-changing characters escaped, abridged; a
    value that is no text as its repr."""
    from ..textrules import abridge, escape

    if not isinstance(address, str):
        return abridge(repr(address))
    scheme, sep, rest = address.rpartition("://")
    where, slash, path = rest.partition("/")
    if "@" in where:
        where = "***@" + where.rpartition("@")[2]
    return abridge(escape(f"{scheme}{sep}{where}{slash}{path}"))


def address_of(address) -> str:
    """``host:port`` or ``tcp://host:port`` as Dask takes it. Other schemes are refused:
    ``tls://`` needs certificates a sweep is not given (Dask's ``Security``), so it would
    fail in Dask's handshake as if the server were no scheduler."""
    if not isinstance(address, str) or not address.strip():
        raise ClusterError(
            f"sweep cluster: give the scheduler's address, such as tcp://127.0.0.1:8786 "
            f"(what `dask scheduler` prints); got {masked(address)!r}."
        )
    text = address.strip()
    said = masked(text)  # what messages echo: never a password given in the address
    scheme, _, rest = text.rpartition("://")
    if "@" in rest.partition("/")[0]:
        raise ClusterError(
            f"sweep cluster {said!r}: a Dask scheduler's address takes no user name or "
            "password (tcp:// has no login); give tcp://HOST:PORT, such as "
            "tcp://127.0.0.1:8786."
        )
    if scheme and scheme.lower() != "tcp":
        tunnel = "ssh -L 8786:localhost:8786 HOST, then tcp://127.0.0.1:8786"
        raise ClusterError(
            f"sweep cluster {said!r}: {scheme}:// is not supported; a sweep reaches the "
            f"scheduler over plain tcp:// (no TLS certificates). Give a tcp:// address on a "
            f"trusted network, or tunnel it ({tunnel})."
        )
    host, _, port = rest.rpartition(":")
    if not host or not (port.isascii() and port.isdecimal()):
        raise ClusterError(
            f"sweep cluster {said!r}: the address needs a host and a port, such as "
            "tcp://127.0.0.1:8786 (what `dask scheduler` prints)."
        )
    if not 0 < int(port) < 65536:
        raise ClusterError(
            f"sweep cluster {said!r}: the port must be 1 to 65535; got {int(port)} (Dask's "
            "scheduler listens on 8786 unless told otherwise)."
        )
    return f"tcp://{rest}"


def check(address) -> str:
    """``address`` well formed, the extra installed and a Dask scheduler answering there
    (``reach``): all before a database is made, so a wrong address leaves no file behind."""
    address = address_of(address)
    _distributed()
    reach(address)
    return address


def _resolve(address: str) -> None:
    """A host name that does not resolve is said at once (Dask would try it until its
    timeout, then say nothing answered)."""
    import socket

    host, _, port = address[len("tcp://") :].rpartition(":")
    try:
        _within(5.0, lambda: socket.getaddrinfo(host.strip("[]"), int(port)), "resolving", address)
    except socket.gaierror as exc:
        raise ClusterError(
            f"sweep cluster {address}: the host name {host!r} does not resolve "
            f"({short(exc)}); check its spelling, or give the scheduler's IP address."
        ) from None


def _refused(address: str) -> str | None:
    """Dask retries a refused TCP port until its timeout; one plain connect says it at once."""
    import socket

    if not address.startswith("tcp://"):
        return None
    host, _, port = address[len("tcp://") :].rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=2.0).close()
    except ConnectionRefusedError:
        return "connection refused (nothing listens there)"
    except OSError:
        return None  # unreachable, unknown host, slow: Dask's own connect says it
    return None


def _distributed():
    try:
        import distributed
    except ImportError:
        from .._extras import install_hint

        raise ClusterError(
            "sweep --cluster: the cluster extra (Dask distributed) is not installed; "
            f"{install_hint('cluster', notebook=False)}"
        ) from None
    return distributed


def _within(seconds: float, work, what: str, address: str):
    """``work()`` in a daemon thread, given ``seconds``: Dask's handshake with a port that
    accepts and never answers has no timeout of its own."""
    box: dict = {}

    def target():
        try:
            box["value"] = work()
        except BaseException as exc:  # MemoryError too: an HTTP port read as a frame length
            box["error"] = exc

    thread = threading.Thread(target=target, name="backprop-cluster-connect", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise ClusterError(
            f"sweep cluster {address}: no answer within {seconds:g} s while {what}; "
            "check the address (a Dask scheduler's, e.g. tcp://HOST:8786) or start one with "
            "`dask scheduler`."
        )
    if "error" in box:
        raise box["error"]
    return box["value"]


def _identify(address: str, timeout: float) -> dict:
    """Ask the server at ``address`` who it is, on a connection of our own that a timeout can
    cancel: a ``Client`` stuck in its handshake, or one that failed on a wrong service,
    blocks the interpreter's exit for twice its timeout when it is collected."""
    import asyncio

    from distributed.comm import connect as open_comm

    async def ask():
        comm = await open_comm(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    return asyncio.run(asyncio.wait_for(ask(), timeout))


FIX = "start one with `dask scheduler` and `dask worker ADDRESS`, or check the address."


def reach(address: str, deadline: float = DEADLINE) -> float:
    """A Dask scheduler answers at ``address`` (a tcp:// address), or a one-line
    ``ClusterError`` saying what is there instead; returns the connect timeout used."""
    fix = FIX
    _resolve(address)
    refused = _refused(address)
    if refused:
        raise ClusterError(f"sweep cluster {address}: {refused}; {fix}")
    timeout = min(CONNECT_TIMEOUT, max(1.0, deadline - 1.0))
    try:
        who = _within(deadline, lambda: _identify(address, timeout), "connecting", address)
    except ClusterError:
        raise
    except MemoryError:  # Dask read another protocol's bytes as a frame length
        who = _not_dask(address)
    except (OSError, TimeoutError) as exc:
        who = _http(address) or (
            f"nothing answered ({short(exc) or f'no reply within {timeout:g} s'})"
        )
    except Exception as exc:
        who = f"it is not a Dask scheduler ({type(exc).__name__}: {short(exc)})"
    if isinstance(who, dict) and who.get("type") != "Scheduler":
        kind = who.get("type") or "something else"
        who = f"that is a Dask {kind}, not the scheduler (give the scheduler's address)"
    if isinstance(who, str):
        raise ClusterError(f"sweep cluster {address}: {who}; {fix}")
    return timeout


def connect(address, deadline: float = DEADLINE):
    """A Dask ``Client`` of the scheduler at ``address``, within ``deadline`` seconds."""
    distributed = _distributed()
    address = address_of(address)
    end = time.monotonic() + deadline
    fix = FIX
    timeout = reach(address, deadline)

    def work():
        return distributed.Client(address, timeout=timeout, set_as_default=False)

    left = max(1.0, end - time.monotonic())
    try:
        return _within(left, work, "connecting", address)
    except ClusterError:
        raise
    except Exception as exc:
        raise ClusterError(
            f"sweep cluster {address}: the scheduler answered but the client could not "
            f"connect ({type(exc).__name__}: {short(exc)}); {fix}"
        ) from None


def _not_dask(address: str, wait: float = 2.0) -> str:
    """What answered at ``address`` when Dask could not read its reply: an HTTP server's
    status line (a web port, or a proxy on the way that answers for every address), other
    bytes, or nothing within ``wait`` seconds."""
    import socket

    host, _, port = address[len("tcp://") :].rpartition(":")
    reply = b""
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=wait) as sock:
            sock.sendall(b"\x00" * 16)  # as Dask's handshake does: the peer speaks or not
            reply = sock.recv(120)
    except OSError:
        pass
    if not reply:
        return f"nothing answered in Dask's protocol (no reply within {wait:g} s)"
    if reply.startswith(b"HTTP/"):
        line = reply.split(b"\r\n", 1)[0].decode("latin-1")
        return (
            f"an HTTP server answered ({line!r}), not a Dask scheduler: a web port, or a "
            "proxy on the way that answers for every address"
        )
    return f"it is not a Dask scheduler (it answered {reply[:16]!r}, not Dask's protocol)"


def _http(address: str, wait: float = 2.0) -> str | None:
    """An HTTP server's words when one listens at ``address`` (asked after Dask's handshake
    got no reply: a web server waits for a request line, so it is silent to Dask)."""
    import socket

    host, _, port = address[len("tcp://") :].rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=wait) as sock:
            sock.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
            reply = sock.recv(120)
    except OSError:
        return None
    if not reply.startswith(b"HTTP/"):
        return None
    line = reply.split(b"\r\n", 1)[0].decode("latin-1")
    return f"an HTTP server answered ({line!r}), not a Dask scheduler: a web port"


def short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 160 else text[:157] + "..."


def _probe():
    """A function that reports a worker's versions. Defined inside here so that it travels
    by value: a worker without backprop can still run it and say so."""

    def versions():
        import hashlib
        import importlib
        import os
        import socket

        out = {"host": socket.gethostname()}
        for name in ("backprop", "numpy", "numba"):
            try:
                out[name] = str(getattr(importlib.import_module(name), "__version__", "?"))
            except Exception:
                out[name] = None
        out["source"] = None
        if out["backprop"] is not None:  # the package's Python files, so two checkouts of
            import backprop  # one version that differ are told apart

            root = os.path.dirname(os.path.abspath(backprop.__file__))
            digest = hashlib.sha256()
            for folder, dirs, files in os.walk(root):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for name in sorted(f for f in files if f.endswith(".py")):
                    path = os.path.join(folder, name)
                    digest.update(os.path.relpath(path, root).encode() + b"\0")
                    with open(path, "rb") as f:
                        digest.update(f.read())
            out["source"] = digest.hexdigest()[:12]
        return out

    return versions


def mismatch(mine: dict, theirs: dict) -> str | None:
    """What makes a worker's versions (``_probe``) unfit to give this process's numbers."""
    if theirs.get("backprop") is None:
        return "backprop is not installed there"
    for name in ("backprop", "numpy", "numba"):
        if mine.get(name) is not None and theirs.get(name) != mine[name]:
            there = theirs.get(name) or "not installed"
            return f"{name} {there} there, {mine[name]} here"
    if theirs.get("source") != mine.get("source"):
        return (
            f"backprop {mine['backprop']} there, but from other source files (source "
            f"{theirs.get('source')} there, {mine.get('source')} here)"
        )
    return None


def check_workers(client, address: str, deadline: float = DEADLINE) -> int:
    """Every worker's versions match this process's; returns the cluster's worker threads."""
    end = time.monotonic() + deadline

    def wait():
        client.wait_for_workers(1, timeout=max(1.0, end - time.monotonic()))

    try:
        _within(max(1.0, end - time.monotonic()), wait, "waiting for a worker", address)
    except Exception:  # Dask's timeout or ours, whichever came first
        raise ClusterError(
            f"sweep cluster {address}: the scheduler has no workers (none joined within "
            f"{deadline:g} s); start some with `dask worker {address}`."
        ) from None
    probe = _probe()
    mine = probe()
    try:
        reports = _within(
            max(1.0, end - time.monotonic()),
            lambda: client.run(probe, on_error="return"),
            "asking the workers for their versions",
            address,
        )
    except ClusterError:
        raise
    except Exception as exc:
        raise ClusterError(
            f"sweep cluster {address}: the workers could not be asked for their versions "
            f"({type(exc).__name__}: {short(exc)})."
        ) from None
    bad = []
    for worker, report in sorted(reports.items()):
        if isinstance(report, BaseException):
            why = f"it failed to answer ({type(report).__name__}: {short(report)})"
        else:
            why = mismatch(mine, report)
        if why:
            bad.append((worker, why))
    if bad:
        worker, why = bad[0]
        more = f" (and {len(bad) - 1} more worker(s))" if len(bad) > 1 else ""
        fix = "backprop-mlp[cluster,fast]"
        raise ClusterError(
            f"sweep cluster {address}: worker {worker}: {why}{more}; install the same "
            f"{fix} {mine['backprop']} as here on every worker, so trials give this "
            "machine's numbers."
        )
    return sum(client.nthreads().values()) or 1
