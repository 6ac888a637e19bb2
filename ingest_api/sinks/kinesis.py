"""`KinesisSink`: records into a Kinesis Data Stream with PutRecords (500 records / 5 MiB a call).

PutRecords is not atomic: a throttled shard fails some records of a call and writes the rest.
The writer reports exactly which ones failed so only those are retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract.settings import Settings
from ingest_api.sinks.base import PublishObserver, Record
from ingest_api.sinks.clients import sink_client
from ingest_api.sinks.coalescing import (
    DEFAULT_MAX_CALLS_IN_FLIGHT,
    CallLimits,
    CoalescingSink,
    RecordFailure,
)

PUT_RECORDS_LIMITS = CallLimits(max_records=500, max_bytes=5 * 1024 * 1024)


class KinesisWriter:
    limits = PUT_RECORDS_LIMITS

    def __init__(self, client: Any, stream_name: str) -> None:
        self._client = client
        self._stream_name = stream_name

    def size_of(self, record: Record) -> int:
        """Kinesis counts the data and the partition key against a call's 5 MiB."""
        return len(record.data) + len(record.partition_key.encode())

    def put(self, records: Sequence[Record]) -> list[RecordFailure | None]:
        response = self._client.put_records(
            StreamName=self._stream_name,
            Records=[{"Data": r.data, "PartitionKey": r.partition_key} for r in records],
        )
        return [
            RecordFailure(code=entry["ErrorCode"], retryable=True) if "ErrorCode" in entry else None
            for entry in response["Records"]
        ]

    def probe(self) -> str:
        summary = self._client.describe_stream_summary(StreamName=self._stream_name)
        status: str = summary["StreamDescriptionSummary"]["StreamStatus"]
        if status not in ("ACTIVE", "UPDATING"):
            raise RuntimeError(f"stream {self._stream_name} is {status}")
        return f"kinesis stream {self._stream_name} is {status}"


class KinesisSink(CoalescingSink):
    def __init__(
        self,
        client: Any,
        stream_name: str,
        *,
        linger_seconds: float,
        budget_seconds: float,
        observer: PublishObserver | None = None,
        max_calls_in_flight: int = DEFAULT_MAX_CALLS_IN_FLIGHT,
    ) -> None:
        super().__init__(
            KinesisWriter(client, stream_name),
            name="kinesis",
            linger_seconds=linger_seconds,
            budget_seconds=budget_seconds,
            observer=observer,
            max_calls_in_flight=max_calls_in_flight,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, observer: PublishObserver | None = None
    ) -> KinesisSink:
        return cls(
            sink_client(settings, "kinesis"),
            settings.stream_name,
            linger_seconds=settings.publish_linger_ms / 1000,
            budget_seconds=settings.publish_budget_seconds,
            observer=observer,
        )
