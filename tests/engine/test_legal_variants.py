"""The whole suite passes on servers that keep every rule but choose differently where
PROTOCOL.md leaves room (tests/engine/legal_variants.py): a scenario that fails on one of
them assumes something the spec does not require. About 10 s per variant."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from conformance.http_exchange import Limits
from conformance.loader import default_scenario_dir, load_scenarios
from conformance.results import Outcome
from conformance.run_command import EMBEDDED_LONG_POLL_TIMEOUT_S
from conformance.runner import RunOptions, run_suite
from reference_impl.embedded import EmbeddedServer

from .legal_variants import VARIANTS

# A variant that deliberately skips a SHOULD would list the scenario ids allowed to be
# non-strict here; none does today.
ALLOWED_NON_STRICT: dict[str, set[str]] = {name: set() for name in VARIANTS}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    with EmbeddedServer(app=VARIANTS[request.param](EMBEDDED_LONG_POLL_TIMEOUT_S)) as server:
        yield request.param, server.url


def test_whole_suite_passes_on_each_legal_variant(variant: tuple[str, str]) -> None:
    name, url = variant
    scenarios = load_scenarios(default_scenario_dir())
    report = asyncio.run(run_suite(scenarios, url, RunOptions(limits=Limits(request_timeout_s=5.0))))
    bad = {r.id: f"{r.outcome.value}: {r.reason}" for r in report.scenarios
           if r.outcome is not Outcome.PASS
           and not (r.outcome is Outcome.NON_STRICT and r.id in ALLOWED_NON_STRICT[name])}
    assert not bad, f"{name}: " + "\n".join(f"{i}: {why}" for i, why in sorted(bad.items()))


def test_variants_really_differ_from_the_reference(variant: tuple[str, str]) -> None:
    """Guards the test above against a variant that silently behaves like the reference."""
    name, url = variant
    with httpx.Client(base_url=url, timeout=5.0) as client:
        client.put("/v/text", headers={"Content-Type": "text/plain"}, content=b"hello world")
        client.post("/v/text", headers={"Stream-Closed": "true"})
        client.put("/v/bin", headers={"Content-Type": "application/octet-stream"}, content=bytes(range(12)))
        client.post("/v/bin", headers={"Stream-Closed": "true"})  # so the SSE read below ends
        read = client.get("/v/text", params={"offset": "-1"})
        head = client.head("/v/text")
        sse = client.get("/v/bin", params={"offset": "-1", "live": "sse"}).text
    if name == "small-chunks":
        assert read.content == b"hello " and "stream-up-to-date" not in read.headers
    elif name == "alt-headers":
        assert read.headers["etag"].startswith('"s') and read.headers["cache-control"].startswith("private")
        assert "stream-cursor" in read.headers and "no-store" not in head.headers["cache-control"]
    elif name == "sse-framing":
        assert sse.count("data: ") > 2 and "\r\n" in sse
    else:
        pytest.fail(f"no check for variant {name}")
