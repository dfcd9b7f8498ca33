"""RunReports built in code for the reporting tests: every outcome, hostile server content."""

from __future__ import annotations

from collections import Counter

from conformance.results import (
    Exchange, Failure, HttpRequestRecord, HttpResponseRecord, Outcome, Requirement, RunReport,
    RunSummary, ScenarioResult,
)

HOSTILE_BODY = '<script>document.title="pwned"</script><img src="http://evil.example/t.png">'
HOSTILE_HEADER = '"><link rel="stylesheet" href="https://evil.example/x.css">'
HOSTILE_REASON = "status 500 [click me](http://evil.example/) | <b>bold</b> `tick`"
BACKTICKS_ACTUAL = "body was ```` four ticks ```` and <iframe src=//evil.example>"
CONTROL_CHARS = "nul\x00 esc\x1b[31m bell\x07 lone\udcff"
QUOTE = "Servers MUST return 201 Created when a fork is created."
CURL = "curl -sS -X PUT 'http://127.0.0.1:4437/v1/stream/s-1?x=<y>' -H 'Stream-Forked-From: s-0'"


def scenario(id: str, outcome: Outcome, *, area: str = "fork", section: str = "4.2", level: str = "MUST",
             reason: str = "", failures: list[Failure] | None = None,
             transcript: list[Exchange] | None = None, title: str | None = None) -> ScenarioResult:
    requirements = [Requirement(section=section, level=level, quote=f"quote for {id}", id=f"req.{id}")] \
        if level else []
    return ScenarioResult(
        id=id, title=title if title is not None else f"title of {id}", file=f"scenarios/{area}.yaml",
        area=area, requirements=requirements, level=level, requires=[], tags=[area], outcome=outcome,
        reason=reason, failures=failures or [], transcript=transcript or [], duration_s=0.0125,
        params={"n": 1},
    )


def hostile_failure_scenario() -> ScenarioResult:
    """A MUST failure whose server response tries every trick on every format."""
    requirement = Requirement(section="4.2", level="MUST", quote=QUOTE, id="fork.create.201")
    setup = Exchange(
        step="create-source",
        request=HttpRequestRecord(method="PUT", url="http://127.0.0.1:4437/v1/stream/s-0",
                                  headers={"Content-Type": "text/plain"}, body_preview="", body_length=0),
        response=HttpResponseRecord(status=201, headers={"Stream-Next-Offset": "0_0"}),
        elapsed_s=0.002, curl="curl -sS -X PUT http://127.0.0.1:4437/v1/stream/s-0",
    )
    fork = Exchange(
        step="fork",
        request=HttpRequestRecord(method="PUT", url="http://127.0.0.1:4437/v1/stream/s-1",
                                  headers={"Stream-Forked-From": "s-0"}, body_preview="hello",
                                  body_length=5),
        response=HttpResponseRecord(status=500, headers={"X-Evil": HOSTILE_HEADER},
                                    body_preview=HOSTILE_BODY + "\n" + CONTROL_CHARS,
                                    body_length=4096, truncated=True),
        elapsed_s=0.004, curl=CURL,
    )
    after = Exchange(
        step="read-after",
        request=HttpRequestRecord(method="GET", url="http://127.0.0.1:4437/v1/stream/s-1", headers={}),
        response=None, error="connection reset by peer", curl="curl -sS http://127.0.0.1:4437/v1/stream/s-1",
    )
    return ScenarioResult(
        id="fork.create[hostile]", title="fork creation returns 201", file="scenarios/fork.yaml",
        area="fork", requirements=[requirement], level="MUST", requires=["fork"], tags=["fork"],
        outcome=Outcome.FAIL, reason=HOSTILE_REASON,
        failures=[Failure(step="fork", check="status", expected="201", actual="500", requirement=requirement),
                  Failure(step="fork", check="body", expected="empty", actual=BACKTICKS_ACTUAL + HOSTILE_BODY,
                          requirement=requirement)],
        transcript=[setup, fork, after], duration_s=0.02,
    )


def summary_of(scenarios: list[ScenarioResult]) -> RunSummary:
    counts = Counter(s.outcome.value for s in scenarios)
    skipped = counts["skipped"] + counts["unsupported"]
    return RunSummary(collected=len(scenarios), ran=len(scenarios) - skipped, skipped=skipped,
                      by_outcome=dict(counts))


def make_report(scenarios: list[ScenarioResult], *, label: str = "reference",
                strict: bool = False) -> RunReport:
    return RunReport(
        tool="dscheck 0.1.0", target="http://127.0.0.1:4437/v1/stream", server_label=label,
        started_at="2025-01-02T03:04:05Z", duration_s=1.5, options={"strict": strict, "without": []},
        summary=summary_of(scenarios),
        exit_code=1 if any(s.outcome.is_blocking for s in scenarios) else 0, scenarios=scenarios,
    )


def all_outcomes_report(*, strict: bool = False, label: str = "reference") -> RunReport:
    """Every outcome at least once, several areas and levels (including no level), one hostile failure."""
    scenarios = [
        hostile_failure_scenario(),
        scenario("fork.ttl[none]", Outcome.PASS, section="4.2"),
        scenario("fork.close", Outcome.PASS, section="4.2", level="MUST NOT"),
        scenario("offsets.monotonic", Outcome.PASS, area="offsets", section="5.6"),
        scenario("offsets.opaque", Outcome.NON_STRICT, area="offsets", section="5.6", level="SHOULD",
                 reason="offset looks numeric",
                 failures=[Failure(step="read", check="offset format", expected="opaque token",
                                   actual="42", requirement=Requirement("5.6", "SHOULD", "Offsets SHOULD be opaque."))]),
        scenario("producers.epoch", Outcome.ERROR, area="producers", section="5.2.1",
                 reason="read timed out after 5 s"),
        scenario("producers.seq-gap", Outcome.EXPECTED_FAIL, area="producers", section="5.2.1"),
        scenario("producers.auto-claim", Outcome.UNEXPECTED_PASS, area="producers", section="5.2.1",
                 reason="listed in expected failures but passed"),
        scenario("lifecycle.ttl", Outcome.UNSUPPORTED, area="lifecycle", section="5.10", level="MAY",
                 reason="needs capability ttl (--without ttl)"),
        scenario("lifecycle.delete", Outcome.SKIPPED, area="lifecycle", section="5.4",
                 reason="depends on lifecycle.ttl"),
        scenario("explore.misc", Outcome.PASS, area="explore", section="", level=""),
    ]
    return make_report(scenarios, strict=strict, label=label)


def three_runs() -> list[RunReport]:
    reference = make_report([
        scenario("fork.create", Outcome.PASS, section="4.2"),
        scenario("offsets.opaque", Outcome.PASS, area="offsets", section="4.10", level="SHOULD"),
        scenario("close.twice", Outcome.PASS, area="close", section="5.3"),
        scenario("append.basic", Outcome.PASS, area="append", section="5.2"),
    ], label="reference")
    node = make_report([  # misses close.twice
        scenario("fork.create", Outcome.FAIL, section="4.2", reason="500 <script>x</script>"),
        scenario("offsets.opaque", Outcome.NON_STRICT, area="offsets", section="4.10", level="SHOULD"),
        scenario("append.basic", Outcome.ERROR, area="append", section="5.2"),
    ], label="node <0.3.7>")
    rakaia = make_report([  # same label as the first run, one extra scenario
        scenario("fork.create", Outcome.UNSUPPORTED, section="4.2"),
        scenario("offsets.opaque", Outcome.PASS, area="offsets", section="4.10", level="SHOULD"),
        scenario("close.twice", Outcome.SKIPPED, area="close", section="5.3"),
        scenario("append.basic", Outcome.PASS, area="append", section="5.2"),
        scenario("explore.x", Outcome.PASS, area="explore", section="", level=""),
    ], label="reference")
    return [reference, node, rakaia]
