"""The requirement registry: load and validate `conformance/requirements.yaml`.

Each entry names one testable normative statement of PROTOCOL.md with a stable id. Scenarios
cite ids in their `spec[].id`; `dscheck coverage` joins the two.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conformance.results import LEVELS

REGISTRY_PATH = Path(__file__).resolve().parent / "requirements.yaml"
# Where PROTOCOL.md is looked for: $DSCHECK_PROTOCOL, then the `shared/spec/` folder that
# sits beside a checkout (as in this project's CI).
DEFAULT_SPEC_PATHS = tuple(
    Path(candidate) for candidate in (
        os.environ.get("DSCHECK_PROTOCOL", ""),
        Path(__file__).resolve().parent.parent.parent / "shared" / "spec" / "PROTOCOL.md",
    ) if str(candidate)
)
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$")
SECTION_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)*$")
KNOWN_FIELDS = {"id", "section", "level", "quote", "implied", "observable", "reason", "note"}
MUST_LEVELS = ("MUST", "MUST NOT")


class RegistryError(ValueError):
    """The registry file is malformed; the message lists every problem found."""


@dataclass(frozen=True)
class RequirementEntry:
    id: str
    section: str
    level: str
    quote: str
    implied: bool = False
    observable: bool = True
    reason: str = ""
    note: str = ""

    @property
    def is_must(self) -> bool:
        return self.level in MUST_LEVELS

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Registry:
    requirements: tuple[RequirementEntry, ...]
    source: str

    def ids(self) -> set[str]:
        return {r.id for r in self.requirements}

    def get(self, requirement_id: str) -> RequirementEntry | None:
        for requirement in self.requirements:
            if requirement.id == requirement_id:
                return requirement
        return None

    def __len__(self) -> int:
        return len(self.requirements)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.requirements)


def load_registry(path: Path | str | None = None) -> Registry:
    """Load and validate the registry; raise RegistryError naming every problem."""
    source = Path(path) if path is not None else REGISTRY_PATH
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"{source}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RegistryError(f"{source}: not valid YAML: {exc}") from exc
    return parse_registry(data, str(source))


def parse_registry(data: Any, source: str = "<registry>") -> Registry:
    if not isinstance(data, dict) or not isinstance(data.get("requirements"), list):
        raise RegistryError(f"{source}: expected a mapping with a `requirements` list")
    problems: list[str] = []
    entries: list[RequirementEntry] = []
    seen: set[str] = set()
    for index, item in enumerate(data["requirements"]):
        where = f"{source}: requirements[{index}]"
        entry = _parse_entry(item, where, problems)
        if entry is None:
            continue
        if entry.id in seen:
            problems.append(f"{where} ({entry.id}): duplicate id")
        seen.add(entry.id)
        entries.append(entry)
    if problems:
        raise RegistryError("invalid requirement registry:\n  " + "\n  ".join(problems))
    return Registry(tuple(entries), source)


def _parse_entry(item: Any, where: str, problems: list[str]) -> RequirementEntry | None:
    if not isinstance(item, dict):
        problems.append(f"{where}: expected a mapping, got {type(item).__name__}")
        return None
    unknown = set(item) - KNOWN_FIELDS
    if unknown:
        problems.append(f"{where}: unknown field(s) {sorted(unknown)}")
    rid = item.get("id")
    if not isinstance(rid, str) or not ID_PATTERN.match(rid):
        problems.append(f"{where}: id {rid!r} must be dotted lower-case words, e.g. fork.offset.beyond-tail-400")
        return None
    where = f"{where} ({rid})"
    section = str(item.get("section", ""))
    if not SECTION_PATTERN.match(section):
        problems.append(f"{where}: section {item.get('section')!r} must look like 4.2 or 5")
    level = item.get("level")
    if level not in LEVELS:
        problems.append(f"{where}: level {level!r} must be one of {', '.join(LEVELS)}")
    quote = item.get("quote")
    if not isinstance(quote, str) or not quote.strip():
        problems.append(f"{where}: quote must be the non-empty spec sentence")
        quote = ""
    observable = item.get("observable", True)
    reason = item.get("reason", "")
    if not isinstance(observable, bool):
        problems.append(f"{where}: observable must be true or false")
    elif not observable and not (isinstance(reason, str) and reason.strip()):
        problems.append(f"{where}: observable: false needs a reason")
    implied = item.get("implied", False)
    if not isinstance(implied, bool):
        problems.append(f"{where}: implied must be true or false")
    return RequirementEntry(
        id=rid, section=section, level=str(level), quote=quote,
        implied=bool(implied), observable=bool(observable),
        reason=str(reason or ""), note=str(item.get("note", "") or ""),
    )


def normalize_spec_text(text: str) -> str:
    """The spec as the registry quotes it: no markdown emphasis, whitespace collapsed."""
    text = text.replace("**", "")
    return re.sub(r"\s+", " ", text)


def find_spec() -> Path | None:
    for candidate in DEFAULT_SPEC_PATHS:
        if candidate.is_file():
            return candidate
    return None


def unquoted(registry: Iterable[RequirementEntry], spec_text: str) -> list[RequirementEntry]:
    """Entries whose quote is not found verbatim in the (normalized) spec text."""
    haystack = normalize_spec_text(spec_text)
    return [r for r in registry if normalize_spec_text(r.quote).strip() not in haystack]
