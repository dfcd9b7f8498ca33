"""report.md: a compact summary for PR comments (GitHub-flavoured Markdown).

Untrusted text (reasons, expected/actual, curl) only appears inside fenced code blocks or
backslash-escaped, so a server cannot inject links, HTML or table breaks into a comment.
"""

from __future__ import annotations

import re
from pathlib import Path

from conformance.reporting.derive import (
    by_area_and_level, failed_steps, is_blocking, is_strict, levels_present,
    outcome_counts, problems, scenario_section,
)
from conformance.reporting.text import clip, printable, replay_commands, step_label
from conformance.results import Outcome, RunReport, ScenarioResult

OUTCOME_ICONS: dict[str, str] = {
    "pass": "✅", "fail": "❌", "non-strict": "⚠️", "unsupported": "🚫",
    "error": "💥", "expected-fail": "💤", "unexpected-pass": "❗", "skipped": "⏭️",
}
MAX_LISTED_FAILURES = 50  # GitHub comments are capped at 65,536 characters
MAX_VALUE_CHARS = 800     # per expected / actual value

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")


def md_inline(text: object) -> str:
    """Untrusted text as one line of literal Markdown (also safe inside a table cell)."""
    one_line = " ".join(printable(text).split())
    return _MD_SPECIAL.sub(r"\\\1", one_line)


def md_code(text: object) -> str:
    """Untrusted text as an inline code span (not for table cells: a | would split the cell)."""
    one_line = " ".join(printable(text).split())
    longest = max((len(run) for run in re.findall(r"`+", one_line)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") else ""
    return f"{ticks}{pad}{one_line}{pad}{ticks}"


def md_fence(text: str, info: str = "") -> str:
    """A fenced code block that the content cannot close early, however many backticks it has."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{printable(text)}\n{fence}"


def outcome_label(outcome: str) -> str:
    return f"{OUTCOME_ICONS.get(outcome, '')} {outcome}".strip()


def _area_level_cell(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "·"
    not_run = counts.get("skipped", 0) + counts.get("unsupported", 0)
    ran = total - not_run
    if not ran:
        return f"({not_run} not run)"
    cell = f"{counts.get('pass', 0)}/{ran}"
    blocking = counts.get("fail", 0) + counts.get("error", 0) + counts.get("unexpected-pass", 0)
    if blocking:
        cell += f" ❌{blocking}"
    if counts.get("non-strict"):
        cell += f" ⚠️{counts['non-strict']}"
    return cell


def _header(report: RunReport) -> list[str]:
    counts = outcome_counts(report)
    strict = is_strict(report)
    blocking = sum(n for o, n in counts.items() if is_blocking(Outcome(o), strict))
    verdict = f"❌ {blocking} blocking" if blocking else "✅ no blocking failures"
    meta = [md_code(report.target), md_inline(report.tool), f"started {md_inline(report.started_at)}",
            f"{report.duration_s:.1f} s", f"exit {report.exit_code}"] + (["--strict"] if strict else [])
    lines = [f"## dscheck: {md_inline(report.server_label)} — {verdict}", "", " · ".join(meta), "",
             "| outcome | count |", "| --- | ---: |"]
    lines += [f"| {outcome_label(o)} | {n} |" for o, n in counts.items() if n]
    lines.append(f"| **total** | **{sum(counts.values())}** |")
    return lines


def _area_table(report: RunReport) -> list[str]:
    if not report.scenarios:
        return []
    levels = levels_present(report.scenarios)
    lines = ["", "### By area × level", "",
             "Cells: passed/ran, ❌ blocking, ⚠️ non-strict.", "",
             "| area | " + " | ".join(levels) + " | all |",
             "| --- |" + " ---: |" * (len(levels) + 1)]
    for area, per_level in by_area_and_level(report.scenarios).items():
        all_counts: dict[str, int] = {}
        for counts in per_level.values():
            for outcome, n in counts.items():
                all_counts[outcome] = all_counts.get(outcome, 0) + n
        cells = [_area_level_cell(dict(per_level.get(level, {}))) for level in levels]
        lines.append(f"| {md_inline(area)} | " + " | ".join(cells) + f" | {_area_level_cell(all_counts)} |")
    return lines


def _problem(scenario: ScenarioResult) -> list[str]:
    section = scenario_section(scenario)
    lines = ["", f"#### {outcome_label(scenario.outcome.value)} {md_code(scenario.id)}"
                 + (f" — {md_inline(scenario.title)}" if scenario.title else "")]
    lines.append(f"- **§{md_inline(section or '?')} {md_inline(scenario.level or 'no level')}** · "
                 f"area {md_inline(scenario.area)} · {md_code(scenario.file)}")
    if scenario.reason:
        lines.append(f"- {md_inline(clip(scenario.reason, MAX_VALUE_CHARS))}")
    quoted = {f.requirement.quote for f in scenario.failures if f.requirement and f.requirement.quote}
    quotes = quoted or {r.quote for r in scenario.requirements if r.quote and r.level == scenario.level}
    for quote in sorted(quotes):
        lines += ["", f"> {md_inline(quote)}"]
    if scenario.failures:
        checks = []
        for f in scenario.failures:
            req = f" (§{f.requirement.section} {f.requirement.level})" if f.requirement else ""
            checks += [f"{step_label(f.step)}: {f.check}{req}",
                       f"  expected: {clip(f.expected, MAX_VALUE_CHARS)}",
                       f"  actual:   {clip(f.actual, MAX_VALUE_CHARS)}"]
        lines += ["", md_fence("\n".join(checks), "text")]
    curls = replay_commands(scenario.transcript, failed_steps(scenario))
    if curls:
        lines += ["", "<details><summary>curl replay</summary>", "", md_fence("\n".join(curls), "sh"), "",
                  "</details>"]
    return lines


def _problems(report: RunReport) -> list[str]:
    found = problems(report)
    if not found:
        return []
    lines = ["", f"### Failures ({len(found)})"]
    for scenario in found[:MAX_LISTED_FAILURES]:
        lines += _problem(scenario)
    if len(found) > MAX_LISTED_FAILURES:
        lines += ["", f"…and {len(found) - MAX_LISTED_FAILURES} more: see report.html or junit.xml."]
    return lines


def render_markdown(report: RunReport) -> str:
    return "\n".join(_header(report) + _area_table(report) + _problems(report)) + "\n"


def write_markdown(report: RunReport, path: Path) -> Path:
    path.write_text(render_markdown(report), encoding="utf-8")
    return path

