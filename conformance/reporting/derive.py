"""Views derived from a RunReport that several formats share: counts, ordering, grouping.

Nothing here is stored in report.json; keeping it in one place keeps the formats consistent.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from conformance.results import LEVELS, Outcome, RunReport, ScenarioResult

OUTCOME_ORDER: tuple[Outcome, ...] = tuple(Outcome)

# What a reader of a report has to look at: blocking outcomes first, then non-strict.
PROBLEM_OUTCOMES: tuple[Outcome, ...] = (
    Outcome.FAIL, Outcome.ERROR, Outcome.UNEXPECTED_PASS, Outcome.NON_STRICT,
)

NO_LEVEL = "(none)"  # a scenario that names no requirement


def outcome_counts(report: RunReport) -> dict[str, int]:
    """The run's summary.by_outcome, every outcome present (zero when absent), in Outcome order."""
    return {o.value: int(report.summary.by_outcome.get(o.value, 0)) for o in OUTCOME_ORDER}


def is_strict(report: RunReport) -> bool:
    """Whether the run was --strict (non-strict results then block)."""
    return bool(report.options.get("strict"))


def is_blocking(outcome: Outcome, strict: bool) -> bool:
    return outcome.is_blocking or (strict and outcome is Outcome.NON_STRICT)


def scenario_section(scenario: ScenarioResult) -> str:
    """The spec section a scenario is filed under: that of its strongest requirement."""
    for requirement in scenario.requirements:
        if requirement.level == scenario.level:
            return requirement.section
    return scenario.requirements[0].section if scenario.requirements else ""


def section_key(section: str) -> tuple:
    """Sort "4.10" after "4.2"; sectionless scenarios last."""
    if not section:
        return (1, ())
    parts = re.split(r"[.\s]+", section.strip())
    return (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p))


def scenario_key(section: str, scenario_id: str) -> tuple:
    return (section_key(section), scenario_id)


def level_label(level: str) -> str:
    return level or NO_LEVEL


def levels_present(scenarios: list[ScenarioResult]) -> list[str]:
    present = {level_label(s.level) for s in scenarios}
    return [lvl for lvl in (*LEVELS, NO_LEVEL) if lvl in present] + sorted(
        present - set(LEVELS) - {NO_LEVEL})


def by_area_and_level(scenarios: list[ScenarioResult]) -> dict[str, dict[str, Counter[str]]]:
    """area -> level -> outcome counts, areas sorted by name."""
    table: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for s in scenarios:
        table[s.area or "(none)"][level_label(s.level)][s.outcome.value] += 1
    return {area: dict(table[area]) for area in sorted(table)}


def problems(report: RunReport) -> list[ScenarioResult]:
    """Scenarios needing attention, blocking ones first, each group by section then id."""
    rank = {o: i for i, o in enumerate(PROBLEM_OUTCOMES)}
    found = [s for s in report.scenarios if s.outcome in rank]
    return sorted(found, key=lambda s: (rank[s.outcome], scenario_key(scenario_section(s), s.id)))


def failed_steps(scenario: ScenarioResult) -> set[str]:
    return {f.step for f in scenario.failures}


# Most serious first: the colour of a group of results is that of its most serious outcome.
SEVERITY: tuple[str, ...] = (
    "fail", "error", "unexpected-pass", "non-strict", "expected-fail", "pass", "unsupported", "skipped",
)
NOT_RUN_OUTCOMES = ("skipped", "unsupported")


def worst_outcome(counts: dict[str, int]) -> str | None:
    return next((o for o in SEVERITY if counts.get(o)), None)


def passed_of_ran(counts: dict[str, int]) -> tuple[int, int]:
    """(passed, ran) for a group of results; skipped and unsupported did not run."""
    ran = sum(counts.values()) - sum(counts.get(o, 0) for o in NOT_RUN_OUTCOMES)
    return counts.get("pass", 0), ran
