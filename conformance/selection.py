"""Decide, before running, which scenarios run: --only / --skip (ids, globs or tags) and
--without (capabilities the server lacks). Nothing is dropped silently: every scenario
that will not run gets a reason.
"""

from __future__ import annotations

import fnmatch

from conformance.results import Outcome
from conformance.scenario import Scenario


def _matches(scenario: Scenario, selector: str) -> bool:
    return (selector in scenario.tags
            or fnmatch.fnmatchcase(scenario.id, selector)
            or fnmatch.fnmatchcase(scenario.base_id, selector)
            or selector == scenario.area)


def not_run_reason(scenario: Scenario, only: list[str], skip: list[str],
                   without: list[str]) -> tuple[Outcome, str] | None:
    """None when the scenario runs; else the outcome (skipped/unsupported) and why."""
    if only and not any(_matches(scenario, s) for s in only):
        return Outcome.SKIPPED, f"not selected by --only {' '.join(only)}"
    excluded = [s for s in skip if _matches(scenario, s)]
    if excluded:
        return Outcome.SKIPPED, f"excluded by --skip {excluded[0]}"
    missing = [cap for cap in scenario.requires if cap in without]
    if missing:
        return Outcome.UNSUPPORTED, f"needs capability {', '.join(missing)} (declared absent with --without)"
    return None
