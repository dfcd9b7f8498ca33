"""Append-only record logs and stitched views over them.

A stream's content is a view: a short tuple of segments, each a prefix of some record
log. A root stream's view is just its own log; a fork's view is its source's segments cut
at the fork point followed by the fork's own log. Forking therefore copies no data and
costs O(depth of the fork chain), and reads bisect into each segment.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

# A record is bytes (byte streams) or a tuple of serialised JSON values (JSON streams).
Record = bytes | tuple[bytes, ...]


def record_length(record: Record) -> int:
    if isinstance(record, bytes):
        return len(record)
    return sum(len(value) + 1 for value in record)  # each value plus a separator


@dataclass(eq=False, slots=True)
class RecordLog:
    """Records in append order; `ends[i]` is the position just past record i."""

    base: int = 0
    ends: list[int] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    @property
    def tail(self) -> int:
        return self.ends[-1] if self.ends else self.base

    def append(self, record: Record) -> int:
        self.ends.append(self.tail + record_length(record))
        self.records.append(record)
        return self.ends[-1]

    def start_of(self, index: int) -> int:
        return self.ends[index - 1] if index else self.base


@dataclass(frozen=True, slots=True)
class Segment:
    log: RecordLog
    stop: int | None  # exclusive cap on positions; None: up to the log's live tail

    @property
    def start(self) -> int:
        return self.log.base

    @property
    def end(self) -> int:
        return self.log.tail if self.stop is None else self.stop


@dataclass(frozen=True, slots=True)
class Piece:
    """Part of one record returned by a read (bytes slice, or whole JSON record)."""

    record: Record
    end: int


class View:
    """The content of one stream: segments covering [0, tail) without gaps."""

    __slots__ = ("segments", "_starts")

    def __init__(self, segments: tuple[Segment, ...]) -> None:
        self.segments = segments
        self._starts = [segment.start for segment in segments]

    @property
    def own_log(self) -> RecordLog:
        return self.segments[-1].log

    @property
    def tail(self) -> int:
        return self.segments[-1].end

    def cut(self, position: int) -> tuple[Segment, ...]:
        """The segments covering [0, position), for a fork diverging there."""
        kept = []
        for segment in self.segments:
            if segment.start >= position and kept:
                break
            kept.append(Segment(segment.log, min(segment.end, position)))
        return tuple(kept)

    def record_at(self, position: int) -> tuple[Record, int, int] | None:
        """The (record, start, capped end) covering `position`, or None at the tail."""
        for segment in self._segments_from(position):
            log = segment.log
            index = bisect_right(log.ends, position)
            if index < len(log.ends) and log.start_of(index) < segment.end:
                return log.records[index], log.start_of(index), min(log.ends[index], segment.end)
        return None

    def is_boundary(self, position: int) -> bool:
        """Whether a record starts (or the content ends) exactly at `position`."""
        if position == self.tail or position == 0:
            return True
        found = self.record_at(position)
        return found is not None and found[1] == position

    def read(self, position: int, max_bytes: int) -> tuple[list[Piece], int]:
        """Pieces from `position` on, about `max_bytes` at most (always some data if any
        exists), and the position just past them. One piece per segment touched; byte
        reads may end mid-record, JSON reads return whole records."""
        pieces: list[Piece] = []
        budget = max_bytes
        cursor = position
        for segment in self._segments_from(position):
            if budget <= 0 or cursor >= segment.end:
                continue
            log, stop = segment.log, segment.end
            first = bisect_right(log.ends, cursor)
            if first >= len(log.records):
                continue
            if isinstance(log.records[first], bytes):
                limit = min(stop, cursor + max(budget, 1))
                piece = self._byte_range(log, first, cursor, limit)
            else:
                if log.start_of(first) < cursor:  # JSON resumes at the next whole record
                    first += 1
                last = max(bisect_right(log.ends, min(stop, cursor + budget)), first + (not pieces))
                last = min(last, bisect_right(log.ends, stop))
                if last <= first:
                    break
                values = tuple(v for record in log.records[first:last] for v in record)
                limit = log.ends[last - 1]
                piece = Piece(values, limit)
            pieces.append(piece)
            budget -= limit - cursor
            cursor = limit
        return pieces, cursor

    @staticmethod
    def _byte_range(log: RecordLog, first: int, cursor: int, limit: int) -> Piece:
        """Bytes [cursor, limit) of `log`, starting in record `first`."""
        last = bisect_left(log.ends, limit)  # the record holding byte limit-1
        if first == last:
            start = log.start_of(first)
            return Piece(log.records[first][cursor - start: limit - start], limit)
        head = log.records[first][cursor - log.start_of(first):]
        tail_record = log.records[last][: limit - log.start_of(last)]
        return Piece(b"".join([head, *log.records[first + 1: last], tail_record]), limit)  # type: ignore[list-item]

    def _segments_from(self, position: int) -> list[Segment]:
        first = max(bisect_right(self._starts, position) - 1, 0)
        return list(self.segments[first:])
