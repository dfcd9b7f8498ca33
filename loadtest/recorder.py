"""Per-process history of what was acknowledged and what readers saw (JSONL).

Each Locust process (local, master or worker) appends to its own file
``history-<host>-<pid>.jsonl`` in the history directory, so workers never share a file;
`loadtest.history` merges and checks them after the run. Recording is off unless a
directory is configured (``--history-dir`` / ``DSCHECK_HISTORY_DIR``).

Record kinds (every record has ``k`` and ``t`` = wall-clock seconds):
  create  s, o             stream created empty; o = its Stream-Next-Offset
  fork    s, src, at, o    s forked from src at offset `at`
  ack     s, ids, o        an append of `ids` (in order) acknowledged; o = Stream-Next-Offset
  nack    s, ids           an append that failed or whose outcome is unknown
  read    s, r, m, from, o, ids [, skip, skip_sha1]
                           reader r (mode m) got `ids` for offsets (from, o]; when `skip`
                           is set, the first `skip` ids were elided and only their sha1 kept
  delete  s                stream deleted
  connect / disconnect  s, r, m   a live reader's connection opened / closed
  reader_end  s, r, o      a live reader stopped at offset o
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any, TextIO

HISTORY_ENV = "DSCHECK_HISTORY_DIR"
# Reads returning more ids than this keep only the tail ids plus a digest of the head,
# so full reads of 100,000-message forks do not flood the history.
FULL_IDS_LIMIT = 2000


def digest_ids(ids: list[str]) -> str:
    return hashlib.sha1("\n".join(ids).encode()).hexdigest()


class HistoryRecorder:
    def __init__(self, directory: str | os.PathLike[str] | None, filename: str | None = None) -> None:
        self.directory = Path(directory) if directory else None
        self.filename = filename or f"history-{socket.gethostname()}-{os.getpid()}.jsonl"
        self._file: TextIO | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def _open(self) -> TextIO:
        if self._file is None:
            assert self.directory is not None
            self.directory.mkdir(parents=True, exist_ok=True)
            self._file = open(self.directory / self.filename, "a", encoding="utf-8", buffering=1 << 16)
            atexit.register(self.close)
        return self._file

    def write(self, kind: str, **fields: Any) -> None:
        if self.directory is None:
            return
        line = json.dumps({"k": kind, "t": round(time.time(), 6), **fields}, separators=(",", ":"))
        with self._lock:
            self._open().write(line + "\n")

    def read(self, stream: str, reader: str, mode: str, start: str, end: str, ids: list[str]) -> None:
        if self.directory is None:
            return
        if len(ids) > FULL_IDS_LIMIT:
            skip = len(ids) - FULL_IDS_LIMIT
            self.write("read", s=stream, r=reader, m=mode, **{"from": start}, o=end,
                       ids=ids[skip:], skip=skip, skip_sha1=digest_ids(ids[:skip]))
        else:
            self.write("read", s=stream, r=reader, m=mode, **{"from": start}, o=end, ids=ids)

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


_recorder: HistoryRecorder | None = None


def recorder() -> HistoryRecorder:
    """The process-wide recorder (configured by `configure`, else from the environment)."""
    global _recorder
    if _recorder is None:
        _recorder = HistoryRecorder(os.environ.get(HISTORY_ENV) or None)
    return _recorder


def configure(directory: str | None) -> HistoryRecorder:
    global _recorder
    if _recorder is not None:
        _recorder.close()
    _recorder = HistoryRecorder(directory or os.environ.get(HISTORY_ENV) or None)
    return _recorder
