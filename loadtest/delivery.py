"""End-to-end delivery latency (append acknowledged -> a reader has the message) as its
own Locust metric: request events with request_type "DELIVERY" and the reader mode as
the name.

Within one process the writer's acknowledgement time is known exactly. A reader may see
a message before its writer has parsed the acknowledgement (latency 0), or the writer may
live in another worker process; then, after a short wait, the message's own send stamp is
used instead (an upper bound). The run summary's exact cross-process figures come from
the merged history (`loadtest.history`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

REQUEST_TYPE = "DELIVERY"
ACK_MEMORY = 200_000  # acknowledgement times kept per process
PENDING_WAIT_S = 2.0


class DeliveryTracker:
    def __init__(self, fire: Any) -> None:
        self._fire = fire  # environment.events.request.fire
        self._acks: OrderedDict[str, float] = OrderedDict()
        self._pending: dict[str, list[tuple[str, float, float]]] = {}

    def _emit(self, mode: str, latency_s: float) -> None:
        self._fire(request_type=REQUEST_TYPE, name=mode, response_time=max(0.0, latency_s) * 1000,
                   response_length=0, exception=None, context={})

    def acknowledged(self, ids: list[str], at: float | None = None) -> None:
        at = time.time() if at is None else at
        for message_id in ids:
            self._acks[message_id] = at
            for mode, _seen, _sent in self._pending.pop(message_id, ()):
                self._emit(mode, 0.0)  # seen before the writer had its acknowledgement
        while len(self._acks) > ACK_MEMORY:
            self._acks.popitem(last=False)

    def seen(self, mode: str, messages: list[Any], at: float | None = None) -> None:
        at = time.time() if at is None else at
        for message in messages:
            if not isinstance(message, dict) or "id" not in message:
                continue
            message_id = str(message["id"])
            acked = self._acks.get(message_id)
            if acked is not None:
                self._emit(mode, at - acked)
            else:
                self._pending.setdefault(message_id, []).append((mode, at, float(message.get("ts", at))))
        self._expire(at)

    def _expire(self, now: float) -> None:
        stale = [i for i, entries in self._pending.items() if now - entries[0][1] > PENDING_WAIT_S]
        for message_id in stale:
            for mode, seen_at, sent in self._pending.pop(message_id):
                self._emit(mode, seen_at - sent)


_trackers: dict[int, DeliveryTracker] = {}


def tracker(environment: Any) -> DeliveryTracker:
    """One tracker per Locust environment (i.e. per process)."""
    key = id(environment)
    if key not in _trackers:
        _trackers[key] = DeliveryTracker(environment.events.request.fire)
    return _trackers[key]
