from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.reporting import ReportValidationError, load_report, validate_report_dict, write_reports
from conformance.results import RunReport

from .builders import CONTROL_CHARS


def test_writes_every_format(written: dict[str, Path]) -> None:
    assert {kind: path.name for kind, path in written.items()} == {
        "json": "report.json", "junit": "junit.xml", "markdown": "report.md", "html": "report.html"}
    for path in written.values():
        assert path.is_file() and path.stat().st_size > 0


def test_json_validates_and_round_trips(report: RunReport, written: dict[str, Path]) -> None:
    validate_report_dict(json.loads(written["json"].read_text(encoding="utf-8")))
    loaded = load_report(written["json"])
    assert loaded == report
    # the lone surrogate in the hostile body survives the trip (escaped in the file)
    assert CONTROL_CHARS in loaded.scenarios[0].transcript[1].response.body_preview


def test_json_is_utf8_when_possible(report: RunReport, tmp_path: Path) -> None:
    report.scenarios = report.scenarios[1:]  # drop the body with a lone surrogate
    report.scenarios[0].title = "überprüft ✓"
    path = write_reports(report, tmp_path)["json"]
    assert "überprüft ✓" in path.read_text(encoding="utf-8")


def test_invalid_report_writes_nothing(report: RunReport, tmp_path: Path) -> None:
    report.scenarios[0].requirements[0].level = "MUSTN'T"
    with pytest.raises(ReportValidationError, match=r"\$\.scenarios\[0\]\.requirements\[0\]\.level"):
        write_reports(report, tmp_path / "out")
    assert not any((tmp_path / "out").iterdir())
