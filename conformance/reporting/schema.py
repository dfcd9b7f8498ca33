"""The report.json contract: its JSON Schema, validation with readable errors, and loading."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from conformance.results import RunReport

SCHEMA_RESOURCE = "schemas/report.schema.json"
MAX_LISTED_ERRORS = 5  # enough to fix a producer bug without drowning the message


class ReportValidationError(ValueError):
    """A report file or dict that does not match report.schema.json (or is not JSON at all)."""


@functools.cache
def report_schema() -> dict[str, Any]:
    text = resources.files("conformance").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(report_schema())


def validate_report_dict(data: Any, source: str = "report") -> None:
    """Raise ReportValidationError naming each offending JSON path, shallowest first."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: (len(e.absolute_path), e.json_path))
    if not errors:
        return
    lines = [f"  - at {error.json_path}: {_short(error.message)}" for error in errors[:MAX_LISTED_ERRORS]]
    if len(errors) > MAX_LISTED_ERRORS:
        lines.append(f"  - ... and {len(errors) - MAX_LISTED_ERRORS} more")
    raise ReportValidationError(
        f"{source} does not match the dscheck report schema ({SCHEMA_RESOURCE}):\n" + "\n".join(lines)
    )


def load_report(path: str | Path) -> RunReport:
    """Read a report.json, validate it against the schema, and rebuild the RunReport."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportValidationError(f"{path}: cannot read report: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportValidationError(f"{path}: not a JSON report: {exc}") from exc
    validate_report_dict(data, source=str(path))
    return RunReport.from_json_dict(data)


def _short(message: str, limit: int = 200) -> str:
    # jsonschema repeats the whole offending instance in the message; a huge body would bury the point.
    return message if len(message) <= limit else message[: limit - 1] + "…"
