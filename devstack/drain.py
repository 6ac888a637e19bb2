"""Has the speed layer landed everything the stream holds? Asked before the emulator stops.

The AWS emulator keeps its streams and queues in memory, so an event acknowledged by the ingest
API but not yet landed in the lake would die with it. `salesflow up` therefore stops the API
first and waits until this says the stream (or queue) is landed before it stops the poller and
the emulator. For Kinesis it reads the poller's checkpoints and asks each shard for a record
after the last landed one; for SQS it asks for the queue's message counts.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from contract.aws import aws_client
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


def is_drained(settings: Settings, source: str) -> bool:
    if source == "sqs":
        return _queue_drained(settings)
    return _stream_drained(settings)


def _stream_drained(settings: Settings) -> bool:
    path = stream_checkpoint_path(settings)
    stored = json.loads(path.read_text()) if path.exists() else {}
    checkpoints = {shard: ShardCheckpoint(**entry) for shard, entry in stored.items()}
    kinesis = aws_client(settings, "kinesis")
    for page in kinesis.get_paginator("list_shards").paginate(StreamName=settings.stream_name):
        for shard in page["Shards"]:
            checkpoint = checkpoints.get(shard["ShardId"], ShardCheckpoint())
            if checkpoint.pending_last is not None:
                return False
            position: dict[str, str] = (
                {
                    "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                    "StartingSequenceNumber": checkpoint.landed,
                }
                if checkpoint.landed
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            iterator = kinesis.get_shard_iterator(
                StreamName=settings.stream_name, ShardId=shard["ShardId"], **position
            )["ShardIterator"]
            if kinesis.get_records(ShardIterator=iterator, Limit=1)["Records"]:
                return False
    return True


def _queue_drained(settings: Settings) -> bool:
    sqs = aws_client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=settings.queue_name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(int(count) == 0 for count in attributes.values())
