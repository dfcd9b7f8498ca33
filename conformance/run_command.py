"""`dscheck run`: run the YAML scenarios against a server (or the embedded reference server).

Exit codes: 0 all required checks pass, 1 failures, 2 bad usage or bad scenario file,
3 target unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from conformance.expected_failures import ExpectedFailuresError, load_expected_failures
from conformance.http_exchange import DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_TIMEOUT_S, Limits
from conformance.loader import ScenarioFormatError, default_scenario_dir, load_scenarios
from conformance.results import RunReport
from conformance.runner import DEFAULT_JOBS, RunOptions, check_reachable, run_suite
from conformance.terminal import Progress, format_summary

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
DEFAULT_REPORT_DIR = Path("reports/latest")
EMBEDDED_LONG_POLL_TIMEOUT_S = 1.0   # short, so long-poll timeout checks stay quick


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run the conformance scenarios against a server",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", help="server base URL; omitted: start the embedded reference server")
    parser.add_argument("--prefix", default="", help="path under which streams are created, e.g. /v1/stream")
    parser.add_argument("--only", nargs="+", action="extend", default=[], metavar="ID-OR-TAG",
                        help="run only these ids, id globs, areas or tags")
    parser.add_argument("--skip", nargs="+", action="extend", default=[], metavar="ID-OR-TAG")
    parser.add_argument("--without", nargs="+", action="extend", default=[], metavar="CAPABILITY",
                        help="capabilities the server lacks; scenarios needing them are 'unsupported'")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help=f"concurrent scenarios (default {DEFAULT_JOBS})")
    parser.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every time bound (slow servers/CI)")
    parser.add_argument("--request-timeout", type=float, default=DEFAULT_REQUEST_TIMEOUT_S,
                        help=f"per-request limit in seconds before scaling (default {DEFAULT_REQUEST_TIMEOUT_S:g})")
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES,
                        help="cap on response bytes read per request (default 4 MiB)")
    parser.add_argument("--strict", action="store_true", help="SHOULD/MAY failures (non-strict) also fail the run")
    parser.add_argument("--expected-failures", type=Path, metavar="FILE",
                        help="YAML list of ids/globs (with reasons) known to fail")
    parser.add_argument("--report-dir", type=Path, default=DEFAULT_REPORT_DIR)
    parser.add_argument("--quiet", action="store_true", help="no progress line (CI)")
    parser.add_argument("--server-label", default="", help="a name for the server in reports")
    parser.add_argument("--scenarios", type=Path, default=None, help="scenario directory or file (default: scenarios/)")
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    if args.jobs < 1 or args.timeout_scale <= 0 or args.max_body_bytes < 1:
        print("dscheck run: --jobs, --timeout-scale and --max-body-bytes must be positive", file=sys.stderr)
        return EXIT_USAGE
    try:
        scenarios = load_scenarios(args.scenarios or default_scenario_dir())
        expected = load_expected_failures(args.expected_failures) if args.expected_failures else []
    except (ScenarioFormatError, ExpectedFailuresError) as exc:
        print(f"dscheck run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not scenarios:
        print(f"dscheck run: no scenarios found in {args.scenarios or default_scenario_dir()}", file=sys.stderr)
        return EXIT_USAGE
    options = RunOptions(
        prefix=args.prefix, only=args.only, skip=args.skip, without=args.without, jobs=args.jobs,
        strict=args.strict, expected_failures=expected, server_label=args.server_label,
        limits=Limits(request_timeout_s=args.request_timeout * args.timeout_scale,
                      max_body_bytes=args.max_body_bytes, timeout_scale=args.timeout_scale))
    try:
        with target_server(args.url) as (url, label):
            options.server_label = options.server_label or label
            problem = asyncio.run(check_reachable(url))
            if problem is not None:
                print(f"dscheck run: target {url} is unreachable: {problem}", file=sys.stderr)
                return EXIT_UNREACHABLE
            progress = Progress(quiet=args.quiet)
            report = asyncio.run(run_suite(scenarios, url, options, progress))
            progress.finish()
    except TargetStartError as exc:
        print(f"dscheck run: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    written = write_run_reports(report, args.report_dir)
    print(format_summary(report, args.strict))
    if written:
        print(f"reports: {', '.join(str(p) for p in written.values())}")
    return report.exit_code


class TargetStartError(RuntimeError):
    """The embedded reference server could not be started."""


@contextlib.contextmanager
def target_server(url: str | None) -> Iterator[tuple[str, str]]:
    """Yield (url, label): the given URL, or a freshly started embedded reference server."""
    if url:
        yield url, ""
        return
    try:
        from reference_impl.embedded import EmbeddedServer
    except ImportError as exc:
        raise TargetStartError(f"no URL given and the embedded reference server is unavailable ({exc})") from exc
    try:
        server = EmbeddedServer(long_poll_timeout=EMBEDDED_LONG_POLL_TIMEOUT_S)
        server.start()
    except (OSError, RuntimeError) as exc:
        raise TargetStartError(f"could not start the embedded reference server: {exc}") from exc
    try:
        yield server.url, "reference (embedded)"
    finally:
        server.stop()


def write_run_reports(report: RunReport, out_dir: Path) -> dict[str, Path]:
    """Write the reports through conformance.reporting; fall back to bare JSON if it is missing."""
    try:
        from conformance.reporting import write_reports
    except ImportError as exc:
        print(f"dscheck run: report writers unavailable ({exc}); writing report.json only", file=sys.stderr)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "report.json"
        path.write_text(json.dumps(report.to_json_dict(), indent=2))
        return {"json": path}
    return write_reports(report, out_dir)
