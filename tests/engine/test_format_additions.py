"""The four format additions: `{{now+Ns}}` timestamps, chunked request bodies, numeric header
comparison (`number:`) and SSE control-field presence. Each one works, and each one can fail."""

from __future__ import annotations

import datetime
import socket
import threading
import time
from pathlib import Path

import pytest

from conformance.checks import evaluate
from conformance.loader import ScenarioFormatError, parse_scenario_text
from conformance.results import Outcome
from conformance.templating import expand, variables_in

from .helpers import raw_server, read_request_head, run_one, scenario_text
from .test_checks import response, sse_events

UTC = datetime.timezone.utc
CREATE = """
- request: {method: PUT, path: "{stream}", headers: {Content-Type: text/plain}, body: {text: "ab"}}
  expect: {status: 201}
"""


def load_error(text: str) -> ScenarioFormatError:
    with pytest.raises(ScenarioFormatError) as info:
        parse_scenario_text(text, Path("bad.yaml"))
    return info.value


def messages(expect: dict, result: object) -> list[str]:
    return [f"{m.check}: expected {m.expected}, got {m.actual}" for m in evaluate(expect, result)]  # type: ignore[arg-type]


# --- 1. relative timestamps -------------------------------------------------------------

def fixed_clock() -> datetime.datetime:
    return datetime.datetime(2025, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)


@pytest.mark.parametrize("template, want", [
    ("{{now}}", "2025-03-01T12:00:01Z"),            # rounded up: never earlier than asked
    ("{{now+3s}}", "2025-03-01T12:00:04Z"),
    ("{{ now + 3 }}", "2025-03-01T12:00:04Z"),      # seconds by default, spaces allowed
    ("{{now+1.5s}}", "2025-03-01T12:00:02Z"),
    ("{{now-10s}}", "2025-03-01T11:59:51Z"),
    ("{{now+2m}}", "2025-03-01T12:02:01Z"),
    ("{{now+1h}}", "2025-03-01T13:00:01Z"),
    ("at {{now+3s}}!", "at 2025-03-01T12:00:04Z!"),
])
def test_now_templates_expand_to_rfc3339(template: str, want: str) -> None:
    assert expand({"h": template}, {}, lambda n: n, fixed_clock) == {"h": want}
    parsed = datetime.datetime.fromisoformat(want.removeprefix("at ").removesuffix("!"))
    assert parsed.tzinfo is not None


def test_now_is_not_a_variable_and_is_reserved() -> None:
    assert list(variables_in({"a": "{{now+3s}}", "b": "{{now}} {{x}}"})) == ["x"]
    parse_scenario_text(scenario_text(
        "- request: {method: PUT, path: '{stream}', headers: {Stream-Expires-At: '{{now+3s}}'}}\n"))
    error = load_error(scenario_text(
        "- request: {method: PUT, path: '{stream}', headers: {Stream-Expires-At: '{{now+3x}}'}}\n"))
    assert error.field == "steps[0].request" and "not a time template" in error.message
    error = load_error(scenario_text("- request: {method: GET, path: '{stream}'}\n"
                                     "  capture: {now: {status: true}}\n"))
    assert "reserved" in error.message
    error = load_error(scenario_text("- request: {method: GET, path: '{stream}'}\n",
                                     extra="matrix:\n  - {id: a, now: '1'}\n"))
    assert "reserved" in error.message


EXPIRES = """
- request: {method: PUT, path: "{stream}", headers: {Content-Type: text/plain, Stream-Expires-At: "{{now+1s}}"}}
  expect: {status: 201}
- request: {method: HEAD, path: "{stream}"}
  expect: {status: 200, headers: {Stream-Expires-At: {present: true}}}
- request: {method: HEAD, path: "{stream}"}
  eventually: {within: 4, interval: 0.2}
  expect: {status: 404}
"""


def test_expiry_at_a_relative_deadline(reference_url: str) -> None:
    before = time.time()
    result = run_one(scenario_text(EXPIRES, extra="requires: [expires-at]\n"), reference_url)
    assert result.outcome is Outcome.PASS, result.reason
    sent = result.transcript[0].request.headers["Stream-Expires-At"]
    deadline = datetime.datetime.fromisoformat(sent).timestamp()
    assert before + 1 <= deadline <= time.time() + 2       # evaluated when the step ran
    assert f"Stream-Expires-At: {sent}" in result.transcript[0].curl


def test_expiry_scenario_fails_against_a_server_that_never_expires(wrong_url: str) -> None:
    text = scenario_text(EXPIRES.replace("within: 4", "within: 1.2").replace(
        "expect: {status: 200, headers: {Stream-Expires-At: {present: true}}}", "expect: {status: 200}"))
    assert run_one(text, wrong_url).outcome is Outcome.FAIL


# --- 2. chunked request bodies ----------------------------------------------------------

def recording_server(seen: list[bytes], status: bytes = b"204 No Content"):  # type: ignore[no-untyped-def]
    """Reads a whole chunked request, keeps its raw bytes, answers `status`."""
    def behaviour(sock: socket.socket, stop: threading.Event) -> None:
        data = read_request_head(sock)
        while b"\r\n0\r\n\r\n" not in data and not data.endswith(b"\r\n\r\n0\r\n\r\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        seen.append(data)
        sock.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    return raw_server(behaviour)


def wire_body(request: bytes) -> bytes:
    return request.split(b"\r\n\r\n", 1)[1]


@pytest.mark.parametrize("request_yaml, body", [
    ('body: {chunks: ["ab", {base64: "AAE="}, {raw: "\\xff"}, "c"]}',
     b"2\r\nab\r\n2\r\n\x00\x01\r\n1\r\n\xff\r\n1\r\nc\r\n0\r\n\r\n"),
    ('body: {text: "abcde"}, chunked: 2', b"2\r\nab\r\n2\r\ncd\r\n1\r\ne\r\n0\r\n\r\n"),
    ('body: {json: [1]}, chunked: true', b"3\r\n[1]\r\n0\r\n\r\n"),
    ('chunked: true', b"0\r\n\r\n"),                       # an empty chunked body
])
def test_chunked_bodies_on_the_wire(request_yaml: str, body: bytes) -> None:
    seen: list[bytes] = []
    text = scenario_text("- request: {method: POST, path: '{stream}', %s}\n  expect: {status: 204}\n"
                         % request_yaml)
    with recording_server(seen) as url:
        result = run_one(text, url)
    assert result.outcome is Outcome.PASS, result.reason
    head = seen[0].split(b"\r\n\r\n")[0].lower()
    assert b"transfer-encoding: chunked" in head and b"content-length" not in head
    assert wire_body(seen[0]) == body


def test_chunked_append_is_recorded_and_replayable(reference_url: str) -> None:
    result = run_one(scenario_text(CREATE + """
- request: {method: POST, path: "{stream}", headers: {Content-Type: text/plain}, body: {chunks: ["c", "de"]}}
  expect: {status: 204}
- request: {method: GET, path: "{stream}"}
  expect: {body: {text: "abcde"}}
"""), reference_url)
    assert result.outcome is Outcome.PASS, result.reason
    append = result.transcript[1]
    assert append.request.headers["Transfer-Encoding"] == "chunked"
    assert (append.request.body_preview, append.request.body_length) == ("cde", 3)
    assert "-H 'Transfer-Encoding: chunked'" in append.curl and "--data-binary cde" in append.curl


def test_eventually_resends_the_same_chunks() -> None:
    seen: list[bytes] = []

    def behaviour(sock: socket.socket, stop: threading.Event) -> None:
        data = read_request_head(sock)
        while b"\r\n0\r\n\r\n" not in data:
            data += sock.recv(4096) or b"\r\n0\r\n\r\n"
        seen.append(data)
        status = b"503 Busy" if len(seen) == 1 else b"204 No Content"
        sock.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    text = scenario_text("- request: {method: POST, path: '{stream}', body: {chunks: [a, b]}}\n"
                         "  eventually: {within: 2, interval: 0.05}\n  expect: {status: 204}\n")
    with raw_server(behaviour) as url:
        result = run_one(text, url)
    assert result.outcome is Outcome.PASS, result.reason
    assert [wire_body(r) for r in seen] == [b"1\r\na\r\n1\r\nb\r\n0\r\n\r\n"] * 2


def test_empty_chunked_body_curl_still_sends_a_body() -> None:
    from conformance.http_exchange import PreparedRequest, curl_command
    request = PreparedRequest("POST", "http://h/s", {"Transfer-Encoding": "chunked"}, b"", chunks=[])
    assert curl_command(request).endswith("--data-binary '' http://h/s")


def test_chunked_request_fails_against_a_server_refusing_chunked() -> None:
    seen: list[bytes] = []
    text = scenario_text("- request: {method: POST, path: '{stream}', body: {chunks: [a, b]}}\n"
                         "  expect: {status: 204}\n")
    with recording_server(seen, b"411 Length Required") as url:
        result = run_one(text, url)
    assert result.outcome is Outcome.FAIL and result.failures[0].actual == "411"


@pytest.mark.parametrize("request_yaml, complaint", [
    ("body: {chunks: ['']}", "steps[0].request.body.chunks[0]"),
    ("body: {text: a, chunks: [a]}", "steps[0].request.body"),
    ("body: {text: a}, chunked: 0", "steps[0].request.chunked"),
    ("body: {chunks: [a]}, chunked: false", "steps[0].request"),
])
def test_chunked_format_errors(request_yaml: str, complaint: str) -> None:
    error = load_error(scenario_text("- request: {method: POST, path: '{stream}', %s}\n" % request_yaml))
    assert error.field == complaint


# --- 3. numeric header comparison -------------------------------------------------------

@pytest.mark.parametrize("spec, value, ok", [
    ({}, "12", True), ({}, "-1.5", True), ({}, "x", False),
    ({"gt": "999"}, "1000", True),               # numerically; lexicographically it is smaller
    ({"gt": 1000}, "1000", False), ({"ge": 1000}, "1000", True),
    ({"lt": 5}, "4.99", True), ({"lt": 5}, "5", False), ({"le": "5"}, "5.0", True),
    ({"eq": 1.5}, "1.50", True), ({"eq": 2}, "3", False), ({"ne": 2}, "2", False),
    ({"ge": 1, "le": 60}, "60", True), ({"ge": 1, "le": 60}, "61", False),
    ({"integer": True}, "7", True), ({"integer": True}, "7.5", False),
    ({}, "1e3", False), ({}, "NaN", False), ({}, "1_000", False), ({}, "", False),
])
def test_number_checks(spec: dict, value: str, ok: bool) -> None:
    result = response(headers={"Stream-Cursor": value})
    assert (messages({"headers": {"Stream-Cursor": {"number": spec}}}, result) == []) is ok


def test_number_failures_say_why() -> None:
    [text] = messages({"headers": {"Stream-Cursor": {"number": {"gt": 10}}}},
                      response(headers={"Stream-Cursor": "abc"}))
    assert text == "header Stream-Cursor (numeric): expected a number > 10, got 'abc' is not a number"
    [text] = messages({"headers": {"Stream-Cursor": {"number": {"gt": "x1"}}}},
                      response(headers={"Stream-Cursor": "5"}))
    assert "'x1' (the value compared with) is not a number" in text
    [text] = messages({"headers": {"Stream-Cursor": {"number": {"gt": 10}}}},
                      response(headers={"Stream-Cursor": "9"}))
    assert text == "header Stream-Cursor (numeric): expected a number > 10, got '9'"
    [text] = messages({"headers": {"Stream-Cursor": {"number": {"gt": 10}}}}, response())
    assert text.endswith("got (absent)")


def test_number_operands_are_validated_at_load_time() -> None:
    error = load_error(scenario_text(
        "- request: {method: GET, path: '{stream}'}\n  expect: {headers: {X: {number: {gt: abc}}}}\n"))
    assert error.field.startswith("steps[0].expect.headers.X.number.gt")
    error = load_error(scenario_text(
        "- request: {method: GET, path: '{stream}'}\n  expect: {headers: {X: {number: {gt: '{{prev}}'}}}}\n"))
    assert "{{prev}}" in error.message  # an undefined variable, as anywhere else


CURSOR = CREATE + """
- request: {method: GET, path: "{stream}", query: {offset: "-1", live: long-poll}}
  expect: {status: 200, headers: {Stream-Cursor: {number: {integer: true}}}}
  capture: {c1: {header: Stream-Cursor}}
- request: {method: GET, path: "{stream}", query: {offset: "-1", live: long-poll, cursor: "{{c1}}"}}
  expect: {status: 200, headers: {Stream-Cursor: {number: {gt: "{{c1}}"}}}}
"""


def test_cursor_monotonicity_against_the_reference(reference_url: str) -> None:
    assert run_one(scenario_text(CURSOR), reference_url).outcome is Outcome.PASS
    backwards = run_one(scenario_text(CURSOR.replace('gt: "{{c1}}"', 'lt: "{{c1}}"')), reference_url)
    assert backwards.outcome is Outcome.FAIL
    assert backwards.failures[0].check == "header Stream-Cursor (numeric)"


def test_non_numeric_cursor_fails_with_a_clear_message() -> None:
    def behaviour(sock: socket.socket, stop: threading.Event) -> None:
        read_request_head(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nStream-Cursor: abc\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    text = scenario_text("- request: {method: GET, path: '{stream}'}\n"
                         "  expect: {headers: {Stream-Cursor: {number: {integer: true}}}}\n")
    with raw_server(behaviour) as url:
        result = run_one(text, url)
    assert result.outcome is Outcome.FAIL
    assert result.failures[0].actual == "'abc' is not an integer"


# --- 4. SSE control-field presence ------------------------------------------------------

OPEN = ('event: data\ndata: a\n\nevent: control\ndata: {"streamNextOffset":"1","streamCursor":"9"}\n\n'
        'event: control\ndata: {"streamNextOffset":"2","streamCursor":"10","upToDate":true}\n\n')
CLOSED = 'event: control\ndata: {"streamNextOffset":"2","streamClosed":true}\n\n'


def test_sse_field_presence_passes() -> None:
    result = response(events=sse_events(OPEN))
    assert messages({"sse": {"last_control_present": ["streamCursor", "upToDate"],
                             "every_control": {"present": ["streamCursor", "streamNextOffset"],
                                               "absent": ["streamClosed"]},
                             "events": [{"type": "data"}, {"type": "control", "present": ["streamCursor"]},
                                        {"type": "control", "present": ["upToDate"]}]}}, result) == []


def test_sse_field_presence_fails() -> None:
    opened = response(events=sse_events(OPEN))
    assert messages({"sse": {"last_control_present": ["streamClosed"]}}, opened) == [
        "SSE last control field streamClosed: expected present, got (absent)"]
    assert messages({"sse": {"every_control": {"present": ["upToDate"]}}}, opened) == [
        "SSE event 1 (control) field upToDate: expected present, got (absent)"]
    assert messages({"sse": {"events": [{"type": "data"}, {"type": "control", "present": ["x"]},
                                        {"type": "control"}]}}, opened) == [
        "SSE event 1 field x: expected present, got (absent)"]
    closed = response(events=sse_events(OPEN + CLOSED))
    assert len(messages({"sse": {"every_control": {"present": ["streamCursor"]}}}, closed)) == 1
    # "every" over no control events at all is a failure, not a vacuous pass
    assert messages({"sse": {"every_control": {"absent": ["x"]}}}, response(events=sse_events(
        "event: data\ndata: a\n\n"))) == ["SSE control events: expected at least one control event, got data 'a'"]


SSE_OPEN = CREATE + """
- request: {method: GET, path: "{stream}", query: {offset: "-1", live: sse}}
  sse: {max_events: 2, max_seconds: 2}
  expect:
    sse:
      every_control: {present: [streamCursor], absent: [streamClosed]}
      last_control_present: [streamNextOffset]
"""


def test_sse_presence_against_reference_and_wrong_server(reference_url: str, wrong_url: str) -> None:
    result = run_one(scenario_text(SSE_OPEN), reference_url)
    assert result.outcome is Outcome.PASS, result.reason
    assert run_one(scenario_text(SSE_OPEN.replace("expect: {status: 201}", "expect: {status: 200}")),
                   wrong_url).outcome is Outcome.FAIL
