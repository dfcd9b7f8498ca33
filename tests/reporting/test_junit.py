from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from conformance.reporting import write_reports
from conformance.reporting.junit import junit_kind
from conformance.results import Outcome, RunReport

from .builders import CURL, HOSTILE_BODY, QUOTE, all_outcomes_report

EXPECTED_KIND = {  # the documented mapping, non-strict run
    "pass": None, "fail": "failure", "unexpected-pass": "failure", "error": "error",
    "skipped": "skipped", "unsupported": "skipped", "expected-fail": "skipped", "non-strict": None,
}


def _cases(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()
    return {case.get("name"): case for case in root.iter("testcase")}


def _kind(case: ET.Element) -> str | None:
    kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
    assert len(kinds) <= 1
    return kinds[0] if kinds else None


def _property(case: ET.Element, name: str) -> str | None:
    return next((p.get("value") for p in case.iter("property") if p.get("name") == name), None)


def test_counts_per_outcome(report: RunReport, written: dict[str, Path]) -> None:
    root = ET.parse(written["junit"]).getroot()
    outcomes = Counter(s.outcome.value for s in report.scenarios)
    assert root.tag == "testsuites"
    assert int(root.get("tests")) == len(report.scenarios)
    assert int(root.get("failures")) == outcomes["fail"] + outcomes["unexpected-pass"]
    assert int(root.get("errors")) == outcomes["error"]
    assert int(root.get("skipped")) == outcomes["skipped"] + outcomes["unsupported"] + outcomes["expected-fail"]
    # per suite: counts agree with the testcases it holds
    for suite in root.iter("testsuite"):
        kinds = Counter(_kind(case) for case in suite.iter("testcase"))
        assert int(suite.get("tests")) == sum(kinds.values())
        assert int(suite.get("failures")) == kinds["failure"]
        assert int(suite.get("errors")) == kinds["error"]
        assert int(suite.get("skipped")) == kinds["skipped"]


def test_one_testcase_per_scenario_classname_by_area(report: RunReport, written: dict[str, Path]) -> None:
    cases = _cases(written["junit"])
    assert set(cases) == {s.id for s in report.scenarios}
    for scenario in report.scenarios:
        case = cases[scenario.id]
        assert case.get("classname") == scenario.area
        assert _kind(case) == EXPECTED_KIND[scenario.outcome.value]
        assert _property(case, "dscheck.outcome") == scenario.outcome.value


def test_failure_has_requirement_expected_actual_and_transcript(written: dict[str, Path]) -> None:
    case = _cases(written["junit"])["fork.create[hostile]"]
    failure = case.find("failure")
    assert failure.get("type") == "fail"
    assert "§4.2 MUST [fork.create.201]" in failure.text and QUOTE in failure.text
    assert "expected: 201" in failure.text and "actual:   500" in failure.text
    out = case.find("system-out").text
    assert "--- step fork" in out and "< 500" in out
    assert HOSTILE_BODY in out  # escaped by the XML writer, intact once parsed
    assert CURL in out
    assert "\\x00" in out and "\\udcff" in out  # control chars and lone surrogate made visible


def test_non_strict_is_a_pass_with_property_unless_strict(tmp_path: Path) -> None:
    lenient = _cases(write_reports(all_outcomes_report(), tmp_path / "a")["junit"])["offsets.opaque"]
    assert _kind(lenient) is None
    assert _property(lenient, "dscheck.outcome") == "non-strict"
    note = lenient.find("system-out").text
    assert note.startswith("dscheck outcome: non-strict") and "actual:   42" in note
    strict_path = write_reports(all_outcomes_report(strict=True), tmp_path / "b")["junit"]
    strict = _cases(strict_path)["offsets.opaque"]
    assert _kind(strict) == "failure" and strict.find("failure").get("type") == "non-strict"
    assert "expected: opaque token" in strict.find("failure").text
    root = ET.parse(strict_path).getroot()
    assert root.get("failures") == "3"


def test_junit_kind_covers_every_outcome() -> None:
    for outcome in Outcome:
        assert junit_kind(outcome, strict=False) in ("passed", "failure", "error", "skipped")
    assert junit_kind(Outcome.NON_STRICT, strict=True) == "failure"


def test_suite_properties_and_well_formed_order(written: dict[str, Path]) -> None:
    root = ET.parse(written["junit"]).getroot()
    for suite in root.iter("testsuite"):
        assert suite[0].tag == "properties"  # JUnit consumers expect properties first
        props = {p.get("name"): p.get("value") for p in suite[0]}
        assert props["dscheck.server"] == "reference" and props["dscheck.strict"] == "false"
        for case in suite.iter("testcase"):
            tags = [child.tag for child in case]
            assert tags[0] == "properties"
            if "system-out" in tags:
                assert tags[-1] == "system-out"
