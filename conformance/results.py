"""The result model: what a run found, shared by the runner (producer), the reporters,
the matrix and the pytest plugin (consumers). Plain dataclasses that round-trip to JSON.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Outcome(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"                        # a MUST / MUST NOT broken
    NON_STRICT = "non-strict"            # a SHOULD / SHOULD NOT / MAY broken; fails only with --strict
    UNSUPPORTED = "unsupported"          # needs a capability declared absent with --without
    ERROR = "error"                      # transport-level misbehaviour: timeout, reset, garbage
    EXPECTED_FAIL = "expected-fail"      # failed, and listed in --expected-failures
    UNEXPECTED_PASS = "unexpected-pass"  # passed, but listed in --expected-failures
    SKIPPED = "skipped"                  # not run; `reason` always says why

    @property
    def is_blocking(self) -> bool:
        """Whether this outcome makes the run exit 1 (non-strict is decided by --strict)."""
        return self in (Outcome.FAIL, Outcome.ERROR, Outcome.UNEXPECTED_PASS)


LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")


@dataclass
class Requirement:
    section: str            # PROTOCOL.md section, e.g. "4.2"
    level: str              # one of LEVELS
    quote: str = ""         # the spec sentence the check comes from
    id: str | None = None   # requirement registry id, when the scenario names one


@dataclass
class HttpRequestRecord:
    method: str
    url: str
    headers: dict[str, str]
    body_preview: str = ""       # text, or base64 marked by body_encoding
    body_encoding: str = "text"  # "text" | "base64"
    body_length: int = 0


@dataclass
class HttpResponseRecord:
    status: int
    headers: dict[str, str]
    body_preview: str = ""
    body_encoding: str = "text"
    body_length: int = 0
    truncated: bool = False


@dataclass
class Exchange:
    """One request in a scenario's HTTP transcript."""
    step: str
    request: HttpRequestRecord
    response: HttpResponseRecord | None = None
    error: str | None = None     # transport error, when there is no response
    elapsed_s: float = 0.0
    curl: str = ""               # a copy-pasteable command that replays the request


@dataclass
class Failure:
    step: str                    # the step that failed
    check: str                   # what was checked, e.g. "status", "header Stream-Closed"
    expected: str
    actual: str
    requirement: Requirement | None = None


@dataclass
class ScenarioResult:
    id: str                      # includes the matrix row suffix, e.g. "fork.ttl[ttl-x-none]"
    title: str
    file: str
    area: str                    # grouping for summaries, e.g. "fork", "offsets"
    requirements: list[Requirement]
    level: str                   # the strongest level among requirements
    requires: list[str]
    tags: list[str]
    outcome: Outcome
    reason: str = ""             # one line: why it failed, errored or was skipped
    failures: list[Failure] = field(default_factory=list)
    transcript: list[Exchange] = field(default_factory=list)
    duration_s: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunSummary:
    collected: int
    ran: int
    skipped: int
    by_outcome: dict[str, int]


@dataclass
class RunReport:
    tool: str                    # "dscheck 0.1.0"
    target: str                  # base URL (with prefix) the run was against
    server_label: str            # a column name for the matrix, e.g. "reference", "node 0.3.7"
    started_at: str              # RFC 3339
    duration_s: float
    options: dict[str, Any]
    summary: RunSummary
    exit_code: int
    scenarios: list[ScenarioResult]

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self, dict_factory=_json_dict_factory)

    @staticmethod
    def from_json_dict(data: dict[str, Any]) -> RunReport:
        scenarios = [_scenario_from_dict(item) for item in data["scenarios"]]
        return RunReport(
            **{k: v for k, v in data.items() if k not in ("scenarios", "summary")},
            summary=RunSummary(**data["summary"]),
            scenarios=scenarios,
        )


def _json_dict_factory(items: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: (value.value if isinstance(value, enum.Enum) else value) for key, value in items}


def _scenario_from_dict(data: dict[str, Any]) -> ScenarioResult:
    def exchange(item: dict[str, Any]) -> Exchange:
        response = item.get("response")
        return Exchange(
            **{k: v for k, v in item.items() if k not in ("request", "response")},
            request=HttpRequestRecord(**item["request"]),
            response=HttpResponseRecord(**response) if response else None,
        )

    def failure(item: dict[str, Any]) -> Failure:
        requirement = item.get("requirement")
        return Failure(**{k: v for k, v in item.items() if k != "requirement"},
                       requirement=Requirement(**requirement) if requirement else None)

    return ScenarioResult(
        **{k: v for k, v in data.items()
           if k not in ("requirements", "outcome", "failures", "transcript")},
        requirements=[Requirement(**r) for r in data["requirements"]],
        outcome=Outcome(data["outcome"]),
        failures=[failure(f) for f in data.get("failures", [])],
        transcript=[exchange(e) for e in data.get("transcript", [])],
    )
