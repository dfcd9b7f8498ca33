"""`dscheck coverage`: which requirements of the registry the scenarios cite, and the gaps.

Scenarios cite registry ids in their `spec[].id`. A gap is an observable requirement that no
scenario cites; `--fail-on-gaps` exits 1 when any observable MUST / MUST NOT is a gap.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.registry import Registry, RegistryError, RequirementEntry, load_registry


@dataclass
class CoverageReport:
    registry: Registry
    cited_by: dict[str, list[str]]                      # requirement id -> scenario ids
    unknown: dict[str, list[str]] = field(default_factory=dict)  # cited id not in the registry -> scenarios
    expanded: int = 0                                    # scenario runs after matrix expansion

    def gaps(self, *, must_only: bool = False) -> list[RequirementEntry]:
        return [r for r in self.registry if r.observable and not self.cited_by.get(r.id)
                and (r.is_must or not must_only)]


def compute_coverage(scenarios_dir: Path, registry: Registry) -> CoverageReport:
    from conformance.loader import load_scenarios  # the engine's loader validates every file

    cited_by: dict[str, list[str]] = {r.id: [] for r in registry}
    unknown: dict[str, list[str]] = {}
    seen_base: set[str] = set()
    scenarios = load_scenarios(scenarios_dir)
    for scenario in scenarios:
        if scenario.base_id in seen_base:
            continue
        seen_base.add(scenario.base_id)
        for requirement in scenario.requirements:
            if not requirement.id:
                continue
            target = cited_by if requirement.id in cited_by else unknown
            bucket = target.setdefault(requirement.id, [])
            if scenario.base_id not in bucket:
                bucket.append(scenario.base_id)
    return CoverageReport(registry, cited_by, unknown, expanded=len(scenarios))


def render_text(report: CoverageReport) -> str:
    lines = []
    for r in report.registry:
        who = report.cited_by.get(r.id) or []
        mark = "n/a " if not r.observable else ("ok  " if who else "GAP ")
        lines.append(f"{mark} {r.id} [{r.section} {r.level}] " + (", ".join(who) if who else
                     (f"(not observable: {r.reason})" if not r.observable else "(no scenario)")))
    lines.append("")
    lines += _summary_lines(report)
    return "\n".join(lines)


def render_markdown(report: CoverageReport) -> str:
    out = ["# Requirement coverage", "", *(f"- {line}" for line in _summary_lines(report)), "",
           "| id | § | level | scenarios |", "| --- | --- | --- | --- |"]
    for r in report.registry:
        who = report.cited_by.get(r.id) or []
        cell = ", ".join(f"`{s}`" for s in who) if who else (
            f"not observable: {r.reason}" if not r.observable else "**GAP**")
        out.append(f"| `{r.id}` | {r.section} | {r.level} | {cell} |")
    return "\n".join(out) + "\n"


def render_json(report: CoverageReport) -> str:
    data: dict[str, Any] = {
        "requirements": [
            {"id": r.id, "section": r.section, "level": r.level, "observable": r.observable,
             "scenarios": report.cited_by.get(r.id) or []} for r in report.registry],
        "gaps": [r.id for r in report.gaps()],
        "must_gaps": [r.id for r in report.gaps(must_only=True)],
        "unknown_ids": report.unknown,
        "scenario_runs": report.expanded,
    }
    return json.dumps(data, indent=2)


def _summary_lines(report: CoverageReport) -> list[str]:
    observable = [r for r in report.registry if r.observable]
    covered = [r for r in observable if report.cited_by.get(r.id)]
    musts = [r for r in observable if r.is_must]
    lines = [
        f"requirements: {len(report.registry)} ({len(observable)} observable)",
        f"covered: {len(covered)}/{len(observable)} observable; "
        f"MUST/MUST NOT: {len(musts) - len(report.gaps(must_only=True))}/{len(musts)}",
        f"scenario runs after matrix expansion: {report.expanded}",
    ]
    gaps = report.gaps()
    if gaps:
        lines.append("gaps: " + ", ".join(f"{r.id} ({r.level})" for r in gaps))
    if report.unknown:
        lines.append("cited ids missing from the registry: " + ", ".join(sorted(report.unknown)))
    return lines


def run(args: argparse.Namespace) -> int:
    from conformance.loader import ScenarioFormatError, default_scenario_dir

    try:
        registry = load_registry(args.registry)
        report = compute_coverage(Path(args.scenarios) if args.scenarios else default_scenario_dir(),
                                  registry)
    except (RegistryError, ScenarioFormatError) as exc:
        print(f"dscheck coverage: {exc}", file=sys.stderr)
        return 2
    renderer = {"text": render_text, "markdown": render_markdown, "json": render_json}[args.format]
    print(renderer(report))
    if report.unknown:
        return 1
    if args.fail_on_gaps and report.gaps(must_only=True):
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "coverage", help="map registry requirements to the scenarios that cite them",
        description="List each requirement of conformance/requirements.yaml with the scenarios "
                    "citing it (spec[].id), and the gaps. Exit 1 on cited ids missing from the "
                    "registry, or with --fail-on-gaps on any uncovered observable MUST/MUST NOT.")
    parser.add_argument("--scenarios", help="scenario directory (default: the repository's scenarios/)")
    parser.add_argument("--registry", help="requirement registry YAML (default: the packaged one)")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument("--fail-on-gaps", action="store_true",
                        help="exit 1 if any observable MUST / MUST NOT has no scenario")
    parser.set_defaults(func=run)
