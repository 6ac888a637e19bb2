"""Compressed stream records: what goes in comes out byte for byte, never larger than it was,
and a record that starts like gzip but is not a whole, bounded member is refused by name."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract.stream_compression import (
    MAX_INFLATED_BYTES,
    CompressedRecordError,
    compress,
    decompress,
    is_compressed,
)

EVENTS = b"".join(
    b'{"event_id":"01JD%06d","store_id":"SP-PAULISTA-01","currency":"BRL","total":"%d.90"}' % (n, n)
    for n in range(50)
)


@given(st.binary(max_size=4096))
def test_what_is_compressed_comes_back_and_is_never_larger(data: bytes) -> None:
    packed = compress(data)
    assert len(packed) <= len(data)
    assert (decompress(packed) if packed != data else packed) == data


def test_json_events_shrink_to_a_fraction_and_always_to_the_same_bytes() -> None:
    packed = compress(EVENTS)
    assert is_compressed(packed)
    assert len(packed) < len(EVENTS) / 4
    assert compress(EVENTS) == packed, "no time in the header"
    assert decompress(packed) == EVENTS


def test_json_and_kpl_aggregates_are_not_mistaken_for_compressed_records() -> None:
    assert not is_compressed(EVENTS)
    assert not is_compressed(b"\xf3\x89\x9a\xc2" + EVENTS)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (compress(EVENTS)[:-9], "truncated"),
        (compress(EVENTS) + b"{}", "2 bytes follow the gzip member"),
        (compress(EVENTS) + compress(EVENTS), "follow the gzip member"),
        (b"\x1f\x8b" + EVENTS, "does not inflate"),
        (gzip.compress(b"\0" * (MAX_INFLATED_BYTES + 1)), f"past {MAX_INFLATED_BYTES} bytes"),
        (gzip.compress(b"\0" * (4 * MAX_INFLATED_BYTES)), f"past {MAX_INFLATED_BYTES} bytes"),
    ],
    ids=["truncated", "trailing bytes", "two members", "not deflate", "just over", "a bomb"],
)
def test_a_record_that_is_not_one_whole_bounded_member_is_refused(data: bytes, reason: str):
    with pytest.raises(CompressedRecordError, match=reason):
        decompress(data)


def test_a_record_of_exactly_the_most_a_record_holds_inflates() -> None:
    assert len(decompress(gzip.compress(b"\0" * MAX_INFLATED_BYTES))) == MAX_INFLATED_BYTES
