"""Every expectation kind, on hand-built responses: each one passes and each one can fail."""

from __future__ import annotations

import httpx
import pytest

from conformance.checks import capture_value, evaluate
from conformance.http_exchange import HttpResult
from conformance.sse import SseParser, decode_event


def response(status: int = 200, headers: dict[str, str] | None = None, body: bytes = b"",
             elapsed: float = 0.1, events: list | None = None, closed: bool = True) -> HttpResult:
    return HttpResult(status, httpx.Headers(headers or {}), body, elapsed, events=events,
                      closed_by_server=closed, stop_reason="closed" if closed else "max_seconds")


def checks(expect: dict, result: HttpResult) -> list[str]:
    return [m.check for m in evaluate(expect, result)]


def test_status_single_and_set() -> None:
    assert checks({"status": 200}, response(200)) == []
    assert checks({"status": [200, 204]}, response(204)) == []
    assert checks({"status": [200, 204]}, response(404)) == ["status"]


@pytest.mark.parametrize("spec, value, ok", [
    ("abc", "abc", True), ("abc", "abd", False),
    ({"equals": "x"}, None, False),
    ({"equals_ci": "TRUE"}, "true", True), ({"equals_ci": "true"}, "yes", False),
    ({"not_equals": "a"}, "b", True), ({"not_equals": "a"}, "a", False),
    ({"present": True}, "", True), ({"present": True}, None, False),
    ({"absent": True}, None, True), (None, "x", False), (None, None, True),
    ({"matches": "^a.c$"}, "abc", True), ({"matches": "^z"}, "abc", False),
    ({"starts_with": "text/"}, "text/plain; charset=utf-8", True), ({"starts_with": "text/"}, "app/x", False),
    ({"contains": "no-store"}, "private, no-store", True), ({"contains": "no-store"}, "public", False),
    ({"greater_than": "0_5"}, "0_6", True), ({"greater_than": "0_5"}, "0_5", False),
    ({"greater_than": "b"}, "B", False),  # byte-wise: uppercase sorts first
    ({"less_than": "0_5"}, "0_4", True), ({"less_than": "0_5"}, "0_9", False),
    ({"one_of": ["a", "b"]}, "b", True), ({"one_of": ["a", "b"]}, "c", False),
    ({"present": True, "greater_than": "1"}, "2", True), ({"present": True, "greater_than": "3"}, "2", False),
])
def test_header_checks(spec: object, value: str | None, ok: bool) -> None:
    headers = {} if value is None else {"Stream-Next-Offset": value}
    # header names compare case-insensitively
    assert (checks({"headers": {"stream-next-OFFSET": spec}}, response(headers=headers)) == []) is ok


@pytest.mark.parametrize("spec, body, ok", [
    ({"text": "héllo"}, "héllo".encode(), True), ({"text": "a"}, b"b", False),
    ({"base64": "AAH/"}, b"\x00\x01\xff", True), ({"base64": "AAH/"}, b"\x00", False),
    ({"raw": "\x00\xff"}, b"\x00\xff", True), ({"raw": "\x00"}, b"\x01", False),
    ({"json": [{"a": 1}]}, b'[{"a": 1.0}]', True), ({"json": [1]}, b"[true]", False),
    ({"json": []}, b"not json", False),
    ({"length": 3}, b"abc", True), ({"length": 3}, b"ab", False),
    ({"empty": True}, b"", True), ({"empty": True}, b"x", False), ({"empty": False}, b"", False),
    ({"contains": "ell"}, b"hello", True), ({"contains": "z"}, b"hello", False),
    ({"matches": "^h.*o$"}, b"hello", True), ({"matches": "^x"}, b"hello", False),
])
def test_body_checks(spec: dict, body: bytes, ok: bool) -> None:
    assert (checks({"body": spec}, response(body=body)) == []) is ok


def test_timing_within_is_scaled_and_at_least_is_not() -> None:
    slow = response(elapsed=1.5)
    assert checks({"within": 1.0}, slow) == ["response time"]
    assert evaluate({"within": 1.0}, slow, timeout_scale=2.0) == []
    assert checks({"at_least": 1.0}, slow) == []
    assert checks({"at_least": 2.0}, slow) == ["response time"]


def sse_events(text: str, base64_data: bool = False) -> list:
    parser = SseParser()
    for index in range(0, len(text), 7):  # feed in awkward pieces, as a network would
        parser.feed(text[index:index + 7].encode())
    return [decode_event(kind, data, base64_data) for kind, data in parser.events]


def test_sse_parser_and_base64_decoding() -> None:
    events = sse_events("event: data\r\ndata: AQID\r\ndata: BA==\r\n\r\n: keepalive\n\n"
                        'event: control\ndata: {"streamNextOffset":"5","streamClosed":true}\n\n', True)
    assert [e.type for e in events] == ["data", "control"]
    assert events[0].data == b"\x01\x02\x03\x04"
    assert events[1].control == {"streamNextOffset": "5", "streamClosed": True}
    bad = sse_events("event: data\ndata: !!!\n\nevent: control\ndata: nope\n\n", True)
    assert bad[0].problem and bad[1].problem


def test_sse_expectations() -> None:
    events = sse_events('event: data\ndata: [{"a":1}]\n\nevent: control\ndata: {"streamNextOffset":"1","upToDate":true}\n\n'
                        'event: data\ndata: [{"a":2}]\n\nevent: control\ndata: {"streamNextOffset":"2","streamClosed":true}\n\n')
    result = response(events=events)
    good = {"sse": {"data_json": [{"a": 1}, {"a": 2}], "last_control": {"streamClosed": True},
                    "last_control_absent": ["streamCursor"], "min_events": 4, "closed": True,
                    "data": '[{"a":1}][{"a":2}]', "data_base64": "W3siYSI6MX1dW3siYSI6Mn1d",
                    "events": [{"type": "data", "json": [{"a": 1}]},
                               {"type": "control", "fields": {"upToDate": True}, "absent": ["streamClosed"]},
                               {"type": "data", "data": '[{"a":2}]'},
                               {"type": "control", "fields": {"streamNextOffset": "2"}}]}}
    assert checks(good, result) == []
    assert checks({"sse": {"last_control": {"streamNextOffset": "9"}}}, result) != []
    assert checks({"sse": {"last_control_absent": ["streamClosed"]}}, result) != []
    assert checks({"sse": {"events": [{"type": "control"}]}}, result) == ["SSE events"]
    assert checks({"sse": {"closed": True}}, response(events=[], closed=False)) == ["SSE connection"]
    assert checks({"sse": {"min_events": 1}}, response(events=[])) == ["SSE event count"]
    assert checks({"sse": {"data": "x"}}, response(body=b"x")) == ["SSE"]  # not an SSE response


def test_captures() -> None:
    result = response(201, {"Stream-Next-Offset": "0_5"}, b'[{"e":"a"},{"e":"b"}]')
    assert capture_value({"header": "stream-next-offset"}, result) == (True, "0_5")
    assert capture_value({"header": "ETag"}, result) == (False, None)
    assert capture_value({"json": "1.e"}, result) == (True, "b")
    assert capture_value({"json": "5.e"}, result) == (False, None)
    assert capture_value({"json": ""}, result)[1] == [{"e": "a"}, {"e": "b"}]
    assert capture_value({"body": "text"}, result)[1].startswith("[{")
    assert capture_value({"body": "base64"}, response(body=b"\x00"))[1] == "AA=="
    assert capture_value({"status": True}, result) == (True, 201)
    events = sse_events('event: control\ndata: {"streamNextOffset":"7"}\n\n')
    assert capture_value({"last_control": "streamNextOffset"}, response(events=events)) == (True, "7")
