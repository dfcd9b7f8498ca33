"""Run the protocol state machine against one server and save a shrunk failure as YAML."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as use_seed
from hypothesis.stateful import get_state_machine_test

from conformance.explore.machine import ProtocolMachine, ServerConfig
from conformance.explore.scenario_writer import write_scenario
from conformance.explore.trace import Trace


@dataclass
class ExploreResult:
    seed: int
    failure: str | None = None          # the model's complaint about the shrunk run
    scenario_file: Path | None = None
    scenario_id: str | None = None
    steps: int = 0                      # HTTP steps in the shrunk reproducer
    richest_trace: Trace | None = None  # the run with the most kinds of step, passing or not

    @property
    def passed(self) -> bool:
        return self.failure is None


SUPPORTED_WITHOUT = ("fork", "producers", "json", "closure", "delete")


def machine_for(base_url: str, prefix: str, timeout_s: float,
                without: frozenset[str] = frozenset()) -> type[ProtocolMachine]:
    """A ProtocolMachine subclass bound to one server (so concurrent runs don't share config)."""
    config = type("BoundServerConfig", (ServerConfig,), {
        "base_url": base_url.rstrip("/"), "prefix": "/" + prefix.strip("/"), "timeout_s": timeout_s,
        "without": without,
    })
    return type("BoundProtocolMachine", (ProtocolMachine,), {"config": config})


@contextlib.contextmanager
def shrink_time_limit(seconds: float | None) -> Iterator[None]:
    """Cap Hypothesis's shrinking time (an engine constant, 300 s by default).

    Every shrink attempt replays a sequence against a real server, so an uncapped shrink of a
    long sequence can take minutes. Patching the constant is the only knob Hypothesis offers.
    """
    from hypothesis.internal.conjecture import engine

    original = getattr(engine, "MAX_SHRINKING_SECONDS", None)
    if seconds is None or original is None:
        yield
        return
    engine.MAX_SHRINKING_SECONDS = seconds  # type: ignore[assignment]
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = original


def explore(base_url: str, *, prefix: str = "/v1/stream", examples: int = 50, max_steps: int = 30,
            seed: int | None = None, report_dir: Path = Path("reports/latest/explore"),
            timeout_s: float = 10.0, scenario_name: str = "reproducer",
            shrink: bool = True, shrink_seconds: float | None = 120.0,
            without: frozenset[str] = frozenset()) -> ExploreResult:
    seed = random.randrange(2**32) if seed is None else seed
    machine = machine_for(base_url, prefix, timeout_s, without)
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    test = get_state_machine_test(machine, settings=settings(
        max_examples=examples, stateful_step_count=max_steps, database=None, deadline=None,
        phases=phases, report_multiple_bugs=False, print_blob=False,
        verbosity=Verbosity.quiet,   # the YAML reproducer replaces Hypothesis's own printout
        suppress_health_check=list(HealthCheck),
    ))
    result = ExploreResult(seed=seed)
    try:
        with shrink_time_limit(shrink_seconds):
            use_seed(seed)(test)()
    except Exception as error:  # the shrunk failure (or an explorer bug) ends up here
        trace = machine.config.last_trace
        result.failure = f"{type(error).__name__}: {error}"
        if trace is not None and trace.steps:
            result.steps = len(trace.steps)
            result.scenario_file, result.scenario_id = write_scenario(
                trace, report_dir, result.failure, seed, scenario_name)
    finally:
        machine.config.close()
        result.richest_trace = machine.config.richest_trace
    return result
