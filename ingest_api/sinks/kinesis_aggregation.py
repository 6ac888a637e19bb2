"""Several events per Kinesis record: the KPL's aggregated format, packed per PutRecords call.

On-demand Kinesis bills every record rounded up to 1 KB, and an event is about 490 bytes, so one
event per record pays for twice its bytes. The records of one call are packed instead into
aggregated records (magic bytes, a protobuf `AggregatedRecord`, its MD5), encoded by the published
`aws-kinesis-agg` library: the format the KCL de-aggregates natively and the library splits for
Lambda, the local poller and the redrive tool (`speed_layer.deaggregation`).

Each aggregated record is kept to `TARGET_RECORD_BYTES`, 24 KiB, far below the 1 MiB record limit:

- pricing: on-demand rounds a record up to 1 KB, so at 24 KiB the rounding wastes at most 4%;
  provisioned mode bills PUT payload units of 25 KB, and 24 KiB (24,576 bytes) is one unit
  whichever way the KB is counted;
- load: an aggregated record goes to one shard whole, so a larger one puts more events on one
  shard at once (a shard takes 1 MB/s), and fails or is retried as a whole;
- a record of one call carries only what that call carries: at a few events per call the target
  is never reached, and larger targets would change nothing.

Every sub-record keeps its own partition key (the store id) in the aggregate's key table, and
all carry one explicit hash key: the hash of the aggregate's first partition key, which is also
the aggregate's own. The KCL drops a whole aggregated record when one of its sub-records hashes
outside the shard that holds it (after a reshard that is how it recognises a stale one), so
sub-records routed by their own keys would be lost on any stream of more than one shard.

A record that alone is larger than the target goes on the stream as it is, and so does an
aggregate that would carry one record: the consumers read plain records too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from aws_kinesis_agg.aggregator import AggRecord

from ingest_api.sinks.base import Record

TARGET_RECORD_BYTES = 24 * 1024

CALL_BYTES = 5 * 1024 * 1024
"""PutRecords' limit on a call's data and partition keys."""
PER_AGGREGATE_BYTES = 4 + 16 + 2 + 39 + 256
"""What an aggregated record adds once, at most: magic, MD5, its explicit hash key table entry
(a decimal 128-bit hash), and the call's partition key field (256 bytes at most)."""
PER_SUB_RECORD_BYTES = 19
"""Protobuf framing of one sub-record at most: tags, lengths, key indexes, and its partition key
table entry beyond the key's own bytes (counted by `packed_size`)."""
MAX_AGGREGATES_PER_CALL = 2 * CALL_BYTES // TARGET_RECORD_BYTES + 1
"""Greedy packing closes an aggregate only when the next record does not fit, so any two
neighbours hold more than the target: at most this many per call, under PutRecords' 500."""
AGGREGATED_CALL_BYTES = CALL_BYTES - MAX_AGGREGATES_PER_CALL * PER_AGGREGATE_BYTES
"""The user-record bytes a call may take so that the packed call stays within 5 MiB."""


@dataclass(frozen=True, slots=True)
class PackedRecord:
    """One PutRecords entry and the positions of the user records it carries."""

    partition_key: str
    data: bytes
    members: range
    explicit_hash_key: str | None = None


def packed_size(record: Record) -> int:
    """At most what a user record adds to an aggregated call (data, key twice, framing)."""
    return len(record.data) + 2 * len(record.partition_key.encode()) + PER_SUB_RECORD_BYTES


def hash_key(partition_key: str) -> str:
    """Kinesis's hash of a partition key: the MD5 as a 128-bit integer, in decimal."""
    return str(
        int.from_bytes(hashlib.md5(partition_key.encode(), usedforsecurity=False).digest(), "big")
    )


def pack(records: Sequence[Record], target_bytes: int = TARGET_RECORD_BYTES) -> list[PackedRecord]:
    """The records, in order, as PutRecords entries of at most `target_bytes` each (oversized
    records alone and as they are)."""
    packed: list[PackedRecord] = []
    start = 0
    while start < len(records):
        start = _fill(records, start, target_bytes, packed)
    return packed


def _fill(
    records: Sequence[Record], start: int, target_bytes: int, packed: list[PackedRecord]
) -> int:
    """Pack one entry from `start`; the position after the last record it took.

    Keys go to the library as bytes: it looks a key up in its tables by the bytes it was given,
    so with str keys it counts every record's keys as new and fills aggregates 10% short.
    """
    first = records[start]
    shared_hash_key = hash_key(first.partition_key).encode()
    aggregate = AggRecord(target_bytes)
    end = start
    while end < len(records):
        record = records[end]
        try:
            added = aggregate.add_user_record(
                record.partition_key.encode(), record.data, shared_hash_key
            )
        except ValueError:  # larger than the target by itself: it goes alone, as it is
            added = False
        if not added:
            break
        end += 1
    if end - start <= 1:
        packed.append(PackedRecord(first.partition_key, first.data, range(start, start + 1)))
        return start + 1
    _, _, data = aggregate.get_contents()
    packed.append(
        PackedRecord(first.partition_key, data, range(start, end), shared_hash_key.decode())
    )
    return end
