from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest

from conformance.reporting import ReportValidationError, load_report, report_schema, validate_report_dict
from conformance.results import (
    Exchange, Failure, HttpRequestRecord, HttpResponseRecord, Outcome, Requirement, RunReport, RunSummary,
    ScenarioResult,
)

from .builders import all_outcomes_report

# schema location of each result dataclass: the schema must describe exactly the model's fields
MODEL_SCHEMAS = {
    RunReport: (), RunSummary: ("$defs", "summary"), ScenarioResult: ("$defs", "scenario"),
    Requirement: ("$defs", "requirement"), Failure: ("$defs", "failure"), Exchange: ("$defs", "exchange"),
    HttpRequestRecord: ("$defs", "request"), HttpResponseRecord: ("$defs", "response"),
}


def _subschema(path: tuple[str, ...]) -> dict:
    node = report_schema()
    for key in path:
        node = node[key]
    return node


def test_schema_is_valid_draft_2020_12() -> None:
    schema = report_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("model", list(MODEL_SCHEMAS), ids=lambda m: m.__name__)
def test_schema_matches_result_model_fields(model: type) -> None:
    sub = _subschema(MODEL_SCHEMAS[model])
    fields = dataclasses.fields(model)
    assert set(sub["properties"]) == {f.name for f in fields}
    without_default = {f.name for f in fields
                       if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    assert set(sub["required"]) == without_default
    assert sub["additionalProperties"] is False


def test_schema_outcomes_and_levels_match_model() -> None:
    from conformance.results import LEVELS
    assert report_schema()["$defs"]["outcome"]["enum"] == [o.value for o in Outcome]
    assert report_schema()["$defs"]["level"]["enum"] == list(LEVELS)


def test_sample_report_validates() -> None:
    validate_report_dict(all_outcomes_report().to_json_dict())


def test_invalid_report_names_the_offending_paths() -> None:
    data = all_outcomes_report().to_json_dict()
    data["scenarios"][1]["outcome"] = "passed-ish"
    del data["summary"]["ran"]
    with pytest.raises(ReportValidationError) as caught:
        validate_report_dict(data, source="x.json")
    message = str(caught.value)
    assert message.startswith("x.json does not match the dscheck report schema")
    assert "$.summary" in message and "'ran' is a required property" in message
    assert "$.scenarios[1].outcome" in message


def test_load_report_round_trips(tmp_path: Path) -> None:
    report = all_outcomes_report()
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report.to_json_dict()), encoding="utf-8")
    assert load_report(path) == report


def test_load_report_rejects_unknown_field_with_clear_error(tmp_path: Path) -> None:
    data = all_outcomes_report().to_json_dict()
    data["surprise"] = 1
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReportValidationError, match=r"Additional properties are not allowed \('surprise'"):
        load_report(path)


def test_load_report_rejects_non_json_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("<html>not json</html>", encoding="utf-8")
    with pytest.raises(ReportValidationError, match="bad.json: not a JSON report"):
        load_report(bad)
    with pytest.raises(ReportValidationError, match="missing.json: cannot read report"):
        load_report(tmp_path / "missing.json")
