"""The live paths under fan-out: one append wakes many readers, which share one read;
readers that leave stop listening; the fast HTTP stack is used when installed."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
import time
from typing import Any

import httpx
import pytest

from reference_impl import serving
from reference_impl.app import LIVE_READ_MEMO_MAX, create_app
from reference_impl.embedded import EmbeddedServer
from reference_impl.store import AppendRequest, CreateRequest

JSON = {"content-type": "application/json"}


def test_many_long_polls_and_sse_readers_all_get_the_append(stream_url: str) -> None:
    tail = httpx.put(stream_url, headers=JSON).headers["stream-next-offset"]
    results: list[bytes] = []
    sse_bodies: list[str] = []
    barrier = threading.Barrier(13, timeout=10)

    def long_poll() -> None:
        barrier.wait()
        response = httpx.get(stream_url, params={"offset": tail, "live": "long-poll"}, timeout=10)
        results.append(response.content)

    def sse_reader() -> None:
        with httpx.stream("GET", stream_url, params={"offset": tail, "live": "sse"}, timeout=10) as response:
            barrier.wait()
            for line in response.iter_lines():
                if line.startswith("data:["):
                    sse_bodies.append(line[5:])
                    return

    threads = [threading.Thread(target=long_poll) for _ in range(8)]
    threads += [threading.Thread(target=sse_reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    barrier.wait()
    time.sleep(0.2)  # let every long-poll park
    httpx.post(stream_url, headers=JSON, content=b'[{"n":1},{"n":2}]')
    for thread in threads:
        thread.join(10)
    assert [json.loads(body) for body in results] == [[{"n": 1}, {"n": 2}]] * 8
    assert [json.loads(body) for body in sse_bodies] == [[{"n": 1}, {"n": 2}]] * 4


def test_live_read_is_shared_per_position_and_never_stale() -> None:
    app = create_app()
    stream, _ = app.store.create("/s", _create_request())
    assert app._live_read(stream, 0).body == b"[]"  # nothing yet
    _append(app, b'{"a":1}')
    woken = app._live_read(stream, 0)
    assert woken.body == b'[{"a":1}]' and app._live_read(stream, 0) is woken  # shared
    _append(app, b'{"b":2}')
    assert app._live_read(stream, 0).body == b'[{"a":1},{"b":2}]'  # a new tail, a new read
    assert app._live_read(stream, woken.result.next_position).body == b'[{"b":2}]'


def test_big_live_reads_are_not_kept_on_the_stream() -> None:
    app = create_app()
    stream, _ = app.store.create("/big", _create_request("application/octet-stream"))
    app.store.append("/big", AppendRequest(body=b"x" * (LIVE_READ_MEMO_MAX + 1), content_type="application/octet-stream"))
    assert len(app._live_read(stream, 0).body) == LIVE_READ_MEMO_MAX + 1
    assert stream.live_read is None


def test_a_long_poll_client_that_leaves_stops_listening() -> None:
    with EmbeddedServer(long_poll_timeout=30) as server:
        url = f"{server.url}/v1/stream/leaver"
        tail = httpx.put(url, headers=JSON).headers["stream-next-offset"]
        stream = server.app.store.get("/v1/stream/leaver")
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(url, params={"offset": tail, "live": "long-poll"}, timeout=0.3)
        deadline = time.monotonic() + 5
        while stream.listeners and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not stream.listeners and not server.app._live_waits


def test_waits_end_on_shutdown_without_a_change() -> None:
    async def scenario() -> float:
        app = create_app(long_poll_timeout=30)
        stream, _ = app.store.create("/w", _create_request())
        never = asyncio.get_running_loop().create_future()
        disconnect = asyncio.ensure_future(never)
        asyncio.get_running_loop().call_later(0.05, app.begin_shutdown)
        started = time.monotonic()
        await app._wait_for_change(stream, 30, disconnect)
        disconnect.cancel()
        assert not stream.listeners and not app._live_waits
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 1


def test_the_fast_http_stack_is_used_when_installed() -> None:
    config = serving.make_server(create_app(), "127.0.0.1", 0).config
    if importlib.util.find_spec("httptools") is not None:
        assert issubclass(config.http, serving._NoDelay) and config.http is not serving.NoDelayH11Protocol
    if importlib.util.find_spec("uvloop") is not None:
        assert config.loop == "uvloop"
    assert config.access_log is False


def _create_request(content_type: str = "application/json") -> CreateRequest:
    return CreateRequest(content_type=content_type)


def _append(app: Any, body: bytes) -> None:
    app.store.append("/s", AppendRequest(body=body, content_type="application/json"))
