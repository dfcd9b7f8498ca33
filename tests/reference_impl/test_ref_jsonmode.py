"""JSON mode edge values the fuzzer found: stored messages must read back as the same JSON."""

from __future__ import annotations

import json

import pytest

from reference_impl.errors import InvalidRequest
from reference_impl.jsonmode import array_of, to_values


def test_lone_surrogate_escape_is_stored_and_reads_back_as_the_same_value() -> None:
    values = to_values(b'["\\ud800", "ok"]', allow_empty_array=False)
    assert json.loads(array_of(list(values))) == ["\ud800", "ok"]


@pytest.mark.parametrize("body", [b"1e999", b"[1, -1e999]", b'{"x": 1E400}'])
def test_numbers_that_overflow_to_infinity_are_rejected(body: bytes) -> None:
    with pytest.raises(InvalidRequest):
        to_values(body, allow_empty_array=False)


def test_ordinary_numbers_keep_their_values() -> None:
    values = to_values(b"[1.5, -0.25, 12345678901234567890, 1e300]", allow_empty_array=False)
    assert json.loads(array_of(list(values))) == [1.5, -0.25, 12345678901234567890, 1e300]
