"""`salesflow redrive kinesis|sqs`: put what a speed-layer dead-letter queue holds back on its way.

Each source has its own dead-letter queue, because what each one parks differs:

- `kinesis` (`SALESFLOW_KINESIS_DEAD_LETTER_QUEUE_NAME`) holds two kinds of message. The Lambda
  mapping's on-failure destination sends a pointer to the failed batch (`KinesisBatchInfo`: shard,
  first and last sequence number), not its records: they are read back from the stream, which
  keeps them for its retention period, split into their events when aggregated, and landed under
  the key the handler would have used (`{shard}-{first}-{last}`, the first and last event's
  positions), so a batch that landed after all is overwritten by the same file.
  The KCL worker and the local poller send the events themselves (the body, with a `source`
  attribute `shard:position`, the position holding the sub-sequence number of an event of an
  aggregated record): each is landed under its own position, so a second redrive writes the same
  file again. A message is deleted once its records landed; a pointer the
  stream no longer covers stays on the queue and is reported.
- `sqs` (`SALESFLOW_DEAD_LETTER_QUEUE_NAME`) holds the sales queue's own messages, moved there
  after `max_receive_count` deliveries: they are sent back to the queue, body and attributes
  unchanged, and the consumers land them as any other message.

Run it after fixing what made the batches fail, with the deployment's environment exported
(docs/operations.md). `--dry-run` says what it would do and leaves every message where it was.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from contract.aws import aws_client
from contract.lake_io import LakeFiles
from contract.settings import Settings
from contract.structured_logging import configure_logging
from speed_layer.deaggregation import UserRecord, split_record
from speed_layer.landing import land
from speed_layer.records import Batch, DeliveredRecord, kinesis_batch_key

logger = logging.getLogger(__name__)

RECEIVE_BATCH = 10
HIDDEN_SECONDS = 300
"""How long a received message stays hidden while its records are read and landed."""


@dataclass(frozen=True)
class Redriven:
    """What happened to one dead letter."""

    message_id: str
    kind: str
    """`pointer` (a Lambda batch), `records` (a poller's or the KCL's record), `message` (SQS)."""
    records: int
    done: bool
    detail: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", choices=["kinesis", "sqs"], help="whose dead letters")
    parser.add_argument("--lake", default=None, help="lake URI; default SALESFLOW_LAKE_URI")
    parser.add_argument("--limit", type=int, default=None, help="handle at most this many messages")
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would happen; change nothing"
    )


def run(args: argparse.Namespace) -> int:
    configure_logging()
    settings = Settings()
    if args.source == "sqs":
        outcomes = redrive_sqs(settings, limit=args.limit, dry_run=args.dry_run)
    else:
        lake = LakeFiles.open(args.lake or settings.lake_uri, settings)
        outcomes = redrive_kinesis(settings, lake, limit=args.limit, dry_run=args.dry_run)
    for outcome in outcomes:
        state = "done" if outcome.done else "left"
        print(f"{state} {outcome.kind} {outcome.message_id}: {outcome.detail}")
    left = sum(not outcome.done for outcome in outcomes)
    print(f"{len(outcomes) - left} of {len(outcomes)} dead letters handled, {left} left")
    return 1 if left and not args.dry_run else 0


def redrive_kinesis(
    settings: Settings, lake: LakeFiles, *, limit: int | None = None, dry_run: bool = False
) -> list[Redriven]:
    """Land the records every message of the Kinesis dead-letter queue stands for."""
    sqs = aws_client(settings, "sqs")
    kinesis = aws_client(settings, "kinesis")
    queue_url = sqs.get_queue_url(QueueName=settings.kinesis_dead_letter_queue_name)["QueueUrl"]
    outcomes = []
    held: list[str] = []
    for message in _received(sqs, queue_url, limit):
        pointer = _batch_pointer(message["Body"])
        if pointer is not None:
            shard = pointer["shardId"]
            events = _events_in_range(kinesis, pointer)
            records = [DeliveredRecord(e.data, f"{shard}:{e.position}") for e in events]
            key = (
                kinesis_batch_key(shard, events[0].position, events[-1].position) if events else ""
            )
            kind = "pointer"
        else:
            record = _dead_lettered_record(message)
            records = [record]
            shard, _, position = record.source.partition(":")
            key = kinesis_batch_key(shard, position, position)
            kind = "records"
        outcome = _settle(
            sqs, queue_url, message, kind=kind, key=key, records=records, lake=lake, dry_run=dry_run
        )
        outcomes.append(outcome)
        if not outcome.done:
            held.append(message["ReceiptHandle"])
    _release(sqs, queue_url, held)
    return outcomes


def redrive_sqs(
    settings: Settings, *, limit: int | None = None, dry_run: bool = False
) -> list[Redriven]:
    """Send the SQS dead letters back to the sales queue, then delete them from the DLQ."""
    sqs = aws_client(settings, "sqs")
    dead_letters = sqs.get_queue_url(QueueName=settings.dead_letter_queue_name)["QueueUrl"]
    queue = sqs.get_queue_url(QueueName=settings.queue_name)["QueueUrl"]
    outcomes = []
    held: list[str] = []
    for message in _received(sqs, dead_letters, limit):
        if dry_run:
            held.append(message["ReceiptHandle"])
            outcomes.append(Redriven(message["MessageId"], "message", 1, False, "would resend"))
            continue
        attributes = message.get("MessageAttributes", {})
        sqs.send_message(
            QueueUrl=queue,
            MessageBody=message["Body"],
            **({"MessageAttributes": attributes} if attributes else {}),
        )
        sqs.delete_message(QueueUrl=dead_letters, ReceiptHandle=message["ReceiptHandle"])
        outcomes.append(Redriven(message["MessageId"], "message", 1, True, "sent to the queue"))
    _release(sqs, dead_letters, held)
    return outcomes


def _release(sqs: Any, queue_url: str, receipts: list[str]) -> None:
    """Make the messages left on the queue visible again, once the run saw every message (each
    stays hidden until then, so one run handles a message at most once)."""
    for start in range(0, len(receipts), RECEIVE_BATCH):
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": receipt, "VisibilityTimeout": 0}
                for index, receipt in enumerate(receipts[start : start + RECEIVE_BATCH])
            ],
        )


def _received(sqs: Any, queue_url: str, limit: int | None) -> Iterator[dict[str, Any]]:
    """Every message of the queue once (each hidden while it is handled), up to `limit`."""
    count = 0
    while limit is None or count < limit:
        wanted = RECEIVE_BATCH if limit is None else min(RECEIVE_BATCH, limit - count)
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=wanted,
            VisibilityTimeout=HIDDEN_SECONDS,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return
        for message in messages:
            count += 1
            yield message


def _batch_pointer(body: str) -> dict[str, Any] | None:
    """The `KinesisBatchInfo` of a Lambda on-failure record, or None for a record's payload."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    info = document.get("KinesisBatchInfo") if isinstance(document, dict) else None
    return info if isinstance(info, dict) else None


def _dead_lettered_record(message: dict[str, Any]) -> DeliveredRecord:
    attributes = message.get("MessageAttributes", {})
    encoding = attributes.get("payload_encoding", {}).get("StringValue", "utf-8")
    body = message["Body"]
    data = base64.b64decode(body) if encoding == "base64" else body.encode()
    return DeliveredRecord(data, attributes["source"]["StringValue"])


def _events_in_range(kinesis: Any, pointer: dict[str, Any]) -> list[UserRecord]:
    """The events of the records from the pointer's first to its last sequence number, read from
    the stream."""
    stream = str(pointer["streamArn"]).rsplit("/", 1)[-1]
    shard = pointer["shardId"]
    first, last = int(pointer["startSequenceNumber"]), int(pointer["endSequenceNumber"])
    try:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream,
            ShardId=shard,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=pointer["startSequenceNumber"],
        )["ShardIterator"]
    except (
        kinesis.exceptions.InvalidArgumentException,
        kinesis.exceptions.ResourceNotFoundException,
    ):
        return []
    found: list[UserRecord] = []
    while iterator:
        response = kinesis.get_records(ShardIterator=iterator, Limit=1000)
        for record in response["Records"]:
            sequence = int(record["SequenceNumber"])
            if sequence > last:
                return found
            if sequence >= first:
                found.extend(split_record(record))
        if not response["Records"] and response.get("MillisBehindLatest", 0) == 0:
            return found
        iterator = response.get("NextShardIterator")
    return found


def _settle(
    sqs: Any,
    queue_url: str,
    message: dict[str, Any],
    *,
    kind: str,
    key: str,
    records: list[DeliveredRecord],
    lake: LakeFiles,
    dry_run: bool,
) -> Redriven:
    message_id = message["MessageId"]
    receipt = message["ReceiptHandle"]
    if not records:
        return Redriven(
            message_id, kind, 0, False, "no record of the batch is in the stream any more"
        )
    if dry_run:
        return Redriven(message_id, kind, len(records), False, f"would land as {key}")
    report = land(Batch(key, tuple(records)), lake)
    if not report.ok:
        return Redriven(message_id, kind, len(records), False, "landing failed; see the log")
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)
    logger.info("dead letter redriven", extra={"message_id": message_id, "key": key})
    return Redriven(message_id, kind, len(records), True, f"landed as {key}")
