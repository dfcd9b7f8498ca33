"""The ASGI layer: maps PROTOCOL.md §4, 5, 8, 9, 10 and 12 onto the storage core.

Any URL path is a stream. `create_app()` returns a plain ASGI callable so other code can
wrap it (fault-injecting middleware, deliberately broken servers).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reference_impl import cursor as cursors
from reference_impl import http_input as parse
from reference_impl import sse
from reference_impl.asgi_io import (
    BodyTooLarge, Receive, Request, Scope, Send, respond, respond_text, start_stream,
    watch_disconnect,
)
from reference_impl.clock import Clock
from reference_impl.errors import (
    Conflict, InvalidRequest, SequenceGap, StaleEpoch, StoreError, StreamClosedConflict,
    StreamGone, StreamNotFound,
)
from reference_impl.offsets import STREAM_START, TAIL, format_offset, parse_offset
from reference_impl.store import AppendRequest, CreateRequest, Expiry, ReadResult, Stream, StreamStore

log = logging.getLogger("reference_impl")

DEFAULT_LONG_POLL_TIMEOUT_S = 30.0
DEFAULT_MAX_BODY = 64 * 1024 * 1024
SSE_MAX_CONNECTION_S = 60.0  # §10.2: close SSE now and then so CDNs can collapse
CATCH_UP_CACHE = "public, max-age=60, stale-while-revalidate=300"
LIVE_READ_MEMO_MAX = 64 * 1024  # largest live read kept on a stream for the next reader


def _status_of(error: StoreError) -> tuple[int, dict[str, str]]:
    if isinstance(error, StreamClosedConflict):
        return 409, {"stream-closed": "true", "stream-next-offset": format_offset(error.final_position)}
    if isinstance(error, SequenceGap):
        return 409, {"producer-expected-seq": str(error.expected), "producer-received-seq": str(error.received)}
    if isinstance(error, StaleEpoch):
        return 403, {"producer-epoch": str(error.current_epoch)}
    for kind, status in ((InvalidRequest, 400), (StreamNotFound, 404), (StreamGone, 410), (Conflict, 409)):
        if isinstance(error, kind):
            return status, {}
    return 400, {}


@dataclass(eq=False, slots=True)
class _LiveRead:
    """One read at a live position, encoded once: every long-poll and SSE reader woken by
    the same append at the same position shares it (fan-out costs one read, not N)."""

    key: tuple[int, int, bool]  # (position, tail, closed): the content there never changes
    result: ReadResult
    body: bytes
    sse_data: bytes | None = None  # the SSE `data` event, built by the first SSE reader


class ReferenceApp:
    def __init__(self, store: StreamStore, *, long_poll_timeout: float, max_body: int) -> None:
        self.store = store
        self.long_poll_timeout = long_poll_timeout
        self.max_body = max_body
        self.shutting_down = False
        self._live_waits: set[Callable[[], None]] = set()  # wakes every live wait

    def begin_shutdown(self) -> None:
        """End every long-poll and SSE response promptly (call on the server's loop)."""
        self.shutting_down = True
        for wake in list(self._live_waits):
            wake()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(Request(scope, receive), send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.begin_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, request: Request, send: Send) -> None:
        handlers = {"PUT": self._create, "POST": self._append, "GET": self._read,
                    "HEAD": self._head, "DELETE": self._delete}
        if request.method == "OPTIONS":
            await respond(send, 204, {"access-control-max-age": "86400"})
            return
        handler = handlers.get(request.method)
        if handler is None:
            await respond_text(send, 405, "method not allowed", {"allow": "GET, POST, PUT, DELETE, HEAD, OPTIONS"})
            return
        try:
            await handler(request, send)
        except StoreError as error:
            status, headers = _status_of(error)
            body = b"" if request.method == "HEAD" else str(error).encode()
            await respond(send, status, {"content-type": "text/plain; charset=utf-8", **headers}, body)
        except BodyTooLarge:
            await respond_text(send, 413, f"body larger than {self.max_body} bytes", {"connection": "close"})
        except ConnectionResetError:
            return  # the client left mid-body; nothing to answer
        except Exception:  # a server bug: log it, answer 500 without internals
            log.exception("unhandled error on %s %s", request.method, request.path)
            await respond_text(send, 500, "internal server error")

    # ---- PUT --------------------------------------------------------------------------

    async def _create(self, request: Request, send: Send) -> None:
        headers = request.headers
        forked_from = headers.get("stream-forked-from")
        if forked_from is None and ("stream-fork-offset" in headers or "stream-fork-sub-offset" in headers):
            raise InvalidRequest("Stream-Fork-Offset and Stream-Fork-Sub-Offset need Stream-Forked-From")
        ttl_header, expires_header = headers.get("stream-ttl"), headers.get("stream-expires-at")
        if ttl_header is not None and expires_header is not None:
            raise InvalidRequest("give Stream-TTL or Stream-Expires-At, not both")
        expiry = Expiry(ttl=parse.parse_ttl(ttl_header), expires_at=expires_header,
                        expires_at_wall=parse.parse_expires_at(expires_header))
        fork_position = parse.parse_fork_offset(headers.get("stream-fork-offset"))
        sub_offset = parse.parse_sub_offset(headers.get("stream-fork-sub-offset"))
        if sub_offset and "stream-fork-offset" not in headers:
            raise InvalidRequest("Stream-Fork-Sub-Offset needs Stream-Fork-Offset")
        if forked_from is not None and not forked_from.strip():
            raise InvalidRequest("empty Stream-Forked-From")
        body = await request.body(self.max_body)
        stream, created = self.store.create(request.path, CreateRequest(
            content_type=parse.content_type_or_none(headers.get("content-type")),
            expiry=expiry, closed=parse.is_true(headers.get("stream-closed")), body=body,
            forked_from=_source_path(forked_from), fork_position=fork_position,
            fork_sub_offset=sub_offset,
        ))
        out = {"content-type": stream.content_type, "stream-next-offset": format_offset(stream.tail)}
        if created:
            out["location"] = request.url()
        if stream.closed:
            out["stream-closed"] = "true"
        await respond(send, 201 if created else 200, out)

    # ---- POST -------------------------------------------------------------------------

    async def _append(self, request: Request, send: Send) -> None:
        headers = request.headers
        producer = parse.parse_producer(headers.get("producer-id"), headers.get("producer-epoch"),
                                        headers.get("producer-seq"))
        stream_seq = parse.parse_stream_seq(headers.get("stream-seq"))
        body = await request.body(self.max_body)
        result = self.store.append(request.path, AppendRequest(
            body=body, content_type=headers.get("content-type"),
            close=parse.is_true(headers.get("stream-closed")), stream_seq=stream_seq, producer=producer,
        ))
        out = {"stream-next-offset": format_offset(result.tail)}
        if result.closed:
            out["stream-closed"] = "true"
        if producer is not None:
            out["producer-epoch"] = str(producer.epoch)
            out["producer-seq"] = str(result.producer_seq)
        wrote_data = bool(body) and not result.duplicate
        await respond(send, 200 if producer is not None and wrote_data else 204, out)

    # ---- HEAD / DELETE ----------------------------------------------------------------

    async def _head(self, request: Request, send: Send) -> None:
        stream = self.store.get(request.path)  # HEAD never refreshes the TTL
        out = {"content-type": stream.content_type, "stream-next-offset": format_offset(stream.tail),
               "cache-control": "no-store"}
        if stream.closed:
            out["stream-closed"] = "true"
        if stream.ttl is not None:
            out["stream-ttl"] = str(stream.ttl)
        if stream.expires_at is not None:
            out["stream-expires-at"] = stream.expires_at
        await respond(send, 200, out)

    async def _delete(self, request: Request, send: Send) -> None:
        self.store.delete(request.path)
        await respond(send, 204)

    # ---- GET --------------------------------------------------------------------------

    async def _read(self, request: Request, send: Send) -> None:
        offset = parse.read_offset(request.query.get("offset"))
        live = parse.read_live(request.query.get("live"))
        client_cursor = (request.query.get("cursor") or [None])[0]
        stream = self.store.get(request.path)
        if live is not None and offset is None:
            raise InvalidRequest(f"{live} needs an offset parameter")
        self.store.touch(stream)
        position = self._position(stream, offset)
        if live == "sse":
            await self._sse(request, send, stream, position, client_cursor)
        elif live == "long-poll":
            await self._long_poll(request, send, stream, position, offset or STREAM_START, client_cursor)
        elif offset == TAIL:
            await self._tail_now(send, stream)
        else:
            await self._catch_up(request, send, stream, position, offset or STREAM_START)

    def _position(self, stream: Stream, offset: str | None) -> int:
        if offset is None or offset == STREAM_START:
            return 0
        if offset == TAIL:
            return stream.tail
        position = parse_offset(offset)
        assert position is not None  # read_offset validated the shape
        if position > stream.tail:
            raise InvalidRequest("offset is beyond the stream's tail")
        return position

    async def _tail_now(self, send: Send, stream: Stream) -> None:
        out = {"content-type": stream.content_type, "stream-next-offset": format_offset(stream.tail),
               "stream-up-to-date": "true", "cache-control": "no-store"}
        if stream.closed:
            out["stream-closed"] = "true"
        await respond(send, 200, out, b"[]" if stream.is_json else b"")

    def _data_headers(self, request: Request, stream: Stream, start: str, next_position: int,
                      up_to_date: bool, closed_at_end: bool) -> dict[str, str]:
        next_offset = format_offset(next_position)
        path_id = base64.urlsafe_b64encode(request.path.encode()).decode()
        out = {"content-type": stream.content_type, "stream-next-offset": next_offset,
               "cache-control": CATCH_UP_CACHE,
               # the closure suffix makes ETags change when a stream closes (§10.1)
               "etag": f'"{path_id}:{start}:{next_offset}{":c" if closed_at_end else ""}"'}
        if up_to_date:
            out["stream-up-to-date"] = "true"
        if closed_at_end:
            out["stream-closed"] = "true"
        return out

    async def _catch_up(self, request: Request, send: Send, stream: Stream, position: int, start: str) -> None:
        result = self.store.read(stream, position)
        out = self._data_headers(request, stream, start, result.next_position, result.up_to_date,
                                 result.closed_at_end)
        if request.headers.get("if-none-match") == out["etag"]:
            await respond(send, 304, {"etag": out["etag"], "cache-control": CATCH_UP_CACHE})
            return
        await respond(send, 200, out, result.body(stream.is_json))

    async def _long_poll(self, request: Request, send: Send, stream: Stream, position: int,
                         start: str, client_cursor: str | None) -> None:
        if position >= stream.tail and not stream.closed:
            disconnect = watch_disconnect(request.receive)
            try:
                await self._wait_for_change(stream, self.long_poll_timeout, disconnect)
            finally:
                disconnect.cancel()
            if stream.removed:
                raise StreamNotFound("stream was deleted")
            if stream.soft_deleted:
                raise StreamGone("stream was deleted")
            self.store.touch(stream)
        cursor = cursors.next_cursor(client_cursor, self.store.clock.wall())
        if position >= stream.tail:
            out = {"stream-next-offset": format_offset(stream.tail), "stream-up-to-date": "true",
                   "cache-control": "no-store"}
            if stream.closed:
                out["stream-closed"] = "true"
            else:
                out["stream-cursor"] = cursor
            await respond(send, 204, out)
            return
        live = self._live_read(stream, position)
        result = live.result
        out = self._data_headers(request, stream, start, result.next_position, result.up_to_date,
                                 result.closed_at_end)
        out["stream-cursor"] = cursor
        await respond(send, 200, out, live.body)

    def _live_read(self, stream: Stream, position: int) -> _LiveRead:
        key = (position, stream.tail, stream.closed)
        live: _LiveRead | None = stream.live_read
        if live is None or live.key != key:
            result = self.store.read(stream, position)
            live = _LiveRead(key, result, result.body(stream.is_json))
            if len(live.body) <= LIVE_READ_MEMO_MAX:  # big catch-up chunks are not kept
                stream.live_read = live
        return live

    async def _wait_for_change(self, stream: Stream, timeout: float, disconnect: asyncio.Task[None]) -> None:
        """Until the stream changes (append, close, delete), the timeout, the client
        leaving, or server shutdown. One future and one timer per wait: an append wakes
        each waiter with a single `set_result` (no per-wait tasks or events)."""
        if self.shutting_down or disconnect.done():
            return
        loop = asyncio.get_running_loop()
        woken = loop.create_future()

        def wake(*_: object) -> None:
            if not woken.done():
                woken.set_result(None)

        timer = loop.call_later(timeout, wake)
        stream.listeners.add(wake)
        self._live_waits.add(wake)
        disconnect.add_done_callback(wake)
        try:
            await woken
        finally:
            timer.cancel()
            stream.listeners.discard(wake)
            self._live_waits.discard(wake)
            disconnect.remove_done_callback(wake)

    async def _sse(self, request: Request, send: Send, stream: Stream, position: int,
                   client_cursor: str | None) -> None:
        as_base64 = sse.uses_base64(stream.content_type)
        headers = {"content-type": "text/event-stream", "cache-control": "no-cache",
                   "x-accel-buffering": "no"}
        if as_base64:
            headers["stream-sse-data-encoding"] = "base64"
        await start_stream(send, 200, headers)
        disconnect = watch_disconnect(request.receive)
        deadline = time.monotonic() + SSE_MAX_CONNECTION_S
        try:
            await self._sse_events(send, stream, position, client_cursor, as_base64, disconnect, deadline)
        finally:
            disconnect.cancel()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _sse_events(self, send: Send, stream: Stream, position: int, client_cursor: str | None,
                          as_base64: bool, disconnect: asyncio.Task[None], deadline: float) -> None:
        announce = True  # the first pass at the tail always reports where the tail is
        while not (self.shutting_down or disconnect.done() or stream.removed or stream.soft_deleted):
            cursor = cursors.next_cursor(client_cursor, self.store.clock.wall())
            if position < stream.tail:
                live = self._live_read(stream, position)
                result = live.result
                if live.sse_data is None:
                    live.sse_data = sse.event("data", sse.data_payload(live.body, base64_encoded=as_base64))
                position = result.next_position
                await send({"type": "http.response.body", "more_body": True,
                            "body": live.sse_data + sse.control(
                                format_offset(position), cursor=cursor, up_to_date=result.up_to_date,
                                closed=result.closed_at_end)})
                if result.closed_at_end:
                    return
                announce = False
                continue
            if stream.closed:
                await send({"type": "http.response.body", "more_body": True,
                            "body": sse.control(format_offset(position), cursor=None, up_to_date=True, closed=True)})
                return
            if announce:
                await send({"type": "http.response.body", "more_body": True,
                            "body": sse.control(format_offset(position), cursor=cursor, up_to_date=True, closed=False)})
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            tail_before = stream.tail
            await self._wait_for_change(stream, min(self.long_poll_timeout, remaining), disconnect)
            self.store.touch(stream)
            # a quiet timeout re-announces the tail as a keep-alive control event
            announce = stream.tail == tail_before and not stream.closed


def _source_path(header: str | None) -> str | None:
    """`Stream-Forked-From` is a path on this server; accept a full URL too."""
    if header is None:
        return None
    from urllib.parse import unquote, urlsplit
    value = header.strip()
    if "://" in value:
        value = urlsplit(value).path
    return unquote(value)


def create_app(store: StreamStore | None = None, *, long_poll_timeout: float = DEFAULT_LONG_POLL_TIMEOUT_S,
               max_body: int = DEFAULT_MAX_BODY, clock: Clock | None = None) -> Any:
    """An ASGI app serving `store` (a fresh in-memory store by default)."""
    # `is None`, not `or`: an empty StreamStore is falsy (it has __len__).
    return ReferenceApp(store if store is not None else StreamStore(clock),
                        long_poll_timeout=long_poll_timeout, max_body=max_body)
