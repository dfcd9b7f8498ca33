"""Send one request with hard bounds and record it.

httpx timeouts are per socket operation, so a server dripping one byte a second would
never trip them; every request therefore also runs under an overall deadline, and body
reads stop at a byte cap. Failures become TransportProblem (-> outcome `error`).
"""

from __future__ import annotations

import asyncio
import contextlib
import base64
import shlex
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import httpx

from conformance.results import Exchange, HttpRequestRecord, HttpResponseRecord
from conformance.sse import SseEvent, SseParser, decode_event

PREVIEW_BYTES = 4096
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_REQUEST_TIMEOUT_S = 15.0
DEFAULT_SSE_SECONDS = 5.0


class TransportProblem(Exception):
    """The server misbehaved below the protocol: timeout, reset, garbage, oversized body."""


@dataclass(frozen=True)
class Limits:
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    sse_default_seconds: float = DEFAULT_SSE_SECONDS
    timeout_scale: float = 1.0


@dataclass
class SseOptions:
    max_events: int | None = None
    max_seconds: float = DEFAULT_SSE_SECONDS
    until_close: bool = False


@dataclass
class PreparedRequest:
    method: str
    url: str                             # absolute
    headers: dict[str, str]
    body: bytes = b""                    # the whole body (chunked: the chunks joined)
    query: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] | None = None    # set: sent with Transfer-Encoding: chunked, one chunk each

    def full_url(self) -> str:
        # `params=` replaces a query already in `url`, even when it is None: pass it only when set
        return str(httpx.URL(self.url, params=self.query)) if self.query else self.url

    def content(self) -> bytes | AsyncIterator[bytes] | None:
        """What httpx sends: an async iterator makes it use chunked encoding, one chunk per
        item; a fresh iterator per call, so `eventually` can resend the request."""
        if self.chunks is not None:
            return _iterate(self.chunks)
        return self.body or None


async def _iterate(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


@dataclass
class HttpResult:
    status: int
    headers: httpx.Headers
    body: bytes
    elapsed_s: float
    events: list[SseEvent] | None = None   # SSE reads only
    closed_by_server: bool = True          # SSE: the server ended the stream itself
    stop_reason: str = ""                  # SSE: closed | max_events | max_seconds

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


async def send(client: httpx.AsyncClient, request: PreparedRequest, limits: Limits,
               sse: SseOptions | None = None) -> HttpResult:
    """Perform `request` within `limits`; raise TransportProblem on misbehaviour."""
    started = time.monotonic()
    deadline_s = limits.request_timeout_s
    if sse is not None:
        deadline_s = max(deadline_s, sse.max_seconds + limits.request_timeout_s)
    try:
        async with asyncio.timeout(deadline_s):
            async with client.stream(request.method, request.url, params=request.query or None,
                                     headers=request.headers, content=request.content()) as response:
                if sse is not None and response.status_code == 200 and \
                        response.headers.get("content-type", "").startswith("text/event-stream"):
                    return await _read_sse(response, sse, limits, started)
                body = await _read_capped(response, limits.max_body_bytes)
                return HttpResult(response.status_code, response.headers, body,
                                  time.monotonic() - started)
    except TimeoutError as exc:
        raise TransportProblem(f"no complete response within {deadline_s:.1f}s "
                               "(server hung or dripped bytes)") from exc
    except httpx.HTTPError as exc:
        raise TransportProblem(f"{type(exc).__name__}: {exc or 'connection failed'}") from exc


async def _read_capped(response: httpx.Response, cap: int) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > cap:
            raise TransportProblem(f"response body exceeds the {cap}-byte cap")
    return bytes(body)


async def _read_sse(response: httpx.Response, options: SseOptions, limits: Limits,
                    started: float) -> HttpResult:
    parser = SseParser()
    base64_data = response.headers.get("stream-sse-data-encoding", "").lower() == "base64"
    received = 0
    stop_reason = "closed"
    chunks = response.aiter_bytes()
    loop_deadline = time.monotonic() + options.max_seconds
    while True:
        remaining = loop_deadline - time.monotonic()
        if remaining <= 0:
            stop_reason = "max_seconds"
            break
        try:
            chunk = await asyncio.wait_for(anext(chunks), timeout=remaining)
        except StopAsyncIteration:
            break
        except TimeoutError:
            stop_reason = "max_seconds"
            break
        received += len(chunk)
        if received > limits.max_body_bytes:
            raise TransportProblem(f"SSE stream exceeds the {limits.max_body_bytes}-byte cap")
        parser.feed(chunk)
        if options.max_events is not None and len(parser.events) >= options.max_events:
            stop_reason = "max_events"
            break
    with contextlib.suppress(Exception):  # closing a half-read stream; we are done with it
        await chunks.aclose()
    if options.until_close and stop_reason == "max_seconds":
        raise TransportProblem(f"SSE stream not ended by the server within {options.max_seconds:.1f}s")
    events = [decode_event(kind, data, base64_data) for kind, data in parser.events]
    if options.max_events is not None:
        events = events[:options.max_events]
    return HttpResult(response.status_code, response.headers, b"", time.monotonic() - started,
                      events=events, closed_by_server=stop_reason == "closed", stop_reason=stop_reason)


def curl_command(request: PreparedRequest, sse: bool = False, max_time_s: float | None = None) -> str:
    parts = ["curl", "-sS", "-i"]
    if max_time_s is not None:
        parts += ["--max-time", f"{max_time_s:g}"]
    if sse:
        parts.append("-N")
    if request.method == "HEAD":
        parts.append("-I")
    elif request.method != "GET":
        parts += ["-X", request.method]
    for name, value in request.headers.items():
        parts += ["-H", f"{name}: {value}"]
    if request.body and len(request.body) > 64 and len(set(request.body)) == 1:
        # a long run of one byte (a size probe): generate it rather than spell it out
        return (f"head -c {len(request.body)} /dev/zero | tr '\\0' {shlex.quote(chr(request.body[0]))} | "
                + shlex.join(parts + ["--data-binary", "@-", request.full_url()]))
    if request.body:
        text = request.body.decode("utf-8", "replace")
        if all(ch.isprintable() or ch in "\n\t" for ch in text) and "\ufffd" not in text:
            parts += ["--data-binary", text]
        else:  # binary: pipe it through base64 so the command stays copy-pasteable
            encoded = base64.b64encode(request.body).decode()
            return (f"printf %s {shlex.quote(encoded)} | base64 -d | "
                    + shlex.join(parts + ["--data-binary", "@-", request.full_url()]))
    elif request.chunks is not None:
        parts += ["--data-binary", ""]  # curl sends the empty chunked body (just the last chunk)
    parts.append(request.full_url())
    return shlex.join(parts)


def _preview(data: bytes) -> tuple[str, str]:
    head = data[:PREVIEW_BYTES]
    try:
        return head.decode("utf-8"), "text"
    except UnicodeDecodeError:
        return base64.b64encode(head).decode(), "base64"


def record_exchange(step: str, request: PreparedRequest, result: HttpResult | None,
                    error: str | None, elapsed_s: float, sse: bool = False) -> Exchange:
    preview, encoding = _preview(request.body)
    request_record = HttpRequestRecord(method=request.method, url=request.full_url(),
                                       headers=dict(request.headers), body_preview=preview,
                                       body_encoding=encoding, body_length=len(request.body))
    response_record = None
    if result is not None:
        if result.events is not None:
            text = "\n".join(event.describe() for event in result.events)
            body_preview, body_encoding, length = text[:PREVIEW_BYTES], "text", len(text)
        else:
            body_preview, body_encoding = _preview(result.body)
            length = len(result.body)
        response_record = HttpResponseRecord(
            status=result.status, headers=dict(result.headers.items()), body_preview=body_preview,
            body_encoding=body_encoding, body_length=length, truncated=length > PREVIEW_BYTES)
    return Exchange(step=step, request=request_record, response=response_record, error=error,
                    elapsed_s=round(elapsed_s, 4), curl=curl_command(request, sse))
