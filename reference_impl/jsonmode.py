"""JSON mode (PROTOCOL.md §9.1): validate, flatten one array level, serialise."""

from __future__ import annotations

import json

from reference_impl.errors import InvalidRequest


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def to_values(body: bytes, *, allow_empty_array: bool) -> tuple[bytes, ...]:
    """The messages a JSON body stores: one per top-level array element, else one."""
    try:
        parsed = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidRequest("invalid JSON body") from None
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items and not allow_empty_array:
        raise InvalidRequest("empty JSON array: nothing to append")
    return tuple(serialise(item) for item in items)


def serialise(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def array_of(values: list[bytes]) -> bytes:
    return b"[" + b",".join(values) + b"]"
