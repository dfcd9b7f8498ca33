"""pytest plugin: run dscheck YAML scenarios as pytest items (one per scenario / matrix row).

Active only with `--dscheck` or `--dscheck-url URL`, so ordinary pytest runs never see it.

    pytest --dscheck scenarios/starter                  # against the embedded reference server
    pytest --dscheck-url http://127.0.0.1:4437 scenarios -m "must and not sse" -x

Markers: the strongest level (`must`, `must_not`, `should`, `should_not`, `may`), each
capability (`requires_<cap>`), each tag (`tag_<tag>`) and the area (`area_<area>`).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.executor import RunContext, run_scenario
from conformance.http_exchange import Limits
from conformance.loader import SCENARIO_SUFFIXES, ScenarioFormatError, load_scenario_file
from conformance.results import Outcome, ScenarioResult
from conformance.runner import split_target
from conformance.scenario import Scenario
from conformance.terminal import format_failure

_server_stash = pytest.StashKey[dict[str, Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dscheck", "Durable Streams conformance scenarios")
    group.addoption("--dscheck", action="store_true", default=False,
                    help="collect dscheck YAML scenarios (against the embedded reference server)")
    group.addoption("--dscheck-url", default=None, metavar="URL", help="run scenarios against this server")
    group.addoption("--dscheck-prefix", default="", metavar="PATH", help="stream path prefix, e.g. /v1/stream")
    group.addoption("--dscheck-strict", action="store_true", default=False,
                    help="SHOULD/MAY failures (non-strict) fail the test instead of xfail")
    group.addoption("--dscheck-timeout-scale", type=float, default=1.0)


def _active(config: pytest.Config) -> bool:
    return bool(config.getoption("--dscheck") or config.getoption("--dscheck-url"))


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_server_stash] = {}
    for level in ("must", "must_not", "should", "should_not", "may"):
        config.addinivalue_line("markers", f"{level}: dscheck scenario whose strongest requirement is {level}")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if _active(parent.config) and file_path.suffix in SCENARIO_SUFFIXES:
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def _marker_name(prefix: str, value: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9_]", "_", value)


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[ScenarioItem]:
        try:
            scenarios = load_scenario_file(self.path)
        except ScenarioFormatError as exc:
            raise self.CollectError(str(exc)) from exc
        for scenario in scenarios:
            item = ScenarioItem.from_parent(self, name=scenario.id, scenario=scenario)
            names = [scenario.level.lower().replace(" ", "_"), _marker_name("area_", scenario.area)]
            names += [_marker_name("requires_", cap) for cap in scenario.requires]
            names += [_marker_name("tag_", tag) for tag in scenario.tags]
            for name in names:
                self.config.addinivalue_line("markers", f"{name}: dscheck scenario marker")
                item.add_marker(name)
            yield item


class ScenarioFailed(Exception):
    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(result.reason)
        self.result = result


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        url = _target_url(self.config)
        result = asyncio.run(_run_one(self.scenario, url, self.config))
        self.user_properties.append(("outcome", result.outcome.value))
        if result.outcome is Outcome.NON_STRICT and not self.config.getoption("--dscheck-strict"):
            pytest.xfail(f"non-strict ({self.scenario.level}): {result.reason}")
        if result.outcome is not Outcome.PASS:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            result = excinfo.value.result
            lines = format_failure(result)
            for failure in result.failures[1:]:
                lines.append(f"  {failure.step}: {failure.check}: expected {failure.expected}, got {failure.actual}")
            lines.append("  transcript:")
            lines += [f"    $ {exchange.curl}" for exchange in result.transcript]
            return "\n".join(lines)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"dscheck: {self.scenario.id}"


async def _run_one(scenario: Scenario, url: str, config: pytest.Config) -> ScenarioResult:
    base_url, prefix = split_target(url, config.getoption("--dscheck-prefix"))
    scale = config.getoption("--dscheck-timeout-scale")
    async with httpx.AsyncClient(timeout=httpx.Timeout(15.0 * scale, pool=None)) as client:
        ctx = RunContext(client=client, base_url=base_url, prefix=prefix,
                         run_id=f"dscheck-{secrets.token_hex(4)}",
                         limits=Limits(request_timeout_s=15.0 * scale, timeout_scale=scale))
        return await run_scenario(scenario, ctx)


def _target_url(config: pytest.Config) -> str:
    """The --dscheck-url, or an embedded reference server started once per process (xdist worker)."""
    url = config.getoption("--dscheck-url")
    if url:
        return str(url)
    stash = config.stash[_server_stash]
    if "server" not in stash:
        from conformance.run_command import EMBEDDED_LONG_POLL_TIMEOUT_S
        from reference_impl.embedded import EmbeddedServer
        server = EmbeddedServer(long_poll_timeout=EMBEDDED_LONG_POLL_TIMEOUT_S)
        server.start()
        stash["server"] = server
    return str(stash["server"].url)


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_server_stash, {}).get("server")
    if server is not None:
        server.stop()
