from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.run_command import EMBEDDED_LONG_POLL_TIMEOUT_S
from reference_impl.embedded import EmbeddedServer
from .wrong_server import wrong_app


@pytest.fixture(scope="session")
def reference_url() -> Iterator[str]:
    # As long as `dscheck run`'s embedded server: a shorter timeout lets a long-poll give up
    # before a loaded machine delivers the append that should wake it.
    with EmbeddedServer(long_poll_timeout=EMBEDDED_LONG_POLL_TIMEOUT_S) as server:
        yield server.url


@pytest.fixture(scope="session")
def wrong_url() -> Iterator[str]:
    """A server that gets the protocol wrong in plain, deterministic ways."""
    with EmbeddedServer(app=wrong_app) as server:
        yield server.url
