"""Bounded end-to-end load runs (a few seconds each) against the embedded reference
server: a correct server passes; a deliberately broken one fails the run with every kind
of violation the checker is meant to catch."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.runner import LoadRun, execute
from loadtest_broken_server import BrokenServer

embedded = pytest.importorskip("reference_impl.embedded")
app_module = pytest.importorskip("reference_impl.app")

FORK_OPTIONS = {"source-lengths": "10,40", "chain-depth": "2", "seed-batches": "10"}


def fork_storm_run(url: str, report_dir: Path) -> dict:
    run = LoadRun(profile="fork_storm", url=url, users=3, spawn_rate=3, run_time="3s",
                  report_dir=report_dir, options=FORK_OPTIONS)
    return execute(run)


def test_correct_server_passes(tmp_path: Path) -> None:
    with embedded.EmbeddedServer() as server:
        summary = fork_storm_run(server.url, tmp_path)
    assert summary["ok"], summary["problems"]
    assert summary["history"]["forks"] > 0 and summary["history"]["reads_checked"] > 0
    names = {row["name"] for row in summary["rows"]}
    assert "fork_create src=10 depth=1" in names and "fork_create src=40 depth=1" in names
    assert (Path(summary["run_dir"]) / "locust.html").exists()
    assert (Path(summary["run_dir"]) / "locust_stats.csv").exists()


def test_broken_server_fails_with_each_violation_kind(tmp_path: Path) -> None:
    broken = BrokenServer(app_module.create_app())
    with embedded.EmbeddedServer(app=broken) as server:
        summary = fork_storm_run(server.url, tmp_path)
    assert not summary["ok"]
    kinds = summary["history"]["violations_by_kind"]
    assert kinds.get("fork_isolation", 0) > 0, kinds
    assert kinds.get("duplicated", 0) > 0, kinds
    assert kinds.get("reordered", 0) > 0, kinds
    assert kinds.get("lost", 0) + kinds.get("missed", 0) > 0, kinds


def test_server_that_drops_messages_is_caught_by_the_post_run_verification(tmp_path: Path) -> None:
    # Only drops, so the final verification read is certain to be one of the broken reads
    # (with the bugs in rotation it depends on how many reads came before it).
    broken = BrokenServer(app_module.create_app(), bugs=("drop",), leak_forks=False)
    with embedded.EmbeddedServer(app=broken) as server:
        summary = fork_storm_run(server.url, tmp_path)
    assert not summary["ok"]
    assert summary["history"]["violations_by_kind"].get("lost", 0) > 0, summary["history"]
