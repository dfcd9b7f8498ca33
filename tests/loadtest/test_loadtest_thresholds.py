"""Threshold grammar: valid forms parse to the right units, bad input is rejected with a
clear message, and evaluation applies to every matching Locust row."""

from __future__ import annotations

import pytest

from loadtest.thresholds import ThresholdError, evaluate, parse_threshold


def test_latency_units_are_milliseconds() -> None:
    assert parse_threshold("fork_create:p99<50ms").value == 50
    assert parse_threshold("append:p50 <= 0.2s").value == pytest.approx(200)
    threshold = parse_threshold("DELIVERY sse:p99.9<100ms")
    assert (threshold.rows, threshold.metric, threshold.op) == ("DELIVERY sse", "p99.9", "<")


def test_ratio_and_plain_metrics() -> None:
    assert parse_threshold("all:fail_ratio<1%").value == pytest.approx(0.01)
    assert parse_threshold("all:fail_ratio<=0.05").value == pytest.approx(0.05)
    assert parse_threshold("append:rps>=500").value == 500


@pytest.mark.parametrize("text, message", [
    ("fork_create p99<50ms", "expected ROWS:METRIC"),
    ("fork_create:p99<50", "needs a unit"),
    ("fork_create:p42<50ms", "unknown metric"),
    ("append:rps>5ms", "plain number"),
    ("append:p99=5ms", "expected ROWS:METRIC"),
    ("all:fail_ratio<5ms", "fraction or a percentage"),
])
def test_bad_thresholds_are_rejected(text: str, message: str) -> None:
    with pytest.raises(ThresholdError, match=message):
        parse_threshold(text)


ROWS = [
    {"Type": "PUT", "Name": "fork_create src=10 depth=1", "Request Count": "10", "Failure Count": "0",
     "99%": "20", "Requests/s": "5"},
    {"Type": "PUT", "Name": "fork_create src=100000 depth=1", "Request Count": "10", "Failure Count": "1",
     "99%": "80", "Requests/s": "5"},
    {"Type": "DELIVERY", "Name": "sse", "Request Count": "100", "Failure Count": "0", "99%": "40",
     "Requests/s": "50"},
    {"Type": "", "Name": "Aggregated", "Request Count": "120", "Failure Count": "1", "99%": "70",
     "Requests/s": "60"},
]


def test_family_prefix_must_hold_for_every_row() -> None:
    results = evaluate([parse_threshold("fork_create:p99<50ms")], ROWS)
    assert [r["ok"] for r in results] == [True, False]


def test_type_selectors_aggregate_and_missing_rows() -> None:
    results = evaluate([parse_threshold("DELIVERY sse:p99<50ms"), parse_threshold("DELIVERY:rps>10"),
                        parse_threshold("all:fail_ratio<1%"), parse_threshold("nothing:p99<1s")], ROWS)
    assert [r["ok"] for r in results] == [True, True, True, False]
    assert results[-1]["detail"] == "no matching Locust row"
