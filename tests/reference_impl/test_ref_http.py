"""The HTTP layer, over real loopback HTTP against an EmbeddedServer (0.5 s long-poll)."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from reference_impl.embedded import EmbeddedServer

TEXT = {"content-type": "text/plain"}


def test_create_append_read_head_delete(stream_url: str) -> None:
    created = httpx.put(stream_url, headers=TEXT, content=b"hello ")
    assert created.status_code == 201 and created.headers["location"].endswith(created.url.path)
    assert httpx.put(stream_url, headers=TEXT).status_code == 200
    appended = httpx.post(stream_url, headers=TEXT, content=b"world")
    assert appended.status_code == 204
    read = httpx.get(stream_url, params={"offset": "-1"})
    assert read.content == b"hello world"
    assert read.headers["stream-up-to-date"] == "true"
    assert read.headers["stream-next-offset"] == appended.headers["stream-next-offset"]
    assert read.headers["x-content-type-options"] == "nosniff"
    assert read.headers["cross-origin-resource-policy"] == "cross-origin"
    head = httpx.head(stream_url)
    assert head.headers["cache-control"] == "no-store" and head.headers["content-type"] == "text/plain"
    assert httpx.delete(stream_url).status_code == 204
    assert httpx.get(stream_url).status_code == 404


@pytest.mark.parametrize(("method", "headers", "body"), [
    ("PUT", {"stream-ttl": "03600"}, b""),
    ("PUT", {"stream-ttl": "1e3"}, b""),
    ("PUT", {"stream-ttl": "99999999999999999999999"}, b""),
    ("PUT", {"stream-ttl": "5", "stream-expires-at": "2030-01-01T00:00:00Z"}, b""),
    ("PUT", {"stream-expires-at": "tomorrow"}, b""),
    ("PUT", {"stream-expires-at": "2030-01-01T00:00:00"}, b""),
    ("PUT", {"stream-fork-offset": "0000000000000000_0000000000000000"}, b""),
    ("PUT", {"stream-forked-from": "/nope", "stream-fork-sub-offset": "-1"}, b""),
    ("PUT", {"content-type": "application/json"}, b"{broken"),
    ("POST", {"producer-id": "p", "producer-epoch": "0"}, b"x"),
    ("POST", {"producer-id": "p", "producer-epoch": "-1", "producer-seq": "0"}, b"x"),
    ("POST", {"producer-id": "p", "producer-epoch": "0", "producer-seq": "9007199254740992"}, b"x"),
    ("POST", {"producer-id": "", "producer-epoch": "0", "producer-seq": "0"}, b"x"),
    ("POST", {}, b""),
])
def test_malformed_input_gets_a_400_with_a_reason(stream_url: str, method: str,
                                                  headers: dict[str, str], body: bytes) -> None:
    if method == "POST":
        httpx.put(stream_url, headers=TEXT, content=b"kept")
        headers = {**TEXT, **headers}
    response = httpx.request(method, stream_url, headers=headers, content=body)
    assert response.status_code == 400
    assert response.text and len(response.text) < 200
    if method == "POST":
        assert httpx.get(stream_url).content == b"kept"


@pytest.mark.parametrize("offset", ["abc", "0,1", "../x", "0000000000000000_000000000000001x", ""])
def test_malformed_offsets_get_400(stream_url: str, offset: str) -> None:
    httpx.put(stream_url, headers=TEXT, content=b"data")
    assert httpx.get(stream_url, params={"offset": offset}).status_code == 400


def test_body_over_max_body_gets_413_and_changes_nothing(server: EmbeddedServer, stream_url: str) -> None:
    max_body = server.app.max_body
    httpx.put(stream_url, headers=TEXT, content=b"kept")
    too_big = b"x" * (max_body + 1)
    assert httpx.post(stream_url, headers=TEXT, content=too_big).status_code == 413

    def chunked():  # no Content-Length: the server must count while reading
        for _ in range(max_body // 4096 + 2):
            yield b"y" * 4096

    assert httpx.post(stream_url, headers=TEXT, content=chunked()).status_code == 413
    assert httpx.get(stream_url).content == b"kept"


def test_chunked_body_under_the_limit_is_appended(stream_url: str) -> None:
    httpx.put(stream_url, headers=TEXT)
    assert httpx.post(stream_url, headers=TEXT, content=iter([b"ab", b"cd"])).status_code == 204
    assert httpx.get(stream_url).content == b"abcd"


def test_json_mode_flattens_one_level(stream_url: str) -> None:
    json_type = {"content-type": "application/json"}
    httpx.put(stream_url, headers=json_type, content=b"[]")
    httpx.post(stream_url, headers=json_type, content=b'[{"a":1},[2,3]]')
    httpx.post(stream_url, headers=json_type, content=b'"solo"')
    assert httpx.post(stream_url, headers=json_type, content=b"[]").status_code == 400
    assert httpx.get(stream_url).json() == [{"a": 1}, [2, 3], "solo"]
    assert httpx.get(stream_url, params={"offset": "now"}).content == b"[]"


def test_etag_304_and_closure_changes_the_etag(stream_url: str) -> None:
    httpx.put(stream_url, headers=TEXT, content=b"abc")
    first = httpx.get(stream_url)
    etag = first.headers["etag"]
    assert httpx.get(stream_url, headers={"if-none-match": etag}).status_code == 304
    httpx.post(stream_url, headers={"stream-closed": "true"})
    closed = httpx.get(stream_url)
    assert closed.headers["etag"] != etag and closed.headers["stream-closed"] == "true"


def test_cors_preflight_allows_if_none_match(stream_url: str) -> None:
    response = httpx.options(stream_url, headers={"origin": "https://example.com",
                                                  "access-control-request-method": "GET",
                                                  "access-control-request-headers": "if-none-match"})
    assert response.status_code == 204
    assert "if-none-match" in response.headers["access-control-allow-headers"]


def test_producer_status_codes(stream_url: str) -> None:
    httpx.put(stream_url, headers=TEXT)
    producer = lambda e, s: {**TEXT, "producer-id": "p", "producer-epoch": str(e), "producer-seq": str(s)}  # noqa: E731
    assert httpx.post(stream_url, headers=producer(0, 0), content=b"a").status_code == 200
    assert httpx.post(stream_url, headers=producer(0, 0), content=b"a").status_code == 204
    gap = httpx.post(stream_url, headers=producer(0, 5), content=b"z")
    assert gap.status_code == 409 and gap.headers["producer-expected-seq"] == "1"
    assert httpx.post(stream_url, headers=producer(2, 0), content=b"b").status_code == 200
    fenced = httpx.post(stream_url, headers=producer(1, 0), content=b"z")
    assert fenced.status_code == 403 and fenced.headers["producer-epoch"] == "2"
    assert httpx.get(stream_url).content == b"ab"


def test_long_poll_wakes_on_append_and_times_out_with_204(stream_url: str) -> None:
    tail = httpx.put(stream_url, headers=TEXT).headers["stream-next-offset"]
    timed_out = httpx.get(stream_url, params={"offset": tail, "live": "long-poll"})
    assert timed_out.status_code == 204 and timed_out.headers["stream-cursor"]
    threading.Timer(0.1, lambda: httpx.post(stream_url, headers=TEXT, content=b"news")).start()
    started = time.monotonic()
    woken = httpx.get(stream_url, params={"offset": tail, "live": "long-poll"})
    assert woken.status_code == 200 and woken.content == b"news"
    assert time.monotonic() - started < 0.45  # woken by the append, not the timeout


def test_long_poll_on_closed_tail_returns_at_once(stream_url: str) -> None:
    httpx.put(stream_url, headers={**TEXT, "stream-closed": "true"})
    started = time.monotonic()
    response = httpx.get(stream_url, params={"offset": "now", "live": "long-poll"})
    assert response.status_code == 204 and response.headers["stream-closed"] == "true"
    assert time.monotonic() - started < 0.4


def test_long_poll_on_a_fork_ignores_source_appends(server: EmbeddedServer, stream_url: str) -> None:
    source_path = httpx.URL(stream_url).path
    httpx.put(stream_url, headers=TEXT, content=b"abc")
    fork_url = stream_url + "-fork"
    tail = httpx.put(fork_url, headers={"stream-forked-from": source_path}).headers["stream-next-offset"]
    threading.Timer(0.05, lambda: httpx.post(stream_url, headers=TEXT, content=b"source")).start()
    assert httpx.get(fork_url, params={"offset": tail, "live": "long-poll"}).status_code == 204
    inherited = httpx.get(fork_url, params={"offset": "-1", "live": "long-poll"})
    assert inherited.status_code == 200 and inherited.content == b"abc"


def sse_events(url: str, params: dict[str, str], stop_after: int = 20) -> tuple[httpx.Response, list[tuple[str, str]]]:
    events: list[tuple[str, str]] = []
    with httpx.stream("GET", url, params=params, timeout=5) as response:
        name, data = "", []
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(" ") else value)  # SSE strips one space
            elif line == "" and name:
                events.append((name, "\n".join(data)))
                name, data = "", []
                if len(events) >= stop_after:
                    break
    return response, events


def test_sse_pairs_data_with_control_and_ends_on_close(stream_url: str) -> None:
    octet = {"content-type": "application/octet-stream"}
    httpx.put(stream_url, headers=octet, content=bytes([0, 1, 2]))
    httpx.post(stream_url, headers={**octet, "stream-closed": "true"}, content=bytes([255]))
    response, events = sse_events(stream_url, {"offset": "-1", "live": "sse"})
    assert response.headers["stream-sse-data-encoding"] == "base64"
    assert [name for name, _ in events] == ["data", "control"]
    assert events[0][1] == "AAEC/w=="
    control = json.loads(events[1][1])
    assert control["streamClosed"] is True and "streamCursor" not in control


def test_sse_text_lines_and_live_append(stream_url: str) -> None:
    httpx.put(stream_url, headers=TEXT, content=b"line1\nline2")
    threading.Timer(0.1, lambda: httpx.post(stream_url, headers={**TEXT, "stream-closed": "true"},
                                            content=b"late")).start()
    _, events = sse_events(stream_url, {"offset": "-1", "live": "sse"})
    names = [name for name, _ in events]
    assert names[:2] == ["data", "control"] and names[-1] == "control"
    assert events[0][1] == "line1\nline2"
    assert [data for name, data in events if name == "data"][-1] == "late"
    assert json.loads(events[-1][1])["streamClosed"] is True


def test_cursor_moves_forward_when_echoed(stream_url: str) -> None:
    tail = httpx.put(stream_url, headers=TEXT).headers["stream-next-offset"]
    first = httpx.get(stream_url, params={"offset": tail, "live": "long-poll"}).headers["stream-cursor"]
    second = httpx.get(stream_url, params={"offset": tail, "live": "long-poll", "cursor": first})
    assert int(second.headers["stream-cursor"]) > int(first)


def test_soft_deleted_source_answers_410_and_blocks_the_path(stream_url: str) -> None:
    httpx.put(stream_url, headers=TEXT, content=b"abc")
    fork_url = stream_url + "-fork"
    httpx.put(fork_url, headers={"stream-forked-from": httpx.URL(stream_url).path})
    assert httpx.delete(stream_url).status_code == 204
    assert [httpx.request(m, stream_url).status_code for m in ("GET", "HEAD", "DELETE")] == [410, 410, 410]
    assert httpx.post(stream_url, headers=TEXT, content=b"x").status_code == 410
    assert httpx.put(stream_url, headers=TEXT).status_code == 409
    assert httpx.get(fork_url).content == b"abc"
    assert httpx.delete(fork_url).status_code == 204
    assert httpx.get(stream_url).status_code == 404


def test_wrapped_app_is_served(stream_url: str) -> None:
    from reference_impl.app import create_app

    inner = create_app()

    async def teapot_on_delete(scope, receive, send):  # a deliberately broken server
        if scope["type"] == "http" and scope["method"] == "DELETE":
            await send({"type": "http.response.start", "status": 418, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await inner(scope, receive, send)

    with EmbeddedServer(app=teapot_on_delete) as broken:
        assert broken.url.startswith("http://127.0.0.1:") and not broken.url.endswith("/")
        assert httpx.put(f"{broken.url}/s").status_code == 201
        assert httpx.delete(f"{broken.url}/s").status_code == 418


def test_sse_text_payload_keeps_its_leading_space(stream_url: str) -> None:
    # SSE readers strip one space after `data:`; the server must add it so payloads keep theirs.
    httpx.put(stream_url, headers={"content-type": "text/plain"}, content=b" world")
    _, events = sse_events(stream_url, {"offset": "-1", "live": "sse"}, stop_after=2)
    assert events[0] == ("data", " world")
