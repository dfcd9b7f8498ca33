"""The protocol model on its own: the rules it enforces, without any server."""

from __future__ import annotations

import pytest

from conformance.explore.model import Life, ModelViolation, ProtocolModel, flatten_json_body


def model_with(path: str = "s", content: bytes = b"", json_mode: bool = False) -> ProtocolModel:
    model = ProtocolModel()
    model.apply_create(path, json_mode, "application/octet-stream", content, closed=False)
    model.set_tail(path, "t05", "create")
    return model


def test_offsets_must_sort_with_their_positions() -> None:
    model = model_with(content=b"hello")
    model.apply_append("s", b" world", closing=False)
    with pytest.raises(ModelViolation, match="strictly increasing"):
        model.set_tail("s", "t04", "append")          # sorts before the earlier tail
    model.set_tail("s", "t11", "append")
    assert model.get("s").offsets == {"t05": 5, "t11": 11}


def test_a_known_offset_must_keep_naming_its_position() -> None:
    model = model_with(content=b"hello")
    with pytest.raises(ModelViolation, match="stable"):
        model.observe_offset("s", "t05", 3, "read")


@pytest.mark.parametrize("token", ["-1", "now", "a/b", "a,b", "", None])
def test_sentinels_and_reserved_characters_are_not_offsets(token: str | None) -> None:
    with pytest.raises(ModelViolation):
        model_with().observe_offset("s", token, 0, "create")


def test_producer_validation_follows_the_spec_table() -> None:
    model = model_with()
    steps = [  # (epoch, seq, status, is_new)
        (0, 0, (200,), True), (0, 0, (204,), False), (0, 2, (409,), False), (0, 1, (200,), True),
        (1, 1, (400,), False), (1, 0, (200,), True), (0, 5, (403,), False), (1, 0, (204,), False),
    ]
    for epoch, seq, statuses, new in steps:
        expected, is_new = model.expected_producer_append("s", "p", epoch, seq, closing=False)
        assert (expected.statuses, is_new) == (statuses, new), (epoch, seq)
        if is_new:
            model.apply_producer_append("s", "p", epoch, seq, b"x", closing=False)
    assert model.get("s").content == b"xxx"


def test_retrying_the_closing_producer_append_is_a_duplicate() -> None:
    model = model_with()
    model.apply_producer_append("s", "p", 0, 0, b"end", closing=True)
    assert model.expected_producer_append("s", "p", 0, 0, closing=True)[0].statuses == (204,)
    assert model.expected_producer_append("s", "p", 0, 1, closing=False)[0].statuses == (409,)


def test_fork_inherits_up_to_the_sub_offset_and_stays_isolated() -> None:
    model = model_with(content=b"ab")                 # boundaries 0, 2
    model.apply_append("s", b"cdef", closing=False)   # boundary 6
    model.set_tail("s", "t06", "append")
    assert model.sub_offset_limit(model.get("s"), 2) == 4
    assert model.expected_fork("f", "s", 2, 5).statuses == (400,)   # past the next boundary
    assert model.expected_fork("f", "s", 2, 3).statuses == (201,)
    model.apply_fork("f", "s", 2, 3)
    model.apply_append("s", b"SRC", closing=False)
    model.apply_append("f", b"FORK", closing=False)
    assert model.get("f").content == b"abcdeFORK"
    assert model.get("s").content == b"abcdefSRC"
    assert model.get("f").offsets == {"t05": 2}       # only offsets up to the divergence point


def test_soft_delete_and_cascading_cleanup() -> None:
    model = model_with(content=b"data")
    model.apply_fork("f", "s", None, 0)
    model.apply_delete("s")
    assert model.get("s").life is Life.SOFT_DELETED
    assert model.expected_read("s").statuses == (410,)
    assert model.expected_create("s").statuses == (409,)
    assert model.expected_fork("g", "s", None, 0).statuses == (409,)
    assert model.expected_read("f").statuses == (200,)
    model.apply_delete("f")
    assert model.get("s").life is Life.REMOVED_LAZILY   # cleanup MAY lag: 404 or 410
    assert model.expected_head("s").statuses == (404, 410)


def test_json_bodies_flatten_one_level() -> None:
    assert flatten_json_body([[1, 2], [3]]) == [[1, 2], [3]]
    assert flatten_json_body({"a": 1}) == [{"a": 1}]
    assert flatten_json_body([[[1]]]) == [[[1]]]
