"""Load scenario YAML files: parse, validate against the JSON Schema, check the references
the schema cannot (await targets, variables, cites), and expand matrix rows.

Any problem raises ScenarioFormatError naming the file, line and field; `dscheck run`
turns that into exit code 2.
"""

from __future__ import annotations

import importlib.util

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from conformance.results import Requirement
from conformance.scenario import DEFAULT_SCENARIO_TIMEOUT_S, Scenario
from conformance.templating import (RESERVED_NAMES, VARIABLE_PATTERN, malformed_now_templates,
                                   variables_in)
from conformance.yaml_lines import YamlSyntaxError, format_path, line_for, load_with_lines

SCENARIO_SUFFIXES = (".yaml", ".yml")


class ScenarioFormatError(ValueError):
    """A scenario file is malformed; str() is `file:line: field: message`."""

    def __init__(self, file: Path | str, line: int | None, field: str, message: str) -> None:
        self.file, self.line, self.field, self.message = str(file), line, field, message
        where = f"{self.file}:{line}" if line else self.file
        super().__init__(f"{where}: {field}: {message}")


@functools.cache
def scenario_schema() -> dict[str, Any]:
    text = resources.files("conformance").joinpath("schemas/scenario.schema.json").read_text()
    return json.loads(text)


def default_scenario_dir() -> Path:
    """The repository's `scenarios/` directory in a checkout; in an installed wheel, the
    same files shipped as the `dscheck_scenarios` package."""
    checkout = Path(__file__).resolve().parent.parent / "scenarios"
    if checkout.is_dir():
        return checkout
    spec = importlib.util.find_spec("dscheck_scenarios")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("no scenarios found: pass --scenarios DIR")
    return Path(next(iter(spec.submodule_search_locations)))


def scenario_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix in SCENARIO_SUFFIXES and p.is_file())


def load_scenarios(root: Path) -> list[Scenario]:
    """Load every scenario under `root` (a file or a directory), matrix rows expanded."""
    if not root.exists():
        raise ScenarioFormatError(root, None, "(path)", "no such file or directory")
    scenarios: list[Scenario] = []
    seen: dict[str, Scenario] = {}
    for path in scenario_files(root):
        for scenario in load_scenario_file(path):
            if scenario.id in seen:
                other = seen[scenario.id]
                raise ScenarioFormatError(path, scenario.line, "id",
                                          f"duplicate id {scenario.id!r} (also in {other.file}:{other.line})")
            seen[scenario.id] = scenario
            scenarios.append(scenario)
    return scenarios


def load_scenario_file(path: Path) -> list[Scenario]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFormatError(path, None, "(file)", f"cannot read: {exc}") from exc
    return parse_scenario_text(text, path)


def parse_scenario_text(text: str, path: Path | str = "<string>") -> list[Scenario]:
    path = Path(path)
    try:
        data, lines = load_with_lines(text)
    except YamlSyntaxError as exc:
        raise ScenarioFormatError(path, exc.line, "(yaml)", str(exc)) from exc
    validate_against_schema(data, lines, path)
    check_references(data, lines, path)
    return expand_matrix(data, lines, path)


def validate_against_schema(data: Any, lines: dict, path: Path) -> None:
    validator = jsonschema.Draft202012Validator(scenario_schema())
    errors = list(validator.iter_errors(data))
    if not errors:
        return
    # the deepest error is the most specific; oneOf parents explain less than their children
    error = max(errors, key=lambda e: (len(e.absolute_path), -len(e.context or [])))
    error = _most_specific(error)
    field_path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        # point at the first unknown key itself, not at the mapping holding it
        allowed = set(error.schema.get("properties", {}))
        unknown = [key for key in error.instance if key not in allowed]
        if unknown:
            field_path += (unknown[0],)
    raise ScenarioFormatError(path, line_for(lines, field_path), format_path(field_path),
                              _describe(error))


def _most_specific(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    if error.context and error.validator in ("oneOf", "anyOf"):
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(error.absolute_path):
            return _most_specific(deepest)
    return error


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "oneOf" and error.schema_path and "step" in str(error.schema_path):
        return "a step needs exactly one of `request`, `await` or `sleep`"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field(s)")
    return error.message


def check_references(data: dict[str, Any], lines: dict, path: Path) -> None:
    """What the schema cannot say: names resolve, variables are defined before use."""
    steps = data["steps"]
    matrix = data.get("matrix") or [{}]
    param_names = set(matrix[0]) - {"id"}
    for index, row in enumerate(matrix):
        if set(row) - {"id"} != param_names:
            raise ScenarioFormatError(path, line_for(lines, ("matrix", index)), f"matrix[{index}]",
                                      "every row must define the same parameters as the first")
    reserved = param_names & RESERVED_NAMES
    if reserved:
        raise ScenarioFormatError(path, line_for(lines, ("matrix", 0)), "matrix[0]",
                                  f"{sorted(reserved)[0]!r} is reserved ({{{{now}}}} is the current time)")
    defined = set(param_names)
    background: set[str] = set()
    awaited: set[str] = set()
    requirement_ids = {r.get("id") for r in data["spec"] if r.get("id")}
    for index, step in enumerate(steps):
        where = ("steps", index)

        def fail(field: str, message: str) -> None:
            raise ScenarioFormatError(path, line_for(lines, where + (field,)),
                                      format_path(where + (field,)), message)

        _check_step_extras(step, fail)
        for name in variables_in({k: v for k, v in step.items() if k != "capture"}):
            if name not in defined:
                fail(_first_field_using(step, name), f"{{{{{name}}}}} is not a matrix parameter "
                     "or a value captured by an earlier step")
        if step.get("background"):
            if "request" not in step or not step.get("name"):
                fail("background", "a background step needs `name` and `request`")
            if step.get("expect") or step.get("capture") or step.get("eventually"):
                fail("background", "check and capture a background read in its `await` step")
            background.add(step["name"])
        if "sse" in step and "request" not in step:
            fail("sse", "`sse` belongs on a request step")
        if "await" in step:
            target = step["await"]
            if target not in background:
                fail("await", f"no earlier background step named {target!r}")
            if target in awaited:
                fail("await", f"{target!r} is already awaited")
            awaited.add(target)
        if "eventually" in step and ("request" not in step or step.get("background")):
            fail("eventually", "`eventually` repeats a (foreground) request step")
        if step.get("read_all") and ("request" not in step or step.get("background") or "sse" in step
                                     or step["request"].get("method") != "GET"):
            fail("read_all", "`read_all` belongs on a foreground, non-SSE GET request step")
        if "sleep" in step and set(step) - {"sleep", "name", "note"}:
            fail("sleep", "a sleep step takes only `sleep` (and `name`, `note`)")
        cites = step.get("cites")
        # `cites: "{{param}}"` lets each matrix row cite its own spec entry
        for value in [row.get(cites[2:-2].strip()) for row in matrix] if _is_variable(cites) else [cites]:
            if isinstance(value, int) and not 0 <= value < len(data["spec"]):
                fail("cites", f"there is no spec entry {value} (0-based; {len(data['spec'])} entries)")
            if isinstance(value, str) and value not in requirement_ids:
                fail("cites", f"no spec entry has id {value!r}")
        defined.update(step.get("capture") or {})
    dangling = background - awaited
    if dangling:
        raise ScenarioFormatError(path, line_for(lines, ("steps",)), "steps",
                                  f"background step(s) never awaited: {', '.join(sorted(dangling))}")


def _check_step_extras(step: dict[str, Any], fail: Any) -> None:
    """Checks for the newer features: time templates, reserved names, chunked bodies."""
    for bad in malformed_now_templates(step):
        fail(_first_field_containing(step, bad), f"{bad!r} is not a time template; "
             "write {{now}}, {{now+3s}}, {{now-2m}} or {{now+1h}}")
    for name in step.get("capture") or {}:
        if name in RESERVED_NAMES:
            fail("capture", f"{name!r} is reserved ({{{{now}}}} is the current time)")
    request = step.get("request") or {}
    if request.get("chunked") is False and "chunks" in (request.get("body") or {}):
        fail("request", "`body.chunks` is always sent chunked; drop `chunked: false`")


def _first_field_containing(step: dict[str, Any], text: str) -> str:
    for key, value in step.items():
        if text in json.dumps(value):
            return str(key)
    return "request"


def _is_variable(value: Any) -> bool:
    return isinstance(value, str) and VARIABLE_PATTERN.fullmatch(value) is not None


def _first_field_using(step: dict[str, Any], name: str) -> str:
    for key, value in step.items():
        if name in set(variables_in(value)):
            return str(key)
    return "request"


def expand_matrix(data: dict[str, Any], lines: dict, path: Path) -> list[Scenario]:
    requirements = [Requirement(section=r["section"], level=r["level"], quote=r["quote"].strip(),
                                id=r.get("id")) for r in data["spec"]]
    step_lines = [line_for(lines, ("steps", i)) or 0 for i in range(len(data["steps"]))]
    rows = data.get("matrix") or [None]
    scenarios = []
    for index, row in enumerate(rows):
        params = {k: v for k, v in (row or {}).items() if k != "id"}
        scenarios.append(Scenario(
            id=data["id"] if row is None else f"{data['id']}[{row['id']}]",
            base_id=data["id"],
            title=data["title"],
            file=path,
            line=line_for(lines, ("id",) if row is None else ("matrix", index)) or 1,
            requirements=requirements,
            requires=list(data.get("requires") or []),
            tags=list(data.get("tags") or []),
            steps=data["steps"],
            step_lines=step_lines,
            timeout_s=float(data.get("timeout", DEFAULT_SCENARIO_TIMEOUT_S)),
            params=params,
            description=data.get("description", ""),
        ))
    ids = [s.id for s in scenarios]
    if len(set(ids)) != len(ids):
        raise ScenarioFormatError(path, line_for(lines, ("matrix",)), "matrix", "row ids must be unique")
    return scenarios
