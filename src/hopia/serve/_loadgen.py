"""An open-loop HTTP/1.1 load generator, lean enough to share a small machine with the service.

``bench/serve.py`` measures the service's latency at a fixed request rate. A general-purpose
client (httpx) spends 1–2 ms of CPU per request — on a 2-core machine that is CPU taken from
the server it measures. This driver sends pre-encoded requests over raw asyncio transports
and reads each answer by its status line and ``Content-Length``, for a few tens of
microseconds per request.

Open loop: request *i* is sent at ``start + i / rate`` whether or not earlier ones have
answered (on an idle keep-alive connection, or a new one), and its latency is measured from
that *scheduled* time, so a stalled server cannot hide its backlog (no coordinated omission).
A status other than 200 and a failed or dropped connection count as errors.

Examples
--------
>>> request = encode_request("POST", "/api/v1/x", {"a": 1}, host="h", token="t")
>>> request.split(b"\\r\\n")[0]
b'POST /api/v1/x HTTP/1.1'
>>> parse_head(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\n")
(200, 2, True)
>>> percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50)
3.0
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ERROR = 0
"""Status recorded for a request whose connection failed or closed before the answer."""


def encode_request(method: str, path: str, body: Any, *, host: str, token: str | None) -> bytes:
    """One HTTP/1.1 keep-alive request, with a JSON body when ``body`` is not ``None``."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    payload = b""
    if body is not None:
        payload = json.dumps(body, separators=(",", ":")).encode()
        lines.append("Content-Type: application/json")
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """``(status, content length, keep-alive)`` of a response head (through its blank line).

    Raises
    ------
    ValueError
        Not an HTTP/1.x response, or a body whose length is not given by ``Content-Length``
        (the service always sends one).
    """
    lines = head.split(b"\r\n")
    status_line = lines[0].split(b" ", 2)
    if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP/1.x response: {lines[0][:40]!r}")
    status = int(status_line[1])
    length: int | None = None
    keep_alive = status_line[0] == b"HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"connection":
            keep_alive = value.strip().lower() == b"keep-alive"
        elif name == b"transfer-encoding":
            raise ValueError("chunked answers are not supported")
    if length is None:
        if status in (204, 304) or 100 <= status < 200:
            return status, 0, keep_alive
        raise ValueError("an answer without Content-Length")
    return status, length, keep_alive


class _Connection(asyncio.Protocol):
    """One keep-alive connection: at most one request in flight (no pipelining)."""

    def __init__(self, driver: _Driver) -> None:
        self.driver = driver
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.pending: int | None = None  # index of the request in flight
        self.head: tuple[int, int, bool] | None = None
        self.head_end = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, index: int, payload: bytes) -> None:
        assert self.transport is not None
        self.pending = index
        self.transport.write(payload)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.pending is None:  # an answer nobody asked for
            self._fail()
            return
        if self.head is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            try:
                self.head = parse_head(bytes(self.buffer[: end + 4]))
            except ValueError:
                self._fail()
                return
            self.head_end = end + 4
        status, length, keep_alive = self.head
        if len(self.buffer) < self.head_end + length:
            return
        index, self.pending, self.head = self.pending, None, None
        extra = len(self.buffer) - self.head_end - length
        del self.buffer[:]
        if extra or not keep_alive:  # nothing may follow an answer we did not ask for
            self._close()
        self.driver.answered(index, status, self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.driver.closed(self)
        if self.pending is not None:
            index, self.pending = self.pending, None
            self.driver.answered(index, ERROR, None)

    def _fail(self) -> None:
        self._close()

    def _close(self) -> None:
        """Close now (``transport`` becomes ``None``: the connection takes no more requests)."""
        transport, self.transport = self.transport, None
        if transport is not None:
            transport.close()


@dataclass
class DriveResult:
    """What one run measured, in seconds; ``status`` is ``0`` for a connection error.

    Attributes
    ----------
    latency
        Answer time − scheduled send time, per measured request.
    service
        Answer time − actual send time, per measured request.
    status
        HTTP status per measured request (``ERROR`` when the connection failed).
    cpu_seconds
        CPU time (user + system) the driver spent on the whole run, warm-up included.
    connections
        Connections opened during the run.
    sent
        Requests sent, warm-up included.
    """

    latency: list[float]
    service: list[float]
    status: list[int]
    cpu_seconds: float
    connections: int
    sent: int


class _Driver:
    def __init__(self, host: str, port: int, payloads: Sequence[bytes], max_connections: int):
        self.host, self.port = host, port
        self.payloads = payloads
        self.max_connections = max_connections
        self.idle: deque[_Connection] = deque()
        self.open = 0
        self.opened = 0
        self.waiting: deque[int] = deque()  # requests due while every connection is busy
        self.scheduled = [0.0] * len(payloads)
        self.sent_at = [0.0] * len(payloads)
        self.done_at = [0.0] * len(payloads)
        self.status = [ERROR] * len(payloads)
        self.remaining = len(payloads)
        self.finished: asyncio.Future[None] | None = None
        self.connecting: set[asyncio.Task[None]] = set()

    def connect_soon(self) -> None:
        task = asyncio.ensure_future(self.connect())
        self.connecting.add(task)
        task.add_done_callback(self.connecting.discard)

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        self.open += 1
        self.opened += 1
        try:
            _, protocol = await loop.create_connection(
                lambda: _Connection(self), self.host, self.port
            )
        except OSError:
            self.open -= 1
            if self.waiting:  # an error for the oldest waiting request, not a stall
                self.answered(self.waiting.popleft(), ERROR, None)
            return
        self.release(protocol)

    def release(self, connection: _Connection) -> None:
        if connection.transport is None:
            return
        if self.waiting:
            index = self.waiting.popleft()
            self.sent_at[index] = time.perf_counter()
            connection.send(index, self.payloads[index])
        else:
            self.idle.append(connection)

    def submit(self, index: int) -> None:
        while self.idle and self.idle[0].transport is None:
            self.idle.popleft()
        if self.idle:  # oldest idle first: requests go round the connections (and workers)
            connection = self.idle.popleft()
            self.sent_at[index] = time.perf_counter()
            connection.send(index, self.payloads[index])
            return
        self.waiting.append(index)
        if self.open < self.max_connections:
            self.connect_soon()

    def answered(self, index: int, status: int, connection: _Connection | None) -> None:
        self.done_at[index] = time.perf_counter()
        self.status[index] = status
        self.remaining -= 1
        if connection is not None:
            self.release(connection)
        if self.remaining == 0 and self.finished is not None and not self.finished.done():
            self.finished.set_result(None)

    def closed(self, connection: _Connection) -> None:
        self.open -= 1
        if self.waiting and self.open < self.max_connections:
            self.connect_soon()


async def drive(
    host: str,
    port: int,
    payloads: Sequence[bytes],
    rate: float,
    *,
    warmup: int = 0,
    connections: int = 16,
    max_connections: int = 256,
    timeout: float = 60.0,
    connect_pause: float = 0.01,
) -> DriveResult:
    """Send ``payloads`` at ``rate`` per second (open loop) and time every answer.

    Parameters
    ----------
    host, port
        The server.
    payloads
        Encoded requests (:func:`encode_request`), sent in order.
    rate
        Requests per second.
    warmup
        The first ``warmup`` requests are sent but not reported.
    connections
        Keep-alive connections opened before the first request (spread over the server's
        worker processes by the kernel); more are opened while all are busy.
    max_connections
        At most this many connections; beyond, due requests wait for a free one (and their
        waiting counts in their latency).
    connect_pause
        Seconds between the first connections.
    timeout
        Seconds to wait for the last answers after the last request is due; requests still
        unanswered then are errors.
    """
    loop = asyncio.get_running_loop()
    cpu_started = time.process_time()
    driver = _Driver(host, port, payloads, max_connections)
    driver.finished = loop.create_future()
    for _ in range(min(connections, max_connections)):
        # One at a time, a moment apart: each is accepted by whichever worker process wakes
        # first (all at once, one worker would accept them all in one go).
        await driver.connect()
        await asyncio.sleep(connect_pause)
    start = time.perf_counter() + 0.05
    for index in range(len(payloads)):
        due = start + index / rate
        driver.scheduled[index] = due
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        driver.submit(index)
    if driver.remaining:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(driver.finished), timeout)
    for connection in list(driver.idle):
        connection._close()
    unanswered = [i for i in range(len(payloads)) if driver.done_at[i] == 0.0]
    for index in unanswered:  # timed out: an error, its latency the time waited
        driver.done_at[index] = time.perf_counter()
    cpu = time.process_time() - cpu_started
    measured = range(warmup, len(payloads))
    return DriveResult(
        latency=[driver.done_at[i] - driver.scheduled[i] for i in measured],
        service=[driver.done_at[i] - (driver.sent_at[i] or driver.done_at[i]) for i in measured],
        status=[driver.status[i] for i in measured],
        cpu_seconds=cpu,
        connections=driver.opened,
        sent=len(payloads),
    )


def run_drive(*args: Any, **kwargs: Any) -> DriveResult:
    """:func:`drive` in a new event loop (uvloop when installed)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency of the service
        return asyncio.run(drive(*args, **kwargs))
    return uvloop.run(drive(*args, **kwargs))


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile by the nearest-rank method (a value that was measured)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]
