"""report.html and matrix.html as a real browser sees them: headless Chromium's rendered DOM.

Without a system Chromium, falls back to the one shipped inside the npm package in tests/browser
(`make setup` runs `npm ci` there); skipped when neither is there. See docs/reports.md.
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
NPM_BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"  # package.json: @sparticuz/chromium
NPM_OVERRIDE = "npm"  # DSCHECK_CHROMIUM=npm: use the npm-shipped Chromium even when a system one exists


def npm_chromium() -> list[str] | None:
    """The Chromium inside tests/browser's npm package, as a `--dump-dom` command; None if not installed.

    That build (@sparticuz/chromium, a headless shell) ignores --dump-dom, so it runs through
    tests/browser/dump_dom.mjs, which takes the same arguments and dumps the DOM over DevTools.
    chromium_path.mjs extracts the browser from the package on first use (a few seconds, then cached).
    """
    node = shutil.which("node")
    if node is None or not (NPM_BROWSER_DIR / "node_modules" / "@sparticuz" / "chromium").is_dir():
        return None
    done = subprocess.run([node, str(NPM_BROWSER_DIR / "chromium_path.mjs")],
                          capture_output=True, text=True, timeout=180, check=False)
    binary = done.stdout.strip()
    if done.returncode != 0 or not os.access(binary, os.X_OK):  # installed but broken: say so
        pytest.fail(f"tests/browser/chromium_path.mjs failed ({done.returncode}): {done.stderr[-2000:]}")
    return [node, str(NPM_BROWSER_DIR / "dump_dom.mjs")]


def find_chromium() -> list[str] | None:
    """The command to run as `COMMAND [flags] --dump-dom URL`.

    DSCHECK_CHROMIUM (a path, a command name, or `npm`) wins; else the usual names on PATH; else the
    Chromium shipped in tests/browser's npm package.
    """
    override = os.environ.get("DSCHECK_CHROMIUM")
    if override == NPM_OVERRIDE:
        return npm_chromium()
    if override:
        found = shutil.which(override)  # an executable path, or a name on PATH
        return [found] if found else None
    system = next((found for name in BROWSER_NAMES if (found := shutil.which(name))), None)
    return [system] if system else npm_chromium()


@pytest.fixture(scope="module")
def chromium() -> list[str]:
    command = find_chromium()
    override = os.environ.get("DSCHECK_CHROMIUM")
    if command is None and override == NPM_OVERRIDE:
        pytest.skip("DSCHECK_CHROMIUM=npm but tests/browser is not installed (`make setup`, "
                    "or `npm ci` in tests/browser; needs node)")
    if command is None and override:
        pytest.skip(f"DSCHECK_CHROMIUM={override!r} is not an executable")
    if command is None:
        pytest.skip("no Chromium found (looked for DSCHECK_CHROMIUM, then "
                    f"{', '.join(BROWSER_NAMES)} on PATH, then tests/browser/node_modules); "
                    "run `make setup` (npm ci in tests/browser installs one), or point "
                    "DSCHECK_CHROMIUM at a Chrome/Chromium binary")
    return command


def rendered_dom(chromium: list[str], page: Path, profile: Path) -> DomIndex:
    command = [*chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<body" in done.stdout, f"no DOM dumped; stderr: {done.stderr[-2000:]}"
    return DomIndex(done.stdout)


def test_report_html_in_chromium(chromium: list[str], written: dict[str, Path], tmp_path: Path) -> None:
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


def test_matrix_html_in_chromium(chromium: list[str], tmp_path: Path) -> None:
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
