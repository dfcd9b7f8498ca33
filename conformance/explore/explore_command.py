"""`dscheck explore`: model-based stateful testing of a server (see docs/explore-fuzz.md).

Exit codes: 0 no disagreement with the model, 1 a failure (shrunk and saved as a scenario),
3 target unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from conformance.explore.runner import SUPPORTED_WITHOUT, explore
from conformance.run_command import TargetStartError, target_server
from conformance.runner import check_reachable

DEFAULT_REPORT_DIR = Path("reports/latest/explore")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explore", help="drive a server through random operation sequences, checked against a model",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", help="server base URL; omitted: the embedded reference server")
    parser.add_argument("--prefix", default="/v1/stream", help="path under which streams are created")
    parser.add_argument("--examples", type=int, default=100, help="operation sequences to try (default 100)")
    parser.add_argument("--max-steps", type=int, default=30, help="rules per sequence (default 30)")
    parser.add_argument("--seed", type=int, default=None, help="fixed seed; printed either way")
    parser.add_argument("--report-dir", type=Path, default=DEFAULT_REPORT_DIR)
    parser.add_argument("--request-timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--without", nargs="+", default=[], choices=SUPPORTED_WITHOUT, metavar="CAPABILITY",
                        help=f"capabilities the server lacks; their rules are not run ({', '.join(SUPPORTED_WITHOUT)})")
    parser.add_argument("--no-shrink", action="store_true", help="report the first failure as found")
    parser.set_defaults(func=explore_command)


def explore_command(args: argparse.Namespace) -> int:
    try:
        with target_server(args.url) as (url, _label):
            if (problem := asyncio.run(check_reachable(url))) is not None:
                print(f"target unreachable: {url}: {problem}", file=sys.stderr)
                return 3
            print(f"dscheck explore against {url}{args.prefix} "
                  f"(examples {args.examples}, max steps {args.max_steps})", flush=True)
            result = explore(url, prefix=args.prefix, examples=args.examples, max_steps=args.max_steps,
                             seed=args.seed, report_dir=args.report_dir, timeout_s=args.request_timeout,
                             shrink=not args.no_shrink, without=frozenset(args.without))
    except TargetStartError as exc:
        print(f"dscheck explore: {exc}", file=sys.stderr)
        return 3
    print(f"seed: {result.seed}")
    args.report_dir.mkdir(parents=True, exist_ok=True)
    summary = {"target": url, "prefix": args.prefix, "seed": result.seed, "examples": args.examples,
               "without": sorted(args.without),
               "max_steps": args.max_steps, "failure": result.failure,
               "scenario_file": str(result.scenario_file) if result.scenario_file else None,
               "scenario_id": result.scenario_id, "steps": result.steps}
    (args.report_dir / "explore.json").write_text(json.dumps(summary, indent=2) + "\n")
    if result.passed:
        print("no disagreement with the protocol model")
        return 0
    print(f"FAIL: {result.failure}", file=sys.stderr)
    if result.scenario_file:
        target = f"{args.url} " if args.url else ""   # no URL: `dscheck run` embeds the reference too
        print(f"shrunk to {result.steps} requests: {result.scenario_file}\n"
              f"replay: dscheck run {target}--prefix {args.prefix} "
              f"--only {result.scenario_id} --scenarios {result.scenario_file.parent}")
    return 1
