"""report.json: RunReport.to_json_dict(), validated against report.schema.json before writing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.reporting.schema import validate_report_dict
from conformance.results import RunReport


def write_json(report: RunReport, path: Path) -> Path:
    data = report.to_json_dict()
    # A producer bug should surface here, not when someone later loads the file. Transcripts
    # are most of a report and all alike, so one exchange per scenario stands for the rest:
    # validating every exchange took longer than the rest of report writing together.
    validate_report_dict(_with_sample_transcripts(data), source="report to write")
    text = json.dumps(data, indent=2, ensure_ascii=False)
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (undecodable bytes kept by surrogateescape) cannot be UTF-8: escape them.
        encoded = json.dumps(data, indent=2, ensure_ascii=True).encode("ascii")
    path.write_bytes(encoded + b"\n")
    return path


def _with_sample_transcripts(data: dict[str, Any]) -> dict[str, Any]:
    scenarios = [{**scenario, "transcript": scenario.get("transcript", [])[:1]}
                 for scenario in data.get("scenarios", [])]
    return {**data, "scenarios": scenarios}
