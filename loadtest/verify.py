"""Post-run verification: a full catch-up read of the streams the run left behind, recorded
as readers "verify:<stream>" so the history checker can tell acknowledged-but-lost
messages apart from readers that merely missed them. Bounded in streams and time."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from urllib.parse import quote

import httpx

from loadtest.history import load_records
from loadtest.messages import message_ids
from loadtest.recorder import HistoryRecorder

MAX_FORKS = 200
MAX_PAGES = 10_000


def surviving_streams(history_dir: Path) -> tuple[list[str], list[str]]:
    """(plain streams, forks) created during the run and not deleted."""
    plain, forks, deleted = set(), set(), set()
    for record in load_records(history_dir):
        kind = record.get("k")
        if kind == "create":
            plain.add(record["s"])
        elif kind == "fork":
            forks.add(record["s"])
        elif kind == "delete":
            deleted.add(record["s"])
    return sorted(plain - deleted - forks), sorted(forks - deleted)


def read_stream(client: httpx.Client, path: str, recorder: HistoryRecorder) -> bool:
    offset = "-1"
    for _ in range(MAX_PAGES):
        response = client.get(f"{path}?offset={quote(offset, safe='')}")
        next_offset = response.headers.get("stream-next-offset")
        if response.status_code != 200 or not next_offset:
            return False
        ids = message_ids(json.loads(response.content or b"[]"))
        recorder.read(path, f"verify:{path}", "catchup", offset, next_offset, ids)
        if response.headers.get("stream-up-to-date") == "true" or next_offset == offset:
            return True
        offset = next_offset
    return False


def verify_run(url: str, history_dir: Path, budget_s: float = 60.0, seed: int = 0) -> dict[str, int]:
    plain, forks = surviving_streams(history_dir)
    if len(forks) > MAX_FORKS:
        forks = random.Random(seed).sample(forks, MAX_FORKS)
    recorder = HistoryRecorder(history_dir, filename="history-verify.jsonl")
    deadline = time.monotonic() + budget_s
    read, failed = 0, 0
    with httpx.Client(base_url=url, timeout=30.0) as client:
        for path in plain + forks:
            if time.monotonic() > deadline:
                break
            try:
                ok = read_stream(client, path, recorder)
            except (httpx.HTTPError, ValueError):
                ok = False
            read, failed = read + ok, failed + (not ok)
    recorder.close()
    return {"streams_verified": read, "streams_unreadable": failed,
            "streams_skipped": len(plain) + len(forks) - read - failed}
