"""Write a shrunk failing explorer run as a YAML scenario that `dscheck run` can replay."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from conformance.explore.trace import Trace

SCENARIO_ID_PREFIX = "explore.found"


def cited_section(failure: str) -> str:
    """The PROTOCOL.md section the model's complaint names (e.g. "§5.2.1"), else 5."""
    match = re.search(r"§(\d+(?:\.\d+)*)", failure)
    return match.group(1) if match else "5"


def required_capabilities(trace: Trace) -> list[str]:
    """The schema's capabilities the steps use, so `dscheck run --without` can skip them."""
    needed: set[str] = set()
    for step in trace.steps:
        request = step.request
        headers = {name.lower(): value for name, value in (request.get("headers") or {}).items()}
        if "stream-forked-from" in headers:
            needed.add("fork")
        if "producer-id" in headers:
            needed.add("producers")
        if "stream-closed" in headers:
            needed.add("closure")
        if headers.get("content-type") == "application/json" or "json" in (request.get("body") or {}):
            needed.add("json")
        if request["method"] == "DELETE":
            needed.add("delete")
        if request["method"] == "POST":
            needed.add("append")
    return sorted(needed)


def scenario_document(trace: Trace, scenario_id: str, failure: str, seed: int | None) -> dict[str, Any]:
    steps = [step.to_yaml_dict() for step in trace.steps]
    return {
        "id": scenario_id,
        "title": f"explorer reproducer: {failure.splitlines()[0][:120]}",
        "description": (f"Found and shrunk by `dscheck explore` (seed {seed}). The last step is the "
                        f"one the protocol model rejected:\n{failure}"),
        "spec": [{"section": cited_section(failure), "level": "MUST",
                  "quote": "Found by the stateful explorer; the failing step's note names the rule."}],
        "requires": required_capabilities(trace),
        "tags": ["explore"],
        "steps": steps,
    }


def write_scenario(trace: Trace, report_dir: Path, failure: str, seed: int | None,
                   name: str = "reproducer") -> tuple[Path, str]:
    """Write the scenario under `report_dir/scenarios/` and return (file, scenario id)."""
    scenario_id = f"{SCENARIO_ID_PREFIX}.{name}"
    folder = report_dir / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    document = scenario_document(trace, scenario_id, failure, seed)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100))
    return path, scenario_id
