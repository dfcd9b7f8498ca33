"""`dscheck run` exit codes and output, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import argparse

from conformance import run_command
from conformance.loader import default_scenario_dir

from .helpers import free_port, scenario_text

STARTER = str(default_scenario_dir() / "starter")


def main(argv: list[str]) -> int:
    """`dscheck` with only the run subcommand: isolates these tests from other subcommands."""
    parser = argparse.ArgumentParser(prog="dscheck")
    run_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_starter_passes_on_embedded_reference_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--scenarios", STARTER, "--report-dir", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "fail 0" in out and "reference (embedded)" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["collected"] == report["summary"]["ran"] > 0


def test_failures_exit_1_with_quote_expected_actual_and_curl(wrong_url: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", wrong_url, "--scenarios", STARTER, "--report-dir", str(tmp_path), "--quiet",
                 "--only", "create.put.idempotent"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL create.put.idempotent" in out and "§5.1 MUST" in out
    assert "expected 201, got 200" in out and "$ curl -sS -i -X PUT" in out


def test_expected_failures_file_turns_failures_green(wrong_url: str, tmp_path: Path) -> None:
    known = tmp_path / "known.yaml"
    known.write_text("- id: '*'\n  reason: the wrong server is wrong\n")
    code = main(["run", wrong_url, "--scenarios", STARTER, "--report-dir", str(tmp_path), "--quiet",
                 "--expected-failures", str(known), "--skip", "slow"])
    assert code == 0


def test_bad_scenario_file_exits_2_naming_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(scenario_text("- request: {method: FETCH, path: '{stream}'}\n"))
    code = main(["run", "http://127.0.0.1:9", "--scenarios", str(tmp_path), "--report-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and f"{bad}:6: steps[0].request.method" in err


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    assert main(["run", "--jobs", "0", "--scenarios", STARTER]) == 2
    bad_list = tmp_path / "known.yaml"
    bad_list.write_text("{not: a list}\n")
    assert main(["run", "--scenarios", STARTER, "--expected-failures", str(bad_list)]) == 2
    with pytest.raises(SystemExit) as info:
        main(["run", "--no-such-flag"])
    assert info.value.code == 2


def test_unreachable_target_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", f"http://127.0.0.1:{free_port()}", "--scenarios", STARTER, "--report-dir", str(tmp_path)])
    assert code == 3 and "unreachable" in capsys.readouterr().err
