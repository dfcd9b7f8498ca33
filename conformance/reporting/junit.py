"""junit.xml: one <testsuite> per area, one <testcase> per scenario (classname = area).

Outcome mapping (JUnit has only pass / failure / error / skipped):
  pass                        -> passed
  fail, unexpected-pass       -> <failure>
  error                       -> <error>
  skipped, unsupported        -> <skipped>
  expected-fail               -> <skipped type="expected-fail"> (like pytest's xfail)
  non-strict                  -> passed, unless the run was --strict: then <failure>.
Every testcase carries <properties> with its dscheck outcome, level and sections, so the
non-strict passes stay findable. The transcript and curl replay go to <system-out>.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.reporting.derive import is_strict, scenario_section
from conformance.reporting.text import printable, replay_commands, step_label, transcript_text
from conformance.results import Failure, Outcome, RunReport, ScenarioResult

SKIPPED_OUTCOMES = (Outcome.SKIPPED, Outcome.UNSUPPORTED, Outcome.EXPECTED_FAIL)


def junit_kind(outcome: Outcome, strict: bool) -> str:
    """How a dscheck outcome shows in JUnit: "passed", "failure", "error" or "skipped"."""
    if outcome is Outcome.ERROR:
        return "error"
    if outcome in (Outcome.FAIL, Outcome.UNEXPECTED_PASS):
        return "failure"
    if outcome is Outcome.NON_STRICT:
        return "failure" if strict else "passed"
    if outcome in SKIPPED_OUTCOMES:
        return "skipped"
    return "passed"


def _requirement_text(failure: Failure) -> str:
    req = failure.requirement
    if req is None:
        return ""
    head = f"PROTOCOL.md §{req.section} {req.level}" + (f" [{req.id}]" if req.id else "")
    return head + (f'\n  "{req.quote}"' if req.quote else "")


def _details(scenario: ScenarioResult) -> str:
    """The failure/error body: reason, then each check under its requirement (stated once)."""
    parts = [scenario.reason] if scenario.reason else []
    last_requirement = None
    for failure in scenario.failures:
        requirement = _requirement_text(failure)
        if requirement and requirement != last_requirement:
            parts.append(requirement)
            last_requirement = requirement
        parts.append(f"{step_label(failure.step)}: {failure.check}\n"
                     f"  expected: {failure.expected}\n  actual:   {failure.actual}")
    if not scenario.failures:
        parts += [f'PROTOCOL.md §{r.section} {r.level}: "{r.quote}"' for r in scenario.requirements if r.quote]
    return printable("\n\n".join(parts))


def _system_out(scenario: ScenarioResult, kind: str) -> str:
    parts = []
    if scenario.outcome is Outcome.NON_STRICT and kind == "passed":
        # Consumers that ignore testcase properties still show system-out: say what was broken.
        parts.append("dscheck outcome: non-strict (a SHOULD/MAY was broken; fails only with --strict)\n"
                     + _details(scenario))
    # Transcripts of passes and skips would only bloat the file (report.json keeps them all).
    if scenario.transcript and (kind in ("failure", "error") or scenario.outcome is Outcome.NON_STRICT):
        parts.append("HTTP transcript:\n" + transcript_text(scenario.transcript))
        curls = replay_commands(scenario.transcript, {f.step for f in scenario.failures})
        if curls:
            parts.append("Replay:\n" + "\n".join(curls))
    return printable("\n\n".join(parts))


def _testcase(scenario: ScenarioResult, strict: bool) -> tuple[ET.Element, str]:
    kind = junit_kind(scenario.outcome, strict)
    case = ET.Element("testcase", {
        "classname": printable(scenario.area or "dscheck"),
        "name": printable(scenario.id),
        "file": printable(scenario.file),
        "time": f"{scenario.duration_s:.3f}",
    })
    props = ET.SubElement(case, "properties")
    for name, value in (("dscheck.outcome", scenario.outcome.value),
                        ("dscheck.level", scenario.level),
                        ("dscheck.section", scenario_section(scenario)),
                        ("dscheck.title", scenario.title)):
        ET.SubElement(props, "property", {"name": name, "value": printable(value)})
    message = printable(scenario.reason or (scenario.failures[0].check if scenario.failures else scenario.outcome.value))
    if kind in ("failure", "error"):
        element = ET.SubElement(case, kind, {"message": message, "type": scenario.outcome.value})
        element.text = _details(scenario)
    elif kind == "skipped":
        ET.SubElement(case, "skipped", {"message": message, "type": scenario.outcome.value})
    out = _system_out(scenario, kind)
    if out:
        ET.SubElement(case, "system-out").text = out
    return case, kind


def _suite_properties(suite: ET.Element, report: RunReport, strict: bool) -> None:
    props = ET.SubElement(suite, "properties")
    for name, value in (("dscheck.target", report.target), ("dscheck.server", report.server_label),
                        ("dscheck.tool", report.tool), ("dscheck.strict", str(strict).lower())):
        ET.SubElement(props, "property", {"name": name, "value": printable(value)})


def junit_tree(report: RunReport) -> ET.ElementTree:
    strict = is_strict(report)
    root = ET.Element("testsuites", {"name": printable(f"dscheck: {report.server_label}")})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suites: dict[str, ET.Element] = {}
    counts: dict[str, dict[str, int]] = {}
    for scenario in report.scenarios:
        area = scenario.area or "dscheck"
        if area not in suites:
            suites[area] = ET.SubElement(root, "testsuite", {
                "name": printable(area),
                "timestamp": printable(report.started_at),
            })
            _suite_properties(suites[area], report, strict)
            counts[area] = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
        case, kind = _testcase(scenario, strict)
        suites[area].append(case)
        counts[area]["tests"] += 1
        counts[area]["time"] += scenario.duration_s
        plural = {"failure": "failures", "error": "errors", "skipped": "skipped"}.get(kind)
        if plural:
            counts[area][plural] += 1
    for area, suite in suites.items():
        for key, value in counts[area].items():
            suite.set(key, f"{value:.3f}" if key == "time" else str(value))
            if key in totals:
                totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{report.duration_s:.3f}")
    return ET.ElementTree(root)


def write_junit(report: RunReport, path: Path) -> Path:
    tree = junit_tree(report)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path
