"""Stream-Cursor values (PROTOCOL.md §10.1): 20-second intervals counted from
2024-10-09T00:00:00Z; an echoed cursor at or past the current interval gets 1-3600 s of
random jitter so cursors always move forward and CDN cache keys never cycle."""

from __future__ import annotations

import math
import random

INTERVAL_S = 20
EPOCH_UNIX = 1728432000  # 2024-10-09T00:00:00Z
MIN_JITTER_S, MAX_JITTER_S = 1, 3600


def current_interval(wall_time: float) -> int:
    return int((wall_time - EPOCH_UNIX) // INTERVAL_S)


def next_cursor(client_cursor: str | None, wall_time: float, rng: random.Random | None = None) -> str:
    now = current_interval(wall_time)
    if client_cursor is None or not client_cursor.isdigit() or len(client_cursor) > 18:
        return str(now)
    echoed = int(client_cursor)
    if echoed < now:
        return str(now)
    jitter_s = (rng or random).randint(MIN_JITTER_S, MAX_JITTER_S)
    return str(echoed + max(1, math.ceil(jitter_s / INTERVAL_S)))
