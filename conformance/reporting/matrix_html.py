"""matrix.html: the compatibility matrix as one standalone page, Autobahn-style colours.

Stable hooks: each result cell is td[data-scenario][data-server][data-outcome]; the summary
rows hold td#count-s<column>-<outcome> (every outcome and not-run, for every server).
"""

from __future__ import annotations

from conformance.reporting.html_page import css_token, esc, page
from conformance.reporting.matrix import NOT_RUN, SUMMARY_KEYS, Matrix, MatrixRow

NOT_RUN_MARK = "—"


def _cell(row: MatrixRow, column: int, server: str) -> str:
    outcome = row.outcome(column)
    scenario = row.cells[column]
    tooltip = f' title="{esc(scenario.reason)}"' if scenario is not None and scenario.reason else ""
    text = NOT_RUN_MARK if outcome == NOT_RUN else esc(outcome)
    return (f'<td class="cell o-{css_token(outcome)}" data-scenario="{esc(row.id)}" '
            f'data-server="{esc(server)}" data-outcome="{esc(outcome)}"{tooltip}>{text}</td>')


def _servers(matrix: Matrix) -> str:
    items = "".join(
        f"<li><strong>{esc(label)}</strong>: <code>{esc(r.target)}</code> · {esc(r.tool)} · "
        f"started {esc(r.started_at)}</li>"
        for label, r in zip(matrix.servers, matrix.reports)
    )
    return f'<ul id="servers">{items}</ul>'


def _summary_rows(matrix: Matrix) -> str:
    counts = [matrix.column_counts(c) for c in range(len(matrix.servers))]
    rows = []
    for key in SUMMARY_KEYS:
        label = "not run" if key == NOT_RUN else key
        cells = "".join(
            f'<td class="num" id="count-s{c}-{css_token(key)}" data-server="{esc(server)}" '
            f'data-outcome="{esc(key)}">{counts[c][key]}</td>'
            for c, server in enumerate(matrix.servers)
        )
        rows.append(f'<tr class="summary"><th colspan="3"><span class="badge o-{css_token(key)}">'
                    f"{esc(label)}</span></th>{cells}</tr>")
    return "\n".join(rows)


def render_matrix_html(matrix: Matrix) -> str:
    head = "".join(f'<th data-server="{esc(s)}">{esc(s)}</th>' for s in matrix.servers)
    body = "\n".join(
        f'<tr data-scenario="{esc(row.id)}"><td><code>{esc(row.id)}</code>'
        f'<div class="small">{esc(row.title)}</div></td><td>{esc(row.section)}</td><td>{esc(row.level)}</td>'
        + "".join(_cell(row, c, s) for c, s in enumerate(matrix.servers)) + "</tr>"
        for row in matrix.rows
    )
    content = (
        "<h1>dscheck compatibility matrix</h1>\n"
        f'<p class="meta"><span id="count-servers">{len(matrix.servers)}</span> servers · '
        f'<span id="count-scenarios">{len(matrix.rows)}</span> scenarios · '
        f"{NOT_RUN_MARK} = not run (absent from that server's report); hover a cell for the reason</p>\n"
        f"{_servers(matrix)}\n"
        '<table id="matrix"><thead><tr><th>scenario</th><th>section</th><th>level</th>'
        f"{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n<tfoot>\n{_summary_rows(matrix)}\n</tfoot></table>"
    )
    return page("dscheck compatibility matrix", content)
