"""An incremental Server-Sent Events parser, plus the Durable Streams decoding of events
(base64 `data` payloads when the response says so, JSON `control` payloads).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SseEvent:
    type: str                    # the `event:` field; "message" when absent
    raw_data: str                # the `data:` lines joined with "\n"
    data: bytes = b""            # decoded payload for data events
    control: dict[str, Any] | None = None  # parsed payload for control events
    problem: str = ""            # why decoding failed, if it did

    def describe(self) -> str:
        if self.type == "control":
            return f"control {json.dumps(self.control) if self.control is not None else self.raw_data!r}"
        shown = self.data.decode("utf-8", "replace") if not self.problem else self.raw_data
        return f"{self.type} {shown!r}" + (f" ({self.problem})" if self.problem else "")


class SseParser:
    """Feed bytes as they arrive; collect complete events (dispatched on a blank line)."""

    def __init__(self) -> None:
        self._buffer = ""
        self._event_type = ""
        self._data_lines: list[str] = []
        self._pending_cr = False
        self.events: list[tuple[str, str]] = []

    def feed(self, chunk: bytes) -> None:
        text = chunk.decode("utf-8", "replace")
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]  # the \n of a \r\n split across chunks
        self._pending_cr = text.endswith("\r")
        self._buffer += text.replace("\r\n", "\n").replace("\r", "\n")
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self._line(line)

    def _line(self, line: str) -> None:
        if line == "":
            if self._data_lines or self._event_type:
                self.events.append((self._event_type or "message", "\n".join(self._data_lines)))
            self._event_type, self._data_lines = "", []
            return
        if line.startswith(":"):
            return  # comment / keep-alive
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            self._event_type = value
        elif name == "data":
            self._data_lines.append(value)


def decode_event(event_type: str, raw_data: str, base64_encoded: bool) -> SseEvent:
    event = SseEvent(type=event_type, raw_data=raw_data)
    if event_type == "control":
        try:
            parsed = json.loads(raw_data)
        except ValueError as exc:
            event.problem = f"control payload is not JSON: {exc}"
        else:
            if isinstance(parsed, dict):
                event.control = parsed
            else:
                event.problem = "control payload is not a JSON object"
    elif base64_encoded:
        compact = raw_data.replace("\n", "").replace("\r", "")
        try:
            event.data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError) as exc:
            event.problem = f"data payload is not valid base64: {exc}"
    else:
        event.data = raw_data.encode("utf-8")
    return event
