"""Errors the storage core raises. The HTTP layer maps each class to one status code."""

from __future__ import annotations


class StoreError(Exception):
    """Base class; `str(error)` is a short plain reason fit for a response body."""


class InvalidRequest(StoreError):
    """Malformed or out-of-range input (400)."""


class StreamNotFound(StoreError):
    """No such stream, or it expired (404)."""


class StreamGone(StoreError):
    """The stream is soft-deleted: deleted or expired while forks still read it (410)."""


class Conflict(StoreError):
    """Config mismatch, content-type mismatch, Stream-Seq regression, soft-deleted path (409)."""


class StreamClosedConflict(Conflict):
    """An append to a closed stream (409 with Stream-Closed and the final offset)."""

    def __init__(self, final_position: int) -> None:
        super().__init__("stream is closed")
        self.final_position = final_position


class StaleEpoch(StoreError):
    """A producer epoch below the current one: fenced (403)."""

    def __init__(self, current_epoch: int) -> None:
        super().__init__("stale producer epoch")
        self.current_epoch = current_epoch


class SequenceGap(StoreError):
    """A producer sequence number skipped ahead (409 with expected/received)."""

    def __init__(self, expected: int, received: int) -> None:
        super().__init__("producer sequence gap")
        self.expected = expected
        self.received = received
