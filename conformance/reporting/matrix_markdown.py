"""matrix.md: the compatibility matrix as a GitHub-flavoured Markdown table."""

from __future__ import annotations

from conformance.reporting.markdown import OUTCOME_ICONS, md_inline
from conformance.reporting.matrix import NOT_RUN, SUMMARY_KEYS, Matrix

NOT_RUN_MARK = "—"


def _cell(outcome: str) -> str:
    return NOT_RUN_MARK if outcome == NOT_RUN else f"{OUTCOME_ICONS.get(outcome, '')} {outcome}".strip()


def render_matrix_markdown(matrix: Matrix) -> str:
    servers = [md_inline(s) for s in matrix.servers]
    lines = ["## dscheck compatibility matrix", ""]
    lines += [f"- **{md_inline(label)}**: {md_inline(r.target)} · {md_inline(r.tool)} · "
              f"started {md_inline(r.started_at)}" for label, r in zip(matrix.servers, matrix.reports)]
    lines += ["", f"{NOT_RUN_MARK} = not run (absent from that server's report)", "",
              "| scenario | section | level | " + " | ".join(servers) + " |",
              "| --- | --- | --- |" + " --- |" * len(servers)]
    for row in matrix.rows:
        cells = " | ".join(_cell(row.outcome(c)) for c in range(len(servers)))
        lines.append(f"| {md_inline(row.id)} | {md_inline(row.section)} | {md_inline(row.level)} | {cells} |")
    counts = [matrix.column_counts(c) for c in range(len(servers))]
    for key in SUMMARY_KEYS:
        if any(column[key] for column in counts):
            label = "not run" if key == NOT_RUN else _cell(key)
            lines.append(f"| **{label}** | | | " + " | ".join(f"**{column[key]}**" for column in counts) + " |")
    return "\n".join(lines) + "\n"
