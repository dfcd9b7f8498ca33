from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.servers import free_port, launch_known, launched

SERVE_BROKEN = Path(__file__).resolve().parent / "serve_broken.py"


@pytest.fixture(scope="session")
def reference_url() -> Iterator[str]:
    # A separate process: the explorer and the server then don't share a GIL (2x faster).
    with launch_known("reference") as server:
        yield server.url


@contextlib.contextmanager
def broken_server(name: str) -> Iterator[str]:
    """One of tests/explore/broken_servers.py's variants, served in its own process."""
    port = free_port()
    with launched(name, [sys.executable, str(SERVE_BROKEN), name, str(port)], port) as server:
        yield server.url
