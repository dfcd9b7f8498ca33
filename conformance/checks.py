"""Evaluate a step's `expect` block against a response. Pure functions: no I/O.

Each broken check becomes a Mismatch (check, expected, actual); the executor attaches the
requirement and decides fail vs non-strict from its level.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from conformance.http_exchange import HttpResult
from conformance.sse import SseEvent

SHOWN_CHARS = 300
# digits, optional minus and fraction: stricter than Decimal(), which also takes "1_0", "NaN", "1e3"
NUMBER_PATTERN = re.compile(r"-?[0-9]+(\.[0-9]+)?")
INTEGER_PATTERN = re.compile(r"-?[0-9]+")
NUMBER_COMPARISONS = {"gt": (">", lambda a, b: a > b), "ge": (">=", lambda a, b: a >= b),
                      "lt": ("<", lambda a, b: a < b), "le": ("<=", lambda a, b: a <= b),
                      "eq": ("==", lambda a, b: a == b), "ne": ("!=", lambda a, b: a != b)}


@dataclass
class Mismatch:
    check: str
    expected: str
    actual: str


def show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + f"... ({len(text)} chars)"


def show_bytes(data: bytes) -> str:
    try:
        return show(data.decode("utf-8"))
    except UnicodeDecodeError:
        return "base64:" + show(base64.b64encode(data).decode())


def evaluate(expect: dict[str, Any], result: HttpResult, timeout_scale: float = 1.0) -> list[Mismatch]:
    problems: list[Mismatch] = []
    if "status" in expect:
        problems += check_status(expect["status"], result.status)
    for name, spec in (expect.get("headers") or {}).items():
        problems += check_header(name, spec, result.header(name))
    if "body" in expect:
        problems += check_body(expect["body"], result.body)
    if "sse" in expect:
        problems += check_sse(expect["sse"], result)
    if "within" in expect and result.elapsed_s > expect["within"] * timeout_scale:
        problems.append(Mismatch("response time", f"within {expect['within'] * timeout_scale:.2f}s",
                                 f"{result.elapsed_s:.2f}s"))
    if "at_least" in expect and result.elapsed_s < expect["at_least"]:
        problems.append(Mismatch("response time", f"at least {expect['at_least']:.2f}s (held open)",
                                 f"{result.elapsed_s:.2f}s"))
    return problems


def check_status(expected: int | list[int], actual: int) -> list[Mismatch]:
    allowed = expected if isinstance(expected, list) else [expected]
    if actual in allowed:
        return []
    return [Mismatch("status", " or ".join(map(str, allowed)), str(actual))]


def check_header(name: str, spec: Any, actual: str | None) -> list[Mismatch]:
    if spec is None:
        spec = {"absent": True}
    elif not isinstance(spec, dict):
        spec = {"equals": spec}
    check = f"header {name}"
    shown = "(absent)" if actual is None else repr(actual)
    problems: list[Mismatch] = []

    def broken(expected: str) -> None:
        problems.append(Mismatch(check, expected, shown))

    if spec.get("absent"):
        if actual is not None:
            broken("absent")
        return problems
    if actual is None:
        broken("present" if set(spec) == {"present"} else _describe_header_spec(spec))
        return problems
    if "equals" in spec and actual != str(spec["equals"]):
        broken(repr(str(spec["equals"])))
    if "equals_ci" in spec and actual.lower() != str(spec["equals_ci"]).lower():
        broken(f"{spec['equals_ci']!r} (case-insensitive)")
    if "not_equals" in spec and actual == str(spec["not_equals"]):
        broken(f"not {spec['not_equals']!r}")
    if "matches" in spec and not re.search(spec["matches"], actual):
        broken(f"matching /{spec['matches']}/")
    if "starts_with" in spec and not actual.startswith(spec["starts_with"]):
        broken(f"starting with {spec['starts_with']!r}")
    if "contains" in spec and spec["contains"] not in actual:
        broken(f"containing {spec['contains']!r}")
    if "greater_than" in spec and not _bytes(actual) > _bytes(spec["greater_than"]):
        broken(f"lexicographically greater than {spec['greater_than']!r}")
    if "less_than" in spec and not _bytes(actual) < _bytes(spec["less_than"]):
        broken(f"lexicographically less than {spec['less_than']!r}")
    if "one_of" in spec and actual not in [str(v) for v in spec["one_of"]]:
        broken(f"one of {spec['one_of']!r}")
    if "number" in spec:
        problems += check_number(check, spec["number"], actual)
    return problems


def parse_number(value: Any) -> Decimal | None:
    """A header value or operand as a Decimal; None when it is not a plain decimal number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, str) and NUMBER_PATTERN.fullmatch(value.strip()):
        return Decimal(value.strip())
    return None


def check_number(check: str, spec: dict[str, Any], actual: str) -> list[Mismatch]:
    """`number: {integer, gt, ge, lt, le, eq, ne}`: the header compared as a decimal number."""
    comparisons = [key for key in NUMBER_COMPARISONS if key in spec]
    wanted = " and ".join(f"{NUMBER_COMPARISONS[k][0]} {spec[k]}" for k in comparisons)
    kind = "an integer" if spec.get("integer") else "a number"
    expected = f"{kind} {wanted}".strip()
    value = parse_number(actual)
    if value is None or (spec.get("integer") and not INTEGER_PATTERN.fullmatch(actual.strip())):
        return [Mismatch(f"{check} (numeric)", expected, f"{actual!r} is not {kind}")]
    problems: list[Mismatch] = []
    for key in comparisons:
        symbol, holds = NUMBER_COMPARISONS[key]
        operand = parse_number(spec[key])
        if operand is None:  # e.g. a captured value the server sent that was not a number
            problems.append(Mismatch(f"{check} (numeric)", f"{kind} {symbol} {spec[key]!r}",
                                     f"{actual!r}, but {spec[key]!r} (the value compared with) "
                                     "is not a number"))
        elif not holds(value, operand):
            problems.append(Mismatch(f"{check} (numeric)", f"{kind} {symbol} {operand}", repr(actual)))
    return problems


def _bytes(text: Any) -> bytes:
    return str(text).encode("utf-8")  # spec: byte-wise lexicographic ordering


def _describe_header_spec(spec: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value!r}" for key, value in spec.items() if key != "present")


def check_body(spec: dict[str, Any], body: bytes) -> list[Mismatch]:
    problems: list[Mismatch] = []
    actual = show_bytes(body)
    if "text" in spec and body != spec["text"].encode("utf-8"):
        problems.append(Mismatch("body", show(spec["text"]), actual))
    if "base64" in spec and body != base64.b64decode(spec["base64"]):
        problems.append(Mismatch("body bytes", "base64:" + spec["base64"],
                                 "base64:" + base64.b64encode(body).decode()))
    if "raw" in spec and body != spec["raw"].encode("latin-1"):
        problems.append(Mismatch("body bytes", show_bytes(spec["raw"].encode("latin-1")), actual))
    if "json" in spec:
        try:
            parsed = json.loads(body)
        except ValueError:
            problems.append(Mismatch("body JSON", show(spec["json"]), f"not JSON: {actual}"))
        else:
            if not json_equal(parsed, spec["json"]):
                problems.append(Mismatch("body JSON", show(spec["json"]), show(parsed)))
    if "length" in spec and len(body) != spec["length"]:
        problems.append(Mismatch("body length", str(spec["length"]), str(len(body))))
    if "empty" in spec and (len(body) == 0) != spec["empty"]:
        problems.append(Mismatch("body", "empty" if spec["empty"] else "not empty", actual or "(empty)"))
    text = body.decode("utf-8", "replace")
    if "contains" in spec and spec["contains"] not in text:
        problems.append(Mismatch("body", f"containing {spec['contains']!r}", actual))
    if "matches" in spec and not re.search(spec["matches"], text):
        problems.append(Mismatch("body", f"matching /{spec['matches']}/", actual))
    return problems


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality where 1 == 1.0 but True != 1 (Python conflates bool and int)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b or (
        isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == b)


def check_sse(spec: dict[str, Any], result: HttpResult) -> list[Mismatch]:
    if result.events is None:
        return [Mismatch("SSE", "an SSE (text/event-stream) response",
                         f"status {result.status}, content-type {result.header('content-type')!r}")]
    events = result.events
    problems = [Mismatch(f"SSE event {i}", "a decodable event", event.problem)
                for i, event in enumerate(events) if event.problem]
    data_events = [e for e in events if e.type == "data"]
    controls = [e for e in events if e.type == "control"]
    if "events" in spec:
        problems += _check_event_sequence(spec["events"], events)
    if "data" in spec:
        joined = b"".join(e.data for e in data_events)
        if joined != spec["data"].encode("utf-8"):
            problems.append(Mismatch("SSE data (concatenated)", show(spec["data"]), show_bytes(joined)))
    if "data_base64" in spec:
        joined = b"".join(e.data for e in data_events)
        if joined != base64.b64decode(spec["data_base64"]):
            problems.append(Mismatch("SSE data bytes (concatenated)", "base64:" + spec["data_base64"],
                                     "base64:" + base64.b64encode(joined).decode()))
    if "data_json" in spec:
        problems += _check_data_json(spec["data_json"], data_events)
    if "last_control" in spec or "last_control_absent" in spec or "last_control_present" in spec:
        if not controls or controls[-1].control is None:
            problems.append(Mismatch("SSE last control event", "a JSON control event",
                                     "none" if not controls else controls[-1].raw_data))
        else:
            last = controls[-1].control
            problems += _check_fields("SSE last control", spec.get("last_control") or {},
                                      spec.get("last_control_absent") or [], last,
                                      spec.get("last_control_present") or [])
    if "every_control" in spec:
        problems += _check_every_control(spec["every_control"], events)
    if "min_events" in spec and len(events) < spec["min_events"]:
        problems.append(Mismatch("SSE event count", f"at least {spec['min_events']}", str(len(events))))
    if "closed" in spec and result.closed_by_server != spec["closed"]:
        problems.append(Mismatch("SSE connection",
                                 "closed by the server" if spec["closed"] else "kept open",
                                 f"stopped by {result.stop_reason}"))
    return problems


def _check_event_sequence(expected: list[dict[str, Any]], events: list[SseEvent]) -> list[Mismatch]:
    shown = "; ".join(e.describe() for e in events) or "(no events)"
    if len(expected) != len(events):
        return [Mismatch("SSE events", f"{len(expected)} events", f"{len(events)}: {shown}")]
    problems: list[Mismatch] = []
    for index, (want, got) in enumerate(zip(expected, events)):
        label = f"SSE event {index}"
        if got.type != want["type"]:
            problems.append(Mismatch(f"{label} type", want["type"], got.describe()))
            continue
        if "data" in want and got.data != want["data"].encode("utf-8"):
            problems.append(Mismatch(f"{label} data", show(want["data"]), show_bytes(got.data)))
        if "base64" in want and got.data != base64.b64decode(want["base64"]):
            problems.append(Mismatch(f"{label} data bytes", "base64:" + want["base64"],
                                     "base64:" + base64.b64encode(got.data).decode()))
        if "json" in want:
            try:
                parsed = json.loads(got.data) if got.type == "data" else got.control
            except ValueError:
                parsed = "(not JSON)"
            if not json_equal(parsed, want["json"]):
                problems.append(Mismatch(f"{label} JSON", show(want["json"]), show(parsed)))
        if "fields" in want or "absent" in want or "present" in want:
            problems += _check_fields(label, want.get("fields") or {}, want.get("absent") or [],
                                      got.control or {}, want.get("present") or [])
    return problems


def _check_every_control(spec: dict[str, Any], events: list[SseEvent]) -> list[Mismatch]:
    controls = [(i, e) for i, e in enumerate(events) if e.type == "control"]
    if not controls:  # "every" over nothing would let a server that sends no controls pass
        return [Mismatch("SSE control events", "at least one control event",
                         "; ".join(e.describe() for e in events) or "(no events)")]
    problems: list[Mismatch] = []
    for index, event in controls:
        problems += _check_fields(f"SSE event {index} (control)", spec.get("fields") or {},
                                  spec.get("absent") or [], event.control or {},
                                  spec.get("present") or [])
    return problems


def _check_fields(label: str, fields: dict[str, Any], absent: list[str],
                  actual: dict[str, Any], present: list[str] | None = None) -> list[Mismatch]:
    problems: list[Mismatch] = []
    for key in present or []:
        if key not in actual:
            problems.append(Mismatch(f"{label} field {key}", "present", "(absent)"))
    for key, value in fields.items():
        if key not in actual:
            problems.append(Mismatch(f"{label} field {key}", show(value), "(absent)"))
        elif not json_equal(actual[key], value):
            problems.append(Mismatch(f"{label} field {key}", show(value), show(actual[key])))
    for key in absent:
        if key in actual:
            problems.append(Mismatch(f"{label} field {key}", "absent", show(actual[key])))
    return problems


def _check_data_json(expected: list[Any], data_events: list[SseEvent]) -> list[Mismatch]:
    messages: list[Any] = []
    for index, event in enumerate(data_events):
        try:
            parsed = json.loads(event.data)
        except ValueError:
            return [Mismatch(f"SSE data event {index}", "a JSON array", show_bytes(event.data))]
        if not isinstance(parsed, list):
            return [Mismatch(f"SSE data event {index}", "a JSON array", show(parsed))]
        messages += parsed
    if not json_equal(messages, expected):
        return [Mismatch("SSE JSON messages (joined)", show(expected), show(messages))]
    return []


def capture_value(spec: dict[str, Any], result: HttpResult) -> tuple[bool, Any]:
    """Return (found, value) for one capture spec."""
    if "header" in spec:
        value = result.header(spec["header"])
        return value is not None, value
    if "status" in spec:
        return True, result.status
    if "body" in spec:
        if spec["body"] == "base64":
            return True, base64.b64encode(result.body).decode()
        return True, result.body.decode("utf-8", "replace")
    if "json" in spec:
        try:
            value: Any = json.loads(result.body)
        except ValueError:
            return False, None
        for part in [p for p in spec["json"].split(".") if p != ""]:
            if isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
                value = value[int(part)]
            elif isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return False, None
        return True, value
    if "last_control" in spec:
        controls = [e.control for e in result.events or [] if e.type == "control" and e.control]
        if controls and spec["last_control"] in controls[-1]:
            return True, controls[-1][spec["last_control"]]
        return False, None
    return False, None
