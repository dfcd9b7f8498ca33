"""A deliberately broken Durable Streams server for end-to-end checker tests: an ASGI
middleware around the reference server that, in rotation, drops, duplicates or swaps
messages in catch-up read responses, and ignores Stream-Fork-Offset (so every fork is
taken at the source's tail and leaks source appends made after the intended fork point)."""

from __future__ import annotations

import itertools
import json
from typing import Any

BUGS = ("drop", "duplicate", "reorder")


class BrokenServer:
    def __init__(self, app: Any, bugs: tuple[str, ...] = BUGS, leak_forks: bool = True) -> None:
        self.app = app
        self.bugs = itertools.cycle(bugs) if bugs else None
        self.leak_forks = leak_forks

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.leak_forks and scope["method"] == "PUT":
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"stream-fork-offset"]}
        query = scope.get("query_string", b"")
        if scope["method"] != "GET" or b"live=" in query or self.bugs is None:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        body = bytearray()

        async def capture(message: dict[str, Any]) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                payload = self.corrupt(bytes(body)) if start.get("status") == 200 else bytes(body)
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(payload)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": payload})

        await self.app(scope, receive, capture)

    def corrupt(self, payload: bytes) -> bytes:
        try:
            messages = json.loads(payload)
        except ValueError:
            return payload
        if not isinstance(messages, list) or len(messages) < 2:
            return payload
        bug = next(self.bugs)
        if bug == "drop":
            messages = messages[1:]
        elif bug == "duplicate":
            messages = messages + messages[-1:]
        elif bug == "reorder":
            messages[0], messages[1] = messages[1], messages[0]
        return json.dumps(messages).encode()
