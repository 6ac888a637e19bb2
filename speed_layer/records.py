"""What every adapter hands to `land()`: the raw records of one delivery, and the batch's key.

The key names the Parquet file(s) the batch becomes. It is a pure function of the batch's
identity, so a redelivered batch overwrites its own file instead of adding a second copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class DeliveredRecord:
    """One stream record as delivered: the bytes on the wire and where they came from."""

    data: bytes
    source: str
    """`shardId-...:<position>` (Kinesis, `kinesis_position`) or `sqs:<message id>`, kept in the
    quarantine and on dead letters."""


@dataclass(frozen=True)
class Batch:
    key: str
    records: tuple[DeliveredRecord, ...]


def kinesis_position(sequence: str, sub_sequence: int) -> str:
    """An event's place in its shard: the record's sequence number, then `.n` for the n-th (from
    0) event of an aggregated record past its first. A plain record is its sequence number alone,
    as before aggregation, so batches of plain records keep their keys."""
    return f"{sequence}.{sub_sequence}" if sub_sequence else sequence


def kinesis_batch_key(shard_id: str, first_position: str, last_position: str) -> str:
    """`{shard}-{first}-{last}`, from the positions of the batch's first and last events: Kinesis
    redelivers exactly this range after a failure. The sub-sequence numbers tell apart two
    batches that start or end at different events of the same aggregated records (the KCL
    resumes mid-record after a checkpoint there): under one key the later file would replace
    the earlier and lose the events only the earlier held."""
    return f"{shard_id}-{first_position}-{last_position}"


def sqs_batch_key(message_ids: Iterable[str]) -> str:
    """A hash of the sorted message ids: SQS has no sequence numbers.

    A redelivery of the same set of messages overwrites its file; a redelivery that groups the
    messages differently writes a new file, and readers remove those duplicates by event_id.
    """
    digest = hashlib.sha256("\n".join(sorted(message_ids)).encode()).hexdigest()
    return f"sqs-{digest[:32]}"
