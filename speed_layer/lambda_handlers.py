"""Lambda handlers for the Kinesis and SQS event source mappings, around the same `land()`.

Configure the mappings with `ReportBatchItemFailures`. The whole delivered batch is landed in one
call (one file per ingest hour), then Powertools' `BatchProcessor` turns the outcome into
`batchItemFailures`:

- SQS: exactly the messages whose file could not be written are reported; Lambda redelivers
  only those, and the queue's redrive policy moves them to the DLQ after `maxReceiveCount`.
- Kinesis: a failed write fails the whole batch. Lambda retries the same batch, which gets the
  same `{shard}-{first}-{last}` key and overwrites its files, so nothing is duplicated; after
  the mapping's `MaximumRetryAttempts` the on-failure destination (the DLQ) gets the batch.
  Reporting only some records would make Lambda resume mid-batch under a new key and land the
  already-written hours twice.

Invalid records are not failures: they are quarantined and never block the shard. Lambda hands
over aggregated records as they are on the stream (its batch size counts them as one record
each); the handler splits them into their events (`deaggregation`), and the batch key names the
first and last event's position, sub-sequence number included.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from contract.lake_io import LakeFiles
from contract.settings import Settings
from contract.structured_logging import configure_logging
from speed_layer.deaggregation import split_lambda_records
from speed_layer.errors import RecordNotLandedError
from speed_layer.landing import land, warm_up
from speed_layer.records import Batch, DeliveredRecord, kinesis_batch_key, sqs_batch_key


class KinesisLanding:
    def __init__(self, lake: LakeFiles) -> None:
        self._lake = lake

    def __call__(
        self, event: dict[str, Any], context: LambdaContext | None
    ) -> PartialItemFailureResponse:
        raw = event["Records"]
        shard_id = raw[0]["eventID"].split(":", 1)[0]
        events = split_lambda_records(raw)
        batch = Batch(
            kinesis_batch_key(shard_id, events[0].position, events[-1].position),
            tuple(DeliveredRecord(e.data, f"{shard_id}:{e.position}") for e in events),
        )
        report = land(batch, self._lake)

        def check(record: KinesisStreamRecord) -> None:
            if not report.ok:
                raise RecordNotLandedError(f"batch {batch.key} failed to land")

        return process_partial_response(
            event=event,
            record_handler=check,
            processor=BatchProcessor(event_type=EventType.KinesisDataStreams),
            context=context,
        )


class SqsLanding:
    def __init__(self, lake: LakeFiles) -> None:
        self._lake = lake

    def __call__(
        self, event: dict[str, Any], context: LambdaContext | None
    ) -> PartialItemFailureResponse:
        raw = event["Records"]
        message_ids = [record["messageId"] for record in raw]
        batch = Batch(
            sqs_batch_key(message_ids),
            tuple(
                DeliveredRecord(record["body"].encode(), f"sqs:{record['messageId']}")
                for record in raw
            ),
        )
        report = land(batch, self._lake)
        failed = {message_ids[position] for position in report.failed}

        def check(record: SQSRecord) -> None:
            if record.message_id in failed:
                raise RecordNotLandedError(f"message {record.message_id} failed to land")

        return process_partial_response(
            event=event,
            record_handler=check,
            processor=BatchProcessor(event_type=EventType.SQS),
            context=context,
        )


@cache
def _lake() -> LakeFiles:
    """Built once per Lambda execution environment (cold start), from SALESFLOW_* variables."""
    configure_logging()
    warm_up()
    settings = Settings()
    return LakeFiles.open(settings.lake_uri, settings)


def kinesis_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Lambda entry point `speed_layer.lambda_handlers.kinesis_handler`."""
    return KinesisLanding(_lake())(event, context)


def sqs_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Lambda entry point `speed_layer.lambda_handlers.sqs_handler`."""
    return SqsLanding(_lake())(event, context)
