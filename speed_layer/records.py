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
    """`shardId-...:<sequence number>` (Kinesis) or `sqs:<message id>`, kept in the quarantine."""


@dataclass(frozen=True)
class Batch:
    key: str
    records: tuple[DeliveredRecord, ...]


def kinesis_batch_key(shard_id: str, first_sequence: str, last_sequence: str) -> str:
    """`{shard}-{first_seq}-{last_seq}`: Kinesis redelivers exactly this range after a failure."""
    return f"{shard_id}-{first_sequence}-{last_sequence}"


def sqs_batch_key(message_ids: Iterable[str]) -> str:
    """A hash of the sorted message ids: SQS has no sequence numbers.

    A redelivery of the same set of messages overwrites its file; a redelivery that groups the
    messages differently writes a new file, and readers remove those duplicates by event_id.
    """
    digest = hashlib.sha256("\n".join(sorted(message_ids)).encode()).hexdigest()
    return f"sqs-{digest[:32]}"
