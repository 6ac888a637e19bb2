"""Kinesis records to the events they carry: KPL aggregated records split, plain ones as they are.

The ingest API packs the events of a PutRecords call into aggregated records
(`ingest_api.sinks.kinesis_aggregation`), unless aggregation is off; a stream may hold both kinds
(records written before aggregation, or with it switched off). The Python consumers (the local
poller, the Lambda handler, the redrive tool) split them with the published `aws-kinesis-agg`
library; the KCL does it itself and hands `kcl_processor` the sub-records with their
sub-sequence numbers.

A record that carries the magic bytes but whose MD5 does not match, or whose protobuf does not
parse, is a plain record to the library, and so goes to `land()` whole, which quarantines it.
So does a well-formed aggregate that carries no event (our producer never writes one): the
library yields nothing for it, and a record that vanished would leave its batch without a
position to checkpoint, or without anything to say it was ever read.

A gzip-compressed record (`contract.stream_compression`, what the ingest API writes unless
`SALESFLOW_KINESIS_COMPRESSION=false`) is inflated first and then split like any other, its events
numbered by their place in the aggregate it held. The KCL does not know the format: it hands such
a record over whole, and `split_kcl_record` does the rest. A record that starts like gzip but
does not inflate goes to `land()` whole, whose quarantine says so.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_kinesis_agg.deaggregator import iter_deaggregate_records

from contract import stream_compression
from speed_layer.records import kinesis_position


@dataclass(frozen=True, slots=True)
class UserRecord:
    """One event as the producer put it: its bytes and its place in the shard."""

    data: bytes
    partition_key: str
    """The event's own key (the store id), kept in the aggregate's key table."""
    sequence: str
    """The Kinesis record's sequence number (what a shard iterator and a checkpoint name)."""
    sub_sequence: int
    """Its place in an aggregated record; 0 for a plain record."""

    @property
    def position(self) -> str:
        return kinesis_position(self.sequence, self.sub_sequence)


def split_lambda_records(records: Iterable[Mapping[str, Any]]) -> list[UserRecord]:
    """The events of a Lambda Kinesis event's records (`{"kinesis": {"data": base64, ...}}`);
    a record that yields none is kept whole, for `land()` to quarantine."""
    split: list[UserRecord] = []
    for record in records:
        events = [_user_record(event) for event in iter_deaggregate_records([_inflated(record)])]
        split += events or [_user_record(record)]
    return split


def split_kcl_record(record: Mapping[str, Any]) -> list[UserRecord]:
    """The events of one record as the KCL's MultiLangDaemon hands it over (base64 `data`,
    camel-case keys): the KCL has already split KPL aggregates, so only a compressed record
    still holds several."""
    data = base64.b64decode(record["data"])
    if stream_compression.is_compressed(data):
        return split_lambda_records(
            [_lambda_shaped(record["partitionKey"], record["sequenceNumber"], data)]
        )
    return [
        UserRecord(
            data,
            record["partitionKey"],
            record["sequenceNumber"],
            int(record.get("subSequenceNumber") or 0),
        )
    ]


def _inflated(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with its data inflated when it is compressed; as it is otherwise, or when its
    data does not inflate (for `land()` to quarantine)."""
    data = base64.b64decode(record["kinesis"]["data"])
    if not stream_compression.is_compressed(data):
        return dict(record)
    try:
        payload = stream_compression.decompress(data)
    except stream_compression.CompressedRecordError:
        return dict(record)
    return {**record, "kinesis": {**record["kinesis"], "data": base64.b64encode(payload)}}


def _user_record(record: Mapping[str, Any]) -> UserRecord:
    return UserRecord(
        base64.b64decode(record["kinesis"]["data"]),
        record["kinesis"]["partitionKey"],
        record["kinesis"]["sequenceNumber"],
        int(record["kinesis"].get("subSequenceNumber", 0)),
    )


def split_record(record: Mapping[str, Any]) -> list[UserRecord]:
    """The events of one record as boto3's GetRecords returns it (raw bytes in `Data`)."""
    return split_lambda_records(
        [_lambda_shaped(record["PartitionKey"], record["SequenceNumber"], record["Data"])]
    )


def _lambda_shaped(partition_key: str, sequence: str, data: bytes) -> dict[str, Any]:
    """A record in the shape of a Lambda Kinesis event's, the one the library splits."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence,
            "approximateArrivalTimestamp": 0,
            "data": base64.b64encode(data),
        }
    }
