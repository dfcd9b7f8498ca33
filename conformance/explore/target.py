"""The server a run talks to: a given URL, or the embedded reference server when none is given."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import httpx


def embedded_server(app: Any = None) -> Any:
    """An (unstarted) EmbeddedServer serving `app`, or the reference app when None.

    Works around a latency trap: a listening socket made with proto 0 hands asyncio accepted
    sockets it does not mark TCP_NODELAY, so every GET with a body waits ~40 ms for a delayed
    ACK. Re-making the socket with IPPROTO_TCP keeps runs fast. (Harmless once fixed upstream.)
    """
    from reference_impl.embedded import EmbeddedServer

    server = EmbeddedServer(app=app)
    listening = getattr(server, "_socket", None)
    if isinstance(listening, socket.socket) and listening.proto == 0:
        listening.close()
        fresh = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        fresh.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        fresh.bind((server.host, server.port))
        server._socket = fresh
    return server


@contextlib.contextmanager
def server_url(url: str | None, app: Any = None) -> Iterator[str]:
    """Yield `url` unchanged, or start the embedded reference server for the duration."""
    if url:
        yield url.rstrip("/")
        return
    with embedded_server(app) as server:
        yield server.url


def unreachable_reason(url: str, timeout_s: float = 3.0) -> str | None:
    """None if anything answers HTTP at `url` (any status counts); else what went wrong."""
    try:
        httpx.head(f"{url}/__dscheck_probe__", timeout=timeout_s)
        return None
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error or 'no answer'}"
