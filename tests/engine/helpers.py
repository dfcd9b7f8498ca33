"""Shared helpers for the engine tests: run a YAML scenario text, tiny hostile servers."""

from __future__ import annotations

import asyncio
import socket
import socketserver
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from conformance.http_exchange import Limits
from conformance.loader import parse_scenario_text
from conformance.results import RunReport, ScenarioResult
from conformance.runner import RunOptions, run_suite

HEADER = "spec:\n  - {section: '5.2', level: MUST, quote: 'q'}\n"


def scenario_text(steps: str, *, id: str = "test.scenario", extra: str = "") -> str:
    return f"id: {id}\ntitle: t\n{HEADER}{extra}steps:\n" + textwrap.indent(textwrap.dedent(steps), "  ")


def run_text(text: str, url: str, *, limits: Limits | None = None, **options: object) -> RunReport:
    scenarios = parse_scenario_text(textwrap.dedent(text), Path("inline.yaml"))
    run_options = RunOptions(limits=limits or Limits(request_timeout_s=5.0), **options)  # type: ignore[arg-type]
    return asyncio.run(run_suite(scenarios, url, run_options))


def run_one(text: str, url: str, **kwargs: object) -> ScenarioResult:
    report = run_text(text, url, **kwargs)  # type: ignore[arg-type]
    assert len(report.scenarios) == 1
    return report.scenarios[0]


Behaviour = Callable[[socket.socket, threading.Event], None]


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def raw_server(behaviour: Behaviour) -> Iterator[str]:
    """A loopback TCP server whose every connection is handled by `behaviour(sock, stop)`."""
    stop = threading.Event()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            try:
                behaviour(self.request, stop)
            except OSError:
                pass

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def read_request_head(sock: socket.socket) -> bytes:
    data = b""
    sock.settimeout(2.0)
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
