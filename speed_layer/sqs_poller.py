"""The local SQS poller: ReceiveMessage, land, then DeleteMessage, like Lambda's SQS mapping.

Messages are buffered up to `batch_size` or the batching window and landed together. Only the
messages that landed (or were quarantined) are deleted. A failed message is made visible again
after a backoff; once its receive count reaches `max_attempts` it is sent to the dead-letter
queue and then deleted. SQS has no sequence numbers, so a crash between the file and the delete
can land a message twice under a different key: readers dedupe by event_id (docs/speed_layer.md).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from contract.lake_io import LakeFiles
from speed_layer.batching import AWS_ERRORS, ERROR_PAUSE_SECONDS, BatchingPolicy
from speed_layer.dead_letters import SQS_BATCH_LIMIT, DeadLetterQueue
from speed_layer.landing import land
from speed_layer.records import Batch, DeliveredRecord, sqs_batch_key

logger = logging.getLogger(__name__)

LONG_POLL_SECONDS = 1


class SqsPoller:
    def __init__(
        self,
        *,
        sqs_client: Any,
        queue_url: str,
        lake: LakeFiles,
        dead_letters: DeadLetterQueue,
        policy: BatchingPolicy,
        stop: threading.Event,
    ) -> None:
        self._sqs = sqs_client
        self._queue_url = queue_url
        self._lake = lake
        self._dead_letters = dead_letters
        self._policy = policy
        self._stop = stop
        self._buffer: list[dict[str, Any]] = []
        self._first_buffered_at = 0.0

    def run(self) -> None:
        logger.info("polling SQS queue %s", self._queue_url)
        while not self._stop.is_set():
            try:
                self._cycle()
            except AWS_ERRORS:
                logger.exception("AWS call failed; retrying in %s s", ERROR_PAUSE_SECONDS)
                self._stop.wait(ERROR_PAUSE_SECONDS)
        if self._buffer:
            self._flush()
        logger.info("stopped polling SQS queue %s", self._queue_url)

    def _cycle(self) -> None:
        self._receive()
        window_over = time.monotonic() - self._first_buffered_at >= self._policy.window_seconds
        if self._buffer and (len(self._buffer) >= self._policy.batch_size or window_over):
            self._flush()

    def _receive(self) -> None:
        wanted = min(SQS_BATCH_LIMIT, self._policy.batch_size - len(self._buffer))
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=wanted,
            WaitTimeSeconds=0 if self._buffer else LONG_POLL_SECONDS,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        messages = response.get("Messages", [])
        if messages and not self._buffer:
            self._first_buffered_at = time.monotonic()
        self._buffer.extend(messages)
        if not messages and self._buffer:
            self._stop.wait(min(self._policy.idle_poll_seconds, self._policy.window_seconds))

    def _flush(self) -> None:
        messages, self._buffer = self._buffer, []
        batch = Batch(
            sqs_batch_key(m["MessageId"] for m in messages),
            tuple(DeliveredRecord(m["Body"].encode(), f"sqs:{m['MessageId']}") for m in messages),
        )
        report = land(batch, self._lake)
        failed = set(report.failed)
        self._delete([m for position, m in enumerate(messages) if position not in failed])
        exhausted = []
        for position in sorted(failed):
            attempts = int(messages[position]["Attributes"]["ApproximateReceiveCount"])
            if attempts >= self._policy.max_attempts:
                exhausted.append(position)
            else:
                self._sqs.change_message_visibility(
                    QueueUrl=self._queue_url,
                    ReceiptHandle=messages[position]["ReceiptHandle"],
                    VisibilityTimeout=int(self._policy.backoff_seconds(attempts) + 0.5),
                )
        if exhausted:
            self._dead_letters.send(
                [batch.records[position] for position in exhausted],
                reason=f"could not write to the lake {self._lake.location.uri} "
                f"after {self._policy.max_attempts} attempts",
                attempts=self._policy.max_attempts,
            )
            self._delete([messages[position] for position in exhausted])

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), SQS_BATCH_LIMIT):
            chunk = messages[start : start + SQS_BATCH_LIMIT]
            response = self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
                ],
            )
            if response.get("Failed"):
                logger.warning(
                    "%s landed messages were not deleted and will be redelivered; readers "
                    "dedupe them by event_id",
                    len(response["Failed"]),
                )
