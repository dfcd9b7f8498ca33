from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from conformance.reporting.html_report import render_html
from conformance.results import Outcome, RunReport

from .builders import CURL, HOSTILE_BODY, HOSTILE_HEADER, HOSTILE_REASON, QUOTE, make_report, scenario
from .htmlscan import DomIndex, external_references


def _dom(written: dict[str, Path]) -> DomIndex:
    return DomIndex(written["html"].read_text(encoding="utf-8"))


def test_counts_match_the_json(written: dict[str, Path]) -> None:
    data = json.loads(written["json"].read_text(encoding="utf-8"))
    dom = _dom(written)
    for outcome in Outcome:
        expected = data["summary"]["by_outcome"].get(outcome.value, 0)
        assert dom.int_by_id(f"count-{outcome.value}") == expected, outcome
        assert dom.by_id(f"count-{outcome.value}").attrs["data-count"] == str(expected)
    assert dom.int_by_id("count-total") == len(data["scenarios"])
    for key in ("collected", "ran", "skipped"):
        assert dom.int_by_id(f"summary-{key}") == data["summary"][key]
    assert dom.int_by_id("exit-code") == data["exit_code"]
    problems = [s for s in data["scenarios"] if s["outcome"] in ("fail", "error", "unexpected-pass", "non-strict")]
    assert dom.int_by_id("count-problems") == len(problems)
    assert {e.attrs["data-scenario"] for e in dom.find("details", **{"class": "problem"})} == \
        {s["id"] for s in problems}


def test_area_level_cells_match_the_scenarios(report: RunReport, written: dict[str, Path]) -> None:
    dom = _dom(written)
    expected = Counter((s.area, s.level or "(none)") for s in report.scenarios)
    cells = [e for e in dom.find("td") if "data-level" in e.attrs and e.attrs["data-level"] != "all"]
    found = {(e.attrs["data-area"], e.attrs["data-level"]): int(e.attrs["data-total"]) for e in cells}
    assert {k: v for k, v in found.items() if v} == dict(expected)
    fork_must = dom.find("td", data_area="fork", data_level="MUST")[0]
    assert (fork_must.attrs["data-pass"], fork_must.attrs["data-ran"]) == ("1", "2")
    assert "o-fail" in fork_must.attrs["class"] and fork_must.text == "1/2"
    totals = [int(e.attrs["data-total"]) for e in dom.find("td", data_level="all")]
    assert sum(totals) == len(report.scenarios)


def test_failure_drill_down(written: dict[str, Path]) -> None:
    dom = _dom(written)
    problem = dom.find("details", data_scenario="fork.create[hostile]")[0]
    text = problem.text
    assert "open" in problem.attrs  # the first problem is unfolded
    assert QUOTE in text and "§4.2" in text and "MUST" in text
    assert "201" in text and "500" in text
    assert HOSTILE_REASON in text
    transcript = [e for e in dom.find("pre", **{"class": "transcript"})][0].text
    assert "--- step fork" in transcript and HOSTILE_BODY in transcript and HOSTILE_HEADER in transcript
    curl = dom.find("pre", **{"class": "curl"})[0].text
    assert CURL in curl


def test_hostile_content_is_escaped(written: dict[str, Path]) -> None:
    markup = written["html"].read_text(encoding="utf-8")
    assert not re.search(r"<\s*(script|img|iframe|link)\b", markup, re.I)
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in markup
    assert "\x00" not in markup and "\x1b" not in markup
    dom = DomIndex(markup)
    assert external_references(dom) == []
    assert not [e for e in dom.elements if any(name.startswith("on") for name in e.attrs)]


def test_page_is_standalone_with_strict_csp(written: dict[str, Path]) -> None:
    dom = _dom(written)
    csp = [m.attrs["content"] for m in dom.find("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]
    assert len(dom.find("style")) == 1 and not dom.find("script")


def test_empty_and_clean_reports_render() -> None:
    empty = DomIndex(render_html(make_report([])))
    assert empty.int_by_id("count-total") == 0 and empty.int_by_id("count-problems") == 0
    clean = DomIndex(render_html(make_report([scenario("a.b", Outcome.PASS)])))
    assert clean.int_by_id("count-pass") == 1 and clean.find("details", **{"class": "problem"}) == []
