"""Bounded runs (3 s of load each) of the live-reader profiles against the embedded
reference server: they pass the history check and produce their own metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.runner import LoadRun, execute

embedded = pytest.importorskip("reference_impl.embedded")


def test_fanout_delivers_to_sse_and_long_poll_readers(tmp_path: Path) -> None:
    with embedded.EmbeddedServer() as server:
        summary = execute(LoadRun(profile="fanout", url=server.url, users=7, spawn_rate=7, run_time="3s",
                                  report_dir=tmp_path, options={"write-interval": "0.05"}))
    assert summary["ok"], summary["problems"]
    rows = {(row["type"], row["name"]) for row in summary["rows"]}
    assert ("DELIVERY", "sse") in rows and ("DELIVERY", "long-poll") in rows
    live = summary["history"]["live"]
    assert live["live_readers"] == 6 and live["sse_connections_peak"] == 3
    assert live["delivery_ms"]["all"]["count"] > 0


def test_agent_sessions_rewind_fan_out_and_scratch(tmp_path: Path) -> None:
    chances = {"rewind-chance": "0.2", "parallel-chance": "0.2", "scratch-chance": "0.2"}
    # A short long-poll timeout: a tailer's long-poll then completes (200 or 204) within the
    # 3 s run even when a loaded machine delays the sessions' appends.
    with embedded.EmbeddedServer(long_poll_timeout=0.5) as server:
        summary = execute(LoadRun(profile="agent_sessions", url=server.url, users=4, spawn_rate=4,
                                  run_time="3s", report_dir=tmp_path, options=chances))
    assert summary["ok"], summary["problems"]
    names = {row["name"] for row in summary["rows"]}
    assert {"session rewind", "parallel fork", "scratch fork", "session long-poll"} <= names
    assert summary["history"]["forks"] > 0 and summary["history"]["reads_checked"] > 0
