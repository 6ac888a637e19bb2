"""`KinesisSink`: records into a Kinesis Data Stream with PutRecords (500 records / 5 MiB a call).

By default the records of a call go on the stream as KPL aggregated records, several events each
(`kinesis_aggregation`; `SALESFLOW_KINESIS_AGGREGATION=false` puts one record per event), each
gzip-compressed (`contract.stream_compression`; `SALESFLOW_KINESIS_COMPRESSION=false` puts them
as they are). The packing and the call's limits count the bytes before compression, which never
adds any.
PutRecords is not atomic: a throttled shard fails some records of a call and writes the rest.
The writer reports exactly which events failed (every event of a failed aggregated record) so
only those are retried, and a request is answered only once each of its events was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Unpack

from contract import stream_compression
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
from ingest_api.sinks.kinesis_aggregation import (
    AGGREGATED_CALL_BYTES,
    CALL_BYTES,
    PackedRecord,
    pack,
    packed_size,
)

PUT_RECORDS_LIMITS = CallLimits(max_records=500, max_bytes=CALL_BYTES)
AGGREGATED_LIMITS = CallLimits(max_records=15_000, max_bytes=AGGREGATED_CALL_BYTES)
"""Events per call when they are packed: the packed bytes bind (`pack` keeps a call under 500
entries). 15,000 is about what 5 MiB holds of the smallest valid events (some 320 bytes on the
wire): a queue that long is a full call, sent without waiting out the linger."""


class KinesisWriter:
    def __init__(
        self, client: Any, stream_name: str, *, aggregate: bool = True, compress: bool = True
    ) -> None:
        self._client = client
        self._stream_name = stream_name
        self._aggregate = aggregate
        self._compress = compress
        self.limits = AGGREGATED_LIMITS if aggregate else PUT_RECORDS_LIMITS

    def size_of(self, record: Record) -> int:
        """Kinesis counts the data and the partition key against a call's 5 MiB; packed, each
        event also counts the aggregate's framing."""
        if self._aggregate:
            return packed_size(record)
        return len(record.data) + len(record.partition_key.encode())

    def put(self, records: Sequence[Record]) -> list[RecordFailure | None]:
        """One PutRecords call; every event of an entry the stream refused is reported failed."""
        entries = (
            pack(records)
            if self._aggregate
            else [
                PackedRecord(r.partition_key, r.data, range(i, i + 1))
                for i, r in enumerate(records)
            ]
        )
        if self._compress:
            entries = [
                replace(entry, data=stream_compression.compress(entry.data)) for entry in entries
            ]
        response = self._client.put_records(
            StreamName=self._stream_name, Records=[_request_entry(entry) for entry in entries]
        )
        failures: list[RecordFailure | None] = [None] * len(records)
        for entry, result in zip(entries, response["Records"], strict=True):
            if "ErrorCode" in result:
                failure = RecordFailure(code=result["ErrorCode"], retryable=True)
                for position in entry.members:
                    failures[position] = failure
        return failures

    def probe(self) -> str:
        summary = self._client.describe_stream_summary(StreamName=self._stream_name)
        status: str = summary["StreamDescriptionSummary"]["StreamStatus"]
        if status not in ("ACTIVE", "UPDATING"):
            raise RuntimeError(f"stream {self._stream_name} is {status}")
        return f"kinesis stream {self._stream_name} is {status}"


def _request_entry(entry: PackedRecord) -> dict[str, Any]:
    request: dict[str, Any] = {"Data": entry.data, "PartitionKey": entry.partition_key}
    if entry.explicit_hash_key is not None:
        request["ExplicitHashKey"] = entry.explicit_hash_key
    return request


class KinesisSink(CoalescingSink):
    def __init__(
        self,
        client: Any,
        stream_name: str,
        *,
        aggregate: bool = True,
        compress: bool = True,
        **options: Unpack[CoalescingOptions],
    ) -> None:
        super().__init__(
            KinesisWriter(client, stream_name, aggregate=aggregate, compress=compress),
            name="kinesis",
            **options,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, observer: PublishObserver | None = None
    ) -> KinesisSink:
        return cls(
            sink_client(settings, "kinesis"),
            settings.stream_name,
            aggregate=settings.kinesis_aggregation,
            compress=settings.kinesis_compression,
            **coalescing_options(settings, observer),
        )
