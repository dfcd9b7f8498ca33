from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from conformance import matrix_command
from conformance.reporting import build_matrix, write_matrix, write_reports
from conformance.reporting.matrix import NOT_RUN

from .builders import all_outcomes_report, three_runs
from .htmlscan import DomIndex, external_references


ORDER = ["fork.create", "offsets.opaque", "append.basic", "close.twice", "explore.x"]  # 4.2 < 4.10 < 5.2 < 5.3 < none


def test_model_rows_columns_and_missing_cells() -> None:
    matrix = build_matrix(three_runs())
    assert matrix.servers == ["reference", "node <0.3.7>", "reference (2)"]
    assert [row.id for row in matrix.rows] == ORDER
    close = matrix.rows[3]
    assert [close.outcome(c) for c in range(3)] == ["pass", NOT_RUN, "skipped"]
    assert matrix.column_counts(1) == {**dict.fromkeys(matrix.column_counts(1), 0),
                                       "fail": 1, "non-strict": 1, "error": 1, NOT_RUN: 2}


def test_markdown_matrix(tmp_path: Path) -> None:
    text = write_matrix(three_runs(), tmp_path)["markdown"].read_text(encoding="utf-8")
    lines = text.splitlines()
    assert "| scenario | section | level | reference | node \\<0.3.7\\> | reference (2) |" in lines
    rows = [line for line in lines if line.startswith("| ") and "." in line.split("|")[1]]
    assert [r.split("|")[1].strip() for r in rows] == ORDER
    assert "| close.twice | 5.3 | MUST | ✅ pass | — | ⏭️ skipped |" in lines
    assert "| fork.create | 4.2 | MUST | ✅ pass | ❌ fail | 🚫 unsupported |" in lines
    assert "| **not run** | | | **1** | **2** | **0** |" in lines
    assert "| **✅ pass** | | | **4** | **0** | **3** |" in lines
    assert not any(line.startswith("| **💤") for line in lines)  # no all-zero summary rows


def test_html_matrix(tmp_path: Path) -> None:
    runs = three_runs()
    markup = write_matrix(runs, tmp_path)["html"].read_text(encoding="utf-8")
    dom = DomIndex(markup)
    assert external_references(dom) == [] and "<script>" not in markup
    assert dom.int_by_id("count-servers") == 3 and dom.int_by_id("count-scenarios") == len(ORDER)
    assert [r.attrs["data-scenario"] for r in dom.find("tr") if "data-scenario" in r.attrs] == ORDER
    missing = dom.find("td", data_scenario="close.twice", data_server="node <0.3.7>")[0]
    assert missing.attrs["data-outcome"] == NOT_RUN and missing.text == "—" and "o-not-run" in missing.attrs["class"]
    failed = dom.find("td", data_scenario="fork.create", data_server="node <0.3.7>")[0]
    assert failed.attrs["class"] == "cell o-fail" and failed.attrs["title"] == "500 <script>x</script>"
    matrix = build_matrix(runs)
    for column in range(3):
        for key, n in matrix.column_counts(column).items():
            assert dom.int_by_id(f"count-s{column}-{key}") == n
    # each column's counts agree with that run's own JSON summary
    for column, run in enumerate(runs):
        for outcome, n in run.summary.by_outcome.items():
            assert dom.int_by_id(f"count-s{column}-{outcome}") == n


def _run_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dscheck")
    matrix_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_matrix_command_from_report_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = []
    for i, run in enumerate([all_outcomes_report(label="a"), all_outcomes_report(label="b")]):
        run.scenarios = run.scenarios[i:]  # b misses the first scenario
        paths.append(str(write_reports(run, tmp_path / f"run{i}")["json"]))
    assert _run_command(["matrix", *paths, "--out", str(tmp_path / "m")]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / "m" / "matrix.md"), str(tmp_path / "m" / "matrix.html")]
    dom = DomIndex((tmp_path / "m" / "matrix.html").read_text(encoding="utf-8"))
    assert dom.int_by_id("count-s1-not-run") == 1 and dom.int_by_id("count-s0-not-run") == 0


def test_matrix_command_rejects_invalid_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"tool": "x"}), encoding="utf-8")
    assert _run_command(["matrix", str(bad), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "bad.json does not match the dscheck report schema" in err and "'target' is a required" in err
    assert not (tmp_path / "m").exists()


def test_matrix_command_is_registered_in_cli() -> None:
    from conformance.cli import SUBCOMMAND_MODULES
    assert "conformance.matrix_command" in SUBCOMMAND_MODULES
