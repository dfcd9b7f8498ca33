"""`read_all: true`: a catch-up (or long-poll) GET followed across the server's chunks
until `Stream-Up-To-Date`; checks see the last page with every page's body joined."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.executor import _join_pages
from conformance.loader import ScenarioFormatError, parse_scenario_text
from conformance.results import Outcome
from reference_impl.embedded import EmbeddedServer

from .helpers import run_one, scenario_text
from .legal_variants import SMALL_CHUNK_BYTES, small_chunks


@pytest.fixture(scope="module")
def chunky_url() -> Iterator[str]:
    """The reference server with a tiny catch-up chunk size."""
    with EmbeddedServer(app=small_chunks(1.0)) as server:
        yield server.url


TEXT_STEPS = """
- request: {method: PUT, path: "{stream}", headers: {Content-Type: text/plain}, body: {text: "hello world"}}
  expect: {status: 201}
  capture: {tail: {header: Stream-Next-Offset}}
- read_all: %s
  request: {method: GET, path: "{stream}", query: {offset: "-1"}}
  expect: {status: 200, body: {text: "hello world"},
           headers: {Stream-Next-Offset: "{{tail}}", Stream-Up-To-Date: "true"}}
"""


def test_read_all_joins_byte_chunks(chunky_url: str) -> None:
    result = run_one(scenario_text(TEXT_STEPS % "true"), chunky_url)
    assert result.outcome is Outcome.PASS, result.reason
    pages = [e for e in result.transcript if " page " in e.step]
    assert len(pages) == -(-len("hello world") // SMALL_CHUNK_BYTES)  # one request per chunk
    assert "offset=-1" in pages[0].request.url and "offset=-1" not in pages[1].request.url


def test_without_read_all_a_single_chunk_is_checked(chunky_url: str) -> None:
    result = run_one(scenario_text(TEXT_STEPS % "false"), chunky_url)
    assert result.outcome is Outcome.FAIL
    assert {f.actual for f in result.failures} >= {"hello ", "(absent)"}  # body; no Up-To-Date


def test_read_all_merges_json_arrays(chunky_url: str) -> None:
    steps = """
    - request: {method: PUT, path: "{stream}", headers: {Content-Type: application/json}, body: {json: [1]}}
      expect: {status: 201}
    - request: {method: POST, path: "{stream}", headers: {Content-Type: application/json}, body: {json: {"a": 2}}}
      expect: {status: [200, 204]}
    - request: {method: POST, path: "{stream}", headers: {Content-Type: application/json}, body: {json: "three"}}
      expect: {status: [200, 204]}
    - read_all: true
      request: {method: GET, path: "{stream}", query: {offset: "-1"}}
      expect: {status: 200, body: {json: [1, {"a": 2}, "three"]}, headers: {Stream-Up-To-Date: "true"}}
    """
    result = run_one(scenario_text(steps), chunky_url)
    assert result.outcome is Outcome.PASS, result.reason
    assert len([e for e in result.transcript if " page " in e.step]) > 1


def test_read_all_works_on_a_plain_server_and_can_fail(reference_url: str) -> None:
    assert run_one(scenario_text(TEXT_STEPS % "true"), reference_url).outcome is Outcome.PASS
    wrong = scenario_text((TEXT_STEPS % "true").replace('body: {text: "hello world"},\n', 'body: {text: "hello"},\n'))
    assert 'body: {text: "hello"}' in wrong
    assert run_one(wrong, reference_url).outcome is Outcome.FAIL


def test_read_all_stops_on_an_error_status(reference_url: str) -> None:
    steps = """
    - read_all: true
      request: {method: GET, path: "{stream}", query: {offset: "-1"}}
      expect: {status: 404}
    """
    assert run_one(scenario_text(steps), reference_url).outcome is Outcome.PASS


def test_read_all_stops_when_the_offset_does_not_move(wrong_url: str) -> None:
    # the wrong server never says up-to-date and sends no Stream-Next-Offset: one page, checked
    steps = """
    - read_all: true
      request: {method: GET, path: "{stream}", query: {offset: "-1"}}
      expect: {status: 200, headers: {Stream-Up-To-Date: "true"}}
    """
    result = run_one(scenario_text(steps), wrong_url)
    assert result.outcome is Outcome.FAIL
    assert len(result.transcript) == 1


@pytest.mark.parametrize("bodies, content_type, joined", [
    ([b"ab", b"cd"], "text/plain", b"abcd"),
    ([b"[1]", b"[2,3]"], "application/json; charset=utf-8", b"[1,2,3]"),
    ([b"[1]", b"{}"], "application/json", b"[1]{}"),      # not arrays: left for the checks
    ([b"[1, 2]"], "application/json", b"[1, 2]"),           # one page: untouched
])
def test_join_pages(bodies: list[bytes], content_type: str, joined: bytes) -> None:
    assert _join_pages(bodies, content_type) == joined


@pytest.mark.parametrize("step, complaint", [
    ('{read_all: true, request: {method: POST, path: "{stream}"}}', "GET"),
    ('{read_all: true, request: {method: GET, path: "{stream}"}, sse: {}}', "non-SSE"),
    ('{name: r, background: true, read_all: true, request: {method: GET, path: "{stream}"}}', "background"),
    ('{read_all: "yes", request: {method: GET, path: "{stream}"}}', "boolean"),
])
def test_read_all_format_errors(step: str, complaint: str) -> None:
    text = f"id: a.b\ntitle: t\nspec: [{{section: '5.6', level: MUST, quote: q}}]\nsteps:\n  - {step}\n"
    with pytest.raises(ScenarioFormatError) as info:
        parse_scenario_text(text, Path("bad.yaml"))
    assert complaint in str(info.value) or "read_all" in str(info.value)


