"""A deliberately wrong Durable Streams server: answers every request 200 with an empty body
and no protocol headers (SSE requests get one event-less stream that ends at once).
Every starter scenario must fail against it, proving the checks can fail.
"""

from __future__ import annotations

from typing import Any


async def wrong_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    sse = b"live=sse" in scope.get("query_string", b"")
    headers = [(b"content-type", b"text/event-stream" if sse else b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
