"""`dscheck matrix REPORT.json... [--out DIR]`: one compatibility matrix from several runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.reporting import ReportValidationError, load_report, write_matrix

DEFAULT_OUT = Path("reports/compat")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "matrix",
        help="combine run reports of several servers into a compatibility matrix",
        description="Combine report.json files (one per server) into matrix.md and matrix.html: "
                    "a row per scenario, a column per server (its server_label).",
    )
    parser.add_argument("reports", nargs="+", type=Path, metavar="REPORT.json",
                        help="report.json files written by `dscheck run`; column order follows")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                        help=f"directory for matrix.md and matrix.html (default: {DEFAULT_OUT})")
    parser.set_defaults(func=run_matrix)


def run_matrix(args: argparse.Namespace) -> int:
    try:
        reports = [load_report(path) for path in args.reports]
    except ReportValidationError as exc:
        print(f"dscheck matrix: {exc}", file=sys.stderr)
        return 2
    paths = write_matrix(reports, args.out)
    for path in paths.values():
        print(path)
    return 0
