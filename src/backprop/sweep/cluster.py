"""Running a sweep's trials on a Dask distributed cluster (``sweep(..., cluster=ADDRESS)``).

``DaskExecutor`` speaks ``local``'s executor protocol (``submit``, ``poll``, ``capacity``,
``busy``, ``close``; events ``done``, ``error``, ``lost``), so the driver claims trials in the
store, hands chunks to the cluster and writes each result itself: workers never touch the
database, and a chunk Dask computes twice (it re-runs the tasks of a worker that died) is
still written once, by trial id and owner (docs/scaling.md measured both engines duplicating
a worker's side effects). A chunk is one Dask task, ``run_task``: ``local.run_chunk`` on the
worker, its events returned as a list; while it runs, the worker sends a small ``ran`` tick
per trial (``log_event``) so the progress bar moves trial by trial, as it does locally.

Before the first chunk, ``connect`` reaches the scheduler within ``DEADLINE`` seconds (a
silent port hangs Dask's handshake for ever and an HTTP port makes it allocate exabytes:
docs/scaling.md, table 5), waits for a worker, and checks that every worker has the same
backprop (version and source), numpy and numba as this process, so the numbers are the same
bit for bit. Anything wrong is a ``ClusterError``: one line, exit 2 on the command line.
``distributed`` itself is an optional extra (``pip install ".[cluster]"``).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid

from ..errors import ClusterError

CONNECT_TIMEOUT = 10.0  # seconds Dask's own connect may take (a refused port ends here)
DEADLINE = 12.0  # seconds for reaching the scheduler and checking its workers, in all
PER_THREAD = 2  # chunks in flight per worker thread: one running, one waiting
TOPIC = "backprop-sweep"  # the scheduler's event topic of the per-trial ticks
FAILURES = "distributed.scheduler.allowed-failures"


def run_task(chunk: list, tick: str | None = None) -> list:
    """A cluster task: one chunk's events (``local.run_chunk``), ticking each trial as it
    ends so the client's bar moves before the chunk's results come back."""
    from .local import run_chunk

    events = []
    for event in run_chunk(chunk):
        events.append(event)
        if tick is not None:
            with contextlib.suppress(Exception):  # a tick is only progress: never fatal
                from distributed import get_worker

                loss = event[2]["final_loss"] if event[0] == "done" else None
                get_worker().log_event(TOPIC, (tick, event[0], event[1], loss))
    return events


def address_of(address) -> str:
    """``host:port`` or ``tcp://host:port`` (``tls://``, ``ucx://`` …) as Dask takes it."""
    if not isinstance(address, str) or not address.strip():
        raise ClusterError(
            f"sweep cluster: give the scheduler's address, such as tcp://127.0.0.1:8786 "
            f"(what `dask scheduler` prints); got {address!r}."
        )
    text = address.strip()
    rest = text.split("://", 1)[1] if "://" in text else text
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ClusterError(
            f"sweep cluster {text!r}: the address needs a host and a port, such as "
            "tcp://127.0.0.1:8786 (what `dask scheduler` prints)."
        )
    return text if "://" in text else f"tcp://{text}"


def check(address) -> str:
    """``address`` well formed and the extra installed (before a database is made)."""
    address = address_of(address)
    _distributed()
    return address


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


def connect(address, deadline: float = DEADLINE):
    """A Dask ``Client`` of the scheduler at ``address``, within ``deadline`` seconds."""
    distributed = _distributed()
    address = address_of(address)
    end = time.monotonic() + deadline
    fix = "start one with `dask scheduler` and `dask worker ADDRESS`, or check the address."
    refused = _refused(address)
    if refused:
        raise ClusterError(f"sweep cluster {address}: {refused}; {fix}")
    timeout = min(CONNECT_TIMEOUT, max(1.0, deadline - 1.0))
    try:
        who = _within(deadline, lambda: _identify(address, timeout), "connecting", address)
    except ClusterError:
        raise
    except MemoryError:
        who = "it is not a Dask scheduler (its reply is not Dask's protocol)"
    except (OSError, TimeoutError) as exc:
        who = f"nothing answered ({_short(exc) or f'no reply within {timeout:g} s'})"
    except Exception as exc:
        who = f"it is not a Dask scheduler ({type(exc).__name__}: {_short(exc)})"
    if isinstance(who, dict) and who.get("type") != "Scheduler":
        kind = who.get("type") or "something else"
        who = f"that is a Dask {kind}, not the scheduler (give the scheduler's address)"
    if isinstance(who, str):
        raise ClusterError(f"sweep cluster {address}: {who}; {fix}")

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
            f"connect ({type(exc).__name__}: {_short(exc)}); {fix}"
        ) from None


def _short(exc: BaseException) -> str:
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
    except ClusterError:
        raise
    except Exception:
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
            f"({type(exc).__name__}: {_short(exc)})."
        ) from None
    bad = []
    for worker, report in sorted(reports.items()):
        if isinstance(report, BaseException):
            why = f"it failed to answer ({type(report).__name__}: {_short(report)})"
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


class DaskExecutor:
    """Chunks of trials as Dask tasks on the cluster at ``address`` (see the module)."""

    def __init__(self, address, deadline: float = DEADLINE) -> None:
        self.address = address_of(address)
        self.client = connect(self.address, deadline)
        try:
            self.workers = check_workers(self.client, self.address, deadline)
            self.tick = uuid.uuid4().hex
            self.ticks: list[tuple] = []
            self.client.subscribe_topic(TOPIC, self._on_tick)
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.close(timeout=5)
            raise
        self.pending: dict = {}  # future -> its chunk's trial ids
        self.ticked: set[int] = set()  # trials ticked and not yet back
        self.checked = time.monotonic()

    def _on_tick(self, event) -> None:  # on the client's event loop: only append
        _, (tick, kind, tid, loss) = event
        if tick == self.tick:
            self.ticks.append((kind, tid, loss))

    def capacity(self) -> int:
        if time.monotonic() - self.checked > 5.0:  # workers come and go
            with contextlib.suppress(Exception):
                self.workers = sum(self.client.nthreads().values()) or self.workers
            self.checked = time.monotonic()
        return max(0, PER_THREAD * self.workers - len(self.pending))

    def busy(self) -> int:
        return len(self.pending)

    def submit(self, chunk: list) -> None:
        key = f"backprop-sweep-{self.tick[:8]}-{chunk[0][0]}-{uuid.uuid4().hex[:6]}"
        future = self.client.submit(run_task, chunk, self.tick, key=key, pure=False)
        self.pending[future] = [tid for tid, _ in chunk]

    def poll(self, timeout: float) -> list[tuple]:
        from distributed import wait

        events = self._ticks()
        if self.pending and not events:
            with contextlib.suppress(TimeoutError), self.client.as_current():
                wait(list(self.pending), timeout=timeout, return_when="FIRST_COMPLETED")
        events += self._ticks()
        for future in [f for f in self.pending if f.done()]:
            tids = self.pending.pop(future)
            events.extend(self._outcome(future, tids))
            self.ticked.difference_update(tids)
            future.release()
        if self.client.status not in ("running", "connecting"):
            self._lost_scheduler()
        return events

    def _ticks(self) -> list[tuple]:
        """Trials finished on a worker whose chunk is still out: ``("ran", id, loss)``."""
        out = []
        while self.ticks:
            kind, tid, loss = self.ticks.pop(0)
            if kind == "done" and tid not in self.ticked and self._out(tid):
                self.ticked.add(tid)
                out.append(("ran", tid, loss))
        return out

    def _out(self, tid: int) -> bool:
        return any(tid in tids for tids in self.pending.values())

    def _outcome(self, future, tids: list[int]) -> list[tuple]:
        from distributed import KilledWorker

        if future.status == "finished":
            return future.result()
        if future.status == "cancelled":
            self._lost_scheduler()
        exc = future.exception()
        if isinstance(exc, KilledWorker):
            why = (
                f"its Dask worker died each of the {_allowed() + 1} times the cluster ran it "
                "(out of memory?)"
            )
            return [("lost", tid, why) for tid in tids]
        why = f"the cluster task failed: {type(exc).__name__}: {_short(exc)}"
        return [("error", tid, why) for tid in tids]

    def _lost_scheduler(self):
        raise ClusterError(
            f"sweep cluster {self.address}: lost the connection to the scheduler; finished "
            "trials are kept in the database: --resume DB with --cluster goes on."
        )

    def close(self, wait: bool = True) -> None:
        """Cancel what is still out (an interrupt), then disconnect; the cluster keeps
        running."""
        with contextlib.suppress(Exception):
            if self.pending:
                self.client.cancel(list(self.pending))
            self.client.unsubscribe_topic(TOPIC)
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)
        self.pending = {}


def _allowed() -> int:
    import dask

    return int(dask.config.get(FAILURES, 3))
