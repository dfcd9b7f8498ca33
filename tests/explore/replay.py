"""Replay a generated reproducer through the scenario engine, as `dscheck run --only` would."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conformance.loader import load_scenarios
from conformance.results import ScenarioResult
from conformance.runner import RunOptions, run_suite


def replay(scenario_dir: Path, scenario_id: str, url: str, prefix: str = "/v1/stream") -> ScenarioResult:
    scenarios = load_scenarios(scenario_dir)
    report = asyncio.run(run_suite(scenarios, url, RunOptions(prefix=prefix, only=[scenario_id], jobs=1)))
    (result,) = [r for r in report.scenarios if r.id == scenario_id]
    return result
