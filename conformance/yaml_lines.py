"""Load YAML and remember where every value came from, so errors can name a line.

PyYAML's composed node tree carries marks; we walk it once and index each value by its
path (a tuple of mapping keys and list indexes), the same shape jsonschema reports.
"""

from __future__ import annotations

from typing import Any

import yaml

Path = tuple[Any, ...]
# libyaml's parser when PyYAML was built with it (it is ~10x faster), else the pure-Python one.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSyntaxError(ValueError):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def load_with_lines(text: str) -> tuple[Any, dict[Path, int]]:
    """Parse `text`; return the data and a map from value path to 1-based line number."""
    loader = _Loader(text)
    try:
        # One parse: compose the node tree (it carries the marks), then build the data from it.
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(f"{exc.problem or exc}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from exc
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    if node is not None:
        _index(node, (), lines)
    return data, lines


def _index(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            # the key's own line is the better pointer for "this field is wrong"
            lines[path + (key,)] = key_node.start_mark.line + 1
            _index_children(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, path + (index,), lines)


def _index_children(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    line = lines[path]
    _index(node, path, lines)
    lines[path] = line


def line_for(lines: dict[Path, int], path: Path) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    for cut in range(len(path), -1, -1):
        found = lines.get(tuple(path[:cut]))
        if found is not None:
            return found
    return None


def format_path(path: Path) -> str:
    """('steps', 2, 'expect', 'status') -> 'steps[2].expect.status'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
