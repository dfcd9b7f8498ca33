"""`make compat`: run the scenario suite against every known server and build the matrix.

Servers (all on 127.0.0.1, launched through conformance.servers):
  reference     the project's reference server          --server-label reference
  node          upstream @durable-streams/server 0.3.7   --server-label node-0.3.7
  rakaia        PyPI rakaia-streams 0.9.0 (scratch venv) --server-label rakaia-0.9.0

rakaia has no fork support. By default it runs WITH the fork scenarios, so the matrix shows
its fork failures honestly; `--rakaia-without-fork` runs it with `--without fork` instead (fork
scenarios then read "unsupported").

Writes reports/compat/<label>/ (report.json, report.md, report.html, junit.xml) and
reports/compat/matrix.{md,html}. Exit 0 when every run completed (failures are findings, not
errors); 2 when a server could not be started or a run could not produce a report.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.servers import ServerStartError, ensure_rakaia_python, launch_known  # noqa: E402

OUT = ROOT / "reports" / "compat"
SERVERS = {"reference": "reference", "node": "node-0.3.7", "rakaia": "rakaia-0.9.0"}
# As long as `dscheck run`'s embedded server: timing checks ("answers immediately", "held")
# keep a margin on a loaded machine, and timeout checks stay quick.
LONG_POLL_TIMEOUT_S = 1.0


def dscheck(*args: str) -> int:
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=ROOT).returncode


def run_one(name: str, label: str, extra: list[str]) -> Path | None:
    kwargs = {"rakaia_python": ensure_rakaia_python()} if name == "rakaia" else {}
    report_dir = OUT / label
    try:
        with launch_known(name, long_poll_timeout=LONG_POLL_TIMEOUT_S, **kwargs) as server:
            code = dscheck("run", server.url, "--scenarios", str(ROOT / "scenarios"),
                           "--server-label", label, "--report-dir", str(report_dir),
                           "--quiet", *extra)
    except ServerStartError as exc:
        print(f"compat: {name}: {exc}", file=sys.stderr)
        return None
    report = report_dir / "report.json"
    print(f"compat: {label}: exit {code}, report in {report_dir}")
    return report if report.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", nargs="+", choices=sorted(SERVERS), default=list(SERVERS))
    parser.add_argument("--rakaia-without-fork", action="store_true",
                        help="run rakaia with --without fork (fork scenarios become unsupported)")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    ok = True
    for name in args.servers:
        extra = ["--without", "fork"] if name == "rakaia" and args.rakaia_without_fork else []
        if run_one(name, SERVERS[name], extra) is None:
            ok = False
    # The matrix spans every server's latest report, not only the ones run this time.
    all_reports = [OUT / label / "report.json" for label in SERVERS.values()
                   if (OUT / label / "report.json").exists()]
    if all_reports:
        dscheck("matrix", *map(str, all_reports), "--out", str(OUT))
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
