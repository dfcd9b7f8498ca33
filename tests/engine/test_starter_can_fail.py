"""Every starter scenario passes on the reference server and fails on a wrong one."""

from __future__ import annotations

import asyncio

import pytest

from conformance.http_exchange import Limits
from conformance.loader import default_scenario_dir, load_scenarios
from conformance.results import Outcome
from conformance.runner import RunOptions, run_suite

STARTER = load_scenarios(default_scenario_dir() / "starter")


def run(url: str):  # type: ignore[no-untyped-def]
    options = RunOptions(limits=Limits(request_timeout_s=5.0))
    return {r.id: r for r in asyncio.run(run_suite(STARTER, url, options)).scenarios}


def test_starter_uses_every_format_feature() -> None:
    text = "\n".join(s.file.read_text() for s in STARTER)
    for feature in ["{stream:", "{{", "capture:", "background: true", "await:", "sse:", "eventually:",
                    "sleep:", "matrix:", "json:", "base64:", "raw:", "within:", "at_least:", "greater_than",
                    "not_equals", "matches", "equals_ci", "null", "events:", "last_control", "data_json",
                    "contains", "length", "status: [", "cites:", "until: close", "max_events"]:
        assert feature in text, feature


def test_starter_passes_on_reference(reference_url: str) -> None:
    results = run(reference_url)
    bad = {i: r.reason for i, r in results.items() if r.outcome is not Outcome.PASS}
    assert not bad


@pytest.mark.parametrize("scenario_id", [s.id for s in STARTER])
def test_each_starter_scenario_fails_on_a_wrong_server(wrong_url: str, scenario_id: str,
                                                       request: pytest.FixtureRequest) -> None:
    cache = request.config.stash.setdefault(_cache_key, {})
    if "results" not in cache:
        cache["results"] = run(wrong_url)
    result = cache["results"][scenario_id]
    assert result.outcome is Outcome.FAIL, (result.outcome, result.reason)
    assert result.failures and result.failures[0].requirement is not None


_cache_key = pytest.StashKey[dict]()
