"""Legal variants of the reference server: servers that keep every rule of PROTOCOL.md but
make different choices where the spec leaves room. The whole suite must pass on each of
them (tests/engine/test_legal_variants.py): a scenario that fails here assumes something
the spec does not require.

Each variant is an ASGI app built from `create_app()`, sometimes wrapped in a small
middleware that rewrites responses (reference_impl/ itself is not touched):

- small-chunks: a tiny catch-up chunk size, so multi-message reads come back in several
  chunks (§5.6 "up to a server-defined maximum chunk size"); long-poll and SSE deliver the
  same chunks (one SSE data event + control event per chunk).
- alt-headers: the optional choices made the other way: `Stream-Cursor` also on catch-up
  reads (§5.6 "Servers MAY include this on catch-up reads") and on closed responses (§5.7
  "MAY omit" = may also send), `streamCursor` on closed SSE controls, `upToDate` dropped
  from SSE controls that carry `streamClosed` after data (§5.8 "`upToDate` MAY be omitted
  when `streamClosed` is true"), `private` instead of `public` caching (§10.1), HEAD with
  `private, max-age=0, must-revalidate` (§5.5 "MAY use"), a different ETag string, and
  JSON read bodies with whitespace (§9.1.5 asks for a JSON array, not a compact one).
- sse-framing: SSE split differently: base64 text over several `data:` lines (§5.8 "MAY
  split the base64 text across multiple `data:` lines"), JSON arrays one message per line
  (§5.8 "streaming a JSON array across multiple `data:` lines"), CRLF line ends and
  comment lines (both plain SSE), and an SSE response that opens with a comment.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from reference_impl import cursor as cursors
from reference_impl.app import create_app
from reference_impl.store import ReadResult, Stream, StreamStore

SMALL_CHUNK_BYTES = 6          # splits "hello world" and most multi-message reads
BASE64_LINE_CHARS = 4          # base64 text cut into 4-character `data:` lines

Scope = dict[str, Any]
Message = dict[str, Any]


def _headers(message: Message) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in message.get("headers", [])}


def _set_header(message: Message, name: bytes, value: bytes | None) -> None:
    kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != name]
    if value is not None:
        kept.append((name, value))
    message["headers"] = kept


class _Wrapper:
    """Base middleware: keeps the inner app as `.app` so EmbeddedServer shutdown finds
    `begin_shutdown()` (docs/reference-server.md)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def begin_shutdown(self) -> None:
        self.app.begin_shutdown()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def _query(scope: Scope) -> dict[str, str]:
    from urllib.parse import parse_qsl
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))


def _split_events(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Complete SSE events (without the blank line) and the unfinished rest."""
    *events, rest = buffer.split(b"\n\n")
    return events, rest


def _parse_event(raw: bytes) -> tuple[str, list[str]]:
    name, data = "message", []
    for line in raw.decode("utf-8").split("\n"):
        field, _, value = line.partition(":")
        if field == "event":
            name = value.strip()
        elif field == "data":
            # SSE rules: one space after the colon is framing, the rest is payload
            data.append(value[1:] if value.startswith(" ") else value)
    return name, data


def _event(name: str, lines: list[str], *, eol: str = "\n", comment: str | None = None) -> bytes:
    text = (f":{comment}{eol}" if comment else "") + f"event: {name}{eol}"
    text += "".join(f"data: {line}{eol}" for line in lines) + eol
    return text.encode("utf-8")


class _SseRewriter(_Wrapper):
    """Rewrites every SSE response event by event; `rewrite(events)` gets the complete
    events of one ASGI body message as (name, data lines) and returns the bytes to send."""

    opening = b""  # sent before the first event of every SSE response

    async def handle(self, scope: Scope, receive: Any, send: Any) -> None:
        if _query(scope).get("live") != "sse":
            await self.plain(scope, receive, send)
            return
        state: dict[str, Any] = {"sse": False, "buffer": b"", "after_data": False}

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = _headers(message)
                state["sse"] = headers.get(b"content-type", b"").startswith(b"text/event-stream")
                state["base64_encoding"] = headers.get(b"stream-sse-data-encoding", b"").lower() == b"base64"
                await send(message)
                if state["sse"] and self.opening:
                    await send({"type": "http.response.body", "body": self.opening, "more_body": True})
                return
            if message["type"] != "http.response.body" or not state["sse"]:
                await send(message)
                return
            events, state["buffer"] = _split_events(state["buffer"] + message.get("body", b""))
            out = b"".join(self.rewrite(_parse_event(raw), state, scope) for raw in events if raw.strip())
            await send({**message, "body": out})

        await self.app(scope, receive, wrapped)

    async def plain(self, scope: Scope, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    def rewrite(self, event: tuple[str, list[str]], state: dict[str, Any], scope: Scope) -> bytes:
        raise NotImplementedError


class AltHeaders(_SseRewriter):
    """The MAY/SHOULD-either-way header choices made differently from the reference."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self._etags: dict[bytes, bytes] = {}   # ours -> the reference's, for If-None-Match

    def _our_etag(self, etag: bytes) -> bytes:
        # `"<id>:<start>:<end>[:c]"` -> `"s<hash>:<start>:<end>[:closed]"`: still
        # id:start:end, a different internal id and closure marker (§10.1 "e.g. `:c`")
        inner = etag.decode().strip('"')
        stream_id, start, end, *closed = inner.split(":")
        ours = f'"s{hashlib.sha1(stream_id.encode()).hexdigest()[:10]}:{start}:{end}' \
               f'{":closed" if closed else ""}"'.encode()
        self._etags[ours] = etag
        return ours

    def _cursor(self, scope: Scope) -> bytes:
        return cursors.next_cursor(_query(scope).get("cursor"), time.time()).encode()

    async def plain(self, scope: Scope, receive: Any, send: Any) -> None:
        for index, (name, value) in enumerate(scope["headers"]):
            if name.lower() == b"if-none-match" and value in self._etags:
                scope = {**scope, "headers": list(scope["headers"])}
                scope["headers"][index] = (name, self._etags[value])

        held: dict[str, Any] = {}   # a JSON GET response, held until its body is complete

        async def wrapped(message: Message) -> None:
            if held and message["type"] == "http.response.body":
                held["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return
                # same messages, other whitespace: JSON bodies need not be compact (§9.1.5)
                body = json.dumps(json.loads(held["body"]), indent=1).encode() if held["body"] else b""
                _set_header(held["start"], b"content-length", str(len(body)).encode())
                await send(held["start"])
                await send({"type": "http.response.body", "body": body})
                return
            if message["type"] == "http.response.start":
                headers = _headers(message)
                method = scope["method"]
                if b"etag" in headers:
                    _set_header(message, b"etag", self._our_etag(headers[b"etag"]))
                cache = headers.get(b"cache-control", b"")
                if cache.startswith(b"public"):
                    _set_header(message, b"cache-control", b"private" + cache[len(b"public"):])
                if method == "HEAD" and message["status"] == 200:
                    _set_header(message, b"cache-control", b"private, max-age=0, must-revalidate")
                if method == "GET" and message["status"] in (200, 204) and b"stream-cursor" not in headers:
                    # catch-up reads MAY carry a cursor; closed live responses MAY omit it
                    _set_header(message, b"stream-cursor", self._cursor(scope))
                if method == "GET" and message["status"] == 200 and \
                        headers.get(b"content-type", b"").startswith(b"application/json"):
                    held.update(start=message, body=b"")
                    return
            await send(message)

        await self.app(scope, receive, wrapped)

    def rewrite(self, event: tuple[str, list[str]], state: dict[str, Any], scope: Scope) -> bytes:
        name, lines = event
        if name != "control":
            state["after_data"] = name == "data"
            return _event(name, lines)
        control = json.loads("\n".join(lines))
        if control.get("streamClosed"):
            control.setdefault("streamCursor", self._cursor(scope).decode())
            if state["after_data"]:
                # only after data: a closed stream at the tail MUST still say upToDate (§5.8, §8)
                control.pop("upToDate", None)
        state["after_data"] = False
        return _event(name, [json.dumps(control)])


class SseFraming(_SseRewriter):
    """Same events, framed differently on the wire."""

    opening = b": hello\r\n\r\n"  # a comment before any event

    def rewrite(self, event: tuple[str, list[str]], state: dict[str, Any], scope: Scope) -> bytes:
        name, lines = event
        if name == "data":
            text = "\n".join(lines)
            if state.get("base64_encoding"):
                lines = [text[i:i + BASE64_LINE_CHARS] for i in range(0, len(text), BASE64_LINE_CHARS)] or [""]
            elif text.startswith("["):
                messages = json.loads(text)
                lines = ["["] + [json.dumps(m) + ("," if i < len(messages) - 1 else "")
                                 for i, m in enumerate(messages)] + ["]"]
        return _event(name, lines, eol="\r\n", comment=" framing variant")


def small_chunks(long_poll_timeout: float) -> Any:
    store = StreamStore(max_chunk=SMALL_CHUNK_BYTES)
    app = create_app(store, long_poll_timeout=long_poll_timeout)
    plain_read = store.read

    def read(stream: Stream, position: int) -> ReadResult:
        # text/* chunks end on a character boundary: an SSE data event carries UTF-8 text
        # (§5.8), so a chunk must not cut a character in two (binary chunks may end anywhere)
        store.max_chunk = SMALL_CHUNK_BYTES
        try:
            while True:
                result = plain_read(stream, position)
                if result.up_to_date or stream.is_json or not stream.content_type.lower().startswith("text/"):
                    return result
                try:
                    result.body(False).decode("utf-8")
                    return result
                except UnicodeDecodeError:
                    store.max_chunk += 1
        finally:
            store.max_chunk = SMALL_CHUNK_BYTES

    store.read = read
    return app


def alt_headers(long_poll_timeout: float) -> Any:
    return AltHeaders(create_app(long_poll_timeout=long_poll_timeout))


def sse_framing(long_poll_timeout: float) -> Any:
    return SseFraming(create_app(long_poll_timeout=long_poll_timeout))


VARIANTS: dict[str, Callable[[float], Any]] = {
    "small-chunks": small_chunks,
    "alt-headers": alt_headers,
    "sse-framing": sse_framing,
}
