"""Threshold grammar for `dscheck load --threshold` and its evaluation on Locust's stats CSV.

    THRESHOLD := ROWS ":" METRIC OP VALUE
    ROWS      := a Locust row name ("append"), a family prefix matching every row whose name
                 starts with it plus a space ("fork_create" matches "fork_create src=10 depth=1"),
                 a request type ("DELIVERY"), "TYPE NAME" ("DELIVERY sse"), or "all" (the
                 Aggregated row). Every matching row must pass; no matching row is a failure.
    METRIC    := p50 | p66 | p75 | p80 | p90 | p95 | p98 | p99 | p99.9 | p99.99 | p100
                 | avg | min | max | median        (latency: VALUE needs ms or s)
                 | rps | requests | failures       (plain numbers)
                 | fail_ratio                      (a fraction, or a percentage with %)
    OP        := < | <= | > | >=

Examples: 'fork_create:p99<50ms'  'append:rps>=500'  'DELIVERY sse:p99<100ms'  'all:fail_ratio<1%'
"""

from __future__ import annotations

import csv
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

LATENCY_COLUMNS = {
    "p50": "50%", "p66": "66%", "p75": "75%", "p80": "80%", "p90": "90%", "p95": "95%",
    "p98": "98%", "p99": "99%", "p99.9": "99.9%", "p99.99": "99.99%", "p100": "100%",
    "avg": "Average Response Time", "min": "Min Response Time", "max": "Max Response Time",
    "median": "Median Response Time",
}
PLAIN_COLUMNS = {"rps": "Requests/s", "requests": "Request Count", "failures": "Failure Count"}
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt,
}
PATTERN = re.compile(r"^(?P<rows>[^:]+):(?P<metric>[a-z0-9_.]+)\s*(?P<op><=|>=|<|>)\s*"
                     r"(?P<value>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>ms|s|%)?$")


class ThresholdError(ValueError):
    """A threshold that does not follow the grammar."""


@dataclass(frozen=True)
class Threshold:
    text: str
    rows: str
    metric: str
    op: str
    value: float  # milliseconds for latency metrics, a fraction for fail_ratio

    def passes(self, measured: float) -> bool:
        return OPERATORS[self.op](measured, self.value)


def parse_threshold(text: str) -> Threshold:
    match = PATTERN.match(text.strip())
    if not match:
        raise ThresholdError(f"bad threshold {text!r}: expected ROWS:METRIC<OP>VALUE, e.g. 'fork_create:p99<50ms'")
    rows, metric, op = match["rows"].strip(), match["metric"], match["op"]
    value, unit = float(match["value"]), match["unit"]
    if metric in LATENCY_COLUMNS:
        if unit not in ("ms", "s"):
            raise ThresholdError(f"bad threshold {text!r}: latency metric {metric} needs a unit (ms or s)")
        value = value * 1000 if unit == "s" else value
    elif metric in PLAIN_COLUMNS:
        if unit:
            raise ThresholdError(f"bad threshold {text!r}: {metric} takes a plain number, not {unit}")
    elif metric == "fail_ratio":
        if unit in ("ms", "s"):
            raise ThresholdError(f"bad threshold {text!r}: fail_ratio is a fraction or a percentage")
        value = value / 100 if unit == "%" else value
    else:
        known = ", ".join([*LATENCY_COLUMNS, *PLAIN_COLUMNS, "fail_ratio"])
        raise ThresholdError(f"bad threshold {text!r}: unknown metric {metric!r} (known: {known})")
    return Threshold(text.strip(), rows, metric, op, value)


def load_stats(stats_csv: Path) -> list[dict[str, str]]:
    with open(stats_csv, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def matching_rows(rows: list[dict[str, str]], selector: str) -> list[dict[str, str]]:
    if selector == "all":
        return [r for r in rows if r.get("Name") == "Aggregated"]
    picked = []
    for row in rows:
        name, kind = row.get("Name", ""), row.get("Type", "")
        if name == "Aggregated":
            continue
        if selector in (name, kind, f"{kind} {name}") or name.startswith(selector + " "):
            picked.append(row)
    return picked


def measure(row: dict[str, str], metric: str) -> float:
    if metric == "fail_ratio":
        requests = float(row.get("Request Count") or 0)
        return float(row.get("Failure Count") or 0) / requests if requests else 0.0
    column = LATENCY_COLUMNS.get(metric) or PLAIN_COLUMNS[metric]
    raw = row.get(column, "")
    return float(raw) if raw not in ("", "N/A") else float("nan")


def evaluate(thresholds: list[Threshold], rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    results = []
    for threshold in thresholds:
        matched = matching_rows(rows, threshold.rows)
        if not matched:
            results.append({"threshold": threshold.text, "ok": False, "detail": "no matching Locust row"})
            continue
        for row in matched:
            value = measure(row, threshold.metric)
            ok = value == value and threshold.passes(value)  # NaN (no data) fails
            results.append({"threshold": threshold.text, "row": f"{row.get('Type')} {row.get('Name')}",
                            "measured": value, "ok": ok})
    return results
