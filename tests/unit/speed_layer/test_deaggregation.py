"""Compressed stream records through the consumers' splitter: the same events at the same
positions as the uncompressed record, for boto3's, Lambda's and the KCL's shapes of a record; a
record that does not inflate reaches `land()` whole and its quarantine entry says why."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from contract.lake_io import LakeFiles
from contract.settings import Settings
from contract.stream_compression import compress
from ingest_api.sinks.base import Record
from ingest_api.sinks.kinesis_aggregation import pack
from speed_layer import Batch, DeliveredRecord, land
from speed_layer.deaggregation import UserRecord, split_kcl_record, split_record
from tests.unit.speed_layer.wire_events import wire_records

SEQUENCE = "49658000000000000000000000000000000000000000000000000002"


def _aggregate(payloads: list[bytes]) -> bytes:
    (entry,) = pack([Record(data, f"STORE-{n % 3}") for n, data in enumerate(payloads)])
    return entry.data


def _got(data: bytes) -> dict[str, Any]:
    return {"Data": data, "PartitionKey": "STORE-0", "SequenceNumber": SEQUENCE}


def _kcl(data: bytes, sub_sequence: int = 0) -> dict[str, Any]:
    return {
        "action": "record",
        "data": base64.b64encode(data).decode(),
        "partitionKey": "STORE-0",
        "sequenceNumber": SEQUENCE,
        "subSequenceNumber": sub_sequence,
        "approximateArrivalTimestamp": 1763733912987,
    }


def _shape(events: list[UserRecord]) -> list[tuple[bytes, str, str]]:
    return [(e.data, e.partition_key, e.position) for e in events]


def test_a_compressed_aggregate_splits_into_the_same_events_at_the_same_positions(make_event):
    aggregate = _aggregate(wire_records(make_event, 7))
    compressed = compress(aggregate)
    assert len(compressed) < len(aggregate) / 2

    events = split_record(_got(aggregate))
    assert [e.position for e in events] == [SEQUENCE] + [f"{SEQUENCE}.{n}" for n in range(1, 7)]
    assert [e.partition_key for e in events] == [f"STORE-{n % 3}" for n in range(7)]
    assert _shape(split_record(_got(compressed))) == _shape(events)
    assert _shape(split_kcl_record(_kcl(compressed))) == _shape(events)


def test_a_compressed_plain_record_is_one_event_at_its_sequence_number(make_event):
    (payload,) = wire_records(make_event, 1)
    for events in (
        split_record(_got(compress(payload))),
        split_kcl_record(_kcl(compress(payload))),
    ):
        assert _shape(events) == [(payload, "STORE-0", SEQUENCE)]


def test_the_kcl_s_own_sub_records_pass_as_the_kcl_numbered_them(make_event):
    (payload,) = wire_records(make_event, 1)
    assert _shape(split_kcl_record(_kcl(payload, sub_sequence=4))) == [
        (payload, "STORE-0", f"{SEQUENCE}.4")
    ]


def test_a_record_that_does_not_inflate_is_quarantined_whole_with_the_reason(
    make_event, tmp_path: Path
):
    good = wire_records(make_event, 2)
    truncated = compress(_aggregate(good))[:-20]
    (whole,) = split_record(_got(truncated))
    assert _shape([whole]) == [(truncated, "STORE-0", SEQUENCE)]
    assert _shape(split_kcl_record(_kcl(truncated))) == [(truncated, "STORE-0", SEQUENCE)]

    lake = LakeFiles.open(str(tmp_path / "lake"), Settings())
    report = land(Batch("k", (DeliveredRecord(whole.data, f"shard-1:{whole.position}"),)), lake)
    assert (report.landed, report.quarantined) == (0, 1)
    (entry,) = [json.loads(line) for line in lake.open_input(report.files[0]).read().splitlines()]
    assert entry["reason"] == "(record): a compressed stream record: the gzip member is truncated"
    assert base64.b64decode(entry["payload_base64"]) == truncated, "kept byte for byte"
