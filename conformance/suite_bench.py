"""Benchmark: one full `dscheck run` against one run of the upstream npm suite
(@durable-streams/server-conformance-tests 0.3.6), side by side against the same server
in the same session. Prints both wall times and check counts and writes
reports/bench/suite_speed.json. A measurement, not a test: it never fails on a ratio.

    python -m conformance.suite_bench [--target reference|node] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from conformance.servers import PROJECT_ROOT, UPSTREAM_DIR, launch_known

OUTPUT = PROJECT_ROOT / "reports" / "bench" / "suite_speed.json"
# The upstream suite's long-poll tests need a server timeout under vitest's 5 s limit.
LONG_POLL_TIMEOUT_S = 0.5


def time_dscheck(url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as report_dir:
        command = [sys.executable, "-m", "conformance", "run", url, "--quiet",
                   "--report-dir", report_dir]
        started = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - started
        report_path = Path(report_dir) / "report.json"
        if not report_path.exists():
            raise RuntimeError(f"dscheck run wrote no report (exit {completed.returncode}):\n"
                               f"{completed.stdout}\n{completed.stderr}")
        summary = json.loads(report_path.read_text())["summary"]
    return {"wall_s": round(wall, 3), "exit_code": completed.returncode,
            "checks_ran": summary["ran"], "by_outcome": summary["by_outcome"]}


def time_upstream(url: str) -> dict[str, Any]:
    npx = shutil.which("npx")
    if npx is None:
        raise RuntimeError("npx is not on PATH")
    with tempfile.TemporaryDirectory() as out_dir:
        out_file = Path(out_dir) / "vitest.json"
        command = [npx, "vitest", "run", "--config", "vitest.config.mjs",
                   "--reporter=json", f"--outputFile={out_file}"]
        env = {**os.environ, "DSCHECK_UPSTREAM_URL": url}
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=UPSTREAM_DIR, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if not out_file.exists():
            raise RuntimeError(f"vitest wrote no JSON (exit {completed.returncode}):\n{completed.stderr[-2000:]}")
        result = json.loads(out_file.read_text())
    return {"wall_s": round(wall, 3), "exit_code": completed.returncode,
            "checks_ran": result["numPassedTests"] + result["numFailedTests"],
            "passed": result["numPassedTests"], "failed": result["numFailedTests"],
            "skipped": result["numPendingTests"] + result.get("numTodoTests", 0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=["reference", "node"], default="reference")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each (default 2)")
    args = parser.parse_args(argv)

    rounds: list[dict[str, Any]] = []
    with launch_known(args.target, long_poll_timeout=LONG_POLL_TIMEOUT_S) as server:
        for number in range(1, args.rounds + 1):
            # Alternate the order so neither side always runs on a warmer server.
            pair = [("dscheck", time_dscheck), ("upstream", time_upstream)]
            if number % 2 == 0:
                pair.reverse()
            row = {name: measure(server.url) for name, measure in pair}
            rounds.append(row)
            print(f"round {number}: dscheck {row['dscheck']['wall_s']:.2f}s "
                  f"({row['dscheck']['checks_ran']} checks), upstream {row['upstream']['wall_s']:.2f}s "
                  f"({row['upstream']['checks_ran']} tests)", flush=True)

    dscheck_best = min(r["dscheck"]["wall_s"] for r in rounds)
    upstream_best = min(r["upstream"]["wall_s"] for r in rounds)
    ratio = dscheck_best / upstream_best
    result = {
        "target": args.target,
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "note": "server, dscheck and vitest share the same cores"},
        "rounds": rounds,
        "best_wall_s": {"dscheck": dscheck_best, "upstream": upstream_best},
        "ratio_dscheck_over_upstream": round(ratio, 3),
        "target_ratio_at_most": 0.5,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"best of {args.rounds}: dscheck {dscheck_best:.2f}s vs upstream {upstream_best:.2f}s "
          f"(ratio {ratio:.2f}, target <= 0.5); wrote {OUTPUT.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
