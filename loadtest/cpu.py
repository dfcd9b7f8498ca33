"""Who used the CPU during a load run: the server process or the Locust processes?

A background thread samples /proc/<pid>/stat (Linux) of the server and of every Locust
process. The load window starts when the first history file appears (the first recorded
request) and ends when the Locust master exits, so Locust's start-up is not counted.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

TICK_S = 0.25


def process_cpu_s(pid: int | None) -> float | None:
    """CPU seconds (user + system) a process has used so far, None if unknown/gone."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class CpuSampler:
    def __init__(self, server_pid: int | None, history_dir: Path) -> None:
        self.server_pid = server_pid
        self.history_dir = history_dir
        self.generator_pids: list[int] = []
        self._last: dict[int, float] = {}  # last CPU seen per generator pid (kept after exit)
        self._samples: list[tuple[float, float | None, float]] = []
        self._start: float | None = None
        self._end: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    def watch(self, pid: int) -> None:
        self.generator_pids.append(pid)

    def start(self) -> CpuSampler:
        self._thread.start()
        return self

    def mark_end(self) -> None:
        self._sample()
        self._end = time.monotonic()
        self._stop.set()
        self._thread.join(2)

    def _sample(self) -> None:
        for pid in list(self.generator_pids):
            used = process_cpu_s(pid)
            if used is not None:
                self._last[pid] = used
        self._samples.append((time.monotonic(), process_cpu_s(self.server_pid), sum(self._last.values())))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            if self._start is None and any(self.history_dir.glob("history-*.jsonl")):
                self._start = time.monotonic()
            self._stop.wait(TICK_S)

    def usage(self) -> dict[str, Any]:
        """Cores used on average over the load window by the generator and the server."""
        if self._start is None or self._end is None or len(self._samples) < 2:
            return {}
        first = next((s for s in self._samples if s[0] >= self._start), self._samples[0])
        last = self._samples[-1]
        wall = last[0] - first[0]
        if wall <= 0:
            return {}
        server = (last[1] - first[1]) / wall if last[1] is not None and first[1] is not None else None
        return {"load_window_s": round(wall, 1), "generator_cores": round((last[2] - first[2]) / wall, 2),
                "server_cores": None if server is None else round(server, 2)}
