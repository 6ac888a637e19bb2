"""`KinesisSink`: records into a Kinesis Data Stream with PutRecords (500 records / 5 MiB a call).

PutRecords is not atomic: a throttled shard fails some records of a call and writes the rest.
The writer reports exactly which ones failed so only those are retried.
"""

from __future__ import annotations

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
    def __init__(self, client: Any, stream_name: str, **options: Unpack[CoalescingOptions]) -> None:
        super().__init__(KinesisWriter(client, stream_name), name="kinesis", **options)

    @classmethod
    def from_settings(
        cls, settings: Settings, observer: PublishObserver | None = None
    ) -> KinesisSink:
        return cls(
            sink_client(settings, "kinesis"),
            settings.stream_name,
            **coalescing_options(settings, observer),
        )
