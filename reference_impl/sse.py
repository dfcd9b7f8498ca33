"""Server-Sent Events framing (PROTOCOL.md §5.8)."""

from __future__ import annotations

import base64
import functools
import json
import re

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def event(name: str, payload: str) -> bytes:
    """One event; every line of the payload gets its own `data:` line, so a payload
    can never smuggle in a fake event."""
    lines = _LINE_BREAK.split(payload)
    return (f"event: {name}\n" + "".join(_data_line(line) for line in lines) + "\n").encode("utf-8")


def _data_line(line: str) -> str:
    # `data:` directly, as the upstream suite expects byte for byte; but SSE readers strip
    # one space after the colon, so a line that starts with a space gets one extra to lose.
    return f"data: {line}\n" if line.startswith(" ") else f"data:{line}\n"


def data_payload(body: bytes, *, base64_encoded: bool) -> str:
    if base64_encoded:
        return base64.b64encode(body).decode("ascii")
    return body.decode("utf-8", errors="replace")


@functools.lru_cache(maxsize=256)  # live readers at one position get the same control event
def control(next_offset: str, *, cursor: str | None, up_to_date: bool, closed: bool) -> bytes:
    fields: dict[str, object] = {"streamNextOffset": next_offset}
    if closed:
        fields["streamClosed"] = True
        fields["upToDate"] = True
    else:
        if cursor is not None:
            fields["streamCursor"] = cursor
        if up_to_date:
            fields["upToDate"] = True
    return event("control", json.dumps(fields, separators=(",", ":")))


def uses_base64(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return not (media.startswith("text/") or media == "application/json")
