"""The scenario model: one loaded (and, for matrix scenarios, expanded) scenario.

Steps stay as the validated YAML mappings; the executor interprets them. Each step keeps
its source line so runtime problems can still point into the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.results import LEVELS, Requirement

DEFAULT_SCENARIO_TIMEOUT_S = 30.0
STRICT_LEVELS = ("MUST", "MUST NOT")


@dataclass
class Scenario:
    id: str                       # with the matrix row suffix, e.g. "fork.ttl[ttl-none]"
    base_id: str                  # the file's `id`
    title: str
    file: Path
    line: int                     # line of `id` (or of the matrix row)
    requirements: list[Requirement]
    requires: list[str]
    tags: list[str]
    steps: list[dict[str, Any]]
    step_lines: list[int]
    timeout_s: float = DEFAULT_SCENARIO_TIMEOUT_S
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def area(self) -> str:
        return self.base_id.split(".", 1)[0]

    @property
    def display_file(self) -> str:
        """The file relative to the working directory when it lies below it: reports
        should not carry one machine's absolute paths."""
        try:
            return str(self.file.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(self.file)

    @property
    def expected_wait_s(self) -> float:
        """A rough lower bound of the time this scenario spends waiting (sleeps, held
        responses, eventual checks), so the runner can start the slow ones first."""
        wait = 0.0
        for step in self.steps:
            wait += _number(step.get("sleep"))
            wait += 0.5 * _number((step.get("eventually") or {}).get("within"))
            wait += _number((step.get("expect") or {}).get("at_least"))
        return wait

    @property
    def level(self) -> str:
        """The strongest level among the scenario's requirements (MUST beats SHOULD)."""
        return min((r.level for r in self.requirements), key=LEVELS.index)

    @property
    def slug(self) -> str:
        """A path-safe form of the id, used to name this scenario's streams."""
        return re.sub(r"[^a-z0-9._-]+", "-", self.id.lower()).strip("-")

    def requirement_for(self, step: dict[str, Any]) -> Requirement:
        """The requirement a step's checks belong to (its `cites`, else the first)."""
        cites = step.get("cites")
        if isinstance(cites, str) and cites.startswith("{{") and cites.endswith("}}"):
            cites = self.params.get(cites[2:-2].strip())
        if isinstance(cites, int) and 0 <= cites < len(self.requirements):
            return self.requirements[cites]
        if isinstance(cites, str):
            for requirement in self.requirements:
                if requirement.id == cites:
                    return requirement
        return self.requirements[0]

    @staticmethod
    def is_strict_level(level: str) -> bool:
        return level in STRICT_LEVELS


def _number(value: Any) -> float:
    # Matrix rows may leave a `{{param}}` here; those count as no wait.
    return float(value) if isinstance(value, (int, float)) else 0.0
