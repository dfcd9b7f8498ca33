"""The wheel carries every package and the scenario suite (pyproject lists packages by hand)."""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def listed_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(config["tool"]["setuptools"]["packages"])


def test_every_python_package_is_listed_in_pyproject() -> None:
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("conformance", "reference_impl", "loadtest")
        for init in (ROOT / top).rglob("__init__.py")
    }
    missing = found - listed_packages()
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


@pytest.mark.timeout(180)
def test_wheel_ships_packages_schemas_and_every_scenario(tmp_path: Path) -> None:
    build = pytest.importorskip("setuptools.build_meta")
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        wheel_name = build.build_wheel(str(tmp_path))
    finally:
        os.chdir(cwd)
    names = set(zipfile.ZipFile(tmp_path / wheel_name).namelist())
    scenario_files = {
        "dscheck_scenarios/" + str(path.relative_to(ROOT / "scenarios"))
        for path in (ROOT / "scenarios").rglob("*.yaml")
    }
    assert scenario_files, "the repository has no scenarios"
    assert scenario_files <= names, sorted(scenario_files - names)[:5]
    assert "conformance/schemas/scenario.schema.json" in names
    assert "conformance/requirements.yaml" in names
    assert "reference_impl/__init__.py" in names


@pytest.mark.timeout(120)
def test_bundled_suite_runs_from_pytest_by_package_name(tmp_path: Path) -> None:
    # From a directory with no scenarios in it, as a user of the installed wheel would.
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--dscheck",
         "--pyargs", "dscheck_scenarios", "-k", "starter and long-poll"],
        cwd=tmp_path, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert " passed" in completed.stdout and " failed" not in completed.stdout
