"""The benchmark's load generator: HTTP framing, open-loop timing, errors, percentiles."""

from __future__ import annotations

import asyncio
import json

import pytest

from hopia.serve._loadgen import ERROR, drive, encode_request, parse_head, percentile


def test_a_request_is_one_keep_alive_http_message() -> None:
    raw = encode_request("POST", "/api/v1/tasks/t/predict", {"person_id": 7}, host="h:1",
                         token="secret")  # fmt: skip
    head, body = raw.split(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /api/v1/tasks/t/predict HTTP/1.1"
    assert {"Host: h:1", "Authorization: Bearer secret", "Content-Type: application/json",
            f"Content-Length: {len(body)}"} <= set(lines)  # fmt: skip
    assert json.loads(body) == {"person_id": 7}
    get = encode_request("GET", "/x", None, host="h", token=None)
    assert get == b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n", (200, 12, True)),
        (
            b"HTTP/1.1 404 Not Found\r\nContent-Length:0\r\nConnection: close\r\n\r\n",
            (404, 0, False),
        ),
        (b"HTTP/1.0 500 Internal Server Error\r\nContent-Length: 3\r\n\r\n", (500, 3, False)),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n", (200, 3, True)),
        (b"HTTP/1.1 204 No Content\r\n\r\n", (204, 0, True)),
    ],
)
def test_a_response_head_gives_status_length_and_keep_alive(head: bytes, expected: tuple) -> None:
    assert parse_head(head) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n",
    ],
)
def test_an_unreadable_response_head_is_refused(head: bytes) -> None:
    with pytest.raises(ValueError):
        parse_head(head)


def test_percentiles_are_nearest_rank_values() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([3.0], 99) == 3.0
    with pytest.raises(ValueError):
        percentile([], 50)


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers by path: /ok 200, /slow 200 after 60 ms, /fail 500, /drop closes at once,
    /split 200 with its head and body in separate writes, /close 200 then closes."""
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            path = line.split()[1]
            length = 0
            while (header := await reader.readline()) != b"\r\n":
                if header.lower().startswith(b"content-length:"):
                    length = int(header.split(b":")[1])
            await reader.readexactly(length)
            if path == b"/drop":
                return
            if path == b"/slow":
                await asyncio.sleep(0.06)
            status = b"500 Internal Server Error" if path == b"/fail" else b"200 OK"
            close = path == b"/close"
            body = b'{"risk": 0.5}'
            head = b"HTTP/1.1 " + status + b"\r\nContent-Length: %d\r\n" % len(body)
            head += b"Connection: close\r\n\r\n" if close else b"\r\n"
            if path == b"/split":
                writer.write(head + body[:4])
                await writer.drain()
                await asyncio.sleep(0.01)
                writer.write(body[4:])
            else:
                writer.write(head + body)
            await writer.drain()
            if close:
                return
    finally:
        writer.close()


def _run(paths: list[str], rate: float, **kwargs):  # type: ignore[no-untyped-def]
    async def main():  # type: ignore[no-untyped-def]
        server = await asyncio.start_server(_serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        payloads = [encode_request("POST", p, {"i": i}, host="t", token="x")
                    for i, p in enumerate(paths)]  # fmt: skip
        async with server:
            result = await drive("127.0.0.1", port, payloads, rate, **kwargs)
            await asyncio.sleep(0.05)  # the server's handlers see the connections close
            return result

    return asyncio.run(main())


def test_every_request_is_answered_and_errors_are_counted() -> None:
    paths = ["/ok", "/fail", "/drop", "/split", "/close", "/ok"] * 5
    result = _run(paths, rate=500.0, connections=2, warmup=6)
    assert result.sent == len(paths)
    assert result.status == [200, 500, ERROR, 200, 200, 200] * 4
    assert all(latency > 0 for latency in result.latency)
    assert all(s <= lat + 1e-9 for s, lat in zip(result.service, result.latency, strict=True))
    assert result.connections > 2  # dropped and closed connections were replaced
    assert result.cpu_seconds > 0


def test_requests_leave_on_schedule_while_the_server_is_slow() -> None:
    """Open loop: 20 requests at 200/s to a server that takes 60 ms each. A closed loop would
    wait for each answer on one connection; here they overlap on new connections."""
    result = _run(["/slow"] * 20, rate=200.0, connections=1)
    assert result.status == [200] * 20
    assert result.connections >= 5
    assert min(result.latency) >= 0.06


def test_a_capped_pool_makes_requests_wait_and_the_wait_counts() -> None:
    result = _run(["/slow"] * 6, rate=1000.0, connections=1, max_connections=1)
    assert result.connections == 1 and result.status == [200] * 6
    # One connection: the sixth answer comes after six services of 60 ms, though it was due
    # 5 ms after the first; its latency counts the wait before it could be sent.
    assert result.latency[-1] >= 6 * 0.06 - 0.005
    assert result.latency[-1] - result.service[-1] >= 5 * 0.06 - 0.005
    assert min(result.service) >= 0.06


def test_a_server_that_is_down_gives_errors_not_a_stall() -> None:
    async def main():  # type: ignore[no-untyped-def]
        server = await asyncio.start_server(_serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        payloads = [encode_request("GET", "/ok", None, host="t", token=None)] * 5
        return await drive("127.0.0.1", port, payloads, 1000.0, connections=2, timeout=5)

    result = asyncio.run(main())
    assert result.status == [ERROR] * 5
