from __future__ import annotations

from pathlib import Path

import pytest

from conformance.reporting import write_reports
from conformance.results import RunReport

from .builders import all_outcomes_report


@pytest.fixture
def report() -> RunReport:
    return all_outcomes_report()


@pytest.fixture
def written(report: RunReport, tmp_path: Path) -> dict[str, Path]:
    return write_reports(report, tmp_path / "out")
