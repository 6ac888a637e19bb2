"""`SqsSink`: records into an SQS queue with SendMessageBatch (10 messages / 256 KiB a call).

Standard queues have no partition key; the record's key is not sent. Entries SQS refuses as the
sender's fault are not retried (they would fail again); the others are.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Unpack

from contract.settings import Settings
from ingest_api.sinks.base import PublishObserver, Record
from ingest_api.sinks.clients import sink_client
from ingest_api.sinks.coalescing import (
    CallLimits,
    CoalescingOptions,
    CoalescingSink,
    RecordFailure,
    coalescing_options,
)

SEND_MESSAGE_BATCH_LIMITS = CallLimits(max_records=10, max_bytes=256 * 1024)


class SqsWriter:
    limits = SEND_MESSAGE_BATCH_LIMITS

    def __init__(self, client: Any, queue_name: str) -> None:
        self._client = client
        self._queue_name = queue_name
        self._queue_url: str | None = None
        self._lock = threading.Lock()

    def size_of(self, record: Record) -> int:
        return len(record.data)

    def put(self, records: Sequence[Record]) -> list[RecordFailure | None]:
        response = self._client.send_message_batch(
            QueueUrl=self._url(),
            Entries=[
                {"Id": str(index), "MessageBody": record.data.decode()}
                for index, record in enumerate(records)
            ],
        )
        failures: list[RecordFailure | None] = [None] * len(records)
        for entry in response.get("Failed", []):
            failures[int(entry["Id"])] = RecordFailure(
                code=entry["Code"], retryable=not entry.get("SenderFault", False)
            )
        acknowledged = {int(entry["Id"]) for entry in response.get("Successful", [])}
        for index in range(len(records)):
            if failures[index] is None and index not in acknowledged:
                failures[index] = RecordFailure(code="NotAcknowledged", retryable=True)
        return failures

    def probe(self) -> str:
        return f"sqs queue {self._url()} reachable"

    def _url(self) -> str:
        with self._lock:
            if self._queue_url is None:
                response = self._client.get_queue_url(QueueName=self._queue_name)
                self._queue_url = str(response["QueueUrl"])
            return self._queue_url


class SqsSink(CoalescingSink):
    def __init__(self, client: Any, queue_name: str, **options: Unpack[CoalescingOptions]) -> None:
        super().__init__(SqsWriter(client, queue_name), name="sqs", **options)

    @classmethod
    def from_settings(cls, settings: Settings, observer: PublishObserver | None = None) -> SqsSink:
        return cls(
            sink_client(settings, "sqs"),
            settings.queue_name,
            **coalescing_options(settings, observer),
        )
