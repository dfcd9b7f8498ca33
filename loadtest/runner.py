"""Run one load profile headless with Locust (locally or master + W workers), then verify
the streams it left, check the merged history and the thresholds, and write a summary.

Run directory layout: locust_stats.csv (and Locust's other CSVs), locust.html,
history/ (per-process JSONL), summary.json.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.servers import ensure_rakaia_python, free_port, launch_known, stop
from loadtest import history, thresholds, verify
from loadtest.cpu import CpuSampler

PACKAGE_DIR = Path(__file__).resolve().parent
PROFILES = ("append", "fork_storm", "fanout", "agent_sessions")
LOOPBACK = "127.0.0.1"
STOP_TIMEOUT_S = 3


@dataclass
class LoadRun:
    profile: str
    url: str | None = None
    users: int = 10
    spawn_rate: float = 10.0
    run_time: str = "15s"
    workers: int = 0
    thresholds: list[thresholds.Threshold] = field(default_factory=list)
    report_dir: Path = Path("reports/latest/load")
    options: dict[str, str] = field(default_factory=dict)  # profile options: --name value
    server: str = "reference"  # launched when url is None
    grace_s: float = 5.0
    allow_request_failures: bool = False
    quiet: bool = True


def parse_run_time(text: str) -> float:
    """Locust's run-time syntax (e.g. 30, 15s, 2m, 1h30m) in seconds."""
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+)\s*([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        raise ValueError(f"bad run time {text!r}: use e.g. 30s, 2m, 1h30m")
    return float(sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts))


def profile_file(profile: str) -> Path:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: expected one of {', '.join(PROFILES)}")
    return PACKAGE_DIR / f"{profile}.py"


def option_args(options: dict[str, str]) -> list[str]:
    args: list[str] = []
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    return args


def locust_commands(run: LoadRun, url: str, run_dir: Path) -> tuple[list[str], list[list[str]]]:
    """(the main command: local runner or master, the worker commands)."""
    locust = [sys.executable, "-m", "locust", "-f", str(profile_file(run.profile))]
    common = ["--host", url, "--loglevel", "WARNING", *option_args(run.options)]
    main = [*locust, *common, "--headless", "-u", str(run.users), "-r", str(run.spawn_rate),
            "-t", run.run_time, "--stop-timeout", str(STOP_TIMEOUT_S),
            "--csv", str(run_dir / "locust"), "--csv-full-history", "--html", str(run_dir / "locust.html"),
            "--only-summary"]
    if run.workers <= 0:
        return main, []
    port = free_port()
    main += ["--master", "--master-bind-host", LOOPBACK, "--master-bind-port", str(port),
             "--expect-workers", str(run.workers), "--expect-workers-max-wait", "30"]
    worker = [*locust, *common, "--worker", "--master-host", LOOPBACK, "--master-port", str(port)]
    return main, [worker] * run.workers


@dataclass(frozen=True)
class Target:
    url: str
    server: str  # known server name, or "external"
    pid: int | None = None  # the launched server's process (for CPU accounting)


@contextlib.contextmanager
def target(run: LoadRun) -> Iterator[Target]:
    """The given URL, or a server launched for the run."""
    if run.url:
        yield Target(run.url.rstrip("/"), "external")
        return
    extra = {"rakaia_python": ensure_rakaia_python()} if run.server == "rakaia" else {}
    with launch_known(run.server, **extra) as server:
        yield Target(server.url, run.server, server.process.pid)


def run_locust(run: LoadRun, url: str, run_dir: Path, sampler: CpuSampler | None = None) -> int:
    main, workers = locust_commands(run, url, run_dir)
    env = {**os.environ, "DSCHECK_HISTORY_DIR": str(run_dir / "history"),
           "DSCHECK_RUN_ID": uuid.uuid4().hex[:8], "PYTHONUNBUFFERED": "1"}
    output = open(run_dir / "locust.log", "wb")
    deadline_s = parse_run_time(run.run_time) + 90  # start-up, seeding, stop and report slack
    processes: list[subprocess.Popen[bytes]] = []
    try:
        master = subprocess.Popen(main, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(master)
        for command in workers:
            processes.append(subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT,
                                              start_new_session=True))
        if sampler is not None:
            for process in processes:
                sampler.watch(process.pid)
            sampler.start()
        try:
            code = master.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            code = -1
        if sampler is not None:
            sampler.mark_end()
        for worker in processes[1:]:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=15)
        return code
    finally:
        for process in processes:
            stop(process, grace_s=10.0)
        output.close()


def stats_rows(run_dir: Path) -> list[dict[str, str]]:
    path = run_dir / "locust_stats.csv"
    return thresholds.load_stats(path) if path.exists() else []


def row_summary(row: dict[str, str]) -> dict[str, Any]:
    def number(column: str) -> float | None:
        raw = row.get(column, "")
        return float(raw) if raw not in ("", "N/A") else None

    return {"type": row.get("Type"), "name": row.get("Name"), "requests": number("Request Count"),
            "failures": number("Failure Count"), "rps": number("Requests/s"),
            "avg_ms": number("Average Response Time"), "p50_ms": number("50%"), "p99_ms": number("99%"),
            "max_ms": number("Max Response Time"), "avg_bytes": number("Average Content Size")}


def execute(run: LoadRun) -> dict[str, Any]:
    """Run the profile and return the summary (also written to summary.json)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = Path(run.report_dir) / f"{run.profile}-{stamp}-{uuid.uuid4().hex[:4]}"
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with target(run) as server_target:
        url, server = server_target.url, server_target.server
        # Who used the CPU during the load phase: the server or the load generator?
        load_before = round(os.getloadavg()[0], 2)  # other work on a shared machine skews numbers
        sampler = CpuSampler(server_target.pid, run_dir / "history")
        locust_code = run_locust(run, url, run_dir, sampler)
        cpu = {"cores_available": os.cpu_count(), "load_avg_1m_before": load_before, **sampler.usage()}
        verification = verify.verify_run(url, run_dir / "history")
    report = history.check_run(run_dir / "history", run.grace_s)
    rows = stats_rows(run_dir)
    threshold_results = thresholds.evaluate(run.thresholds, rows)
    aggregated = next((r for r in rows if r.get("Name") == "Aggregated"), {})
    failures = int(float(aggregated.get("Failure Count") or 0))
    problems = []
    if not rows:
        problems.append(f"Locust produced no statistics (exit code {locust_code}; see locust.log)")
    if not report["ok"]:
        problems.append("history check found violations: " + ", ".join(
            f"{k}={n}" for k, n in sorted(report["violations_by_kind"].items())))
    if verification["streams_unreadable"]:
        problems.append(f"{verification['streams_unreadable']} stream(s) unreadable after the run")
    if failures and not run.allow_request_failures:
        problems.append(f"{failures} request failure(s) (see locust_failures.csv)")
    problems += [f"threshold missed: {t['threshold']} ({t.get('row', '')} measured {t.get('measured', 'n/a')})"
                 for t in threshold_results if not t["ok"]]
    summary = {
        "profile": run.profile, "server": server, "url": url, "users": run.users,
        "spawn_rate": run.spawn_rate, "run_time": run.run_time, "workers": run.workers,
        "options": run.options, "started": started, "duration_s": round(time.time() - started, 1),
        "locust_exit_code": locust_code, "run_dir": str(run_dir), "cpu": cpu,
        "rows": [row_summary(r) for r in rows], "verification": verification, "history": report,
        "thresholds": threshold_results, "problems": problems, "ok": not problems,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
