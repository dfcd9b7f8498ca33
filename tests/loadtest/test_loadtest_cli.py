"""`dscheck load` argument handling (no network) and a bounded distributed run."""

from __future__ import annotations

from pathlib import Path

import pytest

import argparse

from loadtest import cli
from loadtest.runner import LoadRun, execute, locust_commands, parse_run_time


def main(argv: list[str]) -> int:
    """`dscheck` with only the load subcommand (independent of other subcommands' modules)."""
    parser = argparse.ArgumentParser(prog="dscheck")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_bad_threshold_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load", "append", "http://127.0.0.1:9", "--threshold", "append:p99<5"]) == 2
    assert "needs a unit" in capsys.readouterr().err


def test_bad_option_and_run_time(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load", "append", "http://127.0.0.1:9", "-o", "novalue"]) == 2
    assert main(["load", "append", "http://127.0.0.1:9", "-t", "soon"]) == 2
    err = capsys.readouterr().err
    assert "NAME=VALUE" in err and "bad run time" in err


def test_run_time_syntax() -> None:
    assert parse_run_time("90") == 90 and parse_run_time("1m30s") == 90 and parse_run_time("2h") == 7200


def test_distributed_commands(tmp_path: Path) -> None:
    run = LoadRun(profile="fanout", users=4, workers=2, options={"sse-share": "1"})
    main_command, workers = locust_commands(run, "http://127.0.0.1:1", tmp_path)
    assert "--master" in main_command and main_command[main_command.index("--expect-workers") + 1] == "2"
    assert len(workers) == 2 and all("--worker" in w and "--sse-share" in w for w in workers)


def test_distributed_run_merges_worker_histories(tmp_path: Path) -> None:
    embedded = pytest.importorskip("reference_impl.embedded")
    with embedded.EmbeddedServer() as server:
        summary = execute(LoadRun(profile="append", url=server.url, users=2, spawn_rate=2, run_time="3s",
                                  workers=2, report_dir=tmp_path))
    assert summary["ok"], summary["problems"]
    histories = list((Path(summary["run_dir"]) / "history").glob("history-*.jsonl"))
    assert len([h for h in histories if "verify" not in h.name]) >= 2  # one per worker
    assert summary["history"]["acknowledged_messages"] > 0
    assert summary["verification"]["streams_verified"] >= 2
