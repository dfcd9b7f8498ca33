"""Step kinds and outcomes, against the embedded reference server (long-poll timeout 0.5 s)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from conformance.loader import parse_scenario_text
from conformance.runner import RunOptions, run_suite

from conformance.expected_failures import ExpectedFailure
from conformance.results import Outcome

from .helpers import run_one, run_text, scenario_text

CREATE = """
- request: {method: PUT, path: "{stream}", headers: {Content-Type: text/plain}, body: {text: "ab"}}
  expect: {status: 201}
  capture: {tail: {header: Stream-Next-Offset}}
"""


def test_paths_are_unique_per_run_and_per_stream_name(reference_url: str) -> None:
    text = scenario_text(CREATE + """
- request: {method: PUT, path: "{stream:other}", headers: {Content-Type: text/plain}}
  expect: {status: 201}
""")
    first = run_one(text, reference_url)
    second = run_one(text, reference_url)   # same scenario again: fresh streams, so 201 again
    assert first.outcome is Outcome.PASS and second.outcome is Outcome.PASS
    urls = [e.request.url for e in first.transcript + second.transcript]
    assert len(set(urls)) == 4 and all("/test.scenario/" in u for u in urls)


def test_prefix_is_part_of_every_path(reference_url: str) -> None:
    result = run_one(scenario_text(CREATE), reference_url, prefix="/v1/stream")
    assert result.outcome is Outcome.PASS
    assert "/v1/stream/dscheck-" in result.transcript[0].request.url


def test_bodies_headers_captures_and_fork_header_templates(reference_url: str) -> None:
    text = scenario_text(CREATE + """
- request:
    method: PUT
    path: "{stream:fork}"
    headers: {Stream-Forked-From: "{stream}", Stream-Fork-Offset: "{{tail}}", X-Dropped: null}
  expect: {status: 201}
- request: {method: POST, path: "{stream:fork}", headers: {Content-Type: text/plain}, body: {raw: "\\x41"}}
  expect: {status: 204}
- request: {method: GET, path: "{stream:fork}"}
  expect: {status: 200, body: {text: "abA"}}
  capture: {code: {status: true}}
- request: {method: PUT, path: "{stream:j}", headers: {Content-Type: application/json}, body: {json: [{"n": "{{code}}"}]}}
  expect: {status: 201}
- request: {method: GET, path: "{stream:j}"}
  expect: {body: {json: [{"n": 200}]}}
""")
    result = run_one(text, reference_url)
    assert result.outcome is Outcome.PASS, result.reason
    fork_request = result.transcript[1].request
    assert fork_request.headers["Stream-Forked-From"].endswith("/test.scenario/main")
    assert "X-Dropped" not in fork_request.headers
    assert result.transcript[4].request.body_preview == '[{"n":200}]'  # typed substitution


def test_background_long_poll_await_and_timing(reference_url: str) -> None:
    text = scenario_text(CREATE + """
- name: lp
  background: true
  request: {method: GET, path: "{stream}", query: {offset: "{{tail}}", live: long-poll}}
- sleep: 0.1
- request: {method: POST, path: "{stream}", headers: {Content-Type: text/plain}, body: {text: "c"}}
  expect: {status: 204}
- await: lp
  expect: {status: 200, body: {text: "c"}, within: 2, at_least: 0.05}
- request: {method: GET, path: "{stream}", query: {offset: "{{tail}}", live: long-poll}}
  expect: {status: 200}
  capture: {t2: {header: Stream-Next-Offset}}
- request: {method: GET, path: "{stream}", query: {offset: "{{t2}}", live: long-poll}}
  expect: {status: 204, at_least: 0.3}
""")
    result = run_one(text, reference_url)
    assert result.outcome is Outcome.PASS, result.reason


def test_sse_background_read_bounded_by_time(reference_url: str) -> None:
    text = scenario_text(CREATE + """
- name: live
  background: true
  request: {method: GET, path: "{stream}", query: {offset: "-1", live: sse}}
  sse: {max_seconds: 0.8}
- request: {method: POST, path: "{stream}", headers: {Content-Type: text/plain}, body: {text: "c"}}
  expect: {status: 204}
- await: live
  expect: {sse: {data: "abc", closed: false, min_events: 2}}
  capture: {last: {last_control: streamNextOffset}}
- request: {method: GET, path: "{stream}", query: {offset: "{{last}}"}}
  expect: {status: 200, body: {empty: true}}
""")
    result = run_one(text, reference_url)
    assert result.outcome is Outcome.PASS, result.reason


def test_eventually_retries_until_deadline(reference_url: str) -> None:
    passing = scenario_text(CREATE + """
- request: {method: DELETE, path: "{stream}"}
- request: {method: HEAD, path: "{stream}"}
  eventually: {within: 2, interval: 0.05}
  expect: {status: 404}
""")
    assert run_one(passing, reference_url).outcome is Outcome.PASS
    never = scenario_text(CREATE + """
- request: {method: HEAD, path: "{stream}"}
  eventually: {within: 0.4, interval: 0.1}
  expect: {status: 404}
""")
    started = time.monotonic()
    result = run_one(never, reference_url)
    assert result.outcome is Outcome.FAIL
    assert "after" in result.failures[0].check and time.monotonic() - started >= 0.4


def test_sleep_is_scaled(reference_url: str) -> None:
    from conformance.http_exchange import Limits
    text = scenario_text("- sleep: 0.2\n")
    started = time.monotonic()
    run_one(text, reference_url, limits=Limits(timeout_scale=2.0))
    assert time.monotonic() - started >= 0.4


def test_must_failure_records_requirement_transcript_and_curl(reference_url: str) -> None:
    result = run_one(scenario_text(CREATE + """
- request: {method: HEAD, path: "{stream}"}
  expect: {status: 418}
- request: {method: GET, path: "{stream}"}
"""), reference_url)
    assert result.outcome is Outcome.FAIL
    failure = result.failures[0]
    assert (failure.check, failure.expected, failure.actual) == ("status", "418", "200")
    assert failure.requirement is not None and failure.requirement.level == "MUST"
    assert len(result.transcript) == 2          # stopped at the MUST failure
    assert result.transcript[1].curl.startswith("curl -sS -i -I http://127.0.0.1")


def test_should_failure_is_non_strict_and_continues(reference_url: str) -> None:
    text = (f"id: t.should\ntitle: t\nspec:\n  - {{section: '5.2', level: MUST, quote: q}}\n"
            f"  - {{section: '5.5', level: SHOULD, quote: q2, id: HEAD-NOSTORE}}\nsteps:\n"
            + """  - request: {method: PUT, path: "{stream}"}
    expect: {status: 201}
  - request: {method: HEAD, path: "{stream}"}
    cites: HEAD-NOSTORE
    expect: {headers: {X-Never: {present: true}}}
  - request: {method: HEAD, path: "{stream}"}
    expect: {status: 200}
""")
    report = run_text(text, reference_url)
    [result] = report.scenarios
    assert result.outcome is Outcome.NON_STRICT and len(result.transcript) == 3
    assert result.failures[0].requirement.id == "HEAD-NOSTORE"
    assert report.exit_code == 0
    assert run_text(text, reference_url, strict=True).exit_code == 1


def test_selection_unsupported_skipped_and_expected_failures(reference_url: str, tmp_path: Path) -> None:
    failing = scenario_text(CREATE + "- request: {method: GET, path: '{stream}'}\n  expect: {status: 500}\n",
                            id="t.fails", extra="tags: [odd]\nrequires: [fork]\n")
    report = run_text(failing, reference_url, without=["fork"])
    assert report.scenarios[0].outcome is Outcome.UNSUPPORTED and "fork" in report.scenarios[0].reason
    assert (report.summary.collected, report.summary.ran, report.summary.skipped) == (1, 0, 1)
    report = run_text(failing, reference_url, skip=["odd"])
    assert report.scenarios[0].outcome is Outcome.SKIPPED and "--skip odd" in report.scenarios[0].reason
    report = run_text(failing, reference_url, only=["other.*"])
    assert report.scenarios[0].outcome is Outcome.SKIPPED and report.exit_code == 0
    report = run_text(failing, reference_url, expected_failures=[ExpectedFailure("t.*", "known bug")])
    assert report.scenarios[0].outcome is Outcome.EXPECTED_FAIL and "known bug" in report.scenarios[0].reason
    assert report.exit_code == 0
    passing = scenario_text(CREATE, id="t.passes")
    report = run_text(passing, reference_url, expected_failures=[ExpectedFailure("t.passes")])
    assert report.scenarios[0].outcome is Outcome.UNEXPECTED_PASS and report.exit_code == 1


def test_matrix_rows_run_with_their_parameters(reference_url: str) -> None:
    text = scenario_text("""
- request: {method: PUT, path: "{stream}", headers: {Content-Type: text/plain, Stream-TTL: "{{ttl}}"}}
  expect: {status: 201}
- request: {method: HEAD, path: "{stream}"}
  expect: {headers: {Stream-TTL: "{{want}}"}}
""", extra="matrix:\n  - {id: ttl, ttl: '60', want: '60'}\n  - {id: none, ttl: null, want: null}\n"
          "  - {id: wrong, ttl: '60', want: '61'}\n")
    outcomes = {r.id: r.outcome for r in run_text(text, reference_url).scenarios}
    assert outcomes == {"test.scenario[ttl]": Outcome.PASS, "test.scenario[none]": Outcome.PASS,
                        "test.scenario[wrong]": Outcome.FAIL}


def test_scenarios_run_concurrently(reference_url: str) -> None:
    # 8 scenarios, each holding a 0.5 s long-poll
    scenarios_dir_text = [scenario_text(CREATE + """
- request: {method: GET, path: "{stream}", query: {offset: "{{tail}}", live: long-poll}}
  expect: {status: 204}
""", id=f"t.concurrent-{i}") for i in range(8)]
    scenarios = [s for i, t in enumerate(scenarios_dir_text) for s in parse_scenario_text(t, Path(f"{i}.yaml"))]
    started = time.monotonic()
    report = asyncio.run(run_suite(scenarios, reference_url, RunOptions(jobs=8)))
    assert all(r.outcome is Outcome.PASS for r in report.scenarios)
    assert time.monotonic() - started < 8 * 0.5  # serial would take at least 4 s
