"""Benchmark the reference server (a script, not a test):

    python -m reference_impl.bench [--output reports/bench/reference_impl.json]

Measures fork-create time at source lengths of 10, 1,000 and 100,000 messages (the ratio
should stay near 1: forks copy nothing), appends/s and catch-up reads/s, both directly
against the core and over loopback HTTP against an EmbeddedServer. Runs in well under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from reference_impl.embedded import EmbeddedServer
from reference_impl.offsets import format_offset
from reference_impl.store import AppendRequest, CreateRequest, StreamStore

SOURCE_LENGTHS = (10, 1_000, 100_000)
FORKS_PER_LENGTH_CORE = 2_000
FORKS_PER_LENGTH_HTTP = 200
CORE_APPENDS = 50_000
CORE_READS = 20_000
HTTP_APPENDS = 2_000
HTTP_READS = 2_000
READ_MESSAGES = 100  # catch-up reads start at a message boundary of a 100-message stream
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "reports" / "bench" / "reference_impl.json"
TEXT = "text/plain"


def _fill(store: StreamStore, path: str, messages: int) -> None:
    store.create(path, CreateRequest(content_type=TEXT))
    for index in range(messages):
        store.append(path, AppendRequest(body=b"message %08d\n" % index, content_type=TEXT))


def _fill_reads(store: StreamStore) -> None:
    """The stream catch-up reads hit: READ_MESSAGES messages of 100 bytes."""
    store.create("/reads", CreateRequest(content_type=TEXT))
    for _ in range(READ_MESSAGES):
        store.append("/reads", AppendRequest(body=b"r" * 100, content_type=TEXT))


def _read_offset(index: int) -> int:
    """Message boundaries across the stream, so reads return 0.1-10 KB."""
    return (index % READ_MESSAGES) * 100


def _rate(count: int, action: Callable[[int], object]) -> float:
    started = time.perf_counter()
    for index in range(count):
        action(index)
    return count / (time.perf_counter() - started)


def _median_seconds(count: int, action: Callable[[int], object]) -> float:
    samples = []
    for index in range(count):
        started = time.perf_counter()
        action(index)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _ratio(times: dict[str, float]) -> float:
    return max(times.values()) / min(times.values())


def bench_core() -> dict[str, Any]:
    store = StreamStore()
    fork_s: dict[str, float] = {}
    for length in SOURCE_LENGTHS:
        source = f"/src-{length}"
        _fill(store, source, length)
        middle = store.get(source).tail // 2
        fork_s[str(length)] = _median_seconds(FORKS_PER_LENGTH_CORE, lambda i, s=source, m=middle: store.create(
            f"{s}/fork-{i}", CreateRequest(forked_from=s, fork_position=m)))
    store.create("/appends", CreateRequest(content_type=TEXT))
    body = b"x" * 100
    appends = _rate(CORE_APPENDS, lambda _: store.append("/appends", AppendRequest(body=body, content_type=TEXT)))
    _fill_reads(store)
    stream = store.get("/reads")
    reads = _rate(CORE_READS, lambda i: store.read(stream, _read_offset(i)).body(False))
    return {"fork_create_median_s": fork_s, "fork_create_ratio_max_min": _ratio(fork_s),
            "appends_per_s": appends, "catch_up_reads_per_s": reads}


def bench_http() -> dict[str, Any]:
    with EmbeddedServer(long_poll_timeout=0.5) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        # Sources are filled in-process (100,000 POSTs would take minutes); only the
        # measured operations go over HTTP. The server is idle while this runs.
        store: StreamStore = server.app.store
        for length in SOURCE_LENGTHS:
            _fill(store, f"/src-{length}", length)
        fork_s: dict[str, float] = {}
        for length in SOURCE_LENGTHS:
            source = f"/src-{length}"
            middle = format_offset(store.get(source).tail // 2)
            fork_s[str(length)] = _median_seconds(FORKS_PER_LENGTH_HTTP, lambda i, s=source, m=middle: client.put(
                f"{s}/fork-{i}", headers={"stream-forked-from": s, "stream-fork-offset": m}).raise_for_status())
        client.put("/appends", headers={"content-type": TEXT}).raise_for_status()
        body = b"x" * 100
        appends = _rate(HTTP_APPENDS, lambda _: client.post(
            "/appends", headers={"content-type": TEXT}, content=body).raise_for_status())
        _fill_reads(store)
        reads = _rate(HTTP_READS, lambda i: client.get(
            "/reads", params={"offset": format_offset(_read_offset(i))}).raise_for_status())
    return {"fork_create_median_s": fork_s, "fork_create_ratio_max_min": _ratio(fork_s),
            "appends_per_s": appends, "catch_up_reads_per_s": reads}


def machine() -> dict[str, Any]:
    return {"cores": os.cpu_count(), "python": sys.version.split()[0],
            "implementation": platform.python_implementation(), "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = {"machine": machine(), "source_lengths_messages": list(SOURCE_LENGTHS),
              "catch_up_read": f"from a message boundary of a {READ_MESSAGES} x 100 B stream (0.1-10 KB)",
              "core": bench_core(), "http": bench_http()}
    report["duration_s"] = round(time.perf_counter() - started, 2)
    for layer in ("core", "http"):
        result = report[layer]
        forks = ", ".join(f"{n} msgs {t * 1e6:.0f} us" for n, t in result["fork_create_median_s"].items())
        print(f"{layer:>4}: fork create {forks} (ratio {result['fork_create_ratio_max_min']:.2f}); "
              f"{result['appends_per_s']:.0f} appends/s; {result['catch_up_reads_per_s']:.0f} catch-up reads/s")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output} in {report['duration_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
