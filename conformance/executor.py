"""Run one scenario against a server: expand templates, send requests, check, capture.

The executor never raises for server behaviour: every scenario ends as a ScenarioResult
whose outcome is pass, fail, non-strict or error (selection outcomes such as skipped and
unsupported are decided by the runner before a scenario gets here).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.checks import Mismatch, capture_value, evaluate
from conformance.http_exchange import (HttpResult, Limits, PreparedRequest, SseOptions,
                                       TransportProblem, record_exchange, send)
from conformance.results import Exchange, Failure, Outcome, ScenarioResult
from conformance.scenario import Scenario
from conformance.templating import TemplateError, expand

DEFAULT_EVENTUALLY_INTERVAL_S = 0.2
# `read_all`: a server may answer with chunks of any size (§5.6), but a runaway loop of
# pages (a server that never says up-to-date) must end; past this it is an error outcome.
MAX_READ_ALL_PAGES = 1000


@dataclass
class RunContext:
    """What every scenario of one run shares."""
    client: httpx.AsyncClient
    base_url: str            # scheme://host:port, no trailing slash
    prefix: str              # e.g. "/v1/stream" or ""
    run_id: str              # random per run: keeps runs and scenarios apart
    limits: Limits = field(default_factory=Limits)

    def stream_path(self, scenario: Scenario, name: str) -> str:
        return f"{self.prefix}/{self.run_id}/{scenario.slug}/{name}"


class _StopScenario(Exception):
    """A MUST-level check failed (or a capture is missing): later steps would be noise."""


class _ScenarioError(Exception):
    """Transport-level trouble or a template that cannot expand: outcome error."""


@dataclass
class _Background:
    task: asyncio.Task[HttpResult]
    request: PreparedRequest
    started: float
    label: str
    sse: bool


@dataclass
class _State:
    scenario: Scenario
    ctx: RunContext
    variables: dict[str, Any]
    transcript: list[Exchange] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    strict_failure: bool = False
    background: dict[str, _Background] = field(default_factory=dict)


async def run_scenario(scenario: Scenario, ctx: RunContext) -> ScenarioResult:
    state = _State(scenario, ctx, dict(scenario.params))
    started = time.monotonic()
    limit_s = scenario.timeout_s * ctx.limits.timeout_scale
    error = ""
    try:
        async with asyncio.timeout(limit_s):
            for index, step in enumerate(scenario.steps):
                await _run_step(state, index, step)
    except _StopScenario:
        pass
    except _ScenarioError as exc:
        error = str(exc)
    except TimeoutError:
        error = f"scenario exceeded its {limit_s:.1f}s time limit"
    finally:
        for pending in state.background.values():
            pending.task.cancel()
        if state.background:
            await asyncio.gather(*(b.task for b in state.background.values()), return_exceptions=True)
    return _result(state, error, time.monotonic() - started)


def _result(state: _State, error: str, duration_s: float) -> ScenarioResult:
    scenario = state.scenario
    if error:
        outcome, reason = Outcome.ERROR, error
    elif state.failures:
        outcome = Outcome.FAIL if state.strict_failure else Outcome.NON_STRICT
        first = next((f for f in state.failures
                      if f.requirement and Scenario.is_strict_level(f.requirement.level)), state.failures[0])
        reason = f"{first.step}: {first.check}: expected {first.expected}, got {first.actual}"
    else:
        outcome, reason = Outcome.PASS, ""
    return scenario_result(scenario, outcome, reason, failures=state.failures,
                           transcript=state.transcript, duration_s=round(duration_s, 4))


def scenario_result(scenario: Scenario, outcome: Outcome, reason: str, **details: Any) -> ScenarioResult:
    """A result carrying the scenario's identity; `details` adds failures, transcript, timing."""
    return ScenarioResult(
        id=scenario.id, title=scenario.title, file=scenario.display_file, area=scenario.area,
        requirements=scenario.requirements, level=scenario.level, requires=scenario.requires,
        tags=scenario.tags, outcome=outcome, reason=reason, params=scenario.params, **details,
    )


def _label(index: int, step: dict[str, Any]) -> str:
    if "await" in step:
        return f"step {index + 1} (await {step['await']})"
    if step.get("name"):
        return f"step {index + 1} ({step['name']})"
    if "request" in step:
        return f"step {index + 1} ({step['request'].get('method', '?')})"
    return f"step {index + 1}"


async def _run_step(state: _State, index: int, step: dict[str, Any]) -> None:
    label = _label(index, step)
    if "sleep" in step:
        await asyncio.sleep(float(step["sleep"]) * state.ctx.limits.timeout_scale)
        return
    if "await" in step:
        pending = state.background.pop(step["await"])
        result = await _collect(state, pending)
        _check_and_capture(state, step, label, result)
        return
    request = _prepare(state, step["request"], label)
    sse = _sse_options(state, step)
    if step.get("background"):
        task = asyncio.create_task(send(state.ctx.client, request, state.ctx.limits, sse))
        state.background[step["name"]] = _Background(task, request, time.monotonic(), label, sse is not None)
        await asyncio.sleep(0)  # let the read get on the wire before later steps act
        return
    if "eventually" in step:
        await _eventually(state, step, label, request, sse)
        return
    if step.get("read_all"):
        result = await _perform_read_all(state, label, request)
    else:
        result = await _perform(state, label, request, sse)
    _check_and_capture(state, step, label, result)


def _sse_options(state: _State, step: dict[str, Any]) -> SseOptions | None:
    if "sse" not in step:
        return None
    spec = step["sse"] or {}
    limits = state.ctx.limits
    return SseOptions(max_events=spec.get("max_events"),
                      max_seconds=float(spec.get("max_seconds", limits.sse_default_seconds)) * limits.timeout_scale,
                      until_close=spec.get("until") == "close")


def _prepare(state: _State, spec: dict[str, Any], label: str) -> PreparedRequest:
    try:
        expanded = expand(spec, state.variables,
                          lambda name: state.ctx.stream_path(state.scenario, name))
    except TemplateError as exc:
        raise _ScenarioError(f"{label}: {exc}") from exc
    headers = {str(k): _scalar(v) for k, v in (expanded.get("headers") or {}).items() if v is not None}
    query = {str(k): _scalar(v) for k, v in (expanded.get("query") or {}).items() if v is not None}
    chunks = _chunks(expanded.get("body"), expanded.get("chunked", False))
    if chunks is not None and not any(k.lower() == "transfer-encoding" for k in headers):
        # stated explicitly so the transcript and the curl replay show what went on the wire
        headers["Transfer-Encoding"] = "chunked"
    body = b"".join(chunks) if chunks is not None else _body_bytes(expanded.get("body"))
    return PreparedRequest(method=expanded["method"], url=state.ctx.base_url + expanded["path"],
                           headers=headers, body=body, query=query, chunks=chunks)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _body_bytes(body: dict[str, Any] | None) -> bytes:
    if not body:
        return b""
    if "text" in body:
        return str(body["text"]).encode("utf-8")
    if "json" in body:
        return json.dumps(body["json"], separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if "base64" in body:
        return base64.b64decode(body["base64"])
    return str(body["raw"]).encode("latin-1")


def _chunks(body: dict[str, Any] | None, chunked: bool | int) -> list[bytes] | None:
    """The chunks of a `Transfer-Encoding: chunked` body, or None for a Content-Length body.

    `body.chunks` gives them one by one; `chunked: true` sends any body as one chunk and
    `chunked: N` cuts it into N-byte chunks. Empty pieces are dropped: on the wire a
    zero-length chunk is the end of the body.
    """
    if body and "chunks" in body:
        pieces = [item.encode("utf-8") if isinstance(item, str) else _body_bytes(item)
                  for item in body["chunks"]]
        return [piece for piece in pieces if piece]
    if chunked is False:
        return None
    data = _body_bytes(body)
    size = (len(data) or 1) if chunked is True else int(chunked)
    return [data[i:i + size] for i in range(0, len(data), size)]


async def _perform(state: _State, label: str, request: PreparedRequest,
                   sse: SseOptions | None) -> HttpResult:
    started = time.monotonic()
    try:
        result = await send(state.ctx.client, request, state.ctx.limits, sse)
    except TransportProblem as exc:
        state.transcript.append(record_exchange(label, request, None, str(exc),
                                                time.monotonic() - started, sse is not None))
        raise _ScenarioError(f"{label}: {exc}") from exc
    state.transcript.append(record_exchange(label, request, result, None, result.elapsed_s, sse is not None))
    return result


async def _perform_read_all(state: _State, label: str, request: PreparedRequest) -> HttpResult:
    """`read_all: true`: read a stream to the end of its current data, whatever chunk size
    the server picked (§5.6 "up to a server-defined maximum chunk size"). Each page is one
    transcript exchange; the result is the last page with the pages' bodies joined."""
    def record(page: int, sent: PreparedRequest, result: HttpResult) -> None:
        state.transcript.append(record_exchange(f"{label} page {page}", sent, result, None, result.elapsed_s))

    try:
        return await _read_pages(state.ctx, request, record)
    except _PageProblem as exc:
        state.transcript.append(record_exchange(label, exc.request, None, str(exc), exc.elapsed_s))
        raise _ScenarioError(f"{label}: {exc}") from exc


PageRecorder = Callable[[int, PreparedRequest, HttpResult], None]


async def _read_pages(ctx: RunContext, request: PreparedRequest, record: PageRecorder) -> HttpResult:
    """Follow `Stream-Next-Offset` until `Stream-Up-To-Date` (or `Stream-Closed`); stop early
    on a non-200 page (returned as is) or a page that does not move the offset forward."""
    results: list[HttpResult] = []
    current = request
    while True:
        started = time.monotonic()
        try:
            result = await send(ctx.client, current, ctx.limits)
        except TransportProblem as exc:
            raise _PageProblem(current, str(exc), time.monotonic() - started) from exc
        record(len(results) + 1, current, result)
        if result.status != 200:
            return result  # e.g. a 404 or 410: checked as it is
        results.append(result)
        if sum(len(r.body) for r in results) > ctx.limits.max_body_bytes:
            raise _PageProblem(current, f"pages exceed the {ctx.limits.max_body_bytes}-byte cap", 0.0)
        next_offset = result.header("stream-next-offset")
        done = any((result.header(name) or "").lower() == "true"
                   for name in ("stream-up-to-date", "stream-closed"))
        if done or not next_offset or next_offset == current.query.get("offset"):
            break
        if len(results) >= MAX_READ_ALL_PAGES:
            raise _PageProblem(current, f"no Stream-Up-To-Date after {MAX_READ_ALL_PAGES} pages "
                               "(read_all gave up)", 0.0)
        current = dataclasses.replace(current, query={**current.query, "offset": next_offset})
    last = results[-1]
    body = _join_pages([r.body for r in results], last.header("content-type") or "")
    return dataclasses.replace(last, body=body, elapsed_s=sum(r.elapsed_s for r in results))


class _PageProblem(Exception):
    def __init__(self, request: PreparedRequest, message: str, elapsed_s: float) -> None:
        super().__init__(message)
        self.request, self.elapsed_s = request, elapsed_s


def _join_pages(bodies: list[bytes], content_type: str) -> bytes:
    """Byte streams: the bytes joined. JSON streams (§9.1.5, each page a JSON array): one
    array of every page's messages, so a body check sees the whole range as one response.
    A page that is not an array is left as sent (joined raw), for the checks to report."""
    if len(bodies) == 1 or content_type.split(";", 1)[0].strip().lower() != "application/json":
        return b"".join(bodies)
    messages: list[Any] = []
    for body in bodies:
        try:
            page = json.loads(body)
        except ValueError:
            return b"".join(bodies)
        if not isinstance(page, list):
            return b"".join(bodies)
        messages += page
    return json.dumps(messages, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


async def _collect(state: _State, pending: _Background) -> HttpResult:
    try:
        result = await pending.task
    except TransportProblem as exc:
        state.transcript.append(record_exchange(pending.label, pending.request, None, str(exc),
                                                time.monotonic() - pending.started, pending.sse))
        raise _ScenarioError(f"{pending.label}: {exc}") from exc
    state.transcript.append(record_exchange(pending.label, pending.request, result, None,
                                            result.elapsed_s, pending.sse))
    return result


def _expanded_expect(state: _State, step: dict[str, Any], label: str) -> dict[str, Any]:
    try:
        return expand(step.get("expect") or {}, state.variables,
                      lambda name: state.ctx.stream_path(state.scenario, name))
    except TemplateError as exc:
        raise _ScenarioError(f"{label}: {exc}") from exc


def _mismatches(state: _State, step: dict[str, Any], label: str, result: HttpResult) -> list[Mismatch]:
    problems = evaluate(_expanded_expect(state, step, label), result, state.ctx.limits.timeout_scale)
    for name, spec in (step.get("capture") or {}).items():
        found, _ = capture_value(spec, result)
        if not found:
            source = next(iter(spec.items()))
            problems.append(Mismatch(f"capture {name}", f"a value at {source[0]} {source[1]!r}", "(missing)"))
    return problems


def _check_and_capture(state: _State, step: dict[str, Any], label: str, result: HttpResult) -> None:
    problems = _mismatches(state, step, label, result)
    _record(state, step, label, problems)
    for name, spec in (step.get("capture") or {}).items():
        found, value = capture_value(spec, result)
        if not found:
            raise _StopScenario  # later steps would reference a value that does not exist
        state.variables[name] = value


def _record(state: _State, step: dict[str, Any], label: str, problems: list[Mismatch]) -> None:
    if not problems:
        return
    requirement = state.scenario.requirement_for(step)
    state.failures += [Failure(step=label, check=p.check, expected=p.expected, actual=p.actual,
                               requirement=requirement) for p in problems]
    if Scenario.is_strict_level(requirement.level):
        state.strict_failure = True
        raise _StopScenario


async def _eventually(state: _State, step: dict[str, Any], label: str, request: PreparedRequest,
                      sse: SseOptions | None) -> None:
    spec = step["eventually"]
    deadline = time.monotonic() + float(spec["within"]) * state.ctx.limits.timeout_scale
    interval = float(spec.get("interval", DEFAULT_EVENTUALLY_INTERVAL_S))
    attempt = 0
    while True:
        attempt += 1
        attempt_label = f"{label} attempt {attempt}"
        started = time.monotonic()
        try:
            if step.get("read_all"):  # pages of an attempt are not recorded one by one
                result = await _read_pages(state.ctx, request, lambda *_: None)
            else:
                result = await send(state.ctx.client, request, state.ctx.limits, sse)
        except (TransportProblem, _PageProblem) as exc:
            if time.monotonic() >= deadline:
                state.transcript.append(record_exchange(attempt_label, request, None, str(exc),
                                                        time.monotonic() - started, sse is not None))
                raise _ScenarioError(f"{attempt_label}: {exc}") from exc
        else:
            problems = _mismatches(state, step, label, result)
            if not problems or time.monotonic() >= deadline:
                # only the deciding attempt goes in the transcript; earlier ones were expected misses
                state.transcript.append(record_exchange(attempt_label, request, result, None,
                                                        result.elapsed_s, sse is not None))
            if not problems:
                _check_and_capture(state, step, label, result)
                return
            if time.monotonic() >= deadline:
                _record(state, step, label, [Mismatch(f"{p.check} (still, after {attempt} attempts)",
                                                      p.expected, p.actual) for p in problems])
                if step.get("capture"):
                    raise _StopScenario
                return
        await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())))
