"""The pytest plugin, through real pytest subprocesses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from conformance.loader import default_scenario_dir

from .helpers import scenario_text

STARTER = default_scenario_dir() / "starter"


def pytest_run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_inactive_without_flag(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(scenario_text("- sleep: 0\n"))
    result = pytest_run(str(tmp_path), cwd=tmp_path)
    assert "no tests ran" in result.stdout


def test_collects_scenarios_with_markers_and_junit(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    result = pytest_run("--dscheck", str(STARTER), "-m", "requires_json and must",
                        f"--junitxml={junit}", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    names = {case.get("name") for case in ElementTree.parse(junit).iter("testcase")}
    assert names == {"json.append.flatten-one-level", "read.sse.closed-at-tail"}


def test_failure_is_reported_with_requirement_and_curl(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(scenario_text("""
- request: {method: PUT, path: "{stream}"}
  expect: {status: 299}
""", id="t.wrong-status"))
    result = pytest_run("--dscheck", str(tmp_path), "-x", cwd=tmp_path)
    assert result.returncode == 1
    assert "t.wrong-status" in result.stdout and "expected 299, got 201" in result.stdout
    assert "$ curl" in result.stdout


def test_bad_file_is_a_collection_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: x.y\n")
    result = pytest_run("--dscheck", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "bad.yaml" in result.stdout


def test_runs_under_xdist(tmp_path: Path) -> None:
    result = pytest_run("--dscheck", str(STARTER), "-n", "2", "-k", "closure", cwd=tmp_path)
    assert result.returncode == 0 and "passed" in result.stdout, result.stdout
