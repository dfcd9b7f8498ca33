"""report.html and matrix.html as a real browser sees them: headless Chromium's rendered DOM.

Skipped when no Chromium is installed (CI installs through pip/npm only); see docs/reports.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.reporting import build_matrix, write_matrix
from conformance.results import Outcome

from .builders import HOSTILE_BODY, three_runs
from .htmlscan import DomIndex, external_references

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """DSCHECK_CHROMIUM (a path or a command name) wins; else the usual names on PATH."""
    override = os.environ.get("DSCHECK_CHROMIUM")
    if override:
        return shutil.which(override)  # an executable path, or a name on PATH
    return next((found for name in BROWSER_NAMES if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None and os.environ.get("DSCHECK_CHROMIUM"):
        pytest.skip(f"DSCHECK_CHROMIUM={os.environ['DSCHECK_CHROMIUM']!r} is not an executable")
    if binary is None:
        pytest.skip("no Chromium found (looked for DSCHECK_CHROMIUM, then "
                    f"{', '.join(BROWSER_NAMES)} on PATH); install it, e.g. `apt-get install chromium`, "
                    "or point DSCHECK_CHROMIUM at a Chrome/Chromium binary")
    return binary


def rendered_dom(chromium: str, page: Path, profile: Path) -> DomIndex:
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<body" in done.stdout, f"no DOM dumped; stderr: {done.stderr[-2000:]}"
    return DomIndex(done.stdout)


def test_report_html_in_chromium(chromium: str, written: dict[str, Path], tmp_path: Path) -> None:
    data = json.loads(written["json"].read_text(encoding="utf-8"))
    dom = rendered_dom(chromium, written["html"], tmp_path / "profile")
    for outcome in Outcome:
        assert dom.int_by_id(f"count-{outcome.value}") == data["summary"]["by_outcome"].get(outcome.value, 0)
    assert dom.int_by_id("count-total") == len(data["scenarios"])
    assert dom.int_by_id("summary-ran") == data["summary"]["ran"]
    # the hostile body is text in the page, not markup the browser built
    assert external_references(dom) == []
    assert not dom.find("script") and not dom.find("img")
    assert any(HOSTILE_BODY in pre.text for pre in dom.find("pre"))
    assert dom.find("title")[0].text == "dscheck report: reference"  # the injected script did not run


def test_matrix_html_in_chromium(chromium: str, tmp_path: Path) -> None:
    runs = three_runs()
    page = write_matrix(runs, tmp_path / "m")["html"]
    dom = rendered_dom(chromium, page, tmp_path / "profile")
    assert external_references(dom) == []
    matrix = build_matrix(runs)
    for column, run in enumerate(runs):
        counts = matrix.column_counts(column)
        for key, n in counts.items():
            assert dom.int_by_id(f"count-s{column}-{key}") == n
        for outcome, n in run.summary.by_outcome.items():  # and the run's own JSON summary
            assert counts[outcome] == n
    cells = dom.find("td", data_server="node <0.3.7>")
    assert [c.attrs["data-outcome"] for c in cells if "data-scenario" in c.attrs] == \
        ["fail", "non-strict", "error", "not-run", "not-run"]
