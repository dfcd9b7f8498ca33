"""Run the upstream conformance suite (npm @durable-streams/server-conformance-tests)
against a server started on loopback, and exit with vitest's exit code.

    python tests/upstream/run_upstream.py --target reference   # dscheck serve
    python tests/upstream/run_upstream.py --target node        # upstream Node server
    python tests/upstream/run_upstream.py --url http://127.0.0.1:4437
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from conformance.servers import UPSTREAM_DIR, launch_known  # noqa: E402

# Below vitest's 5 s per-test limit, as two upstream tests need.
LONG_POLL_TIMEOUT_S = 0.5


def run_vitest(base_url: str, extra: list[str]) -> int:
    npx = shutil.which("npx")
    if npx is None:
        print("npx is not on PATH: node and npm are required for the upstream suite", file=sys.stderr)
        return 2
    command = [npx, "vitest", "run", "--config", "vitest.config.mjs", *extra]
    env = {**os.environ, "DSCHECK_UPSTREAM_URL": base_url}
    return subprocess.call(command, cwd=UPSTREAM_DIR, env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--target", choices=["reference", "node"], default="reference")
    group.add_argument("--url", help="an already running server")
    parser.add_argument("vitest_args", nargs="*", help="passed to vitest (e.g. -t 'pattern')")
    args = parser.parse_args()
    if args.url:
        return run_vitest(args.url.rstrip("/"), args.vitest_args)
    with launch_known(args.target, long_poll_timeout=LONG_POLL_TIMEOUT_S) as server:
        print(f"upstream suite against {server.name} at {server.url}", flush=True)
        return run_vitest(server.url, args.vitest_args)


if __name__ == "__main__":
    sys.exit(main())
