"""The loader: valid files load and expand; malformed files name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.loader import ScenarioFormatError, default_scenario_dir, load_scenarios, parse_scenario_text

from .helpers import scenario_text

GOOD = scenario_text("""
- request: {method: PUT, path: "{stream}"}
  expect: {status: 201}
""")


def error_for(text: str) -> ScenarioFormatError:
    with pytest.raises(ScenarioFormatError) as info:
        parse_scenario_text(text, Path("bad.yaml"))
    return info.value


def test_valid_scenario_loads_with_defaults() -> None:
    [scenario] = parse_scenario_text(GOOD, Path("x.yaml"))
    assert scenario.id == "test.scenario"
    assert scenario.area == "test"
    assert scenario.level == "MUST"
    assert scenario.requirements[0].section == "5.2"
    assert scenario.steps[0]["request"]["method"] == "PUT"


def test_schema_error_names_file_line_and_field() -> None:
    text = GOOD.replace("status: 201", "status: two-hundred")
    error = error_for(text)
    assert error.file == "bad.yaml"
    assert error.field == "steps[0].expect.status"
    assert error.line == next(i for i, line in enumerate(text.splitlines(), 1) if "two-hundred" in line)
    assert str(error).startswith("bad.yaml:")


def test_unknown_field_is_reported_with_its_line() -> None:
    text = GOOD.replace("title: t", "title: t\nowner: me")
    error = error_for(text)
    assert error.line == 3 and error.field == "owner" and "owner" in error.message


def test_bad_level_is_reported() -> None:
    error = error_for(GOOD.replace("level: MUST", "level: OUGHT"))
    assert error.field == "spec[0].level" and error.line == 4


def test_yaml_syntax_error_has_line() -> None:
    error = error_for(GOOD + "  - request: {method: GET\n")
    assert error.field == "(yaml)" and error.line is not None


def test_step_needs_exactly_one_action() -> None:
    error = error_for(scenario_text("- expect: {status: 200}\n"))
    assert error.field == "steps[0]"
    assert "exactly one" in error.message


def test_undefined_variable_is_a_load_error() -> None:
    error = error_for(scenario_text("""
    - request: {method: GET, path: "{stream}", query: {offset: "{{nope}}"}}
    """))
    assert error.field == "steps[0].request" and "nope" in error.message and error.line == 7


def test_await_must_name_an_earlier_background_step() -> None:
    error = error_for(scenario_text("- await: missing\n"))
    assert error.field == "steps[0].await"


def test_background_must_be_awaited() -> None:
    error = error_for(scenario_text("""
    - name: lp
      background: true
      request: {method: GET, path: "{stream}"}
    """))
    assert "never awaited" in error.message


def test_cites_must_exist() -> None:
    error = error_for(scenario_text("""
    - request: {method: GET, path: "{stream}"}
      cites: 3
    """))
    assert error.field == "steps[0].cites"


def test_matrix_expands_rows_with_params_and_suffixes() -> None:
    text = scenario_text("""
    - request: {method: PUT, path: "{stream}", headers: {Stream-TTL: "{{ttl}}"}}
    """, extra="matrix:\n  - {id: a, ttl: '1'}\n  - {id: b, ttl: null}\n")
    rows = parse_scenario_text(text, Path("m.yaml"))
    assert [r.id for r in rows] == ["test.scenario[a]", "test.scenario[b]"]
    assert rows[1].params == {"ttl": None}
    assert rows[0].slug != rows[1].slug


def test_matrix_rows_must_share_parameters() -> None:
    text = scenario_text("- sleep: 0\n", extra="matrix:\n  - {id: a, x: 1}\n  - {id: b}\n")
    assert error_for(text).field == "matrix[1]"


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    with pytest.raises(ScenarioFormatError, match="duplicate id"):
        load_scenarios(tmp_path)


def test_repository_scenarios_all_load() -> None:
    scenarios = load_scenarios(default_scenario_dir())
    assert any(s.base_id.startswith("fork.") for s in scenarios)
    starter = load_scenarios(default_scenario_dir() / "starter")
    assert len({s.base_id for s in starter}) >= 12
