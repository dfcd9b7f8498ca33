"""The storage core, driven directly (no HTTP), with a hand-moved clock for expiry."""

from __future__ import annotations

import pytest

from reference_impl.clock import ManualClock
from reference_impl.errors import (
    Conflict, InvalidRequest, SequenceGap, StaleEpoch, StreamClosedConflict, StreamGone,
    StreamNotFound,
)
from reference_impl.producers import ProducerClaim
from reference_impl.store import AppendRequest, CreateRequest, Expiry, StreamStore

TEXT = "text/plain"
JSON = "application/json"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(clock: ManualClock) -> StreamStore:
    return StreamStore(clock, max_chunk=8)


def text_of(store: StreamStore, path: str, position: int = 0) -> bytes:
    """Everything from `position` to the tail, following chunked reads."""
    stream, parts = store.get(path), []
    while True:
        result = store.read(stream, position)
        body = result.body(stream.is_json)
        parts.append(body[1:-1] if stream.is_json else body)
        position = result.next_position
        if result.up_to_date:
            if stream.is_json:
                return b"[" + b",".join(part for part in parts if part) + b"]"
            return b"".join(parts)


def append(store: StreamStore, path: str, body: bytes, content_type: str = TEXT, **kw: object):
    return store.append(path, AppendRequest(body=body, content_type=content_type, **kw))  # type: ignore[arg-type]


def test_append_and_read_back_in_chunks(store: StreamStore) -> None:
    store.create("/s", CreateRequest(content_type=TEXT, body=b"hello "))
    result = append(store, "/s", b"world, this is long")
    assert result.tail == len(b"hello world, this is long")
    first = store.read(store.get("/s"), 0)
    assert first.body(False) == b"hello wo" and not first.up_to_date  # max_chunk=8
    assert text_of(store, "/s") == b"hello world, this is long"
    assert text_of(store, "/s", 6) == b"world, this is long"


def test_create_is_idempotent_only_for_matching_config(store: StreamStore) -> None:
    _, created = store.create("/s", CreateRequest(content_type="Text/Plain", expiry=Expiry(ttl=60)))
    assert created
    _, created_again = store.create("/s", CreateRequest(content_type="text/plain; charset=utf-8", expiry=Expiry(ttl=60)))
    assert not created_again
    for different in (CreateRequest(content_type=JSON, expiry=Expiry(ttl=60)),
                      CreateRequest(content_type=TEXT, expiry=Expiry(ttl=61)),
                      CreateRequest(content_type=TEXT, expiry=Expiry(ttl=60), closed=True)):
        with pytest.raises(Conflict):
            store.create("/s", different)


def test_closed_stream_rejects_appends_but_closing_again_is_fine(store: StreamStore) -> None:
    store.create("/s", CreateRequest(content_type=TEXT, body=b"abc", closed=True))
    with pytest.raises(StreamClosedConflict) as caught:
        append(store, "/s", b"more")
    assert caught.value.final_position == 3
    again = store.append("/s", AppendRequest(body=b"", close=True))
    assert again.closed and again.tail == 3
    assert text_of(store, "/s") == b"abc"
    assert store.read(store.get("/s"), 3).closed_at_end


def test_empty_body_without_close_and_content_type_mismatch_are_rejected(store: StreamStore) -> None:
    store.create("/s", CreateRequest(content_type=TEXT))
    with pytest.raises(InvalidRequest):
        store.append("/s", AppendRequest(body=b"", content_type=TEXT))
    with pytest.raises(Conflict):
        append(store, "/s", b"x", content_type=JSON)
    assert store.get("/s").tail == 0


def test_stream_seq_must_strictly_increase(store: StreamStore) -> None:
    store.create("/s", CreateRequest(content_type=TEXT))
    append(store, "/s", b"a", stream_seq="0002")
    with pytest.raises(Conflict):
        append(store, "/s", b"b", stream_seq="0002")
    with pytest.raises(Conflict):
        append(store, "/s", b"b", stream_seq="0001")
    append(store, "/s", b"c", stream_seq="0010")
    assert text_of(store, "/s") == b"ac"


def test_producer_epochs_sequences_and_duplicates(store: StreamStore) -> None:
    store.create("/s", CreateRequest(content_type=TEXT))
    p = lambda epoch, seq: ProducerClaim("w", epoch, seq)  # noqa: E731
    assert not append(store, "/s", b"a", producer=p(0, 0)).duplicate
    assert append(store, "/s", b"a", producer=p(0, 0)).duplicate
    with pytest.raises(SequenceGap) as gap:
        append(store, "/s", b"c", producer=p(0, 2))
    assert (gap.value.expected, gap.value.received) == (1, 2)
    append(store, "/s", b"b", producer=p(0, 1))
    with pytest.raises(InvalidRequest):
        append(store, "/s", b"x", producer=p(1, 5))
    append(store, "/s", b"n", producer=p(1, 0))
    with pytest.raises(StaleEpoch) as stale:
        append(store, "/s", b"z", producer=p(0, 2))
    assert stale.value.current_epoch == 1
    assert text_of(store, "/s") == b"abn"


def test_producer_close_is_deduplicated_by_the_closing_tuple(store: StreamStore) -> None:
    store.create("/s", CreateRequest(content_type=TEXT))
    claim = ProducerClaim("w", 0, 0)
    append(store, "/s", b"final", producer=claim, close=True)
    assert append(store, "/s", b"final", producer=claim, close=True).duplicate
    with pytest.raises(StreamClosedConflict):
        append(store, "/s", b"other", producer=ProducerClaim("w", 0, 1))
    assert text_of(store, "/s") == b"final"


def test_rejected_json_append_changes_nothing(store: StreamStore) -> None:
    store.create("/j", CreateRequest(content_type=JSON, body=b"[1,[2,3]]"))
    claim = ProducerClaim("w", 0, 0)
    with pytest.raises(InvalidRequest):
        append(store, "/j", b"{not json", content_type=JSON, producer=claim)
    with pytest.raises(InvalidRequest):
        append(store, "/j", b"[]", content_type=JSON)
    append(store, "/j", b'{"k":"v"}', content_type=JSON, producer=claim)  # seq 0 still unused
    assert text_of(store, "/j") == b'[1,[2,3],{"k":"v"}]'


def test_ttl_slides_on_access_but_not_on_get(store: StreamStore, clock: ManualClock) -> None:
    store.create("/s", CreateRequest(content_type=TEXT, expiry=Expiry(ttl=10)))
    clock.advance(8)
    store.get("/s")  # what HEAD does: must not refresh
    clock.advance(1)
    append(store, "/s", b"x")  # a write refreshes
    clock.advance(9)
    assert store.get("/s").tail == 1
    clock.advance(1)
    with pytest.raises(StreamNotFound):
        store.get("/s")


def test_expires_at_is_absolute(store: StreamStore, clock: ManualClock) -> None:
    store.create("/s", CreateRequest(content_type=TEXT, expiry=Expiry(expires_at="x", expires_at_wall=clock.wall() + 5)))
    clock.advance(4)
    append(store, "/s", b"x")
    clock.advance(1)
    with pytest.raises(StreamNotFound):
        store.get("/s")
    store.create("/s", CreateRequest(content_type=JSON))  # the path is free again


def test_fork_stitches_source_prefix_and_own_appends(store: StreamStore) -> None:
    store.create("/src", CreateRequest(content_type=TEXT, body=b"abc"))
    append(store, "/src", b"def")
    store.create("/fork", CreateRequest(forked_from="/src", fork_position=3))
    append(store, "/fork", b"XYZ")
    append(store, "/src", b"ghi")
    assert text_of(store, "/fork") == b"abcXYZ"
    assert text_of(store, "/src") == b"abcdefghi"
    assert store.get("/fork").content_type == TEXT


def test_fork_chain_with_sub_offsets(store: StreamStore) -> None:
    store.create("/l0", CreateRequest(content_type=TEXT, body=b"abcdef"))
    store.create("/l1", CreateRequest(forked_from="/l0", fork_position=0, fork_sub_offset=4, body=b"XY"))
    store.create("/l2", CreateRequest(forked_from="/l1", fork_position=0, fork_sub_offset=2))
    append(store, "/l2", b"Z")
    store.create("/l3", CreateRequest(forked_from="/l2"))
    append(store, "/l3", b"!")
    assert text_of(store, "/l1") == b"abcdXY"
    assert text_of(store, "/l2") == b"abZ"
    assert text_of(store, "/l3") == b"abZ!"
    assert len(store.get("/l3").view.segments) == 3  # l0 prefix, l2's own, l3's own
    with pytest.raises(InvalidRequest):
        store.create("/bad", CreateRequest(forked_from="/l0", fork_position=0, fork_sub_offset=7))


def test_json_fork_sub_offset_counts_messages(store: StreamStore) -> None:
    store.create("/j", CreateRequest(content_type=JSON, body=b'[{"a":1},{"b":2},{"c":3}]'))
    store.create("/f", CreateRequest(forked_from="/j", fork_position=0, fork_sub_offset=2))
    append(store, "/f", b'{"z":0}', content_type=JSON)
    assert text_of(store, "/f") == b'[{"a":1},{"b":2},{"z":0}]'
    with pytest.raises(InvalidRequest):
        store.create("/g", CreateRequest(forked_from="/j", fork_position=0, fork_sub_offset=4))


def test_fork_errors(store: StreamStore) -> None:
    store.create("/src", CreateRequest(content_type=TEXT, body=b"abc"))
    with pytest.raises(StreamNotFound):
        store.create("/f", CreateRequest(forked_from="/missing"))
    with pytest.raises(InvalidRequest):
        store.create("/f", CreateRequest(forked_from="/src", fork_position=4))
    with pytest.raises(Conflict):
        store.create("/f", CreateRequest(forked_from="/src", content_type=JSON))
    assert store.get("/src").ref_count == 0  # rejected forks hold no reference


def test_fork_idempotency_and_fresh_writer_state(store: StreamStore) -> None:
    store.create("/src", CreateRequest(content_type=TEXT, body=b"abc", closed=True))
    append_claim = ProducerClaim("w", 3, 0)
    with pytest.raises(StreamClosedConflict):
        append(store, "/src", b"x", producer=append_claim)
    request = CreateRequest(forked_from="/src", fork_position=2)
    _, created = store.create("/f", request)
    _, created_again = store.create("/f", request)
    assert created and not created_again
    with pytest.raises(Conflict):
        store.create("/f", CreateRequest(forked_from="/src", fork_position=1))
    fork = store.get("/f")
    assert not fork.closed and fork.producers == {} and fork.last_stream_seq is None
    append(store, "/f", b"!", producer=ProducerClaim("w", 0, 0))  # a fresh producer is accepted
    assert text_of(store, "/f") == b"ab!"


@pytest.mark.parametrize(("source", "fork", "want_ttl", "want_expiry"), [
    (Expiry(), Expiry(), None, None),
    (Expiry(), Expiry(ttl=5), 5, None),
    (Expiry(), Expiry(expires_at="F", expires_at_wall=2e9), None, "F"),
    (Expiry(ttl=7), Expiry(), 7, None),
    (Expiry(ttl=7), Expiry(ttl=5), 5, None),
    (Expiry(ttl=7), Expiry(expires_at="F", expires_at_wall=2e9), None, "F"),
    (Expiry(expires_at="S", expires_at_wall=2e9), Expiry(), None, "S"),
    (Expiry(expires_at="S", expires_at_wall=2e9), Expiry(ttl=5), 5, None),
    (Expiry(expires_at="S", expires_at_wall=2e9), Expiry(expires_at="F", expires_at_wall=3e9), None, "F"),
])
def test_fork_expiry_inheritance_table(store: StreamStore, source: Expiry, fork: Expiry,
                                       want_ttl: int | None, want_expiry: str | None) -> None:
    store.create("/src", CreateRequest(content_type=TEXT, expiry=source))
    created, _ = store.create("/f", CreateRequest(forked_from="/src", expiry=fork))
    assert (created.ttl, created.expires_at) == (want_ttl, want_expiry)


def test_soft_delete_and_cascading_cleanup(store: StreamStore) -> None:
    store.create("/a", CreateRequest(content_type=TEXT, body=b"aaa"))
    store.create("/b", CreateRequest(forked_from="/a"))
    store.create("/c", CreateRequest(forked_from="/b"))
    store.delete("/a")
    store.delete("/b")
    for path in ("/a", "/b"):
        with pytest.raises(StreamGone):
            store.get(path)
        with pytest.raises(Conflict):
            store.create(path, CreateRequest(content_type=TEXT))
    with pytest.raises(Conflict):
        store.create("/d", CreateRequest(forked_from="/a"))
    assert text_of(store, "/c") == b"aaa"  # still readable through soft-deleted sources
    store.delete("/c")
    assert len(store) == 0  # the cascade removed b, then a
    store.create("/a", CreateRequest(content_type=JSON))


def test_expired_source_with_forks_is_soft_deleted(store: StreamStore, clock: ManualClock) -> None:
    store.create("/src", CreateRequest(content_type=TEXT, body=b"abc", expiry=Expiry(ttl=5)))
    store.create("/f", CreateRequest(forked_from="/src", expiry=Expiry(ttl=100)))
    clock.advance(6)
    with pytest.raises(StreamGone):
        store.get("/src")
    assert text_of(store, "/f") == b"abc"
    store.delete("/f")
    with pytest.raises(StreamNotFound):
        store.get("/src")


def test_live_listeners_fire_only_for_their_own_stream(store: StreamStore) -> None:
    store.create("/src", CreateRequest(content_type=TEXT, body=b"abc"))
    store.create("/f", CreateRequest(forked_from="/src"))
    calls: list[str] = []
    store.get("/f").listeners.add(lambda: calls.append("fork"))
    append(store, "/src", b"source only")
    assert calls == []
    append(store, "/f", b"mine")
    assert calls == ["fork"]
