"""JSON mode (PROTOCOL.md §9.1): validate, flatten one array level, serialise."""

from __future__ import annotations

import json

from reference_impl.errors import InvalidRequest


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    # `1e999` is valid JSON grammar but overflows to infinity, which would be read back
    # as `Infinity`: not JSON (§9.1.5). Reject it instead of storing a different value.
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def to_values(body: bytes, *, allow_empty_array: bool) -> tuple[bytes, ...]:
    """The messages a JSON body stores: one per top-level array element, else one."""
    try:
        parsed = json.loads(body.decode("utf-8"), parse_constant=_reject_constant,
                            parse_float=_finite_float)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidRequest("invalid JSON body") from None
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items and not allow_empty_array:
        raise InvalidRequest("empty JSON array: nothing to append")
    return tuple(serialise(item) for item in items)


def serialise(value: object) -> bytes:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate escape ("\ud800") is valid JSON but has no UTF-8 form:
        # keep it escaped so the stored message reads back as the same JSON value.
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def array_of(values: list[bytes]) -> bytes:
    return b"[" + b",".join(values) + b"]"
