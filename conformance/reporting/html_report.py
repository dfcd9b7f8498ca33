"""report.html: one standalone page (inline CSS, no JavaScript, no external assets).

The key numbers carry stable ids so tools and tests can read them back:
  #count-<outcome> (summary.by_outcome, every outcome), #count-total, #count-problems,
  #summary-collected, #summary-ran, #summary-skipped, #exit-code;
  area x level cells: td[data-area][data-level] with data-total, data-pass, data-ran.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from conformance.reporting.derive import (
    by_area_and_level, failed_steps, is_strict, levels_present, outcome_counts, passed_of_ran,
    problems, scenario_key, scenario_section, worst_outcome,
)
from conformance.reporting.html_page import css_token, esc, page
from conformance.reporting.text import replay_commands, transcript_text
from conformance.results import RunReport, ScenarioResult


def outcome_badge(outcome: str) -> str:
    return f'<span class="badge o-{css_token(outcome)}">{esc(outcome)}</span>'


def _header(report: RunReport) -> str:
    strict = " · <strong>--strict</strong>" if is_strict(report) else ""
    return (
        f"<h1>dscheck report: {esc(report.server_label)}</h1>\n"
        f'<p class="meta">target <code>{esc(report.target)}</code> · {esc(report.tool)} · '
        f"started {esc(report.started_at)} · {report.duration_s:.1f} s · "
        f'exit code <span id="exit-code">{report.exit_code}</span>{strict}<br>'
        f'options <code>{esc(json.dumps(report.options, sort_keys=True, default=str))}</code></p>'
    )


def _summary(report: RunReport) -> str:
    counts = outcome_counts(report)
    badges = "".join(
        f'<span class="badge o-{css_token(o)}{" zero" if not n else ""}" data-outcome="{esc(o)}">'
        f'{esc(o)} <span id="count-{css_token(o)}" data-count="{n}">{n}</span></span>'
        for o, n in counts.items()
    )
    total = sum(counts.values())
    s = report.summary
    return (
        "<h2>Summary</h2>\n"
        f'<div class="badges">{badges}<span class="badge">total '
        f'<span id="count-total" data-count="{total}">{total}</span></span></div>\n'
        f'<p class="small">collected <span id="summary-collected">{s.collected}</span> · '
        f'ran <span id="summary-ran">{s.ran}</span> · '
        f'skipped <span id="summary-skipped">{s.skipped}</span></p>'
    )


def _area_cell(area: str, level: str, counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return f'<td class="cell" data-area="{esc(area)}" data-level="{esc(level)}" data-total="0">·</td>'
    passed, ran = passed_of_ran(counts)
    worst = worst_outcome(counts) or "not-run"
    tooltip = ", ".join(f"{o} {n}" for o, n in sorted(counts.items()))
    return (f'<td class="cell o-{css_token(worst)}" data-area="{esc(area)}" data-level="{esc(level)}" '
            f'data-total="{total}" data-pass="{passed}" data-ran="{ran}" title="{esc(tooltip)}">'
            f"{f'{passed}/{ran}' if ran else 'not run'}</td>")


def _area_table(report: RunReport) -> str:
    if not report.scenarios:
        return "<h2>By area and level</h2>\n<p>No scenarios.</p>"
    levels = levels_present(report.scenarios)
    head = "".join(f"<th>{esc(level)}</th>" for level in levels)
    rows = []
    for area, per_level in by_area_and_level(report.scenarios).items():
        everything: Counter[str] = sum(per_level.values(), Counter())
        cells = "".join(_area_cell(area, level, dict(per_level.get(level, {}))) for level in levels)
        rows.append(f'<tr data-area="{esc(area)}"><th>{esc(area)}</th>{cells}'
                    f'{_area_cell(area, "all", dict(everything))}</tr>')
    return (
        "<h2>By area and level</h2>\n"
        '<p class="small">Cells: passed / ran (skipped and unsupported did not run); '
        "colour: the most serious outcome; hover for the counts.</p>\n"
        f'<table id="area-level"><thead><tr><th>area</th>{head}<th>all</th></tr></thead>\n'
        f"<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


def _requirements(scenario: ScenarioResult) -> str:
    items = []
    for req in scenario.requirements:
        ident = f" <code>{esc(req.id)}</code>" if req.id else ""
        quote = f"<blockquote>{esc(req.quote)}</blockquote>" if req.quote else ""
        items.append(f"<li>§{esc(req.section)} <strong>{esc(req.level)}</strong>{ident}{quote}</li>")
    return f"<h3>Requirements</h3><ul>{''.join(items)}</ul>" if items else ""


def _checks(scenario: ScenarioResult) -> str:
    if not scenario.failures:
        return ""
    rows = []
    for f in scenario.failures:
        req = f"§{esc(f.requirement.section)} {esc(f.requirement.level)}" if f.requirement else ""
        quote = f"<blockquote>{esc(f.requirement.quote)}</blockquote>" if f.requirement and f.requirement.quote else ""
        rows.append(f"<tr><td>{esc(f.step)}</td><td>{esc(f.check)}</td><td>{req}{quote}</td>"
                    f"<td><pre>{esc(f.expected)}</pre></td><td><pre>{esc(f.actual)}</pre></td></tr>")
    return ('<h3>Checks</h3><table class="checks"><thead><tr><th>step</th><th>check</th>'
            "<th>requirement</th><th>expected</th><th>actual</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _problem(scenario: ScenarioResult, index: int) -> str:
    section = scenario_section(scenario)
    title = f" {esc(scenario.title)}" if scenario.title else ""
    reason = f"<p>{esc(scenario.reason)}</p>" if scenario.reason else ""
    transcript = (f"<h3>HTTP transcript</h3><pre class=\"transcript\">{esc(transcript_text(scenario.transcript))}</pre>"
                  if scenario.transcript else "")
    curls = replay_commands(scenario.transcript, failed_steps(scenario))
    replay = f'<h3>curl replay</h3><pre class="curl">{esc(chr(10).join(curls))}</pre>' if curls else ""
    return (
        # The first problem starts open: it is usually what the reader came for.
        f'<details class="problem" id="problem-{index}"{" open" if index == 0 else ""} data-scenario="{esc(scenario.id)}" '
        f'data-outcome="{esc(scenario.outcome.value)}">\n'
        f"<summary>{outcome_badge(scenario.outcome.value)} <code>{esc(scenario.id)}</code>{title} "
        f'<span class="small">§{esc(section or "?")} {esc(scenario.level)} · {esc(scenario.area)} · '
        f"{esc(scenario.file)}</span></summary>\n"
        f"{reason}{_requirements(scenario)}{_checks(scenario)}{transcript}{replay}\n</details>"
    )


def _problems(report: RunReport) -> str:
    found = problems(report)
    body = "\n".join(_problem(s, i) for i, s in enumerate(found)) or "<p>None.</p>"
    return f'<h2>Failures (<span id="count-problems">{len(found)}</span>)</h2>\n{body}'


def _all_scenarios(report: RunReport) -> str:
    ordered = sorted(report.scenarios, key=lambda s: scenario_key(scenario_section(s), s.id))
    rows = "\n".join(
        f'<tr data-scenario="{esc(s.id)}"><td><code>{esc(s.id)}</code></td><td>{esc(s.title)}</td>'
        f"<td>{esc(s.area)}</td><td>{esc(scenario_section(s))}</td><td>{esc(s.level)}</td>"
        f"<td>{outcome_badge(s.outcome.value)}</td><td>{esc(s.reason)}</td>"
        f'<td class="num">{s.duration_s:.3f}</td></tr>'
        for s in ordered
    )
    return (
        f"<h2>All scenarios</h2>\n<details><summary>{len(ordered)} scenarios, by section</summary>\n"
        '<table id="all-scenarios"><thead><tr><th>id</th><th>title</th><th>area</th><th>section</th>'
        "<th>level</th><th>outcome</th><th>reason</th><th>s</th></tr></thead>\n"
        f"<tbody>\n{rows}\n</tbody></table>\n</details>"
    )


def render_html(report: RunReport) -> str:
    body = "\n".join([_header(report), _summary(report), _area_table(report),
                      _problems(report), _all_scenarios(report)])
    return page(f"dscheck report: {report.server_label}", body)


def write_html(report: RunReport, path: Path) -> Path:
    path.write_text(render_html(report), encoding="utf-8")
    return path
