"""Durable Streams operations on a Locust FastHttpSession that record to the history.

Every operation names its Locust row explicitly (so fork creation by source length,
reads by chain depth etc. get separate rows) and marks protocol-level failures.
Offsets are only ever taken from server responses (PROTOCOL §8).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from loadtest.messages import encode_batch, message_ids
from loadtest.recorder import recorder

JSON = "application/json"
NEXT = "stream-next-offset"
MAX_CATCHUP_PAGES = 10_000


@dataclass
class ReadResult:
    messages: list[Any]
    ids: list[str]
    next_offset: str
    up_to_date: bool = False
    closed: bool = False


@dataclass
class SseGroup:
    """The data events up to one control event: offsets (start, next_offset]."""
    start: str
    next_offset: str
    messages: list[Any] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    closed: bool = False


def _header(response: Any, name: str) -> str | None:
    headers = getattr(response, "headers", None) or {}
    return headers.get(name) or headers.get(name.title())


class StreamClient:
    def __init__(self, client: Any, prefix: str = "/v1/stream", payload_bytes: int = 64) -> None:
        self.client = client
        self.prefix = prefix.rstrip("/")
        self.payload_bytes = payload_bytes

    def path(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    # -- writes ---------------------------------------------------------------------------

    def create(self, path: str, name: str = "create") -> str | None:
        with self.client.request("PUT", path, headers={"Content-Type": JSON}, name=name,
                                 catch_response=True) as response:
            offset = _header(response, NEXT)
            if response.status_code not in (200, 201) or not offset:
                response.failure(f"create: status {response.status_code}")
                return None
        recorder().write("create", s=path, o=offset)
        return offset

    def fork(self, path: str, source: str, at: str, name: str = "fork_create") -> str | None:
        headers = {"Stream-Forked-From": source, "Stream-Fork-Offset": at}
        with self.client.request("PUT", path, headers=headers, name=name,
                                 catch_response=True) as response:
            offset = _header(response, NEXT)
            if response.status_code not in (200, 201) or not offset:
                response.failure(f"fork: status {response.status_code}")
                return None
        recorder().write("fork", s=path, src=source, at=at, o=offset)
        return offset

    def append(self, path: str, ids: list[str], name: str = "append", **extra: object) -> str | None:
        """POST one JSON array of messages; returns the new tail offset, None on failure."""
        body = encode_batch(ids, self.payload_bytes, **extra)
        acknowledged: str | None = None
        try:
            with self.client.request("POST", path, data=body, headers={"Content-Type": JSON},
                                     name=name, catch_response=True) as response:
                offset = _header(response, NEXT)
                if response.status_code in (200, 204) and offset:
                    acknowledged = offset
                else:
                    response.failure(f"append: status {response.status_code}")
        finally:
            # Killed mid-request (test stop) or failed: the outcome is unknown, say so.
            if acknowledged is not None:
                recorder().write("ack", s=path, ids=ids, o=acknowledged)
            else:
                recorder().write("nack", s=path, ids=ids)
        return acknowledged

    def delete(self, path: str, name: str = "delete") -> bool:
        with self.client.request("DELETE", path, name=name, catch_response=True) as response:
            if response.status_code not in (200, 204):
                response.failure(f"delete: status {response.status_code}")
                return False
        recorder().write("delete", s=path)
        return True

    def head(self, path: str, name: str = "head", missing_ok: bool = False) -> str | None:
        with self.client.request("HEAD", path, name=name, catch_response=True) as response:
            offset = _header(response, NEXT)
            if missing_ok and response.status_code == 404:
                response.success()
                return None
            if response.status_code != 200 or not offset:
                response.failure(f"head: status {response.status_code}")
                return None
        return offset

    # -- reads ----------------------------------------------------------------------------

    def read_once(self, path: str, offset: str, reader: str, name: str = "read",
                  mode: str = "catchup") -> ReadResult | None:
        url = f"{path}?offset={quote(offset, safe='')}"
        with self.client.request("GET", url, name=name, catch_response=True) as response:
            next_offset = _header(response, NEXT)
            if response.status_code != 200 or not next_offset:
                response.failure(f"read: status {response.status_code}")
                return None
            try:
                messages = json.loads(response.content or b"[]")
            except ValueError:
                response.failure("read: body is not JSON")
                return None
        ids = message_ids(messages)
        recorder().read(path, reader, mode, offset, next_offset, ids)
        return ReadResult(messages, ids, next_offset,
                          up_to_date=_header(response, "stream-up-to-date") == "true",
                          closed=_header(response, "stream-closed") == "true")

    def read_all(self, path: str, reader: str, offset: str = "-1", name: str = "read") -> ReadResult | None:
        """Catch-up read from `offset` until up to date (following Stream-Next-Offset)."""
        messages: list[Any] = []
        ids: list[str] = []
        for _ in range(MAX_CATCHUP_PAGES):
            page = self.read_once(path, offset, reader, name)
            if page is None:
                return None
            messages += page.messages
            ids += page.ids
            done = page.up_to_date or page.closed or page.next_offset == offset
            offset = page.next_offset
            if done:
                return ReadResult(messages, ids, offset, True, page.closed)
        return ReadResult(messages, ids, offset)

    def long_poll(self, path: str, offset: str, reader: str, cursor: str | None = None,
                  name: str = "long-poll") -> tuple[ReadResult | None, str | None]:
        """One long-poll; returns (result or None on failure, cursor). A 204 gives no ids."""
        url = f"{path}?offset={quote(offset, safe='')}&live=long-poll"
        if cursor:
            url += f"&cursor={quote(cursor, safe='')}"
        with self.client.request("GET", url, name=name, catch_response=True) as response:
            next_offset = _header(response, NEXT)
            new_cursor = _header(response, "stream-cursor") or cursor
            if response.status_code == 204 and next_offset:
                return ReadResult([], [], next_offset, True), new_cursor
            if response.status_code != 200 or not next_offset:
                response.failure(f"long-poll: status {response.status_code}")
                return None, cursor
            try:
                messages = json.loads(response.content or b"[]")
            except ValueError:
                response.failure("long-poll: body is not JSON")
                return None, cursor
        ids = message_ids(messages)
        recorder().read(path, reader, "long-poll", offset, next_offset, ids)
        return ReadResult(messages, ids, next_offset), new_cursor

    def sse(self, path: str, offset: str, reader: str, name: str = "sse connect") -> Iterator[SseGroup]:
        """One SSE connection: yields a group per control event until the server closes.

        The Locust row `name` times connection set-up (time to response headers).
        """
        url = f"{path}?offset={quote(offset, safe='')}&live=sse"
        response = self.client.request("GET", url, name=name, stream=True)
        if response.status_code != 200:
            return
        raw = response._response  # geventhttpclient response: lets us read line by line
        recorder().write("connect", s=path, r=reader, m="sse")
        group = SseGroup(start=offset, next_offset=offset)
        event, data_lines = "message", []
        try:
            while True:
                line = raw.readline(b"\n")
                if not line:
                    return  # server closed; the caller reconnects from its last offset
                text = line.decode("utf-8").rstrip("\r\n")
                if text.startswith(":"):
                    continue
                if text:
                    field_name, _, value = text.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field_name == "event":
                        event = value
                    elif field_name == "data":
                        data_lines.append(value)
                    continue
                payload = "\n".join(data_lines)
                if event == "data" and payload:
                    messages = json.loads(payload)
                    group.messages += messages
                    group.ids += message_ids(messages)
                elif event == "control" and payload:
                    control = json.loads(payload)
                    group.next_offset = control.get("streamNextOffset", group.next_offset)
                    group.closed = bool(control.get("streamClosed"))
                    if group.ids or group.next_offset != group.start:
                        recorder().read(path, reader, "sse", group.start, group.next_offset, group.ids)
                        yield group
                    if group.closed:
                        return
                    group = SseGroup(start=group.next_offset, next_offset=group.next_offset)
                event, data_lines = "message", []
        finally:
            recorder().write("disconnect", s=path, r=reader, m="sse")
            raw.release()
