"""Record what the explorer sent and checked, as steps of the project's scenario format.

Every HTTP exchange becomes one scenario step (docs/scenario-format.md): the request with
`{stream:NAME}` paths, offsets referenced as `{{oN}}` captures (offsets are opaque, so a
replay must use whatever the server returns), and an `expect` block holding exactly the
checks the model made. The failing step therefore fails the same way when replayed.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

OFFSET_HEADER = "Stream-Next-Offset"


def body_spec(data: bytes | None, json_value: Any = None, is_json: bool = False) -> dict[str, Any] | None:
    """A scenario `body` for request bytes: json for JSON streams, else text or base64."""
    if is_json:
        return {"json": json_value}
    if not data:
        return None
    try:
        text = data.decode("ascii")
        if text.isprintable():
            return {"text": text}
    except UnicodeDecodeError:
        pass
    return {"base64": base64.b64encode(data).decode("ascii")}


@dataclass
class TraceStep:
    name: str
    note: str
    request: dict[str, Any]
    expect: dict[str, Any] = field(default_factory=dict)
    capture: dict[str, Any] = field(default_factory=dict)

    def to_yaml_dict(self) -> dict[str, Any]:
        step: dict[str, Any] = {"name": self.name, "note": self.note, "request": self.request}
        if self.expect:
            step["expect"] = self.expect
        if self.capture:
            step["capture"] = self.capture
        return step


class Trace:
    """The steps of one state-machine run, plus the token -> capture-variable map."""

    def __init__(self) -> None:
        self.steps: list[TraceStep] = []
        # (stream, token) -> capture variable. Keyed per stream: two streams may mint equal
        # tokens for different positions; a fork inherits its source's variables (§8).
        self.token_vars: dict[tuple[str, str], str] = {}

    def richness(self) -> tuple[int, int]:
        """(kinds of step, steps): how much of the protocol this trace exercises."""
        kinds = {(step.request["method"], step.note.split(" (")[0].split(" at ")[0]) for step in self.steps}
        return len(kinds), len(self.steps)

    @property
    def current(self) -> TraceStep:
        return self.steps[-1]

    def begin(self, note: str, method: str, stream: str, *, query: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None, body: dict[str, Any] | None = None) -> TraceStep:
        request: dict[str, Any] = {"method": method, "path": f"{{stream:{stream}}}"}
        if query:
            request["query"] = query
        if headers:
            request["headers"] = headers
        if body is not None:
            request["body"] = body
        step = TraceStep(f"s{len(self.steps) + 1}", note, request)
        self.steps.append(step)
        return step

    def offset_ref(self, stream: str, token: str) -> str:
        """How a request names an offset the server returned earlier for `stream`."""
        if token in ("-1", "now"):
            return token
        return "{{" + self.token_vars[(stream, token)] + "}}"

    def capture_offset(self, stream: str, token: str | None) -> None:
        """Capture a newly seen Stream-Next-Offset so later steps can use it."""
        if not token or (stream, token) in self.token_vars:
            return
        var = f"o{len(set(self.token_vars.values())) + 1}"
        self.token_vars[(stream, token)] = var
        self.current.capture[var] = {"header": OFFSET_HEADER}

    def inherit_offsets(self, fork: str, source: str, tokens: list[str]) -> None:
        for token in tokens:
            if (source, token) in self.token_vars:
                self.token_vars[(fork, token)] = self.token_vars[(source, token)]

    def expect_status(self, statuses: tuple[int, ...]) -> None:
        self.current.expect["status"] = statuses[0] if len(statuses) == 1 else list(statuses)

    def expect_header(self, name: str, check: Any) -> None:
        self.current.expect.setdefault("headers", {})[name] = check

    def expect_body(self, check: dict[str, Any]) -> None:
        self.current.expect["body"] = check


def response_body_check(content: bytes | list[Any], is_json: bool) -> dict[str, Any]:
    if is_json:
        return {"json": content}
    assert isinstance(content, bytes)
    if not content:
        return {"empty": True}
    spec = body_spec(content)
    assert spec is not None
    return spec


def json_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
