"""The compatibility matrix model: scenarios (rows) x servers (columns) from several runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conformance.reporting.derive import OUTCOME_ORDER, scenario_key, scenario_section
from conformance.results import RunReport, ScenarioResult

NOT_RUN = "not-run"  # the scenario is absent from that server's run
SUMMARY_KEYS: tuple[str, ...] = (*(o.value for o in OUTCOME_ORDER), NOT_RUN)


@dataclass
class MatrixRow:
    id: str
    title: str
    section: str
    level: str
    cells: list[ScenarioResult | None]  # one per server, None when not run

    def outcome(self, column: int) -> str:
        cell = self.cells[column]
        return cell.outcome.value if cell is not None else NOT_RUN


@dataclass
class Matrix:
    servers: list[str]  # column labels, unique
    reports: list[RunReport]
    rows: list[MatrixRow]

    def column_counts(self, column: int) -> dict[str, int]:
        """Counts per outcome (and not-run) for one server, every key of SUMMARY_KEYS present."""
        counts = dict.fromkeys(SUMMARY_KEYS, 0)
        for row in self.rows:
            counts[row.outcome(column)] += 1
        return counts


def unique_labels(labels: list[str]) -> list[str]:
    """Two runs of the same server still need two columns: number the repeats."""
    seen: dict[str, int] = {}
    result = []
    for label in labels:
        label = label or "(unnamed)"
        seen[label] = seen.get(label, 0) + 1
        result.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return result


def build_matrix(reports: list[RunReport]) -> Matrix:
    """One row per scenario id seen in any run, ordered by section then id."""
    rows: dict[str, MatrixRow] = {}
    for column, report in enumerate(reports):
        for scenario in report.scenarios:
            row = rows.get(scenario.id)
            if row is None:
                row = rows[scenario.id] = MatrixRow(
                    id=scenario.id, title=scenario.title, section=scenario_section(scenario),
                    level=scenario.level, cells=[None] * len(reports))
            row.cells[column] = scenario
    ordered = sorted(rows.values(), key=lambda r: scenario_key(r.section, r.id))
    return Matrix(servers=unique_labels([r.server_label for r in reports]), reports=list(reports), rows=ordered)


MATRIX_FILES: dict[str, str] = {"markdown": "matrix.md", "html": "matrix.html"}


def write_matrix(reports: list[RunReport], out_dir: Path) -> dict[str, Path]:
    """Write matrix.md and matrix.html into out_dir; return {format: path}."""
    # Imported here so the model stays free of rendering code.
    from conformance.reporting.matrix_html import render_matrix_html
    from conformance.reporting.matrix_markdown import render_matrix_markdown

    matrix = build_matrix(reports)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / name for kind, name in MATRIX_FILES.items()}
    paths["markdown"].write_text(render_matrix_markdown(matrix), encoding="utf-8")
    paths["html"].write_text(render_matrix_html(matrix), encoding="utf-8")
    return paths
