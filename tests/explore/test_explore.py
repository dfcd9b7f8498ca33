"""The explorer against the reference server (no disagreement) and against deliberately
broken variants (each bug found, shrunk, saved as YAML, and replayed by the engine)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conformance.cli import main
from conformance.explore.runner import explore
from conformance.results import Outcome

from .conftest import broken_server
from .replay import replay

MAX_REPRODUCER_STEPS = 12


def test_reference_server_agrees_with_the_model(reference_url: str, tmp_path: Path) -> None:
    result = explore(reference_url, examples=40, max_steps=20, seed=20240601, report_dir=tmp_path)
    assert result.passed, f"{result.failure}\nreproducer: {result.scenario_file}"
    assert result.seed == 20240601


# (variant in broken_servers.py, a fixed seed that reaches it early, the operations where
# its bug can show: a reproducer must end in one of them).
BROKEN_VARIANTS = [
    ("LeakyForkReads", 7, ("read",)),
    ("ForgetfulProducer", 4, ("read", "producer")),   # duplicated data, or a retried close refused
    ("HardDeleteWithForks", 1, ("read",)),
]


@pytest.mark.parametrize(("variant", "seed", "symptoms"), BROKEN_VARIANTS, ids=[v[0] for v in BROKEN_VARIANTS])
def test_a_broken_server_is_caught_and_shrunk_to_a_replayable_scenario(
        variant: str, seed: int, symptoms: tuple[str, ...], reference_url: str, tmp_path: Path) -> None:
    with broken_server(variant) as url:
        result = explore(url, examples=100, max_steps=15, seed=seed, report_dir=tmp_path,
                         shrink_seconds=5, scenario_name=variant.lower())
        assert result.failure is not None, f"{variant} not caught at seed {seed}"
        assert result.scenario_file is not None and result.scenario_id is not None
        assert result.steps <= MAX_REPRODUCER_STEPS, f"not shrunk: {result.steps} steps"

        text = result.scenario_file.read_text()
        # Offsets are opaque: the scenario captures them, never hard-codes the server's tokens.
        assert "0000000000000000_" not in text
        document = yaml.safe_load(text)
        last_step = document["steps"][-1]["name"]
        assert document["steps"][-1]["note"].startswith(symptoms), result.failure
        replayed = replay(result.scenario_file.parent, result.scenario_id, url)
        # The engine fails it at the step the model rejected, not earlier.
        assert replayed.outcome is Outcome.FAIL, replayed.reason
        assert {failure.step for failure in replayed.failures} == {f"step {len(document['steps'])} ({last_step})"} \
            or all(last_step in failure.step for failure in replayed.failures), replayed.failures

    # The same scenario holds on a correct server: it pins the bug, not an accident of the run.
    healthy = replay(result.scenario_file.parent, result.scenario_id, reference_url)
    assert healthy.outcome is Outcome.PASS, healthy.failures


def test_explore_command_prints_the_seed_and_writes_a_summary(
        reference_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explore", reference_url, "--examples", "5", "--max-steps", "8", "--seed", "99",
                 "--report-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "seed: 99" in out
    assert '"failure": null' in (tmp_path / "explore.json").read_text()


def test_explore_command_exits_1_and_names_the_replay_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with broken_server("ForgetfulProducer") as url:
        code = main(["explore", url, "--examples", "100", "--max-steps", "15", "--seed", "4",
                     "--no-shrink", "--report-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "dscheck run" in out and "--only explore.found.reproducer" in out
    assert (tmp_path / "scenarios" / "reproducer.yaml").is_file()


def test_every_kind_of_step_round_trips_through_the_engine(reference_url: str, tmp_path: Path) -> None:
    """A long passing run, written as YAML, replays green: the translation of every rule
    (forks with sub-offsets, producers, JSON bodies, captured offsets) is faithful."""
    from conformance.explore.scenario_writer import write_scenario

    result = explore(reference_url, examples=15, max_steps=40, seed=5, report_dir=tmp_path)
    assert result.passed and result.richest_trace is not None
    trace = result.richest_trace
    notes = " ".join(step.note for step in trace.steps)
    for kind in ("create", "append", "fork", "producer", "read", "head"):
        assert kind in notes, notes
    path, scenario_id = write_scenario(trace, tmp_path, "round trip", 5, name="round-trip")
    replayed = replay(path.parent, scenario_id, reference_url)
    assert replayed.outcome is Outcome.PASS, replayed.failures


def test_an_unreachable_target_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.servers import free_port
    assert main(["explore", f"http://127.0.0.1:{free_port()}", "--examples", "1"]) == 3
    assert "unreachable" in capsys.readouterr().err
