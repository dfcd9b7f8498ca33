from __future__ import annotations

from collections.abc import Iterator

import pytest

from reference_impl.embedded import EmbeddedServer
from .wrong_server import wrong_app


@pytest.fixture(scope="session")
def reference_url() -> Iterator[str]:
    with EmbeddedServer(long_poll_timeout=0.5) as server:
        yield server.url


@pytest.fixture(scope="session")
def wrong_url() -> Iterator[str]:
    """A server that gets the protocol wrong in plain, deterministic ways."""
    with EmbeddedServer(app=wrong_app) as server:
        yield server.url
