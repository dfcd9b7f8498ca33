"""Expand `{stream}` / `{stream:NAME}` paths and `{{name}}` variables inside step data.

`{stream...}` becomes a per-run unique path, so concurrent scenarios never share a stream.
`{{name}}` is a matrix parameter or a value captured by an earlier step. A string that is
exactly one `{{name}}` takes the variable's own type (so a null parameter can drop a header).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

STREAM_PATTERN = re.compile(r"\{stream(?::([A-Za-z0-9_-]+))?\}")
VARIABLE_PATTERN = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
DEFAULT_STREAM_NAME = "main"


class TemplateError(KeyError):
    """A `{{name}}` that no parameter or capture defines."""

    def __str__(self) -> str:
        return f"undefined variable {{{{{self.args[0]}}}}}"


def variables_in(value: Any) -> Iterator[str]:
    """Every `{{name}}` referenced anywhere inside `value`."""
    if isinstance(value, str):
        yield from VARIABLE_PATTERN.findall(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from variables_in(key)
            yield from variables_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from variables_in(item)


def expand(value: Any, variables: dict[str, Any], stream_path: Callable[[str], str]) -> Any:
    """Return a copy of `value` with every template in every string expanded."""
    if isinstance(value, str):
        return _expand_string(value, variables, stream_path)
    if isinstance(value, dict):
        return {expand(k, variables, stream_path): expand(v, variables, stream_path)
                for k, v in value.items()}
    if isinstance(value, list):
        return [expand(item, variables, stream_path) for item in value]
    return value


def _expand_string(text: str, variables: dict[str, Any], stream_path: Callable[[str], str]) -> Any:
    whole = VARIABLE_PATTERN.fullmatch(text)
    if whole:
        name = whole.group(1)
        if name not in variables:
            raise TemplateError(name)
        value = variables[name]
        # a variable may itself hold a {stream:x} template (a matrix row naming a stream)
        return _expand_string(value, {}, stream_path) if isinstance(value, str) else value

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise TemplateError(name)
        value = variables[name]
        return "" if value is None else str(value)

    text = VARIABLE_PATTERN.sub(variable, text)
    return STREAM_PATTERN.sub(lambda m: stream_path(m.group(1) or DEFAULT_STREAM_NAME), text)
