"""`dscheck fuzz`: send malformed and boundary inputs; any 5xx, hang or lost acknowledged write
is a finding (see docs/explore-fuzz.md).

Exit codes: 0 no findings, 1 findings (written to REPORT_DIR/fuzz-findings.json),
3 target unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from pathlib import Path

from conformance.explore.fuzz_cases import generate_cases
from conformance.explore.fuzz_runner import run_fuzz
from conformance.run_command import TargetStartError, target_server
from conformance.runner import check_reachable

DEFAULT_REPORT_DIR = Path("reports/latest/fuzz")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fuzz", help="send hostile inputs; report 5xx, hangs and lost acknowledged writes",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", help="server base URL; omitted: the embedded reference server")
    parser.add_argument("--prefix", default="/v1/stream", help="path under which streams are created")
    parser.add_argument("--seed", type=int, default=None, help="fixed seed; printed either way")
    parser.add_argument("--budget", type=int, default=300, help="number of cases (default 300)")
    parser.add_argument("--request-timeout", type=float, default=5.0,
                        help="seconds before a request counts as a hang (default 5)")
    parser.add_argument("--report-dir", type=Path, default=DEFAULT_REPORT_DIR)
    parser.set_defaults(func=fuzz_command)


def fuzz_command(args: argparse.Namespace) -> int:
    seed = random.randrange(2**32) if args.seed is None else args.seed
    try:
        with target_server(args.url) as (url, _label):
            if (problem := asyncio.run(check_reachable(url))) is not None:
                print(f"target unreachable: {url}: {problem}", file=sys.stderr)
                return 3
            print(f"dscheck fuzz against {url}{args.prefix}: seed {seed}, budget {args.budget}", flush=True)
            report = run_fuzz(url, generate_cases(seed, args.budget), seed=seed, prefix=args.prefix,
                              timeout_s=args.request_timeout)
    except TargetStartError as exc:
        print(f"dscheck fuzz: {exc}", file=sys.stderr)
        return 3
    args.report_dir.mkdir(parents=True, exist_ok=True)
    out = args.report_dir / "fuzz-findings.json"
    out.write_text(json.dumps(report.to_json_dict(), indent=2) + "\n")
    print(f"seed: {seed}; {report.requests} requests, {len(report.findings)} findings -> {out}")
    for finding in report.findings:
        print(f"  [{finding.kind}] case {finding.case} ({finding.area}): {finding.detail[:200]}")
        print(f"    $ {finding.curl[:300]}")
    return 1 if report.findings else 0
