"""Deliberately broken variants of the reference server, built as ASGI middleware around
`reference_impl.app.create_app()` (reference_impl itself is never edited).

Each one breaks exactly one protocol guarantee, so the tests can show the explorer (and the
fuzzer) catch that class of bug.
"""

from __future__ import annotations

from typing import Any

from reference_impl.app import create_app

Scope = dict[str, Any]


def header(scope: Scope, name: str) -> str | None:
    wanted = name.lower().encode()
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return value.decode("latin-1")
    return None


class StatusSpy:
    """Wraps `send` to remember the response status the inner app chose."""

    def __init__(self, send: Any) -> None:
        self.send, self.status = send, 0

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self.send(message)


class Middleware:
    def __init__(self) -> None:
        self.app = create_app()

    def begin_shutdown(self) -> None:   # let the embedded server end live reads promptly
        hook = getattr(self.app, "begin_shutdown", None)
        if callable(hook):
            hook()


class LeakyForkReads(Middleware):
    """Reads of a fork are served from its source: later source appends leak into the fork."""

    def __init__(self) -> None:
        super().__init__()
        self.source_of: dict[str, str] = {}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if scope["method"] == "PUT" and header(scope, "Stream-Forked-From"):
            spy = StatusSpy(send)
            await self.app(scope, receive, spy)
            if spy.status == 201:
                self.source_of[path] = header(scope, "Stream-Forked-From") or ""
            return
        if scope["method"] == "GET" and path in self.source_of:
            scope = {**scope, "path": self.source_of[path], "raw_path": self.source_of[path].encode()}
        await self.app(scope, receive, send)


class ForgetfulProducer(Middleware):
    """Forgets producer duplicates: a retried (id, epoch, seq) is appended again as new data."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted: set[tuple[str, str, str, str]] = set()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not header(scope, "Producer-Id"):
            return await self.app(scope, receive, send)
        key = (scope["path"], header(scope, "Producer-Id") or "", header(scope, "Producer-Epoch") or "",
               header(scope, "Producer-Seq") or "")
        if key in self.accepted:   # drop the producer headers: the store sees a plain append
            producer = {b"producer-id", b"producer-epoch", b"producer-seq"}
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() not in producer]}
            return await self.app(scope, receive, send)
        spy = StatusSpy(send)
        await self.app(scope, receive, spy)
        if spy.status == 200:
            self.accepted.add(key)


class HardDeleteWithForks(Middleware):
    """Deleting a source that has forks loses the forks' inherited data (no soft-delete)."""

    def __init__(self) -> None:
        super().__init__()
        self.forks_of: dict[str, set[str]] = {}
        self.orphans: set[str] = set()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]
        if method == "GET" and path in self.orphans:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        spy = StatusSpy(send)
        await self.app(scope, receive, spy)
        source = header(scope, "Stream-Forked-From")
        if method == "PUT" and source and spy.status == 201:
            self.forks_of.setdefault(source, set()).add(path)
        if method == "DELETE" and spy.status == 204:
            self.orphans |= self.forks_of.pop(path, set())


class CrashesOnOddTtl(Middleware):
    """Answers 500 to a PUT whose Stream-TTL is not plain decimal digits (should be 400)."""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        ttl = header(scope, "Stream-TTL") if scope["type"] == "http" and scope["method"] == "PUT" else None
        if ttl is not None and not (ttl.isascii() and ttl.isdigit()):
            await send({"type": "http.response.start", "status": 500, "headers": []})
            await send({"type": "http.response.body", "body": b"boom"})
            return
        await self.app(scope, receive, send)


class DropsSeqAppends(Middleware):
    """Acknowledges appends carrying Stream-Seq with 204 but never stores them (lost writes)."""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and header(scope, "Stream-Seq"):
            while (await receive()).get("more_body"):
                pass
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)
