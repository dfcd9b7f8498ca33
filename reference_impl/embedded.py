"""Run the reference server (or any ASGI app) on loopback in a background thread.

    with EmbeddedServer() as server:
        httpx.put(f"{server.url}/v1/stream/demo")
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import httpx

from reference_impl.app import DEFAULT_LONG_POLL_TIMEOUT_S, DEFAULT_MAX_BODY, create_app
from reference_impl.serving import make_server

STARTUP_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 3.0


class EmbeddedServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 long_poll_timeout: float = DEFAULT_LONG_POLL_TIMEOUT_S,
                 max_body: int = DEFAULT_MAX_BODY, app: Any = None) -> None:
        self.host = host
        self.app = app if app is not None else create_app(long_poll_timeout=long_poll_timeout, max_body=max_body)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._server = make_server(self.app, host, self.port)
        self._thread: threading.Thread | None = None

    def start(self) -> EmbeddedServer:
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name=f"embedded-server-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise RuntimeError("embedded server thread exited during startup")
            if self._server.started:
                try:
                    httpx.head(f"{self.url}/__embedded_probe__", timeout=0.5)
                    return self
                except httpx.TransportError:
                    pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"embedded server at {self.url} did not answer in {STARTUP_TIMEOUT_S:.0f}s")

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(STOP_TIMEOUT_S)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
