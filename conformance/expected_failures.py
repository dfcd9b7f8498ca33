"""The --expected-failures file: a YAML list of ids or id globs, each with an optional reason.

    - id: fork.sub-offset.*
      reason: sub-offsets not implemented yet
    - read.sse.base64-split
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import yaml


class ExpectedFailuresError(ValueError):
    """The file is unreadable or not in the expected shape (-> exit code 2)."""


@dataclass(frozen=True)
class ExpectedFailure:
    pattern: str
    reason: str = ""

    def matches(self, scenario_id: str) -> bool:
        return fnmatch.fnmatchcase(scenario_id, self.pattern)


def load_expected_failures(path: Path) -> list[ExpectedFailure]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ExpectedFailuresError(f"{path}: cannot read: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise ExpectedFailuresError(f"{path}: expected a YAML list of ids or {{id, reason}} entries")
    entries = []
    for index, item in enumerate(data):
        if isinstance(item, str):
            entries.append(ExpectedFailure(item))
        elif isinstance(item, dict) and isinstance(item.get("id"), str) and set(item) <= {"id", "reason"}:
            entries.append(ExpectedFailure(item["id"], str(item.get("reason") or "")))
        else:
            raise ExpectedFailuresError(f"{path}: entry {index}: expected an id string or {{id, reason}}")
    return entries


def find_expected(entries: list[ExpectedFailure], scenario_id: str) -> ExpectedFailure | None:
    return next((entry for entry in entries if entry.matches(scenario_id)), None)
