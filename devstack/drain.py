"""Has the speed layer landed everything the stream holds? Asked before the emulator stops.

The AWS emulator keeps its streams and queues in memory, so an event acknowledged by the ingest
API but not yet landed in the lake would die with it. `salesflow up` therefore stops the API
first and waits until this says the stream (or queue) is landed before it stops the poller and
the emulator. For Kinesis it reads the consumer's checkpoints (the poller's file, or the KCL's
lease table) and asks each shard for a record after the last landed one; for SQS it asks for the
queue's message counts.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from contract.aws import aws_client
from contract.names import ResourceNames
from contract.settings import Settings
from speed_layer.checkpoints import CheckpointFile, ShardCheckpoint

logger = logging.getLogger(__name__)


def stream_checkpoint_path(settings: Settings) -> Path:
    return CheckpointFile.for_stream(settings.state_dir, settings.stream_name).path


def forget_stream_checkpoints(settings: Settings) -> bool:
    """Delete the poller's checkpoints of an earlier stream with the same name.

    A freshly created stream numbers its records anew, so checkpoints of the stream an earlier
    emulator held would make the poller skip (or fail on) the new one's records.
    """
    path = stream_checkpoint_path(settings)
    if path.exists():
        path.unlink()
        logger.info("forgot the checkpoints of an earlier stream", extra={"path": str(path)})
        return True
    return False


def is_drained(settings: Settings, source: str, consumer: str = "poller") -> bool:
    if source == "sqs":
        return _queue_drained(settings)
    landed = _kcl_checkpoints(settings) if consumer == "kcl" else _poller_checkpoints(settings)
    return _stream_drained(settings, landed)


def _poller_checkpoints(settings: Settings) -> dict[str, str | None]:
    """Shard -> last landed sequence number; a shard with a batch in flight is not drained."""
    path = stream_checkpoint_path(settings)
    stored = json.loads(path.read_text()) if path.exists() else {}
    checkpoints = {shard: ShardCheckpoint(**entry) for shard, entry in stored.items()}
    return {
        shard: UNDRAINED if checkpoint.pending_last is not None else checkpoint.landed
        for shard, checkpoint in checkpoints.items()
    }


def _kcl_checkpoints(settings: Settings) -> dict[str, str | None]:
    """Shard -> the KCL's checkpoint in its lease table (SHARD_END: read to its end)."""
    table = ResourceNames.for_prefix(settings.name_prefix).kcl_lease_table
    dynamodb = aws_client(settings, "dynamodb")
    found: dict[str, str | None] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            checkpoint = item.get("checkpoint", {}).get("S")
            found[item["leaseKey"]["S"]] = (
                None if checkpoint in (None, "TRIM_HORIZON", "LATEST") else checkpoint
            )
    return found


UNDRAINED = "undrained"
"""A checkpoint standing for "not landed yet, whatever the shard holds"."""
SHARD_END = "SHARD_END"


def _stream_drained(settings: Settings, landed: dict[str, str | None]) -> bool:
    kinesis = aws_client(settings, "kinesis")
    for page in kinesis.get_paginator("list_shards").paginate(StreamName=settings.stream_name):
        for shard in page["Shards"]:
            checkpoint = landed.get(shard["ShardId"])
            if checkpoint == UNDRAINED:
                return False
            if checkpoint == SHARD_END:
                continue
            position: dict[str, str] = (
                {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": checkpoint}
                if checkpoint
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            iterator = kinesis.get_shard_iterator(
                StreamName=settings.stream_name, ShardId=shard["ShardId"], **position
            )["ShardIterator"]
            if kinesis.get_records(ShardIterator=iterator, Limit=1)["Records"]:
                return False
    return True


def _queue_drained(settings: Settings) -> bool:
    return messages_on_queue(settings) == 0


def messages_on_queue(settings: Settings) -> int:
    """Messages not deleted yet, whether visible or held by a receive. The emulator counts the
    two kinds a moment apart, so a message turning visible in between may count twice or not at
    all: zero is exact (nothing left to move), other figures are for waiting on, not reading
    once."""
    sqs = aws_client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=settings.queue_name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(count) for count in attributes.values())
