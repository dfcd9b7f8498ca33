"""Time sources. Expiry runs on a monotonic clock; wall time is only used to turn an
absolute `Stream-Expires-At` into a monotonic deadline once, at creation."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def wall(self) -> float: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()


class ManualClock:
    """A clock tests move by hand; wall and monotonic time advance together."""

    def __init__(self, wall_start: float = 1_760_000_000.0) -> None:
        self._elapsed = 0.0
        self._wall_start = wall_start

    def advance(self, seconds: float) -> None:
        self._elapsed += seconds

    def monotonic(self) -> float:
        return 1000.0 + self._elapsed

    def wall(self) -> float:
        return self._wall_start + self._elapsed
