"""Small raw-ASGI helpers: the request view, bounded body reading, responses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# On every response: CORS for browser clients and the §12.7 browser security headers.
COMMON_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST, PUT, DELETE, HEAD, OPTIONS"),
    (b"access-control-allow-headers",
     b"content-type, authorization, if-none-match, stream-seq, stream-ttl, stream-expires-at, "
     b"stream-closed, producer-id, producer-epoch, producer-seq, stream-forked-from, "
     b"stream-fork-offset, stream-fork-sub-offset"),
    (b"access-control-expose-headers",
     b"stream-next-offset, stream-cursor, stream-up-to-date, stream-closed, stream-ttl, "
     b"stream-expires-at, producer-epoch, producer-seq, producer-expected-seq, "
     b"producer-received-seq, stream-sse-data-encoding, etag, location, content-type"),
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-resource-policy", b"cross-origin"),
)


class BodyTooLarge(Exception):
    pass


@dataclass
class Request:
    scope: Scope
    receive: Receive
    headers: dict[str, str] = field(init=False)
    query: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.headers = {}
        for raw_name, raw_value in self.scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            # repeated headers fold into one comma-separated value (RFC 9110 §5.3)
            self.headers[name] = f"{self.headers[name]}, {value}" if name in self.headers else value
        query = self.scope.get("query_string", b"").decode("latin-1")
        self.query = parse_qs(query, keep_blank_values=True)

    @property
    def method(self) -> str:
        return str(self.scope["method"]).upper()

    @property
    def path(self) -> str:
        return str(self.scope["path"])

    def url(self) -> str:
        """This request's URL for a Location header: the path as the client sent it
        (still percent-encoded), since a decoded path may hold bytes no header can carry."""
        host = self.headers.get("host") or "127.0.0.1"
        raw_path = self.scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else quote(self.path, safe="/")
        return f"{self.scope.get('scheme', 'http')}://{host}{path}"

    async def body(self, limit: int) -> bytes:
        """The whole body; stops reading (BodyTooLarge) once past `limit` bytes."""
        declared = self.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ConnectionResetError("client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _encode(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    encoded = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    return [*COMMON_HEADERS, *encoded]


async def respond(send: Send, status: int, headers: Mapping[str, str] | None = None,
                  body: bytes = b"") -> None:
    all_headers = dict(headers or {})
    if status not in (204, 304):
        all_headers.setdefault("content-length", str(len(body)))
    else:
        body = b""
    await send({"type": "http.response.start", "status": status, "headers": _encode(all_headers)})
    await send({"type": "http.response.body", "body": body})


async def respond_text(send: Send, status: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
    await respond(send, status, {"content-type": "text/plain; charset=utf-8", **(headers or {})},
                  reason.encode("utf-8"))


async def start_stream(send: Send, status: int, headers: Mapping[str, str]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": _encode(headers)})


async def wait_disconnect(receive: Receive) -> None:
    """Returns once the client has gone (the body must already be fully read)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def watch_disconnect(receive: Receive) -> asyncio.Task[None]:
    return asyncio.ensure_future(wait_disconnect(receive))
