"""Turn the benchmark results (loadtest.bench) into the headline numbers and a Markdown
report: tables per server, the reference server's targets, and ratios between servers."""

from __future__ import annotations

import time
from typing import Any

FORK_LENGTHS = (10, 1000, 100_000)
CHAIN_DEPTHS = (1, 8, 32)
FANOUT_READERS = (100, 500, 1000)


def _row(summary: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((r for r in summary.get("rows", []) if r["name"] == name), None)


def _scenario(results: dict[str, Any], server: str, key: str) -> dict[str, Any] | None:
    entry = results["servers"].get(server, {}).get("scenarios", {}).get(key)
    return entry if entry and "rows" in entry else None


def headline(results: dict[str, Any], server: str) -> dict[str, Any]:
    """The numbers the report is about, for one server (None where not measured)."""
    out: dict[str, Any] = {}
    append = _scenario(results, server, "append")
    row = _row(append, "append") if append else None
    out["appends_per_s"] = row["rps"] if row else None
    out["append_p50_ms"], out["append_p99_ms"] = (row["p50_ms"], row["p99_ms"]) if row else (None, None)
    forks = _scenario(results, server, "fork_latency")
    if forks:
        out["fork_creates_per_s"] = round(sum(r["rps"] or 0 for r in forks["rows"]
                                              if r["name"].startswith("fork_create ")), 1)
        for length in FORK_LENGTHS:
            r = _row(forks, f"fork_create src={length} depth=1")
            out[f"fork_create_src{length}"] = (
                {"avg_ms": r["avg_ms"], "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"], "n": r["requests"]} if r else None)
    chain = _scenario(results, server, "fork_chain")
    if chain:
        for depth in CHAIN_DEPTHS:
            r = _row(chain, f"fork_read src=1000 depth={depth}")
            c = _row(chain, f"fork_create src=1000 depth={depth}")
            out[f"fork_read_depth{depth}"] = (
                {"avg_ms": r["avg_ms"], "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"], "n": r["requests"],
                 "avg_bytes": r["avg_bytes"]} if r else None)
            out[f"fork_create_depth{depth}"] = {"avg_ms": c["avg_ms"], "p99_ms": c["p99_ms"]} if c else None
    for readers in FANOUT_READERS:
        fan = _scenario(results, server, f"fanout_{readers}")
        if fan:
            live = fan["history"]["live"]
            out[f"fanout_{readers}"] = {
                "delivery_all": live["delivery_ms"].get("all"), "delivery_sse": live["delivery_ms"].get("sse"),
                "delivery_long_poll": live["delivery_ms"].get("long-poll"),
                "live_readers": live["live_readers"], "sse_connections_peak": live["sse_connections_peak"],
                "reconnects": live["reconnects"],
                "generator_rps": (_row(fan, "Aggregated") or {}).get("rps"),
            }
    scenarios = results["servers"].get(server, {}).get("scenarios", {})
    out["correctness"] = {key: ("skipped: " + s["skipped"]) if "skipped" in s else
                          (s["history"]["violations_by_kind"] or "ok") for key, s in scenarios.items()}
    return out


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _repeats(results: dict[str, Any], server: str, key: str) -> str:
    summary = _scenario(results, server, key)
    runs = (summary or {}).get("repeats")
    return " (" + ", ".join(_fmt(r["appends_per_s"], 0) for r in runs) + ")" if runs else ""


def _ratio(a: Any, b: Any) -> str:
    return f"{a / b:.2f}x" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else "n/a"


def _get(h: dict[str, Any], key: str, field: str) -> Any:
    value = h.get(key)
    return value.get(field) if isinstance(value, dict) else None


def _cores(cpu: dict[str, Any] | None) -> str:
    if not cpu or "generator_cores" not in cpu:
        return "n/a"
    server = cpu.get("server_cores")
    load = cpu.get("load_avg_1m_before")
    return (f"{cpu['generator_cores']:.2f} / {'n/a' if server is None else f'{server:.2f}'}"
            + (f" [{load}]" if load is not None else ""))


def _cpu_per_request_us(cpu: dict[str, Any], rate: Any) -> float | None:
    cores = cpu.get("server_cores")
    if not isinstance(cores, (int, float)) or not rate:
        return None
    return cores * 1e6 / float(rate)


def targets(heads: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    ref, rak = heads.get("reference", {}), heads.get("rakaia", {})
    small, big = _get(ref, "fork_create_src10", "avg_ms"), _get(ref, "fork_create_src100000", "avg_ms")
    fork_ratio = big / small if small and big else None
    p99 = (ref.get("fanout_1000") or {}).get("delivery_all") or {}
    appends, rak_appends = ref.get("appends_per_s"), rak.get("appends_per_s")
    append_ratio = appends / rak_appends if appends and rak_appends else None
    return [
        ("fork-create latency at 100,000 messages within 1.2x of that at 10 (mean)",
         f"{_fmt(big, 2)} ms vs {_fmt(small, 2)} ms = {_fmt(fork_ratio, 2)}x",
         "n/a" if fork_ratio is None else ("met" if fork_ratio <= 1.2 else "MISSED")),
        ("fan-out p99 delivery under 100 ms at 1,000 readers",
         f"p99 {_fmt(p99.get('p99'))} ms (p50 {_fmt(p99.get('p50'))} ms)",
         "n/a" if "p99" not in p99 else ("met" if p99["p99"] < 100 else "MISSED")),
        ("appends/s at least 2x rakaia-streams",
         f"{_fmt(appends)} vs {_fmt(rak_appends)} = {_fmt(append_ratio, 2)}x",
         "n/a" if append_ratio is None else ("met" if append_ratio >= 2 else "MISSED")),
    ]


def notes(results: dict[str, Any], heads: dict[str, dict[str, Any]]) -> list[str]:
    """Plain statements, from the measurements, of what limited each missed target."""
    out: list[str] = []
    missed = {a: b for a, b, c in targets(heads) if c == "MISSED"}
    ref, node, rak = heads.get("reference", {}), heads.get("node", {}), heads.get("rakaia", {})
    if not missed:
        return ["All targets met in this run."]
    fan = _scenario(results, "reference", "fanout_1000")
    if fan and any(k.startswith("fan-out") for k in missed):
        cpu = fan.get("cpu", {})
        node_p99 = ((node.get("fanout_1000") or {}).get("delivery_all") or {}).get("p99")
        out.append(
            f"- **Fan-out p99 at 1,000 readers.** Each message is 1,000 deliveries (500 SSE events plus 500 "
            "long-poll responses, each followed by a new poll) handled by one Python server process, while "
            "one Locust process receives and records all 1,000 copies; p99 is the wait of the last readers "
            f"in that queue. Averaged over the run (including the spawn phase) the generator used "
            f"{cpu.get('generator_cores', 'n/a')} and the server {cpu.get('server_cores', 'n/a')} cores, with a "
            f"load average of {cpu.get('load_avg_1m_before', 'n/a')} on 2 cores before it: neither side had a core "
            "to itself, so part of the latency is most likely waiting for a CPU, on the server and on the reader "
            f"side alike. The upstream Node server measured {_fmt(node_p99)} ms p99 under the same conditions. "
            "A fair test of this target needs the server on its own cores and the readers spread over Locust "
            "workers on other machines (docs/loadtest.md).")
    if any(k.startswith("appends/s") for k in missed):
        ref_cpu = (_scenario(results, "reference", "append") or {}).get("cpu", {})
        rak_cpu = (_scenario(results, "rakaia", "append") or {}).get("cpu", {})
        node_cpu = (_scenario(results, "node", "append") or {}).get("cpu", {})
        ref_rate, rak_rate, node_rate = ref.get("appends_per_s"), rak.get("appends_per_s"), node.get("appends_per_s")
        runs = [r["appends_per_s"] for r in (_scenario(results, "reference", "append") or {}).get("repeats", [])]
        spread = f"{(max(runs) - min(runs)) / max(1e-9, ref_rate or 1):.0%}" if runs and ref_rate else "n/a"
        text = (f"- **Appends/s vs rakaia-streams.** Reference {_fmt(ref_rate)}/s (server "
                f"{ref_cpu.get('server_cores', 'n/a')} cores, generator {ref_cpu.get('generator_cores', 'n/a')}) vs "
                f"rakaia {_fmt(rak_rate)}/s (server {rak_cpu.get('server_cores', 'n/a')}, generator "
                f"{rak_cpu.get('generator_cores', 'n/a')}); Node {_fmt(node_rate)}/s (generator "
                f"{node_cpu.get('generator_cores', 'n/a')}). Append p50: {_fmt(ref.get('append_p50_ms'), 0)} ms "
                f"reference, {_fmt(rak.get('append_p50_ms'), 0)} ms rakaia, {_fmt(node.get('append_p50_ms'), 0)} ms "
                f"Node. The reference server's repeated runs spread by {spread} of the median. ")
        if node_rate and ref_rate and node_rate >= 1.5 * ref_rate:
            text += ("Node went much faster with the same generator, so the generator is not what limits the "
                     "Python servers; the difference lies on the server side.")
        else:
            text += ("All servers land close together, within the run-to-run spread: with 8 closed-loop users "
                     "(throughput is about 8 / latency) on 2 cores shared with the generator and other work, "
                     "the generator and CPU contention, not the servers, set the pace, so this machine cannot "
                     "show a 2x difference either way; it needs the server on its own cores and more users "
                     "spread over Locust workers on other machines.")
        ref_us, rak_us = _cpu_per_request_us(ref_cpu, ref_rate), _cpu_per_request_us(rak_cpu, rak_rate)
        if ref_us and rak_us:
            # Throughput is capped by the shared generator; server CPU per append is not.
            text += (f" Server CPU per append, which the generator does not cap: reference {ref_us:.0f} µs, "
                     f"rakaia {rak_us:.0f} µs ({rak_us / ref_us:.2f}x less on the reference server). The "
                     "profile of the reference server's append path is in docs/reference-server.md.")
        out.append(text)
    return out


def render_markdown(results: dict[str, Any]) -> str:
    servers = list(results["servers"])
    heads = {s: headline(results, s) for s in servers if "error" not in results["servers"][s]}
    m = results["machine"]
    lines = [
        "# Load benchmarks (`make bench`)", "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(results['started']))}, "
        f"{results.get('duration_s', '?')} s in all. Machine: {m['cpus']} CPUs, {m['platform']}, "
        f"Python {m['python']}. **The server under test and the Locust load generator share these "
        f"{m['cpus']} cores** (and other work on the machine), so absolute numbers are modest and "
        "the generator is often the bottleneck; ratios between servers measured the same way are the "
        "meaningful part. Latencies are Locust's (whole-millisecond percentiles; means are exact); "
        "delivery latencies come from the run histories (exact).", "",
    ]
    for server, entry in results["servers"].items():
        if "error" in entry:
            lines.append(f"- {server}: {entry['error']}")
    lines += ["", "## Targets (reference server)", "", "| target | measured | status |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in targets(heads)]
    header = "| metric | " + " | ".join(heads) + " |"
    rule = "| --- |" + " --- |" * len(heads)

    def table_row(label: str, fn: Any) -> str:
        return f"| {label} | " + " | ".join(fn(server, h) for server, h in heads.items()) + " |"

    def fork_cell(server: str, text: str) -> str:
        return text if results["servers"][server].get("fork_support") else "not supported (no forks)"

    lines += ["", "## Throughput and latency", "", header, rule,
              table_row("appends/s (1 msg per POST, 8 users; median of the runs in brackets)",
                        lambda s, h: _fmt(h.get("appends_per_s")) + _repeats(results, s, "append")),
              table_row("append p50 / p99 ms", lambda s, h: f"{_fmt(h.get('append_p50_ms'), 0)} / {_fmt(h.get('append_p99_ms'), 0)}"),
              table_row("fork-creates/s (fork_storm, depth 1)", lambda s, h: fork_cell(s, _fmt(h.get("fork_creates_per_s"))))]
    for length in FORK_LENGTHS:
        key = f"fork_create_src{length}"
        lines.append(table_row(f"fork-create at source length {length:,}: mean / p50 / p99 ms",
                               lambda s, h, k=key: fork_cell(s, f"{_fmt(_get(h, k, 'avg_ms'), 2)} / "
                                                               f"{_fmt(_get(h, k, 'p50_ms'), 0)} / {_fmt(_get(h, k, 'p99_ms'), 0)}")))
    for depth in CHAIN_DEPTHS:
        key = f"fork_read_depth{depth}"
        lines.append(table_row(f"catch-up read of a depth-{depth} fork (1,000-msg source): mean / p99 ms",
                               lambda s, h, k=key: fork_cell(s, f"{_fmt(_get(h, k, 'avg_ms'), 2)} / {_fmt(_get(h, k, 'p99_ms'), 0)}")))
    for readers in FANOUT_READERS:
        key = f"fanout_{readers}"
        lines.append(table_row(f"fan-out delivery at {readers:,} readers: p50 / p99 ms",
                               lambda s, h, k=key: f"{_fmt(((h.get(k) or {}).get('delivery_all') or {}).get('p50'))} / "
                                                   f"{_fmt(((h.get(k) or {}).get('delivery_all') or {}).get('p99'))}"))
        lines.append(table_row(f"  SSE p99 / long-poll p99 ms at {readers:,}",
                               lambda s, h, k=key: f"{_fmt(((h.get(k) or {}).get('delivery_sse') or {}).get('p99'))} / "
                                                   f"{_fmt(((h.get(k) or {}).get('delivery_long_poll') or {}).get('p99'))}"))
        lines.append(table_row(f"  readers held (live readers / SSE peak / reconnects) at {readers:,}",
                               lambda s, h, k=key: "{} / {} / {}".format(*(_fmt((h.get(k) or {}).get(f)) for f in
                                                   ("live_readers", "sse_connections_peak", "reconnects")))))
    lines += ["", "## Why targets are missed", ""] + notes(results, heads)
    lines += ["", "## Ratios", "", "| metric | reference / node | reference / rakaia |", "| --- | --- | --- |"]
    ref, node, rak = heads.get("reference", {}), heads.get("node", {}), heads.get("rakaia", {})
    lines.append(f"| appends/s | {_ratio(ref.get('appends_per_s'), node.get('appends_per_s'))} | "
                 f"{_ratio(ref.get('appends_per_s'), rak.get('appends_per_s'))} |")
    lines.append(f"| fork-creates/s | {_ratio(ref.get('fork_creates_per_s'), node.get('fork_creates_per_s'))} | "
                 "n/a (rakaia has no forks) |")
    for readers in FANOUT_READERS:
        k = f"fanout_{readers}"
        a = ((ref.get(k) or {}).get("delivery_all") or {}).get("p99")
        lines.append(f"| fan-out p99 at {readers:,} (lower is better) | {_ratio(a, ((node.get(k) or {}).get('delivery_all') or {}).get('p99'))} | "
                     f"{_ratio(a, ((rak.get(k) or {}).get('delivery_all') or {}).get('p99'))} |")
    lines += ["", "## Correctness under load", "", "| server | scenario | history check |", "| --- | --- | --- |"]
    for server, h in heads.items():
        for key, verdict in h["correctness"].items():
            lines.append(f"| {server} | {key} | {verdict} |")
    lines += ["", "## CPU during the load phase (cores used: load generator / server)", "",
              "Average cores used by the Locust processes and by the server process over the load window "
              f"(first request to Locust's exit, sampled from /proc); {m['cpus']} cores in all. When the two add up to about {m['cpus']}, the machine is "
              "saturated and the larger side is the bottleneck; the 1-minute load average before each "
              "scenario (in brackets) shows other work on the shared machine.", "",
              "| scenario | " + " | ".join(heads) + " |", "| --- |" + " --- |" * len(heads)]
    keys = [k for k in next(iter(results["servers"].values()), {}).get("scenarios", {})] if heads else []
    for key in keys:
        cells = []
        for server in heads:
            summary = _scenario(results, server, key)
            cells.append(_cores(summary.get("cpu") if summary else None))
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    scaling = results.get("scaling") or {}
    if scaling:
        lines += ["", "## Load-generator scaling: 1 -> 2 Locust workers (append, 16 users)", "",
                  "| server | 1 worker: median appends/s (CPU gen / server [load]; each run) | 2 workers: the same | scaling |",
                  "| --- | --- | --- | --- |"]
        for server, runs in scaling.items():
            rates = {k: (_row(v, "append") or {}).get("rps") for k, v in runs.items() if "rows" in v}
            cpu = {k: _cores(v.get("cpu")) for k, v in runs.items() if "rows" in v}
            one, two = rates.get("append_workers_1"), rates.get("append_workers_2")
            runs = {k: " runs: " + ", ".join(_fmt(r["appends_per_s"], 0) for r in v.get("repeats", []))
                    for k, v in runs.items()}
            lines.append(f"| {server} | {_fmt(one)} ({cpu.get('append_workers_1', 'n/a')};{runs.get('append_workers_1', '')}) | "
                         f"{_fmt(two)} ({cpu.get('append_workers_2', 'n/a')};{runs.get('append_workers_2', '')}) | "
                         f"{_ratio(two, one)} |")
        lines += ["", "Both workers, the master and the server share the same 2 cores: a second worker can "
                  "only add throughput while the generator is the bottleneck and a core is idle; on more "
                  "cores or machines the same `--workers` (or multi-machine) mode scales further."]
    return "\n".join(lines) + "\n"
