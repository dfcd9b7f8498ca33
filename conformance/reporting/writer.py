"""write_reports: every per-run format into one directory."""

from __future__ import annotations

from pathlib import Path

from conformance.reporting.html_report import write_html
from conformance.reporting.json_report import write_json
from conformance.reporting.junit import write_junit
from conformance.reporting.markdown import write_markdown
from conformance.results import RunReport

REPORT_FILES: dict[str, str] = {
    "json": "report.json",
    "junit": "junit.xml",
    "markdown": "report.md",
    "html": "report.html",
}


def write_reports(report: RunReport, out_dir: Path) -> dict[str, Path]:
    """Write report.json, junit.xml, report.md and report.html; return {format: path}.

    JSON goes first: it validates the report, so an invalid one writes nothing else.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    writers = {"json": write_json, "junit": write_junit, "markdown": write_markdown, "html": write_html}
    return {kind: writers[kind](report, out_dir / name) for kind, name in REPORT_FILES.items()}
