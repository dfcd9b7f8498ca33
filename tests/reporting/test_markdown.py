from __future__ import annotations

import re
from pathlib import Path

from conformance.reporting.markdown import MAX_LISTED_FAILURES, md_fence, md_inline, render_markdown
from conformance.results import Outcome, RunReport

from .builders import CURL, QUOTE, all_outcomes_report, make_report, scenario


def _outside_fences(markdown: str) -> str:
    """The Markdown that is rendered as Markdown (fenced code removed)."""
    return re.sub(r"^(`{3,})[^\n]*\n.*?^\1$", "", markdown, flags=re.S | re.M)


def _table_rows(markdown: str, header: str) -> list[list[str]]:
    lines = markdown.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_summary_table_by_outcome(report: RunReport, written: dict[str, Path]) -> None:
    text = written["markdown"].read_text(encoding="utf-8")
    assert text.startswith("## dscheck: reference — ❌ 3 blocking")
    rows = _table_rows(text, "| outcome | count |")
    counts = {row[0].split()[-1]: row[1] for row in rows}
    for outcome, n in report.summary.by_outcome.items():
        assert counts[outcome] == str(n)
    assert counts["**total**"] == f"**{len(report.scenarios)}**"


def test_area_by_level_table(written: dict[str, Path]) -> None:
    text = written["markdown"].read_text(encoding="utf-8")
    rows = {row[0]: row[1:] for row in
            _table_rows(text, "| area | MUST | MUST NOT | SHOULD | MAY | (none) | all |")}
    assert rows["fork"] == ["1/2 ❌1", "1/1", "·", "·", "·", "2/3 ❌1"]
    assert rows["offsets"][2] == "0/1 ⚠️1"
    assert rows["lifecycle"][0] == "(1 not run)"
    assert rows["producers"][-1] == "0/3 ❌2"


def test_failures_section_has_section_level_quote_values_and_curl(written: dict[str, Path]) -> None:
    text = written["markdown"].read_text(encoding="utf-8")
    failures = text[text.index("### Failures (4)"):]
    # blocking first, non-strict last
    order = [failures.index(f"`{sid}`") for sid in
             ("fork.create[hostile]", "producers.epoch", "producers.auto-claim", "offsets.opaque")]
    assert order == sorted(order)
    assert "- **§4.2 MUST** · area fork" in failures
    assert f"> {md_inline(QUOTE)}" in failures
    assert "  expected: 201\n  actual:   500" in failures
    assert f"```sh\ncurl -sS -X PUT http://127.0.0.1:4437/v1/stream/s-0\n{CURL}\n```" in failures
    assert "curl -sS http://127.0.0.1:4437/v1/stream/s-1\n" not in failures  # after the failing step
    passes = [s for s in ("fork.ttl[none]", "offsets.monotonic") if s in failures]
    assert passes == []


def test_hostile_content_is_inert(written: dict[str, Path]) -> None:
    text = written["markdown"].read_text(encoding="utf-8")
    rendered = _outside_fences(text)
    for raw in ("<script", "<img", "<iframe", "<b>", "<link"):
        assert raw not in rendered, raw
    assert not re.search(r"(?<!\\)\]\(", rendered)  # no live [text](link)
    assert "\\[click me\\](http://evil.example/)" in rendered
    assert "\\<b\\>bold\\</b\\>" in rendered  # escaped, still readable
    # the 4-backtick run in `actual` must not close the 5-backtick fence around it
    assert "`````text\n" in text and "\x00" not in text and "\udcff" not in text


def test_md_helpers() -> None:
    assert md_inline("a|b\n<c> *d*") == "a\\|b \\<c\\> \\*d\\*"
    assert md_fence("x ``` y").startswith("````\n")
    assert md_fence("plain", "sh") == "```sh\nplain\n```"


def test_clean_run_and_long_failure_lists_stay_compact() -> None:
    clean = render_markdown(make_report([scenario("a.b", Outcome.PASS)]))
    assert "✅ no blocking failures" in clean and "### Failures" not in clean
    many = make_report([scenario(f"x.{i:03}", Outcome.FAIL, reason="r") for i in range(MAX_LISTED_FAILURES + 5)])
    text = render_markdown(many)
    assert text.count("#### ❌ fail") == MAX_LISTED_FAILURES
    assert "…and 5 more: see report.html or junit.xml." in text


def test_sample_report_markdown_is_stable() -> None:
    assert render_markdown(all_outcomes_report()) == render_markdown(all_outcomes_report())
