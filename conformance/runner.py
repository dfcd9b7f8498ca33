"""Run a set of scenarios concurrently against one server and build the RunReport.

Isolation comes from unique stream paths (a random per-run prefix plus the scenario id),
so `--jobs` scenarios can run at once against the same server.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

import httpx

from conformance import __version__
from conformance.executor import RunContext, run_scenario, scenario_result
from conformance.expected_failures import ExpectedFailure, find_expected
from conformance.http_exchange import Limits
from conformance.results import Outcome, RunReport, RunSummary, ScenarioResult
from conformance.scenario import Scenario
from conformance.selection import not_run_reason

DEFAULT_JOBS = 16
REACHABILITY_TIMEOUT_S = 5.0

# Per job slot: a scenario's background reads hold connections of their own beside its steps.
SLOT_LIMITS = httpx.Limits(max_connections=12, max_keepalive_connections=12)
ProgressCallback = Callable[[ScenarioResult, int, int], None]  # (result, done, total)


@dataclass
class RunOptions:
    prefix: str = ""
    only: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    without: list[str] = field(default_factory=list)
    jobs: int = DEFAULT_JOBS
    strict: bool = False
    expected_failures: list[ExpectedFailure] = field(default_factory=list)
    server_label: str = ""
    limits: Limits = field(default_factory=Limits)


def split_target(url: str, prefix: str) -> tuple[str, str]:
    """('http://h:1/v1', '/stream') -> ('http://h:1', '/v1/stream'): a URL path joins the prefix."""
    parts = urlsplit(url.rstrip("/"))
    base = f"{parts.scheme}://{parts.netloc}"
    joined = "/".join(p.strip("/") for p in (parts.path, prefix) if p.strip("/"))
    return base, f"/{joined}" if joined else ""


async def check_reachable(url: str, timeout_s: float = REACHABILITY_TIMEOUT_S) -> str | None:
    """None if anything answers HTTP at `url` (any status counts); else what went wrong."""
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            await client.head(url.rstrip("/") + "/__dscheck_probe__")
        return None
    except (httpx.HTTPError, OSError) as exc:
        return f"{type(exc).__name__}: {exc or 'no answer'}"


def exit_code_for(results: list[ScenarioResult], strict: bool) -> int:
    blocking = any(r.outcome.is_blocking or (strict and r.outcome is Outcome.NON_STRICT) for r in results)
    return 1 if blocking else 0


def apply_expected_failures(result: ScenarioResult, entries: list[ExpectedFailure]) -> ScenarioResult:
    entry = find_expected(entries, result.id)
    if entry is None:
        return result
    why = entry.reason or "listed in --expected-failures"
    if result.outcome in (Outcome.FAIL, Outcome.ERROR, Outcome.NON_STRICT):
        result.reason = f"expected failure ({why}): {result.outcome.value}: {result.reason}"
        result.outcome = Outcome.EXPECTED_FAIL
    elif result.outcome is Outcome.PASS:
        result.reason = f"passed, but listed as an expected failure ({why}); remove it from the list"
        result.outcome = Outcome.UNEXPECTED_PASS
    return result


def not_run_result(scenario: Scenario, outcome: Outcome, reason: str) -> ScenarioResult:
    return scenario_result(scenario, outcome, reason)


async def run_suite(scenarios: list[Scenario], target_url: str, options: RunOptions,
                    progress: ProgressCallback | None = None) -> RunReport:
    started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    started = time.monotonic()
    base_url, prefix = split_target(target_url, options.prefix)
    results: list[ScenarioResult | None] = [None] * len(scenarios)
    to_run: list[int] = []
    for index, scenario in enumerate(scenarios):
        decision = not_run_reason(scenario, options.only, options.skip, options.without)
        if decision is None:
            to_run.append(index)
        else:
            results[index] = not_run_result(scenario, *decision)
    done = 0
    total = len(to_run)
    jobs = max(1, options.jobs)
    timeout = httpx.Timeout(options.limits.request_timeout_s, pool=None)
    run_id = f"dscheck-{secrets.token_hex(4)}"
    async with contextlib.AsyncExitStack() as stack:
        # One client per job slot, each running one scenario at a time: httpx scans its whole
        # pool on every request, so many small pools cost far less CPU than one large one.
        idle_clients: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for _ in range(jobs):
            idle_clients.put_nowait(await stack.enter_async_context(
                httpx.AsyncClient(limits=SLOT_LIMITS, timeout=timeout, follow_redirects=False)))

        async def one(index: int) -> None:
            nonlocal done
            client = await idle_clients.get()
            try:
                ctx = RunContext(client=client, base_url=base_url, prefix=prefix, run_id=run_id,
                                 limits=options.limits)
                result = await run_scenario(scenarios[index], ctx)
            finally:
                idle_clients.put_nowait(client)
            results[index] = apply_expected_failures(result, options.expected_failures)
            done += 1
            if progress is not None:
                progress(results[index], done, total)

        # Slowest first: a long TTL wait started last would set the run's length on its own.
        to_run.sort(key=lambda index: -scenarios[index].expected_wait_s)
        await asyncio.gather(*(one(index) for index in to_run))
    final = [r for r in results if r is not None]
    counts = Counter(r.outcome.value for r in final)
    ran = sum(1 for r in final if r.outcome not in (Outcome.SKIPPED, Outcome.UNSUPPORTED))
    summary = RunSummary(collected=len(scenarios), ran=ran, skipped=len(scenarios) - ran,
                         by_outcome={o.value: counts.get(o.value, 0) for o in Outcome})
    option_record = asdict(options)
    option_record["expected_failures"] = [asdict(e) for e in options.expected_failures]
    return RunReport(
        tool=f"dscheck {__version__}", target=base_url + prefix,
        server_label=options.server_label or base_url, started_at=started_at,
        duration_s=round(time.monotonic() - started, 3), options=option_record, summary=summary,
        exit_code=exit_code_for(final, options.strict), scenarios=final)
