"""Parse and validate request headers and query values. Every failure is an
InvalidRequest with a short reason (a 400), never an unexpected exception."""

from __future__ import annotations

import re
from datetime import datetime

from reference_impl.errors import InvalidRequest
from reference_impl.offsets import STREAM_START, TAIL, parse_offset
from reference_impl.producers import ProducerClaim

MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript interoperability bound (§5.2.1)
_CANONICAL_UINT = re.compile(r"^(0|[1-9][0-9]*)$")
_DIGITS = re.compile(r"^[0-9]+$")
_CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+")
_LIVE_MODES = ("long-poll", "sse")


def is_true(value: str | None) -> bool:
    """`Stream-Closed`: only `true` (any case) counts; anything else is as if absent."""
    return value is not None and value.strip().lower() == "true"


def content_type_or_none(value: str | None) -> str | None:
    """A usable Content-Type, or None when absent, blank or not shaped `type/subtype`."""
    if value is None or not _CONTENT_TYPE.match(value.strip()):
        return None
    return value.strip()


def _uint(value: str, name: str, pattern: re.Pattern[str] = _CANONICAL_UINT) -> int:
    if not pattern.match(value) or len(value) > 16 or int(value) > MAX_SAFE_INTEGER:
        raise InvalidRequest(f"invalid {name}: expected a non-negative integer")
    return int(value)


def parse_ttl(value: str | None) -> int | None:
    return None if value is None else _uint(value, "Stream-TTL")


def parse_expires_at(value: str | None) -> float | None:
    """RFC 3339 timestamp with a zone -> Unix time."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidRequest("invalid Stream-Expires-At: expected an RFC 3339 timestamp") from None
    if moment.tzinfo is None:
        raise InvalidRequest("invalid Stream-Expires-At: the timestamp needs a time zone")
    try:
        return moment.timestamp()
    except (OverflowError, ValueError, OSError):
        raise InvalidRequest("invalid Stream-Expires-At: out of range") from None


def parse_fork_offset(value: str | None) -> int | None:
    """Fork point position; None means the source's tail (absent or `now`)."""
    if value is None or value == TAIL:
        return None
    if value == STREAM_START:
        return 0
    position = parse_offset(value)
    if position is None:
        raise InvalidRequest("invalid Stream-Fork-Offset")
    return position


def parse_sub_offset(value: str | None) -> int:
    return 0 if value is None else _uint(value.strip(), "Stream-Fork-Sub-Offset")


def parse_producer(producer_id: str | None, epoch: str | None, seq: str | None) -> ProducerClaim | None:
    given = [v is not None for v in (producer_id, epoch, seq)]
    if not any(given):
        return None
    if not all(given):
        raise InvalidRequest("Producer-Id, Producer-Epoch and Producer-Seq go together")
    assert producer_id is not None and epoch is not None and seq is not None
    if not producer_id.strip():
        raise InvalidRequest("invalid Producer-Id: must not be empty")
    return ProducerClaim(producer_id, _uint(epoch.strip(), "Producer-Epoch", _DIGITS),
                         _uint(seq.strip(), "Producer-Seq", _DIGITS))


def parse_stream_seq(value: str | None) -> str | None:
    if value is not None and not value:
        raise InvalidRequest("invalid Stream-Seq: must not be empty")
    return value


def read_offset(values: list[str] | None) -> str | None:
    """The `offset` query value (`-1`, `now` or a token), None if absent."""
    if values is None:
        return None
    if len(values) > 1:
        raise InvalidRequest("more than one offset parameter")
    value = values[0]
    if value in (STREAM_START, TAIL):
        return value
    if not value:
        raise InvalidRequest("empty offset parameter")
    if parse_offset(value) is None:
        raise InvalidRequest("malformed offset")
    return value


def read_live(values: list[str] | None) -> str | None:
    if values is None:
        return None
    if len(values) > 1 or values[0] not in _LIVE_MODES:
        raise InvalidRequest("live must be long-poll or sse")
    return values[0]
