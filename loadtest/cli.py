"""`dscheck load PROFILE [URL] ...`: run a load profile headless and check it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from loadtest import history
from loadtest.runner import PROFILES, LoadRun, execute, parse_run_time
from loadtest.thresholds import ThresholdError, parse_threshold


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "load", help="run a Locust load profile and check correctness under load",
        description="Run a load profile headless (Locust), verify the streams it wrote, check the "
                    "merged history for lost/duplicated/reordered messages and fork isolation breaches, "
                    "and check thresholds. Exits 1 on any violation or missed threshold. "
                    "See docs/loadtest.md.",
    )
    parser.add_argument("profile", choices=PROFILES)
    parser.add_argument("url", nargs="?", help="server base URL (default: launch the reference server)")
    parser.add_argument("--users", "-u", type=int, default=10)
    parser.add_argument("--spawn-rate", "-r", type=float, default=10.0)
    parser.add_argument("--run-time", "-t", default="15s", help="Locust syntax: 30s, 2m, ...")
    parser.add_argument("--workers", type=int, default=0,
                        help="Locust distributed mode: one master plus W worker processes")
    parser.add_argument("--threshold", action="append", default=[], metavar="ROWS:METRIC<VALUE",
                        help="e.g. 'fork_create:p99<50ms' (repeatable; grammar in docs/loadtest.md)")
    parser.add_argument("--report-dir", type=Path, default=Path("reports/latest/load"))
    parser.add_argument("--server", choices=("reference", "node", "rakaia"), default="reference",
                        help="server to launch when no URL is given")
    parser.add_argument("--option", "-o", action="append", default=[], metavar="NAME=VALUE",
                        help="profile option, e.g. -o source-lengths=10,1000 (see docs/loadtest.md)")
    parser.add_argument("--grace", type=float, default=5.0,
                        help="seconds a live reader may lag behind acknowledged data at the end")
    parser.add_argument("--allow-request-failures", action="store_true",
                        help="do not fail the run on HTTP request failures")
    parser.set_defaults(func=run_command)


def parse_options(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"bad --option {pair!r}: expected NAME=VALUE")
        options[name.strip().lstrip("-")] = value
    return options


def run_command(args: argparse.Namespace) -> int:
    try:
        checks = [parse_threshold(text) for text in args.threshold]
        options = parse_options(args.option)
        parse_run_time(args.run_time)
        if args.users < 1 or args.spawn_rate <= 0 or args.workers < 0:
            raise ValueError("--users and --spawn-rate must be positive, --workers not negative")
    except (ThresholdError, ValueError) as error:
        print(f"dscheck load: {error}", file=sys.stderr)
        return 2
    run = LoadRun(profile=args.profile, url=args.url, users=args.users, spawn_rate=args.spawn_rate,
                  run_time=args.run_time, workers=args.workers, thresholds=checks,
                  report_dir=args.report_dir, options=options, server=args.server, grace_s=args.grace,
                  allow_request_failures=args.allow_request_failures)
    try:
        summary = execute(run)
    except (OSError, RuntimeError) as error:  # e.g. conformance.servers.ServerStartError
        print(f"dscheck load: could not run: {error}", file=sys.stderr)
        return 1
    print_summary(summary)
    return 0 if summary["ok"] else 1


def print_summary(summary: dict[str, Any]) -> None:
    print(f"{summary['profile']} against {summary['server']} ({summary['url']}): "
          f"{summary['users']} users, {summary['run_time']}, workers={summary['workers']}")
    for row in summary["rows"]:
        if row["name"] == "Aggregated" or not row["requests"]:
            continue
        print(f"  {row['type']:>8} {row['name']:<40} n={row['requests']:>7.0f} fail={row['failures']:>4.0f} "
              f"rps={row['rps'] or 0:>8.1f} p50={row['p50_ms']}ms p99={row['p99_ms']}ms")
    print(history.format_report(summary["history"]))
    for result in summary["thresholds"]:
        print(f"  threshold {result['threshold']}: {'ok' if result['ok'] else 'MISSED'} "
              f"{result.get('row', '')} {result.get('measured', result.get('detail', ''))}")
    print(f"result: {'PASS' if summary['ok'] else 'FAIL'}  ({summary['run_dir']})")
    for problem in summary["problems"]:
        print(f"  - {problem}")
