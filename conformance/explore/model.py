"""An independent, in-process model of the Durable Streams protocol (PROTOCOL.md §4, 5, 8, 9).

Written for clarity, not speed, and deliberately separate from `reference_impl` so the two
can disagree. It knows nothing of HTTP: each operation says which outcome the protocol
demands (`expected_*`) and, once the server has answered, records the effect (`apply_*`).

Offsets are opaque server tokens. The model never builds one; it remembers every token a
server returned, the position it named (bytes for byte streams, messages for JSON streams),
and checks the tokens it sees stay consistent with that ordering (§8 properties 2, 4, 5).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

Content = bytes | list[Any]   # bytes for byte streams, parsed messages for JSON streams


class ModelViolation(AssertionError):
    """The server's answer contradicts the protocol model."""


class Life(str, enum.Enum):
    LIVE = "live"
    SOFT_DELETED = "soft-deleted"      # deleted while forks still reference it: 410 (§4.2)
    REMOVED = "removed"                # fully deleted: 404
    REMOVED_LAZILY = "removed-lazily"  # cascade cleanup that MAY lag: 404 or 410 (§4.2)


@dataclass
class ProducerState:
    epoch: int
    last_seq: int


@dataclass
class StreamState:
    path: str
    json_mode: bool
    content_type: str
    content: Content
    # Positions where an append (or the initial body) ended: the "data boundaries" that
    # limit Stream-Fork-Sub-Offset (§4.2). Always includes 0.
    boundaries: list[int]
    offsets: dict[str, int] = field(default_factory=dict)   # token -> position
    tail: str = ""
    closed: bool = False
    life: Life = Life.LIVE
    source: str | None = None
    forks: set[str] = field(default_factory=set)            # forks not yet fully removed
    producers: dict[str, ProducerState] = field(default_factory=dict)
    closing_tuple: tuple[str, int, int] | None = None       # producer append that closed it

    @property
    def length(self) -> int:
        return len(self.content)

    def tokens_by_position(self) -> list[tuple[int, str]]:
        return sorted((pos, tok) for tok, pos in self.offsets.items())


@dataclass(frozen=True)
class Expected:
    """What the protocol demands of one response."""
    statuses: tuple[int, ...]
    why: str                     # the spec rule, for failure messages and YAML notes
    closed_header: bool | None = None   # Stream-Closed: true required (True) / forbidden (False)

    def check_status(self, status: int) -> None:
        if status not in self.statuses:
            raise ModelViolation(f"expected status {'/'.join(map(str, self.statuses))} "
                                 f"({self.why}), got {status}")


def join(content: Content, more: Content) -> Content:
    return content + more  # type: ignore[operator]


def flatten_json_body(value: Any) -> list[Any]:
    """§9.1.2: a JSON array body is flattened exactly one level; anything else is one message."""
    return list(value) if isinstance(value, list) else [value]


class ProtocolModel:
    def __init__(self) -> None:
        self.streams: dict[str, StreamState] = {}

    # ----- lookups --------------------------------------------------------------------
    def get(self, path: str) -> StreamState:
        return self.streams[path]

    def live_paths(self) -> list[str]:
        return [p for p, s in self.streams.items() if s.life is Life.LIVE]

    def gone_status(self, stream: StreamState) -> tuple[int, ...]:
        """Status every direct operation on a not-live stream must get."""
        return {Life.SOFT_DELETED: (410,), Life.REMOVED: (404,),
                Life.REMOVED_LAZILY: (404, 410)}[stream.life]

    # ----- offsets --------------------------------------------------------------------
    def observe_offset(self, path: str, token: str | None, position: int, what: str) -> None:
        """A server named `token` as the offset of `position` in `path`: check and remember.

        Tokens must not be sentinels (§8 Reserved Values), must sort consistently with every
        token already seen for this stream (§8 properties 2 and 5), and a known token must
        keep naming the same position (§8 property 3, Persistent).
        """
        if token is None or token == "":
            raise ModelViolation(f"{what}: missing Stream-Next-Offset")
        if token in ("-1", "now"):
            raise ModelViolation(f"{what}: server minted the reserved sentinel {token!r} (§8)")
        for bad in ",&=?/":
            if bad in token:
                raise ModelViolation(f"{what}: offset {token!r} contains {bad!r} (§8 Format)")
        stream = self.get(path)
        known = stream.offsets.get(token)
        if known is not None and known != position:
            raise ModelViolation(f"{what}: offset {token!r} named position {known} before, "
                                 f"now {position} (offsets must be stable, §8)")
        for other, pos in stream.offsets.items():
            if pos < position and not other < token:
                raise ModelViolation(f"{what}: offset {token!r} (position {position}) does not sort "
                                     f"after {other!r} (position {pos}) (§8 strictly increasing)")
            if pos > position and not other > token:
                raise ModelViolation(f"{what}: offset {token!r} (position {position}) does not sort "
                                     f"before {other!r} (position {pos}) (§8 strictly increasing)")
        stream.offsets[token] = position

    def set_tail(self, path: str, token: str | None, what: str) -> None:
        stream = self.get(path)
        self.observe_offset(path, token, stream.length, what)
        stream.tail = token or ""

    # ----- create ---------------------------------------------------------------------
    def expected_create(self, path: str) -> Expected:
        existing = self.streams.get(path)
        if existing is None:
            return Expected((201,), "PUT creates a new stream (§5.1)")
        if existing.life is not Life.LIVE:
            return Expected((409,), "PUT on a deleted stream's path is blocked (§4.2, §5.4)") \
                if existing.life is Life.SOFT_DELETED else Expected((201, 409), "PUT after delete")
        return Expected((200, 409), "PUT on an existing stream (§5.1)")

    def apply_create(self, path: str, json_mode: bool, content_type: str, initial: Content,
                     closed: bool) -> None:
        boundaries = [0] if not initial else [0, len(initial)]
        self.streams[path] = StreamState(path, json_mode, content_type, initial, boundaries,
                                         closed=closed)

    # ----- append / close -------------------------------------------------------------
    def expected_append(self, path: str, closing: bool, has_body: bool) -> Expected:
        stream = self.get(path)
        if stream.life is not Life.LIVE:
            return Expected(self.gone_status(stream), f"append to a {stream.life.value} stream")
        if stream.closed:
            if closing and not has_body:
                # SHOULD 204; §4.1 also allows a stable "already closed" answer.
                return Expected((204, 409), "close-only on a closed stream is idempotent (§4.1, §5.2)",
                                closed_header=True)
            return Expected((409,), "append to a closed stream (§5.2)", closed_header=True)
        return Expected((200, 204), "append to an open stream (§5.2)",
                        closed_header=True if closing else None)

    def apply_append(self, path: str, data: Content, closing: bool) -> None:
        stream = self.get(path)
        if data:
            stream.content = join(stream.content, data)
            stream.boundaries.append(stream.length)
        if closing:
            stream.closed = True

    # ----- idempotent producers (§5.2.1) ----------------------------------------------
    def expected_producer_append(self, path: str, producer: str, epoch: int, seq: int,
                                 closing: bool) -> tuple[Expected, bool]:
        """Return the expectation and whether the body is new data (vs a duplicate)."""
        stream = self.get(path)
        if stream.life is not Life.LIVE:
            return Expected(self.gone_status(stream), f"append to a {stream.life.value} stream"), False
        if stream.closed:
            if stream.closing_tuple == (producer, epoch, seq):
                return Expected((204,), "retry of the closing producer append (§5.2.1)",
                                closed_header=True), False
            return Expected((409,), "producer append to a closed stream (§5.2.1)",
                            closed_header=True), False
        state = stream.producers.get(producer)
        if state is None:
            if seq != 0:
                # A new producer behaves as epoch -1/lastSeq -1 would: only seq 0 starts it.
                return Expected((400, 409), "first append of a new producer must be seq 0"), False
            return Expected((200,), "first append of a new producer (§5.2.1)"), True
        if epoch < state.epoch:
            return Expected((403,), "stale producer epoch is fenced (§5.2.1)"), False
        if epoch > state.epoch:
            if seq != 0:
                return Expected((400,), "a new epoch must start at seq 0 (§5.2.1)"), False
            return Expected((200,), "new producer epoch (§5.2.1)"), True
        if seq <= state.last_seq:
            return Expected((204,), "duplicate producer seq is deduplicated (§5.2.1)"), False
        if seq == state.last_seq + 1:
            return Expected((200,), "next producer seq (§5.2.1)"), True
        return Expected((409,), "producer sequence gap (§5.2.1)"), False

    def apply_producer_append(self, path: str, producer: str, epoch: int, seq: int,
                              data: Content, closing: bool) -> None:
        stream = self.get(path)
        stream.producers[producer] = ProducerState(epoch, seq)
        self.apply_append(path, data, closing)
        if closing:
            stream.closing_tuple = (producer, epoch, seq)

    # ----- fork (§4.2) ----------------------------------------------------------------
    def sub_offset_limit(self, source: StreamState, anchor: int) -> int:
        """How many units past `anchor` a sub-offset may reach: up to the next data boundary."""
        later = [b for b in source.boundaries if b > anchor]
        return (min(later) - anchor) if later else 0

    def expected_fork(self, path: str, source_path: str, anchor: int | None,
                      sub_offset: int) -> Expected:
        if path in self.streams:
            return self.expected_create(path)
        source = self.streams.get(source_path)
        # The spec sets no precedence between errors, so a bad sub-offset may win (400).
        maybe_bad_sub = (400,) if sub_offset else ()
        if source is None or source.life in (Life.REMOVED,):
            return Expected((404,) + maybe_bad_sub, "fork of a missing source (§4.2)")
        if source.life is Life.REMOVED_LAZILY:
            return Expected((404, 409) + maybe_bad_sub, "fork of a source whose cleanup may lag (§4.2)")
        if source.life is Life.SOFT_DELETED:
            return Expected((409,) + maybe_bad_sub, "fork of a soft-deleted source (§4.2)")
        start = source.length if anchor is None else anchor
        if sub_offset > self.sub_offset_limit(source, start):
            return Expected((400,), "sub-offset past the next data boundary (§4.2)")
        return Expected((201,), "fork creation (§4.2)")

    def apply_fork(self, path: str, source_path: str, anchor: int | None, sub_offset: int) -> None:
        source = self.get(source_path)
        start = source.length if anchor is None else anchor
        end = start + sub_offset
        fork = StreamState(
            path, source.json_mode, source.content_type, source.content[:end],
            boundaries=[b for b in source.boundaries if b <= start] + ([end] if sub_offset else []),
            source=source_path,
        )
        # Same offset space up to the divergence point (§8, Offsets and forked streams).
        fork.offsets = {tok: pos for tok, pos in source.offsets.items() if pos <= start}
        self.streams[path] = fork
        source.forks.add(path)

    # ----- delete (§4.2 soft-delete, §5.4) --------------------------------------------
    def expected_delete(self, path: str) -> Expected:
        stream = self.get(path)
        if stream.life is not Life.LIVE:
            return Expected(self.gone_status(stream), f"DELETE of a {stream.life.value} stream (§5.4)")
        return Expected((204,), "DELETE of a live stream (§5.4)")

    def apply_delete(self, path: str) -> None:
        stream = self.get(path)
        if stream.forks:
            stream.life = Life.SOFT_DELETED
            return
        self._remove(stream, Life.REMOVED)

    def _remove(self, stream: StreamState, how: Life) -> None:
        stream.life = how
        if stream.source is None:
            return
        source = self.get(stream.source)
        source.forks.discard(stream.path)
        if source.life is Life.SOFT_DELETED and not source.forks:
            self._remove(source, Life.REMOVED_LAZILY)   # cascade, MAY be asynchronous

    # ----- reads and HEAD -------------------------------------------------------------
    def expected_read(self, path: str) -> Expected:
        stream = self.get(path)
        if stream.life is not Life.LIVE:
            return Expected(self.gone_status(stream), f"read of a {stream.life.value} stream")
        return Expected((200,), "catch-up read (§5.6)")

    def expected_head(self, path: str) -> Expected:
        stream = self.get(path)
        if stream.life is not Life.LIVE:
            return Expected(self.gone_status(stream), f"HEAD of a {stream.life.value} stream (§5.5)")
        return Expected((200,), "HEAD of a live stream (§5.5)", closed_header=stream.closed)

    def content_from(self, path: str, position: int) -> Content:
        return self.get(path).content[position:]
