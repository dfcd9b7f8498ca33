from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from reference_impl.embedded import EmbeddedServer

SMALL_MAX_BODY = 256 * 1024
_ids = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(long_poll_timeout=0.5, max_body=SMALL_MAX_BODY) as running:
        yield running


@pytest.fixture
def stream_url(server: EmbeddedServer, request: pytest.FixtureRequest) -> str:
    """A fresh, unused stream URL on the shared server."""
    return f"{server.url}/v1/stream/{request.node.name}-{next(_ids)}"
