"""The storage core: streams, offsets, forks, producers, closure and expiry.

Knows nothing of HTTP. Every method is synchronous and runs to completion, so on one
event loop each call is atomic (this is what serialises producer validation + append).
Live readers register a callback on a stream and are called on append, close or removal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reference_impl import jsonmode
from reference_impl.clock import Clock, SystemClock
from reference_impl.errors import (
    Conflict, InvalidRequest, StreamClosedConflict, StreamGone, StreamNotFound,
)
from reference_impl.producers import ProducerClaim, ProducerState, Verdict, judge
from reference_impl.records import Piece, Record, RecordLog, Segment, View

DEFAULT_CONTENT_TYPE = "application/octet-stream"
DEFAULT_MAX_CHUNK = 1 << 20  # bytes per catch-up response
_SWEEP_INTERVAL_S = 1.0


def media_type(content_type: str | None) -> str:
    """`Text/Plain; charset=utf-8` -> `text/plain`: what content-type checks compare."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json_type(content_type: str) -> bool:
    return media_type(content_type) == "application/json"


@dataclass(frozen=True, slots=True)
class Expiry:
    """What the creator asked for: a sliding TTL in seconds, or an absolute deadline."""

    ttl: int | None = None
    expires_at: str | None = None  # as given (RFC 3339), echoed on HEAD
    expires_at_wall: float | None = None  # the same instant as a Unix timestamp


@dataclass(frozen=True, slots=True)
class CreateRequest:
    content_type: str | None = None  # None: default (or inherit, for forks)
    expiry: Expiry = Expiry()
    closed: bool = False
    body: bytes = b""
    forked_from: str | None = None
    fork_position: int | None = None  # None: the source's tail
    fork_sub_offset: int = 0


@dataclass(frozen=True, slots=True)
class AppendRequest:
    body: bytes
    content_type: str | None = None
    close: bool = False
    stream_seq: str | None = None
    producer: ProducerClaim | None = None


@dataclass(frozen=True, slots=True)
class AppendResult:
    tail: int
    closed: bool
    duplicate: bool = False  # a producer retry: nothing was written
    producer_seq: int | None = None  # highest accepted seq to echo (producer requests)


@dataclass(eq=False)
class Stream:
    path: str
    content_type: str
    view: View
    requested: CreateRequest  # for idempotent re-PUT comparisons
    ttl: int | None
    expires_at: str | None
    deadline: float | None  # monotonic instant of absolute expiry
    last_access: float
    expires_at_wall: float | None = None
    parent: Stream | None = None
    fork_position: int | None = None  # the divergence offset (before any sub-offset)
    closed: bool = False
    closed_by: ProducerClaim | None = None
    soft_deleted: bool = False
    removed: bool = False
    ref_count: int = 0
    last_stream_seq: str | None = None
    producers: dict[str, ProducerState] = field(default_factory=dict)
    listeners: set[Callable[[], None]] = field(default_factory=set)
    live_read: Any = None  # the HTTP layer's shared read for live readers (app._LiveRead)

    @property
    def is_json(self) -> bool:
        return is_json_type(self.content_type)

    @property
    def tail(self) -> int:
        return self.view.tail

    def notify(self) -> None:
        for listener in list(self.listeners):
            listener()


@dataclass(frozen=True, slots=True)
class ReadResult:
    pieces: list[Piece]
    next_position: int
    up_to_date: bool  # the read reached the tail
    closed_at_end: bool  # ... and the stream is closed: EOF

    def body(self, is_json: bool) -> bytes:
        if is_json:
            return jsonmode.array_of([v for piece in self.pieces for v in piece.record])
        return b"".join(piece.record for piece in self.pieces)  # type: ignore[misc]


class StreamStore:
    def __init__(self, clock: Clock | None = None, *, max_chunk: int = DEFAULT_MAX_CHUNK) -> None:
        self.clock: Clock = clock or SystemClock()
        self.max_chunk = max_chunk
        self._streams: dict[str, Stream] = {}
        self._last_sweep = self.clock.monotonic()

    # ---- lookup and expiry ------------------------------------------------------------

    def get(self, path: str) -> Stream:
        """A live stream; raises StreamNotFound / StreamGone. Does not refresh the TTL."""
        stream = self._streams.get(path)
        if stream is not None and self._expired(stream):
            self._expire(stream)
            stream = self._streams.get(path)
        if stream is None:
            raise StreamNotFound("stream not found")
        if stream.soft_deleted:
            raise StreamGone("stream is gone (deleted, still read by forks)")
        return stream

    def touch(self, stream: Stream) -> None:
        """Reset the sliding TTL window (reads and writes; never HEAD)."""
        stream.last_access = self.clock.monotonic()

    def __len__(self) -> int:
        return len(self._streams)

    def _expired(self, stream: Stream) -> bool:
        now = self.clock.monotonic()
        if stream.deadline is not None and now >= stream.deadline:
            return True
        return stream.ttl is not None and now >= stream.last_access + stream.ttl

    def _expire(self, stream: Stream) -> None:
        if stream.soft_deleted:
            return
        if stream.ref_count > 0:
            stream.soft_deleted = True
            stream.notify()
        else:
            self._remove(stream)

    def sweep_expired(self) -> None:
        """Drop every expired stream (called now and then so idle ones free memory)."""
        self._last_sweep = self.clock.monotonic()
        for stream in list(self._streams.values()):
            if not stream.removed and self._expired(stream):
                self._expire(stream)

    def _maybe_sweep(self) -> None:
        if self.clock.monotonic() - self._last_sweep >= _SWEEP_INTERVAL_S:
            self.sweep_expired()

    # ---- create and fork --------------------------------------------------------------

    def create(self, path: str, request: CreateRequest) -> tuple[Stream, bool]:
        """Create the stream, or confirm an identical one: (stream, created)."""
        self._maybe_sweep()
        existing = self._streams.get(path)
        if existing is not None and self._expired(existing):
            self._expire(existing)
            existing = self._streams.get(path)
        if existing is not None:
            if existing.soft_deleted:
                raise Conflict("path belongs to a deleted stream that forks still read")
            if not self._matches(existing, request):
                raise Conflict("stream exists with a different configuration")
            return existing, False
        stream = self._fork(path, request) if request.forked_from else self._new_root(path, request)
        self._streams[path] = stream
        return stream, True

    def _new_root(self, path: str, request: CreateRequest) -> Stream:
        content_type = request.content_type or DEFAULT_CONTENT_TYPE
        stream = self._new_stream(path, content_type, View((Segment(RecordLog(0), None),)),
                                  request, request.expiry)
        self._write_initial(stream, request)
        return stream

    def _fork(self, path: str, request: CreateRequest) -> Stream:
        assert request.forked_from is not None
        try:
            source = self.get(request.forked_from)
        except StreamNotFound:
            raise StreamNotFound("fork source not found") from None
        except StreamGone:
            raise Conflict("fork source is deleted") from None
        if request.content_type is not None and media_type(request.content_type) != media_type(source.content_type):
            raise Conflict("content type differs from the fork source")
        position = source.tail if request.fork_position is None else request.fork_position
        if position > source.tail:
            raise InvalidRequest("fork offset is beyond the source's tail")
        if source.is_json and not source.view.is_boundary(position):
            raise InvalidRequest("fork offset is not a message boundary")
        fork_point = position
        prefix: Record | None = None
        if request.fork_sub_offset:
            position, prefix = self._resolve_sub_offset(source, position, request.fork_sub_offset)
        own_log = RecordLog(position)
        view = View(source.view.cut(position) + (Segment(own_log, None),))
        stream = self._new_stream(path, source.content_type, view, request,
                                  self._inherited_expiry(request.expiry, source))
        stream.parent, stream.fork_position = source, fork_point
        if prefix is not None:
            own_log.append(prefix)  # the part-record a JSON sub-offset keeps
        self._write_initial(stream, request)
        source.ref_count += 1  # only once nothing else can fail
        return stream

    def _resolve_sub_offset(self, source: Stream, position: int, sub_offset: int) -> tuple[int, Record | None]:
        """Byte streams: move the divergence point inside the record (no copy). JSON:
        keep the position and return the first `sub_offset` messages as a new record."""
        found = source.view.record_at(position)
        if found is None:
            raise InvalidRequest("fork sub-offset names data past the source's tail")
        record, _start, end = found
        if isinstance(record, bytes):
            if position + sub_offset > end:
                raise InvalidRequest("fork sub-offset overshoots the next message")
            return position + sub_offset, None
        if sub_offset > len(record):
            raise InvalidRequest("fork sub-offset overshoots the message count")
        return position, record[:sub_offset]

    @staticmethod
    def _inherited_expiry(requested: Expiry, source: Stream) -> Expiry:
        """PROTOCOL.md §4.2's table: the fork's own request wins; else inherit."""
        if requested.ttl is not None or requested.expires_at is not None:
            return requested
        if source.ttl is not None:
            return Expiry(ttl=source.ttl)
        if source.expires_at is not None:
            return Expiry(expires_at=source.expires_at,
                          expires_at_wall=source.expires_at_wall)
        return Expiry()

    def _new_stream(self, path: str, content_type: str, view: View, request: CreateRequest,
                    expiry: Expiry) -> Stream:
        now = self.clock.monotonic()
        deadline = None
        if expiry.expires_at_wall is not None:
            deadline = now + (expiry.expires_at_wall - self.clock.wall())
        return Stream(path=path, content_type=content_type, view=view, requested=request,
                      ttl=expiry.ttl, expires_at=expiry.expires_at, deadline=deadline,
                      last_access=now, expires_at_wall=expiry.expires_at_wall)

    def _write_initial(self, stream: Stream, request: CreateRequest) -> None:
        if request.body:
            record = self._to_record(stream, request.body, initial=True)
            if record:
                stream.view.own_log.append(record)
        stream.closed = request.closed

    @staticmethod
    def _matches(stream: Stream, request: CreateRequest) -> bool:
        had = stream.requested
        wanted_type = request.content_type or (stream.content_type if request.forked_from else DEFAULT_CONTENT_TYPE)
        return (
            media_type(wanted_type) == media_type(stream.content_type)
            and request.expiry.ttl == had.expiry.ttl
            and request.expiry.expires_at_wall == had.expiry.expires_at_wall
            and request.closed == stream.closed
            and request.forked_from == had.forked_from
            and (request.fork_position is None or request.fork_position == stream.fork_position)
            and request.fork_sub_offset == had.fork_sub_offset
        )

    # ---- append and close -------------------------------------------------------------

    def append(self, path: str, request: AppendRequest) -> AppendResult:
        """Append (and maybe close). Raises on 404/410/409/403/400 conditions; nothing is
        written or committed unless every check passed."""
        stream = self.get(path)
        self.touch(stream)
        if not request.body:
            if not request.close:
                raise InvalidRequest("empty body (only a close may have no body)")
            return self._close_only(stream, request.producer)
        if stream.closed:
            if request.producer is not None and request.producer == stream.closed_by:
                return AppendResult(stream.tail, True, duplicate=True, producer_seq=request.producer.seq)
            raise StreamClosedConflict(stream.tail)
        if request.content_type is None:
            raise InvalidRequest("Content-Type is required with a body")
        if media_type(request.content_type) != media_type(stream.content_type):
            raise Conflict("Content-Type does not match the stream's")
        verdict, new_state = self._judge_producer(stream, request.producer)
        if verdict is Verdict.DUPLICATE:
            assert request.producer is not None
            return AppendResult(stream.tail, stream.closed, duplicate=True, producer_seq=new_state.last_seq)
        if request.stream_seq is not None and stream.last_stream_seq is not None \
                and request.stream_seq.encode() <= stream.last_stream_seq.encode():
            raise Conflict("Stream-Seq is not above the last one")
        record = self._to_record(stream, request.body, initial=False)
        # all checks passed: write, then commit writer state
        stream.view.own_log.append(record)
        if request.producer is not None:
            stream.producers[request.producer.producer_id] = new_state
        if request.stream_seq is not None:
            stream.last_stream_seq = request.stream_seq
        if request.close:
            stream.closed, stream.closed_by = True, request.producer
        stream.notify()
        return AppendResult(stream.tail, stream.closed,
                            producer_seq=request.producer.seq if request.producer else None)

    def _close_only(self, stream: Stream, producer: ProducerClaim | None) -> AppendResult:
        if stream.closed:
            if producer is None or producer == stream.closed_by:
                return AppendResult(stream.tail, True, duplicate=producer is not None,
                                    producer_seq=producer.seq if producer else None)
            raise StreamClosedConflict(stream.tail)
        verdict, new_state = self._judge_producer(stream, producer)
        if producer is not None:
            if verdict is Verdict.DUPLICATE:
                return AppendResult(stream.tail, False, duplicate=True, producer_seq=new_state.last_seq)
            stream.producers[producer.producer_id] = new_state
        stream.closed, stream.closed_by = True, producer
        stream.notify()
        return AppendResult(stream.tail, True, producer_seq=producer.seq if producer else None)

    @staticmethod
    def _judge_producer(stream: Stream, producer: ProducerClaim | None) -> tuple[Verdict, ProducerState]:
        if producer is None:
            return Verdict.ACCEPT, ProducerState(0, 0)
        return judge(stream.producers.get(producer.producer_id), producer)

    @staticmethod
    def _to_record(stream: Stream, body: bytes, *, initial: bool) -> Record:
        if stream.is_json:
            return jsonmode.to_values(body, allow_empty_array=initial)
        return bytes(body)

    # ---- delete -----------------------------------------------------------------------

    def delete(self, path: str) -> None:
        stream = self.get(path)
        if stream.ref_count > 0:
            stream.soft_deleted = True
            stream.notify()
        else:
            self._remove(stream)

    def _remove(self, stream: Stream) -> None:
        """Drop the stream; release its source, cascading up through soft-deleted ones."""
        while stream is not None:
            if self._streams.get(stream.path) is stream:
                del self._streams[stream.path]
            stream.removed = True
            stream.notify()
            parent = stream.parent
            stream.parent = None
            if parent is None:
                return
            parent.ref_count -= 1
            if parent.ref_count > 0 or not parent.soft_deleted:
                return
            stream = parent

    # ---- read -------------------------------------------------------------------------

    def read(self, stream: Stream, position: int) -> ReadResult:
        if position > stream.tail:
            raise InvalidRequest("offset is beyond the stream's tail")
        pieces, next_position = stream.view.read(position, self.max_chunk)
        up_to_date = next_position >= stream.tail
        return ReadResult(pieces, next_position, up_to_date, up_to_date and stream.closed)
