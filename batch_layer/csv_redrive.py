"""Landed CSV exports whose load kept failing, loaded again from their dead-letter queue.

Each message stays hidden until the run has seen them all, so one run tries an export once.
The CSV Lambda is invoked asynchronously by the lake bucket; after its retries, Lambda parks the
invocation's event (the S3 notification naming the object) in the CSV dead-letter queue
(`SALESFLOW_CSV_DEAD_LETTER_QUEUE_NAME`).
`salesflow load-csv --dead-letters` reads each event and runs the same handler on it, here, with
the operator's credentials, then deletes the message: an export that loaded already is skipped by
its digest (the load is idempotent), one refused whole gets its note in the CSV quarantine as the
Lambda would have written it. A message whose load fails again stays on the queue.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from batch_layer.csv_lambda import handler
from contract.aws import aws_client
from contract.settings import Settings

logger = logging.getLogger(__name__)

RECEIVE_BATCH = 10
HIDDEN_SECONDS = 900
"""How long a message stays hidden while its export loads (a Lambda's longest run)."""


@dataclass(frozen=True)
class CsvRedriven:
    message_id: str
    keys: tuple[str, ...]
    done: bool
    detail: str


def redrive_csv_dead_letters(
    settings: Settings, *, limit: int | None = None, dry_run: bool = False
) -> list[CsvRedriven]:
    sqs = aws_client(settings, "sqs")
    queue_url = sqs.get_queue_url(QueueName=settings.csv_dead_letter_queue_name)["QueueUrl"]
    outcomes: list[CsvRedriven] = []
    held: list[str] = []
    while limit is None or len(outcomes) < limit:
        wanted = RECEIVE_BATCH if limit is None else min(RECEIVE_BATCH, limit - len(outcomes))
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=wanted,
            VisibilityTimeout=HIDDEN_SECONDS,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            outcome = _redrive(sqs, queue_url, message, settings, dry_run)
            outcomes.append(outcome)
            if not outcome.done:
                held.append(message["ReceiptHandle"])
    for start in range(0, len(held), RECEIVE_BATCH):
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": receipt, "VisibilityTimeout": 0}
                for index, receipt in enumerate(held[start : start + RECEIVE_BATCH])
            ],
        )
    return outcomes


def _redrive(
    sqs: Any, queue_url: str, message: dict[str, Any], settings: Settings, dry_run: bool
) -> CsvRedriven:
    receipt = message["ReceiptHandle"]
    event = json.loads(message["Body"])
    keys = tuple(record["s3"]["object"]["key"] for record in event.get("Records", []))
    if dry_run:
        return CsvRedriven(message["MessageId"], keys, False, "would load again")
    try:
        summary = handler(event, None, settings)
    except Exception as error:  # whatever failed the Lambda: report it, keep the message
        logger.warning("csv dead letter failed again", extra={"keys": keys, "error": str(error)})
        return CsvRedriven(message["MessageId"], keys, False, f"failed again: {error}")
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)
    counts = {outcome: len(summary[outcome]) for outcome in ("loaded", "pending", "rejected")}
    detail = ", ".join(f"{count} {outcome}" for outcome, count in counts.items() if count)
    return CsvRedriven(message["MessageId"], keys, True, detail or "nothing to load")
