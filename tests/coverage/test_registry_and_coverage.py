"""The requirement registry is well-formed, quotes the spec verbatim, and the scenarios cover it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.coverage_command import compute_coverage
from conformance.loader import load_scenarios
from conformance.registry import (RegistryError, find_spec, load_registry, parse_registry,
                                  unquoted)

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SECTIONS = ("4", "5", "8", "9", "10", "12")


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def coverage(registry):
    return compute_coverage(SCENARIOS, registry)


def test_registry_covers_only_the_assigned_sections(registry):
    assert len(registry) > 150
    assert all(r.section.split(".")[0] in SECTIONS for r in registry)


def test_every_quote_is_verbatim_from_the_spec(registry):
    spec = find_spec()
    if spec is None:
        pytest.skip("PROTOCOL.md not available")
    missing = unquoted(registry, spec.read_text(encoding="utf-8"))
    assert not missing, [r.id for r in missing]


def test_unobservable_entries_say_why(registry):
    assert all(r.reason for r in registry if not r.observable)


def test_registry_rejects_duplicates_and_bad_levels():
    bad = {"requirements": [
        {"id": "a.b", "section": "4", "level": "MUST", "quote": "x"},
        {"id": "a.b", "section": "4", "level": "OUGHT", "quote": "x"},
        {"id": "c.d", "section": "4", "level": "MUST", "quote": "x", "observable": False},
    ]}
    with pytest.raises(RegistryError) as info:
        parse_registry(bad)
    message = str(info.value)
    assert "duplicate id" in message and "OUGHT" in message and "needs a reason" in message


def test_every_observable_must_has_a_scenario(coverage):
    gaps = [r.id for r in coverage.gaps(must_only=True)]
    assert gaps == []


def test_every_cited_id_exists(coverage):
    assert coverage.unknown == {}


def test_cited_entries_match_the_registry(registry):
    """A scenario's spec entry with an id quotes that requirement and its section; a level may
    only be weakened (ambiguous readings are cited at SHOULD)."""
    strength = {"MUST": 2, "MUST NOT": 2, "SHOULD": 1, "SHOULD NOT": 1, "MAY": 0}
    problems = []
    for scenario in load_scenarios(SCENARIOS):
        for req in scenario.requirements:
            entry = registry.get(req.id) if req.id else None
            if entry is None:
                continue
            if " ".join(req.quote.split()) != " ".join(entry.quote.split()) or req.section != entry.section:
                problems.append(f"{scenario.id}: {req.id} quote/section differs from the registry")
            if strength[req.level] > strength[entry.level]:
                problems.append(f"{scenario.id}: {req.id} cited above its level")
    assert problems == []


def test_fork_scenarios_require_the_fork_capability():
    """So `--without fork` marks every fork scenario unsupported instead of failing it."""
    for scenario in load_scenarios(SCENARIOS):
        uses_fork = "Stream-Forked-From" in str(scenario.steps)
        if uses_fork:
            assert "fork" in scenario.requires, scenario.id


def test_suite_size(coverage):
    assert coverage.expanded >= 420  # issue 4: at least 400 checks once matrices expand
