"""Message ids and JSON payloads. Ids are unique across processes and machines so the
merged history can tell every message apart; each message carries its send time."""

from __future__ import annotations

import itertools
import json
import os
import secrets
import time

# A short per-process tag keeps ids unique across workers without coordination.
PROCESS_TAG = f"{secrets.token_hex(2)}{os.getpid() % 0xFFFF:x}"
_counter = itertools.count()


def new_id(prefix: str = "") -> str:
    return f"{prefix}{PROCESS_TAG}.{next(_counter)}"


def new_ids(count: int, prefix: str = "") -> list[str]:
    return [new_id(prefix) for _ in range(count)]


def unique_name(kind: str) -> str:
    """A stream name unique across processes (a path segment, no slashes)."""
    return f"{kind}-{PROCESS_TAG}-{next(_counter)}"


def encode_batch(ids: list[str], payload_bytes: int, **extra: object) -> bytes:
    """A JSON array body: the server flattens it into one message per id (PROTOCOL §9.1.2)."""
    pad = "x" * payload_bytes
    sent = time.time()
    return json.dumps([{"id": i, "ts": sent, "pad": pad, **extra} for i in ids],
                      separators=(",", ":")).encode()


def message_ids(messages: list[object]) -> list[str]:
    return [str(m.get("id")) if isinstance(m, dict) else json.dumps(m) for m in messages]
