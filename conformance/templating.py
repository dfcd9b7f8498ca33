"""Expand `{stream}` / `{stream:NAME}` paths and `{{name}}` variables inside step data.

`{stream...}` becomes a per-run unique path, so concurrent scenarios never share a stream.
`{{name}}` is a matrix parameter or a value captured by an earlier step. A string that is
exactly one `{{name}}` takes the variable's own type (so a null parameter can drop a header).
`{{now}}` / `{{now+3s}}` / `{{now-2m}}` is the wall-clock time (UTC, RFC 3339) when the
template is expanded, shifted by the offset; `now` is therefore a reserved name.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

STREAM_PATTERN = re.compile(r"\{stream(?::([A-Za-z0-9_-]+))?\}")
VARIABLE_PATTERN = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
NOW_PATTERN = re.compile(r"\{\{\s*now\s*(?:([+-])\s*(\d+(?:\.\d+)?)\s*([smh]?))?\s*\}\}")
NOW_PREFIX = re.compile(r"\{\{\s*now\b")   # finds malformed `{{now...}}` for the loader
RESERVED_NAMES = frozenset({"now"})
DEFAULT_STREAM_NAME = "main"
UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600}

Clock = Callable[[], datetime.datetime]


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def format_timestamp(moment: datetime.datetime) -> str:
    """RFC 3339, UTC, whole seconds rounded *up*: the deadline is never earlier than asked
    (and whole seconds are the form every RFC 3339 parser accepts)."""
    moment = moment.astimezone(datetime.timezone.utc)
    whole = math.ceil(moment.timestamp())
    return datetime.datetime.fromtimestamp(whole, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now_value(match: re.Match[str], clock: Clock) -> str:
    sign, amount, unit = match.groups()
    offset_s = 0.0 if amount is None else float(amount) * UNIT_SECONDS[unit]
    # --timeout-scale deliberately does not apply: the deadline is what the server is told
    return format_timestamp(clock() + datetime.timedelta(seconds=-offset_s if sign == "-" else offset_s))


def malformed_now_templates(value: Any) -> Iterator[str]:
    """`{{now...}}` texts that are not a valid time template (e.g. `{{now+3x}}`)."""
    for text in _strings_in(value):
        for start in NOW_PREFIX.finditer(text):
            end = text.find("}}", start.start())
            candidate = text[start.start():end + 2] if end >= 0 else text[start.start():]
            if not NOW_PATTERN.fullmatch(candidate):
                yield candidate


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key)
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


class TemplateError(KeyError):
    """A `{{name}}` that no parameter or capture defines."""

    def __str__(self) -> str:
        return f"undefined variable {{{{{self.args[0]}}}}}"


def variables_in(value: Any) -> Iterator[str]:
    """Every `{{name}}` referenced anywhere inside `value`."""
    for text in _strings_in(value):
        yield from (name for name in VARIABLE_PATTERN.findall(text) if name not in RESERVED_NAMES)


def expand(value: Any, variables: dict[str, Any], stream_path: Callable[[str], str],
           clock: Clock = utc_now) -> Any:
    """Return a copy of `value` with every template in every string expanded."""
    if isinstance(value, str):
        return _expand_string(value, variables, stream_path, clock)
    if isinstance(value, dict):
        return {expand(k, variables, stream_path, clock): expand(v, variables, stream_path, clock)
                for k, v in value.items()}
    if isinstance(value, list):
        return [expand(item, variables, stream_path, clock) for item in value]
    return value


def _expand_string(text: str, variables: dict[str, Any], stream_path: Callable[[str], str],
                   clock: Clock = utc_now) -> Any:
    # time first: `{{now}}` would otherwise look like a variable named "now"
    text = NOW_PATTERN.sub(lambda m: _now_value(m, clock), text)
    whole = VARIABLE_PATTERN.fullmatch(text)
    if whole:
        name = whole.group(1)
        if name not in variables:
            raise TemplateError(name)
        value = variables[name]
        # a variable may itself hold a {stream:x} template (a matrix row naming a stream)
        return _expand_string(value, {}, stream_path, clock) if isinstance(value, str) else value

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise TemplateError(name)
        value = variables[name]
        return "" if value is None else str(value)

    text = VARIABLE_PATTERN.sub(variable, text)
    return STREAM_PATTERN.sub(lambda m: stream_path(m.group(1) or DEFAULT_STREAM_NAME), text)
