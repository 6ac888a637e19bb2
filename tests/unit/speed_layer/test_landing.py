from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from contract.arrow_schema import MONEY_TYPE
from contract.bronze import BRONZE_SCHEMA
from contract.content_digest import CONTENT_DIGEST, content_digest
from contract.event import IngestedSaleEvent
from contract.lake import LakeLocation, bronze_partition
from contract.lake_io import LakeFiles
from contract.settings import Settings
from contract.wire import encode
from speed_layer import Batch, DeliveredRecord, land
from speed_layer.landing import warm_up
from speed_layer.records import kinesis_batch_key, sqs_batch_key
from tests.unit.speed_layer.wire_events import bronze_event_ids, ingested_event, wire_records

NOON = datetime(2026, 11, 21, 12, 0, 5, tzinfo=UTC)


@pytest.fixture
def lake(tmp_path: Path) -> LakeFiles:
    return LakeFiles.open(str(tmp_path / "lake"), Settings())


def batch_of(key: str, payloads: list[bytes]) -> Batch:
    return Batch(key, tuple(DeliveredRecord(p, f"shard-1:{i}") for i, p in enumerate(payloads)))


def test_a_batch_lands_as_one_parquet_file_with_the_contract_schema(make_event, lake):
    events = [ingested_event(make_event, NOON) for _ in range(3)]
    report = land(batch_of("shard-1-10-12", [encode(e) for e in events]), lake)

    assert report.ok
    assert (report.landed, report.quarantined) == (3, 0)
    assert report.files == (f"{bronze_partition(NOON)}/shard-1-10-12.parquet",)
    table = pq.read_table(lake.location.path(report.files[0]))
    assert table.schema.equals(BRONZE_SCHEMA)
    assert table.schema.field("total").type == MONEY_TYPE
    rows = table.drop_columns([CONTENT_DIGEST]).to_pylist()
    assert [IngestedSaleEvent.model_validate(r, strict=False) for r in rows] == events
    assert table.column(CONTENT_DIGEST).to_pylist() == [content_digest(e) for e in events]


def test_a_batch_straddling_hours_writes_one_file_per_hour(make_event, lake):
    before, after = NOON - timedelta(seconds=10), NOON + timedelta(hours=1)
    payloads = wire_records(make_event, 2, before) + wire_records(make_event, 3, after)
    report = land(batch_of("k", payloads), lake)

    assert sorted(report.files) == [
        f"{bronze_partition(before)}/k.parquet",
        f"{bronze_partition(after)}/k.parquet",
    ]
    assert [lake.parquet_row_count(f) for f in sorted(report.files)] == [2, 3]


def test_a_redelivered_batch_overwrites_its_own_file(make_event, lake):
    payloads = wire_records(make_event, 4, NOON)
    land(batch_of(kinesis_batch_key("shardId-0", "1", "4"), payloads), lake)
    land(batch_of(kinesis_batch_key("shardId-0", "1", "4"), payloads), lake)

    ids = bronze_event_ids(lake.location, lake.filesystem)
    assert sorted(ids) == sorted(json.loads(p)["event_id"] for p in payloads)


def test_invalid_records_are_quarantined_with_reason_and_payload_and_the_rest_lands(
    make_event, lake
):
    good = wire_records(make_event, 2, NOON)
    wrong_total = json.loads(good[0]) | {"event_id": "EV-WRONG-TOTAL", "total": "1.00"}
    poison = [b"{not json", b"\xff\xfe binary", json.dumps(wrong_total).encode()]
    report = land(batch_of("mixed", [good[0], *poison, good[1]]), lake)

    assert report.ok
    assert (report.landed, report.quarantined) == (2, 3)
    assert sorted(bronze_event_ids(lake.location, lake.filesystem)) == sorted(
        json.loads(p)["event_id"] for p in good
    )
    (quarantine_file,) = [f for f in report.files if f.endswith(".jsonl")]
    assert quarantine_file.startswith("bronze/_quarantine/quarantined_date=")
    assert quarantine_file.endswith("/mixed.jsonl")
    entries = [json.loads(line) for line in lake.open_input(quarantine_file).read().splitlines()]
    assert [e["source"] for e in entries] == ["shard-1:1", "shard-1:2", "shard-1:3"]
    assert entries[0]["payload"] == "{not json"
    assert "json" in entries[0]["reason"].lower()
    assert entries[1]["payload_base64"] == "//4gYmluYXJ5"
    assert "total 1.00 does not equal" in entries[2]["reason"]
    assert all(
        datetime.fromisoformat(e["quarantined_at"]).utcoffset() == timedelta(0) for e in entries
    )


def test_a_failed_write_reports_exactly_the_records_of_that_hour(make_event, lake):
    later = NOON + timedelta(hours=1)
    blocked = Path(lake.location.path(bronze_partition(later)))
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the hour folder should be")
    payloads = wire_records(make_event, 2, NOON) + wire_records(make_event, 2, later)
    report = land(batch_of("k", payloads), lake)

    assert not report.ok
    assert report.failed == (2, 3)
    assert report.landed == 2
    assert report.files == (f"{bronze_partition(NOON)}/k.parquet",)
    assert lake.parquet_row_count(report.files[0]) == 2


def test_interleaved_hours_a_bad_record_and_a_failed_write_are_reported_by_position(
    make_event, lake
):
    later = NOON + timedelta(hours=1)
    blocked = Path(lake.location.path(bronze_partition(later)))
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the hour folder should be")
    now, next_hour = wire_records(make_event, 2, NOON), wire_records(make_event, 2, later)
    payloads = [next_hour[0], now[0], b"{not json", next_hour[1], now[1]]
    report = land(batch_of("k", payloads), lake)

    assert (report.landed, report.quarantined, report.failed) == (2, 1, (0, 3))
    (landed_file, quarantine_file) = report.files
    assert landed_file == f"{bronze_partition(NOON)}/k.parquet"
    assert sorted(bronze_event_ids(lake.location, lake.filesystem)) == sorted(
        json.loads(p)["event_id"] for p in now
    )
    (entry,) = [json.loads(line) for line in lake.open_input(quarantine_file).read().splitlines()]
    assert entry["source"] == "shard-1:2"


def test_a_failed_hour_does_not_stop_the_later_hours_from_landing(make_event, lake):
    hours = [NOON, NOON + timedelta(hours=1), NOON + timedelta(hours=2)]
    blocked = Path(lake.location.path(bronze_partition(hours[0])))
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the hour folder should be")
    payloads = [record for hour in hours for record in wire_records(make_event, 2, hour)]
    report = land(batch_of("k", payloads), lake)

    assert (report.landed, report.failed) == (4, (0, 1))
    assert report.files == tuple(f"{bronze_partition(hour)}/k.parquet" for hour in hours[1:])


def test_records_whose_quarantine_cannot_be_written_are_reported_failed(make_event, lake):
    blocked = Path(lake.location.path("bronze/_quarantine"))
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the quarantine folder should be")
    good = wire_records(make_event, 2, NOON)
    report = land(batch_of("k", [good[0], b"{not json", good[1], b"[]"]), lake)

    assert (report.landed, report.quarantined, report.failed) == (2, 0, (1, 3))
    assert report.files == (f"{bronze_partition(NOON)}/k.parquet",)


def test_no_temporary_file_is_left_behind(make_event, lake):
    land(batch_of("k", wire_records(make_event, 3, NOON)), lake)
    names = [Path(p).name for p in lake.list_files("bronze")]
    assert names == ["k.parquet"]


def test_batch_keys_are_deterministic():
    assert kinesis_batch_key("shardId-000000000001", "49", "52") == "shardId-000000000001-49-52"
    assert sqs_batch_key(["b", "a"]) == sqs_batch_key(["a", "b"]) != sqs_batch_key(["a"])
    assert sqs_batch_key(["a"]).startswith("sqs-")


def test_lake_location_is_a_uri(tmp_path):
    assert LakeFiles.open(f"file://{tmp_path}", Settings()).location == LakeLocation.parse(
        str(tmp_path)
    )


def test_warming_up_runs_the_parquet_writer_once_on_an_empty_batch():
    warm_up()  # the pollers call it at start; it must not fail there
