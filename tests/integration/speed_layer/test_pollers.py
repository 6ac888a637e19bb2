from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract.aws import aws_client
from contract.lake import bronze_partition
from contract.lake_io import LakeFiles
from contract.settings import Settings
from speed_layer.checkpoints import CheckpointFile
from speed_layer.cli import consume
from speed_layer.errors import MissingResourceError
from tests.integration.speed_layer.stack import (
    create_resources,
    dead_letter_count,
    dead_letters,
    eventually,
    lake_event_ids,
    lake_files,
    put_kinesis,
    s3_lake_uri,
    send_sqs,
)
from tests.unit.speed_layer.wire_events import wire_records


@pytest.fixture
def settings(moto_settings: Settings) -> Settings:
    tuned = moto_settings.model_copy(
        update={"speed_batch_size": 25, "speed_batching_window_seconds": 0.2}
    )
    create_resources(tuned, shards=3, visibility_timeout=2)
    return tuned


def lands(settings: Settings, lake_uri: str, expected: list[str]) -> bool:
    return Counter(lake_event_ids(settings, lake_uri)) == Counter(expected)


def ids_of(records: list[bytes]) -> list[str]:
    return [json.loads(r)["event_id"] for r in records]


@pytest.mark.parametrize("lake_kind", ["local", "s3"])
def test_kinesis_poller_lands_every_shard_once_and_resumes_from_its_checkpoint(
    settings, poller, make_event, tmp_path, lake_kind
):
    lake_uri = str(tmp_path / "lake") if lake_kind == "local" else s3_lake_uri(settings)
    first, second = wire_records(make_event, 60), wire_records(make_event, 15)
    put_kinesis(settings, first)
    with poller(settings, "kinesis", lake_uri):
        eventually(lambda: lands(settings, lake_uri, ids_of(first)), what="first records")
    files_before = lake_files(settings, lake_uri)
    assert all(Path(f).name.startswith("shardId-") for f in files_before)
    lake = LakeFiles.open(lake_uri, settings)
    assert max(lake.parquet_row_count(f) for f in files_before) <= settings.speed_batch_size
    assert len({Path(f).name.split("-")[1] for f in files_before}) == 3, "all three shards"

    put_kinesis(settings, second)
    with poller(settings, "kinesis", lake_uri):
        eventually(lambda: lands(settings, lake_uri, ids_of(first + second)), what="the rest")
    assert set(files_before) <= set(lake_files(settings, lake_uri))
    with CheckpointFile.for_stream(settings.state_dir, settings.stream_name) as checkpoints:
        assert all(checkpoints.get(f"shardId-{n:012d}").landed for n in range(3))
        assert not any(checkpoints.get(f"shardId-{n:012d}").pending_last for n in range(3))


def test_a_poison_record_is_quarantined_and_does_not_block_its_shard(
    settings, poller, make_event, tmp_path
):
    lake_uri = str(tmp_path / "lake")
    before, after = wire_records(make_event, 5), wire_records(make_event, 5)
    put_kinesis(settings, [*before, b'{"event_id": "EV-POISON-01"}', *after], partition_key="one")
    with poller(settings, "kinesis", lake_uri):
        eventually(lambda: lands(settings, lake_uri, ids_of(before + after)), what="landing")
        eventually(lambda: bool(lake_files(settings, lake_uri, "bronze/_quarantine")))
    (quarantine,) = lake_files(settings, lake_uri, "bronze/_quarantine")
    (entry,) = [json.loads(line) for line in (Path(lake_uri) / quarantine).read_text().splitlines()]
    assert entry["payload"] == '{"event_id": "EV-POISON-01"}'
    assert "event_type: Field required" in entry["reason"]
    assert entry["source"].startswith("shardId-")


def test_kinesis_records_go_to_the_dead_letter_queue_after_max_attempts(
    settings, poller, make_event
):
    unwritable = f"s3://{settings.lake_bucket}-missing/lake"
    records = wire_records(make_event, 4)
    put_kinesis(settings, records, partition_key="same")
    tuned = settings.model_copy(update={"speed_max_attempts": 2})
    with poller(tuned, "kinesis", unwritable):
        eventually(
            lambda: dead_letter_count(settings, settings.kinesis_dead_letter_queue_name) == 4,
            what="the dead letters",
        )
    letters = dead_letters(settings, settings.kinesis_dead_letter_queue_name)
    assert sorted(m["Body"] for m in letters) == sorted(r.decode() for r in records)
    attributes = letters[0]["MessageAttributes"]
    assert "could not write to the lake" in attributes["reason"]["StringValue"]
    assert attributes["attempts"]["StringValue"] == "2"
    assert attributes["source"]["StringValue"].startswith("shardId-")
    shards = {m["MessageAttributes"]["source"]["StringValue"].split(":")[0] for m in letters}
    with CheckpointFile.for_stream(settings.state_dir, settings.stream_name) as checkpoints:
        assert all(checkpoints.get(shard).landed for shard in shards), "moved past them"


@pytest.mark.parametrize("lake_kind", ["local", "s3"])
def test_sqs_poller_lands_and_deletes(settings, poller, make_event, tmp_path, lake_kind):
    lake_uri = str(tmp_path / "lake") if lake_kind == "local" else s3_lake_uri(settings)
    records = wire_records(make_event, 40)
    send_sqs(settings, [*records, b"not an event"])
    with poller(settings, "sqs", lake_uri):
        eventually(lambda: lands(settings, lake_uri, ids_of(records)), what="landing")
        eventually(lambda: bool(lake_files(settings, lake_uri, "bronze/_quarantine")))
    assert all(Path(f).name.startswith("sqs-") for f in lake_files(settings, lake_uri, "bronze"))
    sqs = aws_client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=settings.queue_name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_sqs_messages_go_to_the_dead_letter_queue_after_max_attempts(settings, poller, make_event):
    records = wire_records(make_event, 3)
    send_sqs(settings, records)
    tuned = settings.model_copy(update={"speed_max_attempts": 2})
    with poller(tuned, "sqs", f"s3://{settings.lake_bucket}-missing/lake"):
        eventually(
            lambda: dead_letter_count(settings, settings.dead_letter_queue_name) == 3,
            timeout=60,
            what="dead letters",
        )
    letters = dead_letters(settings, settings.dead_letter_queue_name)
    assert sorted(m["Body"] for m in letters) == sorted(r.decode() for r in records)
    assert letters[0]["MessageAttributes"]["source"]["StringValue"].startswith("sqs:")


def test_a_partly_failed_kinesis_batch_is_retried_as_the_same_batch(
    settings, poller, make_event, tmp_path
):
    lake_uri = str(tmp_path / "lake")
    now = datetime.now(UTC)
    later = now + timedelta(hours=2)
    blocked = tmp_path / "lake" / bronze_partition(later)
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the hour folder should be")
    first = wire_records(make_event, 3, now) + wire_records(make_event, 3, later)
    put_kinesis(settings, first, partition_key="one")
    more = wire_records(make_event, 4, now)
    tuned = settings.model_copy(update={"speed_max_attempts": 20})
    with poller(tuned, "kinesis", lake_uri):
        eventually(lambda: len(lake_event_ids(settings, lake_uri)) >= 3, what="the open hour")
        put_kinesis(settings, more, partition_key="one")
        time.sleep(1)
        blocked.unlink()
        eventually(lambda: lands(settings, lake_uri, ids_of(first + more)), what="the retry")
    assert dead_letter_count(settings, settings.kinesis_dead_letter_queue_name) == 0


def test_a_missing_stream_or_queue_is_a_clear_error(moto_settings, tmp_path):
    stop = threading.Event()
    with pytest.raises(MissingResourceError, match=r"SQS queue .* does not exist: start the stack"):
        consume(moto_settings, "kinesis", lake_uri=str(tmp_path), stop=stop)
    aws_client(moto_settings, "sqs").create_queue(
        QueueName=moto_settings.kinesis_dead_letter_queue_name
    )
    with pytest.raises(MissingResourceError, match=r"Kinesis stream .* does not exist"):
        consume(moto_settings, "kinesis", lake_uri=str(tmp_path), stop=stop)


def test_the_poller_outlives_an_unavailable_dead_letter_queue(settings, poller, make_event):
    sqs = aws_client(settings, "sqs")
    dlq_url = sqs.get_queue_url(QueueName=settings.kinesis_dead_letter_queue_name)["QueueUrl"]
    checkpoints = CheckpointFile.for_stream(settings.state_dir, settings.stream_name).path
    tuned = settings.model_copy(update={"speed_max_attempts": 1})
    with poller(tuned, "kinesis", f"s3://{settings.lake_bucket}-missing/lake"):
        lock = checkpoints.with_name(checkpoints.name + ".lock")
        eventually(lock.exists, what="the poller to start")
        sqs.delete_queue(QueueUrl=dlq_url)
        put_kinesis(settings, wire_records(make_event, 2), partition_key="same")
        time.sleep(2)
        sqs.create_queue(QueueName=settings.kinesis_dead_letter_queue_name)
        eventually(
            lambda: dead_letter_count(settings, settings.kinesis_dead_letter_queue_name) == 2,
            what="the dead letters, late",
        )
