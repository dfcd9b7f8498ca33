"""Run an ASGI app with uvicorn so that shutdown is prompt even with live readers.

uvicorn waits for open responses before exiting; long-polls and SSE streams would hold
it for up to their timeout. So shutdown first tells the app to end live responses (when
the app offers `begin_shutdown`), and a short graceful timeout backs that up for
wrapped apps that hide it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

try:  # uvicorn[standard]: httptools parses HTTP in C, several times cheaper per request than h11
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _FastProtocol
except ImportError:  # pragma: no cover - plain uvicorn
    _FastProtocol = None

GRACEFUL_SHUTDOWN_S = 1.0


def _find_shutdown_hook(app: Any) -> Any:
    """`begin_shutdown` on the app, or on an app it wraps (`.app`, as middleware do)."""
    for _ in range(8):
        hook = getattr(app, "begin_shutdown", None)
        if callable(hook):
            return hook
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None


class _NoDelay:
    """uvicorn writes a response's headers and body separately; without TCP_NODELAY the
    body waits on the client's delayed ACK (~40 ms per response)."""

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[misc]


class NoDelayH11Protocol(_NoDelay, H11Protocol):
    pass


HTTP_PROTOCOL: type = NoDelayH11Protocol
if _FastProtocol is not None:
    class NoDelayHttpToolsProtocol(_NoDelay, _FastProtocol):  # type: ignore[misc,valid-type]
        pass

    HTTP_PROTOCOL = NoDelayHttpToolsProtocol
# uvloop (also from uvicorn[standard]) makes the event loop and socket writes cheaper
EVENT_LOOP = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


class PromptServer(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        hook = _find_shutdown_hook(self.config.app)
        if hook is not None:
            hook()
        await super().shutdown(sockets)


def make_server(app: Any, host: str, port: int, *, log_level: str = "warning") -> PromptServer:
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on",
        http=HTTP_PROTOCOL, loop=EVENT_LOOP,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S, timeout_keep_alive=5,
    )
    return PromptServer(config)
