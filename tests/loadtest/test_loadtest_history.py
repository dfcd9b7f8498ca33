"""The history checker on synthetic histories: each violation kind is caught, clean
histories pass, and unknown-outcome appends are tolerated."""

from __future__ import annotations

from typing import Any

import pytest

from loadtest.history import HistoryCheck
from loadtest.recorder import digest_ids


def off(n: int) -> str:
    return f"{n:08d}"


def create(stream: str, offset: int = 0, t: float = 0.0) -> dict[str, Any]:
    return {"k": "create", "s": stream, "o": off(offset), "t": t}


def ack(stream: str, ids: list[str], offset: int, t: float = 1.0) -> dict[str, Any]:
    return {"k": "ack", "s": stream, "ids": ids, "o": off(offset), "t": t}


def read(stream: str, ids: list[str], start: int | str, end: int, reader: str = "r1",
         mode: str = "catchup", t: float = 2.0, **extra: Any) -> dict[str, Any]:
    begin = start if isinstance(start, str) else off(start)
    return {"k": "read", "s": stream, "r": reader, "m": mode, "from": begin, "o": off(end),
            "ids": ids, "t": t, **extra}


def fork(stream: str, source: str, at: int) -> dict[str, Any]:
    return {"k": "fork", "s": stream, "src": source, "at": off(at), "o": off(at), "t": 0.5}


def kinds(records: list[dict[str, Any]], grace: float = 5.0) -> dict[str, int]:
    return HistoryCheck(records, grace).run().report()["violations_by_kind"]


BASE = [create("/s/a"), ack("/s/a", ["a1", "a2"], 2), ack("/s/a", ["a3"], 3)]


def test_clean_history_passes() -> None:
    report = HistoryCheck(BASE + [read("/s/a", ["a1", "a2", "a3"], "-1", 3)]).run().report()
    assert report["ok"] and report["violations_by_kind"] == {}
    assert report["acknowledged_messages"] == 3 and report["reads_checked"] == 1


def test_acks_recorded_out_of_order_are_sorted_by_offset() -> None:
    records = [create("/s/a"), ack("/s/a", ["a3"], 3), ack("/s/a", ["a1", "a2"], 2),
               read("/s/a", ["a1", "a2", "a3"], "-1", 3)]
    assert kinds(records) == {}


def test_lost_message_found_by_verification_read() -> None:
    assert kinds(BASE + [read("/s/a", ["a1", "a3"], "-1", 3, reader="verify:/s/a")]) == {"lost": 1}


def test_reader_gap_is_missed_data() -> None:
    assert kinds(BASE + [read("/s/a", ["a1", "a2"], "-1", 3)]) == {"missed": 1}


def test_duplicate_delivery() -> None:
    assert kinds(BASE + [read("/s/a", ["a1", "a2", "a2", "a3"], "-1", 3)]) == {"duplicated": 1}


def test_duplicate_across_consecutive_responses() -> None:
    records = BASE + [read("/s/a", ["a1", "a2"], "-1", 2), read("/s/a", ["a2", "a3"], 2, 3)]
    assert kinds(records) == {"duplicated": 1}


def test_reordered_delivery() -> None:
    assert kinds(BASE + [read("/s/a", ["a1", "a3", "a2"], "-1", 3)]) == {"reordered": 1}


def test_fork_isolation_breach() -> None:
    records = BASE + [fork("/s/f", "/s/a", 2), ack("/s/f", ["f1"], 4),
                      read("/s/f", ["a1", "a2", "a3", "f1"], "-1", 4)]
    assert kinds(records) == {"fork_isolation": 1}


def test_fork_inherits_prefix_and_chains() -> None:
    records = BASE + [fork("/s/f", "/s/a", 2), ack("/s/f", ["f1"], 4), fork("/s/g", "/s/f", 4),
                      ack("/s/g", ["g1"], 5), ack("/s/f", ["f2"], 6),
                      read("/s/g", ["a1", "a2", "f1", "g1"], "-1", 5)]
    assert kinds(records) == {}
    leaked = records[:-1] + [read("/s/g", ["a1", "a2", "f1", "f2", "g1"], "-1", 5)]
    assert kinds(leaked) == {"fork_isolation": 1}


def test_fork_missing_inherited_data() -> None:
    records = BASE + [fork("/s/f", "/s/a", 2), ack("/s/f", ["f1"], 4), read("/s/f", ["f1"], "-1", 4)]
    assert kinds(records) == {"missed": 1}


def test_phantom_message() -> None:
    assert kinds(BASE + [read("/s/a", ["a1", "zz", "a2", "a3"], "-1", 3)]) == {"phantom": 1}


def test_unacknowledged_append_may_appear() -> None:
    records = BASE + [{"k": "nack", "s": "/s/a", "ids": ["n1"], "t": 1.0},
                      read("/s/a", ["a1", "a2", "a3", "n1"], "-1", 4)]
    assert kinds(records) == {}


def test_live_reader_left_behind() -> None:
    records = BASE + [read("/s/a", ["a1", "a2"], "-1", 2, mode="sse"),
                      {"k": "reader_end", "s": "/s/a", "r": "r1", "o": off(2), "t": 10.0}]
    assert kinds(records, grace=5.0) == {"missed": 1}
    assert kinds(records, grace=60.0) == {}


def test_mid_batch_response_boundaries_are_merged() -> None:
    # A response ending inside a batch (offset 1 is no append boundary) is checked with the next one.
    records = BASE + [read("/s/a", ["a1"], "-1", 1), read("/s/a", ["a2", "a3"], 1, 3)]
    assert kinds(records) == {}
    assert HistoryCheck(records).run().report()["reads_checked"] == 1


def test_elided_head_digest() -> None:
    ids = [f"s{i}" for i in range(10)]
    records = [create("/s/b"), ack("/s/b", ids, 10)]
    good = read("/s/b", ids[7:], "-1", 10, skip=7, skip_sha1=digest_ids(ids[:7]))
    assert kinds(records + [good]) == {}
    bad = read("/s/b", ids[7:], "-1", 10, skip=7, skip_sha1=digest_ids(ids[1:8]))
    assert kinds(records + [bad]) == {"corrupted_range": 1}


def test_offset_conflict_and_double_ack() -> None:
    assert kinds([create("/s/a"), ack("/s/a", ["a1"], 1), ack("/s/a", ["a2"], 1)]) == {"offset_conflict": 1}
    assert kinds([create("/s/a"), ack("/s/a", ["a1"], 1), ack("/s/a", ["a1"], 2)]) == {"duplicated": 1}


def test_delivery_latency_and_reconnects() -> None:
    records = BASE + [
        {"k": "connect", "s": "/s/a", "r": "r1", "m": "sse", "t": 0.1},
        read("/s/a", ["a1", "a2"], "-1", 2, mode="sse", t=1.05),
        {"k": "disconnect", "s": "/s/a", "r": "r1", "m": "sse", "t": 1.2},
        {"k": "connect", "s": "/s/a", "r": "r1", "m": "sse", "t": 1.3},
        read("/s/a", ["a3"], 2, 3, mode="sse", t=1.2),
    ]
    report = HistoryCheck(records).run().report()
    assert report["ok"]
    live = report["live"]
    assert live["reconnects"] == 1 and live["sse_connections_peak"] == 1
    assert live["delivery_ms"]["sse"]["count"] == 3
    assert live["delivery_ms"]["sse"]["max"] == pytest.approx(200.0, abs=0.01)
