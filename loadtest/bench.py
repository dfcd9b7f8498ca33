"""`make bench` (python -m loadtest.bench): the load profiles side by side against the
reference server, the upstream Node server and rakaia-streams, in one session.

Writes reports/bench/load.json (every number, per server and scenario) and
reports/bench/load.md (the tables, targets and ratios). Each scenario runs against a
freshly launched server; Locust run directories go to reports/latest/load-bench/.
The whole run is bounded (about 7-8 minutes on a 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from loadtest.bench_report import CHAIN_DEPTHS, FANOUT_READERS, FORK_LENGTHS, render_markdown
from loadtest.runner import LoadRun, execute, target

SERVERS = ("reference", "node", "rakaia")
SCALING_SERVERS = ("node", "reference")


@dataclass(frozen=True)
class Scenario:
    key: str
    profile: str
    users: int
    spawn_rate: float
    run_time: str
    options: dict[str, str] = field(default_factory=dict)
    needs_forks: bool = False
    workers: int = 0
    repeats: int = 1  # throughput scenarios are repeated, interleaved across servers; median kept


def scenarios(quick: bool = False) -> list[Scenario]:
    seconds = (lambda s: f"{max(3, s // 3)}s") if quick else (lambda s: f"{s}s")
    # Spawning 1,000 readers at 100/s takes 10 s; the writer starts once all are spawned.
    fanout = [Scenario(f"fanout_{n}", "fanout", n + 1, min(100, n), seconds(10 + n // 100),
                       {"writers": "1", "write-interval": "0.5", "sse-share": "0.5", "payload-bytes": "32"})
              for n in FANOUT_READERS]
    return [
        Scenario("append", "append", 8, 8, seconds(10), {"streams-per-user": "4"}, repeats=3),
        Scenario("fork_latency", "fork_storm", 4, 4, seconds(15),
                 {"source-lengths": ",".join(map(str, FORK_LENGTHS)), "chain-depth": "1",
                  "measure-depths": "1", "read-every": "50", "task-wait": "0", "payload-bytes": "8"}, needs_forks=True),
        Scenario("fork_chain", "fork_storm", 4, 4, seconds(12),
                 {"source-lengths": "1000", "chain-depth": str(max(CHAIN_DEPTHS)),
                  "measure-depths": ",".join(map(str, CHAIN_DEPTHS)), "payload-bytes": "16"}, needs_forks=True),
        *fanout,
    ]


def scaling_scenarios(quick: bool = False) -> list[Scenario]:
    run_time = "4s" if quick else "10s"
    return [Scenario(f"append_workers_{w}", "append", 16, 16, run_time, {"streams-per-user": "2"}, workers=w,
                     repeats=2) for w in (1, 2)]


def supports_forks(url: str) -> bool:
    """Whether a fork really inherits its source's data (rakaia-streams answers 201 but does not)."""
    try:
        return _fork_inherits(url)
    except (httpx.HTTPError, ValueError):
        return False


def _fork_inherits(url: str) -> bool:
    with httpx.Client(base_url=url, timeout=5.0) as client:
        json_type = {"Content-Type": "application/json"}
        client.put("/v1/stream/__bench_src", headers=json_type)
        first = client.post("/v1/stream/__bench_src", content=b'[{"id":"p1"}]', headers=json_type)
        client.post("/v1/stream/__bench_src", content=b'[{"id":"p2"}]', headers=json_type)
        at = first.headers.get("stream-next-offset", "")
        created = client.put("/v1/stream/__bench_fork",
                             headers={"Stream-Forked-From": "/v1/stream/__bench_src", "Stream-Fork-Offset": at})
        if created.status_code not in (200, 201):
            return False
        body = client.get("/v1/stream/__bench_fork", params={"offset": "-1"})
        return body.status_code == 200 and body.json() == [{"id": "p1"}]


def run_scenario(server: str, scenario: Scenario, runs_dir: Path) -> dict[str, Any]:
    run = LoadRun(profile=scenario.profile, users=scenario.users, spawn_rate=scenario.spawn_rate,
                  run_time=scenario.run_time, workers=scenario.workers, report_dir=runs_dir / server,
                  options=scenario.options, server=server, allow_request_failures=True)
    summary = execute(run)
    print(f"  {server:<9} {scenario.key:<18} {'ok' if summary['ok'] else 'PROBLEMS'} "
          f"({summary['duration_s']}s) {'; '.join(summary['problems'])[:160]}", flush=True)
    return summary


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0],
            "note": "server and load generator share the same 2 cores (and other engineers' work)"}


def append_rate(summary: dict[str, Any]) -> float:
    row = next((r for r in summary.get("rows", []) if r["name"] == "append"), None)
    return float(row["rps"] or 0) if row else 0.0


def keep_median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median append rate, plus every repeat's rate and machine load."""
    if len(runs) == 1:
        return runs[0]
    ordered = sorted(runs, key=append_rate)
    chosen = dict(ordered[len(ordered) // 2])
    chosen["repeats"] = [{"appends_per_s": round(append_rate(r), 1),
                          "load_avg_1m_before": r.get("cpu", {}).get("load_avg_1m_before"),
                          "run_dir": r["run_dir"]} for r in runs]
    return chosen


def run_interleaved(pairs: list[tuple[str, Scenario]], runs_dir: Path) -> list[dict[str, Any]]:
    """Run (server, scenario) pairs `repeats` times, rotating the order every round so that
    changing load on the shared machine does not always favour the same server."""
    rounds = max(s.repeats for _, s in pairs)
    collected: list[list[dict[str, Any]]] = [[] for _ in pairs]
    for round_index in range(rounds):
        shift = round_index % len(pairs)
        for index in [*range(shift, len(pairs)), *range(shift)]:
            server, scenario = pairs[index]
            if round_index < scenario.repeats:
                collected[index].append(run_scenario(server, scenario, runs_dir))
    return [keep_median(runs) for runs in collected]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="load benchmarks across servers")
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--out", type=Path, default=Path("reports/bench"))
    parser.add_argument("--runs-dir", type=Path, default=Path("reports/latest/load-bench"))
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test of the bench itself)")
    parser.add_argument("--render-only", action="store_true", help="rewrite load.md from an existing load.json")
    args = parser.parse_args(argv)
    if args.render_only:
        results = json.loads((args.out / "load.json").read_text())
        (args.out / "load.md").write_text(render_markdown(results))
        return 0
    started = time.time()
    results: dict[str, Any] = {"machine": machine(), "started": started, "servers": {}, "scaling": {}}
    servers: list[str] = []
    for server in [s for s in args.servers.split(",") if s]:
        try:
            with target(LoadRun(profile="append", server=server)) as launched:
                forks = supports_forks(launched.url)
        except Exception as error:  # a server that cannot start is reported, not fatal
            results["servers"][server] = {"error": f"could not start: {error}"}
            continue
        results["servers"][server] = {"fork_support": forks, "scenarios": {}}
        servers.append(server)
    # Scenario by scenario, each across the servers back to back, so that every server of a
    # comparison meets similar background load on the shared machine.
    for scenario in scenarios(args.quick):
        print(f"bench: {scenario.key}", flush=True)
        pairs = []
        for server in servers:
            if scenario.needs_forks and not results["servers"][server]["fork_support"]:
                results["servers"][server]["scenarios"][scenario.key] = {"skipped": "no fork support"}
            else:
                pairs.append((server, scenario))
        for (server, _), summary in zip(pairs, run_interleaved(pairs, args.runs_dir)):
            results["servers"][server]["scenarios"][scenario.key] = summary
    # Generator scaling 1 -> 2 workers, against the fastest servers here (where the generator,
    # not the server, is most likely the bottleneck).
    for server in [s for s in SCALING_SERVERS if s in servers]:
        print(f"bench: worker scaling ({server})", flush=True)
        plan = [(server, scenario) for scenario in scaling_scenarios(args.quick)]
        results["scaling"][server] = {scenario.key: summary
                                      for (_, scenario), summary in zip(plan, run_interleaved(plan, args.runs_dir))}
    results["duration_s"] = round(time.time() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load.json").write_text(json.dumps(results, indent=2))
    (args.out / "load.md").write_text(render_markdown(results))
    print(f"bench: wrote {args.out / 'load.json'} and {args.out / 'load.md'} in {results['duration_s']}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
