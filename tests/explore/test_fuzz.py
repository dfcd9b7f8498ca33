"""The fuzzer: deterministic cases, a clean bill for the reference server, and findings
(with a curl line) for servers that crash or lose acknowledged writes."""

from __future__ import annotations

import base64
import json
import shlex
import subprocess
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.explore.fuzz_cases import GENERATORS, generate_cases
from conformance.explore.fuzz_runner import curl_line, run_fuzz

from .conftest import broken_server

SEED, BUDGET = 7, 150

def test_cases_are_deterministic_and_cover_every_area() -> None:
    first, second = generate_cases(SEED, 40), generate_cases(SEED, 40)
    assert [c.description for c in first] == [c.description for c in second]
    assert [c.description for c in generate_cases(SEED + 1, 40)] != [c.description for c in first]
    assert len({c.area for c in first}) == len(GENERATORS)


def test_reference_server_has_no_findings(reference_url: str) -> None:
    report = run_fuzz(reference_url, generate_cases(SEED, BUDGET), seed=SEED)
    assert report.requests > BUDGET
    assert not report.findings, json.dumps([f.__dict__ for f in report.findings], indent=1,
                                           default=str)[:3000]


def test_a_5xx_is_a_finding_with_the_request_and_a_curl_line(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    with broken_server("CrashesOnOddTtl") as url:
        code = main(["fuzz", url, "--seed", str(SEED), "--budget", "45", "--report-dir", str(tmp_path)])
    assert code == 1
    data = json.loads((tmp_path / "fuzz-findings.json").read_text())
    assert data["seed"] == SEED and data["findings"]
    assert {f["kind"] for f in data["findings"]} == {"5xx"}
    for finding in data["findings"]:
        ttl = finding["request"]["headers"]["Stream-TTL"]
        assert not (ttl.isascii() and ttl.isdigit())
        assert finding["response"]["status"] == 500
        assert shlex.quote(f"Stream-TTL: {ttl}") in finding["curl"]
    assert f"seed: {SEED}" in capsys.readouterr().out


def test_an_acknowledged_write_that_reads_back_wrong_is_a_finding() -> None:
    with broken_server("DropsSeqAppends") as url:
        report = run_fuzz(url, generate_cases(SEED, 60), seed=SEED)
    lost = [f for f in report.findings if f.kind == "read-back"]
    assert lost and all(f.area == "stream-seq" for f in lost)
    assert all("Stream-Seq" in f.request["headers"] for f in lost)   # points at the lost write


def test_a_hang_is_a_finding(reference_url: str) -> None:
    # Long-poll is not in the fuzz set, so a 0.05 s limit on a live read stands in for a hang.
    from conformance.explore.fuzz_cases import FuzzCase, FuzzRequest
    case = FuzzCase("offsets", "long-poll that outlives the limit", "application/octet-stream",
                    [FuzzRequest("GET", "{source}", query={"offset": "{tail}", "live": "long-poll"})])
    report = run_fuzz(reference_url, [case], seed=0, timeout_s=0.05)
    assert [f.kind for f in report.findings] == ["hang"]


def test_curl_lines_replay_binary_bodies_exactly() -> None:
    body = bytes(range(256))
    line = curl_line("POST", "http://127.0.0.1:9/x", {"Content-Type": "application/octet-stream"}, body)
    encoded = shlex.split(line.split("|")[0])[2]
    assert base64.b64decode(encoded) == body
    printed = subprocess.run(line.split("| curl")[0], shell=True, capture_output=True, check=True).stdout
    assert printed == body


def test_curl_lines_keep_the_query_string() -> None:
    line = curl_line("GET", "http://127.0.0.1:9/x?offset=-1&live=sse", {}, None)
    assert line.endswith("'http://127.0.0.1:9/x?offset=-1&live=sse'") and "--max-time 10" in line
