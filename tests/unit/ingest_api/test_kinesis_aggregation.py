"""Packing a call's events into KPL aggregated records: order, keys, sizes and PutRecords' limits
(500 entries, 5 MiB of data and partition keys), read back with the speed layer's splitter."""

from __future__ import annotations

import pytest

from ingest_api.sinks.base import Record
from ingest_api.sinks.kinesis import AGGREGATED_LIMITS
from ingest_api.sinks.kinesis_aggregation import (
    CALL_BYTES,
    TARGET_RECORD_BYTES,
    hash_key,
    pack,
    packed_size,
)
from speed_layer.deaggregation import split_record


def _events(count: int, size: int) -> list[Record]:
    return [Record(f"{n:08d}".encode() * (size // 8), f"STORE-{n % 13:02d}") for n in range(count)]


def _read_back(records: list[Record]) -> list[tuple[str, bytes]]:
    read = []
    for entry in pack(records):
        got = {"Data": entry.data, "PartitionKey": entry.partition_key, "SequenceNumber": "1"}
        read += [(event.partition_key, event.data) for event in split_record(got)]
    return read


def test_events_come_back_in_order_with_their_own_partition_keys() -> None:
    events = _events(300, 488)
    assert _read_back(events) == [(e.partition_key, e.data) for e in events]


def test_each_aggregate_is_routed_by_its_first_events_hash_and_stays_under_the_target() -> None:
    entries = pack(_events(300, 488))
    assert len(entries) == 7
    for entry in entries:
        assert len(entry.data) <= TARGET_RECORD_BYTES
        assert entry.explicit_hash_key == hash_key(entry.partition_key)
    assert [len(entry.members) for entry in entries[:-1]] == [48] * 6, "filled to the target"


def test_an_event_too_large_or_alone_goes_as_a_plain_record() -> None:
    large = Record(b"x" * (TARGET_RECORD_BYTES + 1), "BIG")
    events = [*_events(3, 488), large, *_events(1, 488)]
    entries = pack(events)
    assert [entry.members for entry in entries] == [range(0, 3), range(3, 4), range(4, 5)]
    assert (entries[1].data, entries[1].explicit_hash_key) == (large.data, None)
    assert (entries[2].data, entries[2].explicit_hash_key) == (events[4].data, None)


@pytest.mark.parametrize("size", [40, 488, TARGET_RECORD_BYTES // 2 + 1, 40_000])
def test_a_full_call_stays_within_putrecords_limits(size: int) -> None:
    """As many events as the coalescing sink puts in one call under `AGGREGATED_LIMITS`."""
    events: list[Record] = []
    taken = 0
    for record in _events(AGGREGATED_LIMITS.max_records, size):
        if taken + packed_size(record) > AGGREGATED_LIMITS.max_bytes:
            break
        events.append(record)
        taken += packed_size(record)
    entries = pack(events)
    assert len(entries) <= 500
    assert sum(len(e.data) + len(e.partition_key) for e in entries) <= CALL_BYTES
