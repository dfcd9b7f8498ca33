"""Hostile servers end in `error` outcomes within bounded time; they never hang the run."""

from __future__ import annotations

import socket
import threading
import time

from conformance.http_exchange import Limits
from conformance.results import Outcome

from .helpers import raw_server, read_request_head, run_one, scenario_text

GET = scenario_text("""
- request: {method: GET, path: "{stream}"}
  expect: {status: 200}
""")
SSE_UNTIL_CLOSE = scenario_text("""
- request: {method: GET, path: "{stream}", query: {offset: "-1", live: sse}}
  sse: {max_seconds: 0.5, until: close}
  expect: {status: 200}
""")
SSE_BOUNDED = SSE_UNTIL_CLOSE.replace(", until: close", "").replace("expect: {status: 200}",
                                                                    "expect: {sse: {min_events: 1, closed: false}}")
FAST = Limits(request_timeout_s=0.5, max_body_bytes=64 * 1024)


def hang(sock: socket.socket, stop: threading.Event) -> None:
    read_request_head(sock)
    stop.wait(10)


def reset(sock: socket.socket, stop: threading.Event) -> None:
    read_request_head(sock)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()


def garbage(sock: socket.socket, stop: threading.Event) -> None:
    read_request_head(sock)
    sock.sendall(b"\x00\x01NOT HTTP AT ALL\r\n\r\n")


def drip(sock: socket.socket, stop: threading.Event) -> None:
    read_request_head(sock)
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    while not stop.wait(0.1):
        sock.sendall(b"x")  # one byte at a time: no single read ever times out


def huge(sock: socket.socket, stop: threading.Event) -> None:
    read_request_head(sock)
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n")
    chunk = b"\x00" * 65536
    for _ in range(1600):
        if stop.is_set():
            return
        sock.sendall(chunk)


def endless_sse(sock: socket.socket, stop: threading.Event) -> None:
    read_request_head(sock)
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
    event = b"event: data\ndata: x\n\n"
    while not stop.wait(0.05):
        sock.sendall(b"%x\r\n%s\r\n" % (len(event), event))


def run_against(behaviour, text: str = GET):  # type: ignore[no-untyped-def]
    with raw_server(behaviour) as url:
        started = time.monotonic()
        result = run_one(text, url, limits=FAST)
        return result, time.monotonic() - started


def test_hanging_server_is_an_error() -> None:
    result, elapsed = run_against(hang)
    assert result.outcome is Outcome.ERROR and "hung" in result.reason
    assert result.transcript[0].error and elapsed < 5


def test_connection_reset_is_an_error() -> None:
    result, _ = run_against(reset)
    assert result.outcome is Outcome.ERROR and result.transcript[0].response is None


def test_garbage_response_is_an_error() -> None:
    result, _ = run_against(garbage)
    assert result.outcome is Outcome.ERROR and "Protocol" in result.reason


def test_dripping_server_is_an_error() -> None:
    result, elapsed = run_against(drip)
    assert result.outcome is Outcome.ERROR and elapsed < 5


def test_huge_body_is_capped() -> None:
    result, _ = run_against(huge)
    assert result.outcome is Outcome.ERROR and "cap" in result.reason


def test_endless_sse_is_an_error_when_the_server_must_close() -> None:
    result, elapsed = run_against(endless_sse, SSE_UNTIL_CLOSE)
    assert result.outcome is Outcome.ERROR and "not ended" in result.reason and elapsed < 5


def test_endless_sse_read_is_bounded_otherwise() -> None:
    result, elapsed = run_against(endless_sse, SSE_BOUNDED)
    assert result.outcome is Outcome.PASS, result.reason
    assert elapsed < 5


def test_scenario_time_limit() -> None:
    text = GET.replace("title: t", "title: t\ntimeout: 0.3")
    with raw_server(hang) as url:
        result = run_one(text, url, limits=Limits(request_timeout_s=5))
    assert result.outcome is Outcome.ERROR and "time limit" in result.reason
