"""Forks share their source's data: 1,000 forks of a 10 MB stream cost little memory,
and creating one does no per-message work."""

from __future__ import annotations

import gc
import tracemalloc

from reference_impl.store import AppendRequest, CreateRequest, StreamStore

SOURCE_BYTES = 10 * 1024 * 1024
FORKS = 1000
BUDGET_BYTES = 3 * 1024 * 1024


def test_thousand_forks_of_ten_megabytes_stay_within_a_few_megabytes() -> None:
    store = StreamStore()
    store.create("/src", CreateRequest(content_type="application/octet-stream"))
    chunk = bytes(range(256)) * 4096  # 1 MiB
    for _ in range(SOURCE_BYTES // len(chunk)):
        store.append("/src", AppendRequest(body=chunk, content_type="application/octet-stream"))
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for index in range(FORKS):
            store.create(f"/fork-{index}", CreateRequest(forked_from="/src", fork_position=index * 7919))
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < BUDGET_BYTES, f"{FORKS} forks took {(after - before) / 1e6:.1f} MB"
    last = store.get(f"/fork-{FORKS - 1}")
    result = store.read(last, 0)
    assert result.body(False)[:256] == bytes(range(256))


def test_fork_of_fork_chain_reads_across_every_segment() -> None:
    store = StreamStore()
    store.create("/f0", CreateRequest(content_type="text/plain", body=b"0"))
    for depth in range(1, 30):
        store.create(f"/f{depth}", CreateRequest(forked_from=f"/f{depth - 1}"))
        store.append(f"/f{depth}", AppendRequest(body=str(depth % 10).encode(), content_type="text/plain"))
    deepest = store.get("/f29")
    assert store.read(deepest, 0).body(False) == b"".join(str(d % 10).encode() for d in range(30))
    assert store.read(deepest, 10).body(False) == b"".join(str(d % 10).encode() for d in range(10, 30))
