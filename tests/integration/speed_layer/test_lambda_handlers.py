"""The Lambda handlers, invoked as the Lambda runtime would, with realistic event JSON."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aws_kinesis_agg
import pytest
from aws_kinesis_agg.messages_pb2 import AggregatedRecord
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from contract.lake import bronze_partition
from contract.lake_io import LakeFiles
from contract.settings import Settings
from contract.stream_compression import compress
from ingest_api.sinks.base import Record
from ingest_api.sinks.kinesis_aggregation import pack
from speed_layer.lambda_handlers import KinesisLanding, SqsLanding
from tests.conftest import load_event
from tests.integration.speed_layer.stack import (
    REPO_ROOT,
    create_resources,
    s3_lake_uri,
    settings_env,
)
from tests.unit.speed_layer.wire_events import bronze_event_ids, wire_records

FIRST_SEQUENCE = 49590338271490256608559692538361571095921575989136588898


def kinesis_event(payloads: list[bytes], shard_id: str = "shardId-000000000006") -> dict[str, Any]:
    template = load_event("lambda_kinesis")
    records = []
    for offset, data in enumerate(payloads):
        record = copy.deepcopy(template["Records"][0])
        sequence = str(FIRST_SEQUENCE + offset * 1000)
        record["kinesis"].update(data=base64.b64encode(data).decode(), sequenceNumber=sequence)
        record["eventID"] = f"{shard_id}:{sequence}"
        records.append(record)
    return {"Records": records}


def sqs_event(payloads: list[bytes]) -> dict[str, Any]:
    template = load_event("lambda_sqs")
    records = []
    for data in payloads:
        record = copy.deepcopy(template["Records"][0])
        record.update(body=data.decode(), messageId=str(uuid.uuid4()))
        records.append(record)
    return {"Records": records}


def ids_of(payloads: list[bytes]) -> list[str]:
    return [json.loads(p)["event_id"] for p in payloads]


@pytest.fixture
def s3_lake(moto_settings) -> LakeFiles:
    create_resources(moto_settings, shards=1)
    return LakeFiles.open(s3_lake_uri(moto_settings), moto_settings)


def test_kinesis_handler_lands_the_batch_under_its_sequence_range_and_quarantines_poison(
    s3_lake, make_event
):
    good = wire_records(make_event, 4)
    event = kinesis_event([good[0], b'{"event_id": "EV-POISON-02"}', *good[1:]])
    response = KinesisLanding(s3_lake)(event, None)

    assert response == {"batchItemFailures": []}
    assert Counter(bronze_event_ids(s3_lake.location, s3_lake.filesystem)) == Counter(ids_of(good))
    last = FIRST_SEQUENCE + 4000
    (landed,) = s3_lake.list_files("bronze/sales_events")
    assert landed.endswith(f"/shardId-000000000006-{FIRST_SEQUENCE}-{last}.parquet")
    (quarantined,) = s3_lake.list_files("bronze/_quarantine")
    entry = json.loads(s3_lake.open_input(quarantined).read())
    assert entry["source"] == f"shardId-000000000006:{FIRST_SEQUENCE + 1000}"

    KinesisLanding(s3_lake)(event, None)
    assert Counter(bronze_event_ids(s3_lake.location, s3_lake.filesystem)) == Counter(ids_of(good))


def aggregated(payloads: list[bytes]) -> bytes:
    """The payloads as the ingest API packs them into one aggregated record."""
    (entry,) = pack([Record(data, f"STORE-{n}") for n, data in enumerate(payloads)])
    return entry.data


@pytest.mark.parametrize("compression", [False, True], ids=["plain", "compressed"])
def test_kinesis_handler_splits_aggregated_records_and_a_redelivery_lands_nothing_twice(
    s3_lake, make_event, compression: bool
):
    good = wire_records(make_event, 5)
    poison = b'{"event_id": "EV-POISON-03"}'
    records = [aggregated([good[0], poison, good[1]]), good[2], aggregated([good[3], good[4]])]
    event = kinesis_event([compress(data) if compression else data for data in records])
    assert KinesisLanding(s3_lake)(event, None) == {"batchItemFailures": []}
    KinesisLanding(s3_lake)(event, None)  # Lambda retries the same records

    assert Counter(bronze_event_ids(s3_lake.location, s3_lake.filesystem)) == Counter(ids_of(good))
    (landed,) = s3_lake.list_files("bronze/sales_events")
    last = FIRST_SEQUENCE + 2000
    assert landed.endswith(f"/shardId-000000000006-{FIRST_SEQUENCE}-{last}.1.parquet")
    quarantined = {
        json.loads(s3_lake.open_input(path).read())["source"]
        for path in s3_lake.list_files("bronze/_quarantine")
    }
    assert quarantined == {f"shardId-000000000006:{FIRST_SEQUENCE}.1"}


def test_an_aggregate_without_events_is_quarantined_whole_and_the_rest_lands(s3_lake, make_event):
    """Well-formed, checksum right, no event inside: nothing to land, but not nothing read."""
    good = wire_records(make_event, 2)
    message = AggregatedRecord()
    message.partition_key_table.append("STORE-1")  # a key table, but no record
    no_records = message.SerializeToString()
    empty = aws_kinesis_agg.MAGIC + no_records + hashlib.md5(no_records).digest()
    event = kinesis_event([good[0], empty, good[1]])

    assert KinesisLanding(s3_lake)(event, None) == {"batchItemFailures": []}

    assert Counter(bronze_event_ids(s3_lake.location, s3_lake.filesystem)) == Counter(ids_of(good))
    (quarantined,) = s3_lake.list_files("bronze/_quarantine")
    entry = json.loads(s3_lake.open_input(quarantined).read())
    assert entry["source"] == f"shardId-000000000006:{FIRST_SEQUENCE + 1000}"


def test_kinesis_handler_fails_the_whole_batch_when_the_lake_is_unwritable(
    moto_settings, make_event
):
    create_resources(moto_settings, shards=1)
    missing = LakeFiles.open(f"s3://{moto_settings.lake_bucket}-missing/lake", moto_settings)
    with pytest.raises(BatchProcessingError, match="All records failed"):
        KinesisLanding(missing)(kinesis_event(wire_records(make_event, 3)), None)


def test_sqs_handler_reports_exactly_the_messages_that_did_not_land(tmp_path: Path, make_event):
    lake = LakeFiles.open(str(tmp_path / "lake"), Settings())
    now = datetime.now(UTC)
    blocked_hour = now + timedelta(hours=2)
    blocked = Path(lake.location.path(bronze_partition(blocked_hour)))
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the hour folder should be")
    ok, stuck = wire_records(make_event, 3, now), wire_records(make_event, 2, blocked_hour)
    event = sqs_event([ok[0], stuck[0], ok[1], stuck[1], ok[2]])

    response = SqsLanding(lake)(event, None)

    stuck_ids = [event["Records"][i]["messageId"] for i in (1, 3)]
    assert response == {"batchItemFailures": [{"itemIdentifier": i} for i in stuck_ids]}
    assert sorted(bronze_event_ids(lake.location, lake.filesystem)) == sorted(ids_of(ok))


def test_the_module_level_handler_runs_as_the_lambda_runtime_imports_it(
    moto_settings, make_event, tmp_path, pycache
):
    """A fresh interpreter configured only by SALESFLOW_* variables, like a cold start."""
    lake_uri = str(tmp_path / "lake")
    payloads = wire_records(make_event, 3)
    runtime = (
        "import json, sys; from speed_layer.lambda_handlers import sqs_handler; "
        "print(json.dumps(sqs_handler(json.load(sys.stdin), None)))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", runtime],
        input=json.dumps(sqs_event(payloads)),
        env=settings_env(moto_settings, lake_uri, pycache),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(completed.stdout.splitlines()[-1]) == {"batchItemFailures": []}
    lake = LakeFiles.open(lake_uri, moto_settings)
    assert sorted(bronze_event_ids(lake.location, lake.filesystem)) == sorted(ids_of(payloads))
