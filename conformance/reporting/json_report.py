"""report.json: RunReport.to_json_dict(), validated against report.schema.json before writing."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.reporting.schema import validate_report_dict
from conformance.results import RunReport


def write_json(report: RunReport, path: Path) -> Path:
    data = report.to_json_dict()
    # A producer bug should surface here, not when someone later loads the file.
    validate_report_dict(data, source="report to write")
    text = json.dumps(data, indent=2, ensure_ascii=False)
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (undecodable bytes kept by surrogateescape) cannot be UTF-8: escape them.
        encoded = json.dumps(data, indent=2, ensure_ascii=True).encode("ascii")
    path.write_bytes(encoded + b"\n")
    return path
