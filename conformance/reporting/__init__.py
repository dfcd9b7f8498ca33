"""Reports of a dscheck run (JSON, JUnit XML, Markdown, HTML) and the cross-server matrix.

Public API:
  write_reports(report, out_dir) -> {"json"|"junit"|"markdown"|"html": Path}
  load_report(path) -> RunReport            (validates against report.schema.json)
  ReportValidationError                     (raised by load_report / write_reports)
  build_matrix(reports) -> Matrix; write_matrix(reports, out_dir) -> {"markdown"|"html": Path}
"""

from conformance.reporting.matrix import Matrix, build_matrix, write_matrix
from conformance.reporting.schema import (
    ReportValidationError, load_report, report_schema, validate_report_dict,
)
from conformance.reporting.writer import REPORT_FILES, write_reports

__all__ = [
    "REPORT_FILES", "Matrix", "ReportValidationError", "build_matrix", "load_report",
    "report_schema", "validate_report_dict", "write_matrix", "write_reports",
]
