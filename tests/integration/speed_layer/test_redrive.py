"""`salesflow redrive kinesis|sqs` and `salesflow load-csv --dead-letters` against the moto server:
each source's dead letters, in the shape AWS parks them, back where they belong."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from contract.aws import aws_client
from contract.lake_io import LakeFiles
from contract.settings import Settings
from salesflow.cli import main
from speed_layer.dead_letters import DeadLetterQueue
from speed_layer.records import DeliveredRecord
from speed_layer.redrive import redrive_kinesis, redrive_sqs
from tests.integration.speed_layer.stack import (
    create_resources,
    dead_letter_count,
    lake_event_ids,
    lake_files,
    put_kinesis_packed,
)
from tests.unit.batch_layer.csv_samples import csv_text, row
from tests.unit.speed_layer.wire_events import wire_records


@pytest.fixture
def settings(moto_settings: Settings) -> Settings:
    create_resources(moto_settings, shards=1)
    return moto_settings.model_copy(update={"lake_uri": f"s3://{moto_settings.lake_bucket}"})


def queue_url(settings: Settings, name: str) -> str:
    return str(aws_client(settings, "sqs").get_queue_url(QueueName=name)["QueueUrl"])


def lambda_on_failure_record(settings: Settings, shard: str, first: str, last: str) -> str:
    """What a Kinesis event source mapping sends its on-failure destination (AWS's format)."""
    stream_arn = f"arn:aws:kinesis:us-east-1:123456789012:stream/{settings.stream_name}"
    return json.dumps(
        {
            "requestContext": {
                "requestId": "c9b8fa9f-5a7f-4c8f-a4b4-d0b5a3e4d5f6",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:speed-kinesis",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": 6,
            },
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "KinesisBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": first,
                "endSequenceNumber": last,
                "approximateArrivalOfFirstRecord": datetime.now(UTC).isoformat(),
                "approximateArrivalOfLastRecord": datetime.now(UTC).isoformat(),
                "batchSize": 3,
                "streamArn": stream_arn,
            },
        }
    )


def test_kinesis_pointers_and_records_land_once_and_leave_the_queue(settings, make_event):
    kinesis = aws_client(settings, "kinesis")
    before = wire_records(make_event, 1)
    batch = wire_records(make_event, 3)
    after = wire_records(make_event, 1)
    sequences = []
    for data in [*before, *batch, *after]:
        put = kinesis.put_record(StreamName=settings.stream_name, Data=data, PartitionKey="k")
        sequences.append((put["ShardId"], put["SequenceNumber"]))
    shard = sequences[0][0]
    dlq = queue_url(settings, settings.kinesis_dead_letter_queue_name)
    sqs = aws_client(settings, "sqs")
    pointer = lambda_on_failure_record(settings, shard, sequences[1][1], sequences[3][1])
    sqs.send_message(QueueUrl=dlq, MessageBody=pointer)
    gone = lambda_on_failure_record(settings, "shardId-000000000099", "1", "2")
    sqs.send_message(QueueUrl=dlq, MessageBody=gone)
    polled = wire_records(make_event, 1)
    DeadLetterQueue(sqs, dlq).send(
        [DeliveredRecord(polled[0], f"{shard}:{sequences[-1][1]}9")], "lake unreachable", 3
    )
    lake = LakeFiles.open(settings.lake_uri, settings)

    dry = redrive_kinesis(settings, lake, dry_run=True)
    assert sorted(o.kind for o in dry) == ["pointer", "pointer", "records"]
    assert not any(o.done for o in dry)
    assert lake_event_ids(settings, settings.lake_uri) == []

    outcomes = redrive_kinesis(settings, lake)
    by_kind = Counter((o.kind, o.done, o.records) for o in outcomes)
    assert by_kind == Counter(
        {("pointer", True, 3): 1, ("pointer", False, 0): 1, ("records", True, 1): 1}
    )
    ids = [json.loads(p)["event_id"] for p in [*batch, *polled]]
    assert sorted(lake_event_ids(settings, settings.lake_uri)) == sorted(ids)
    assert dead_letter_count(settings, settings.kinesis_dead_letter_queue_name) == 1

    files = lake_files(settings, settings.lake_uri, "bronze/sales_events")
    sqs.send_message(QueueUrl=dlq, MessageBody=pointer)
    redrive_kinesis(settings, lake)
    assert lake_files(settings, settings.lake_uri, "bronze/sales_events") == files
    assert sorted(lake_event_ids(settings, settings.lake_uri)) == sorted(ids)


def test_a_pointer_to_aggregated_records_lands_their_events_under_the_handlers_key(
    settings, make_event
):
    packed = wire_records(make_event, 70)
    written = put_kinesis_packed(settings, packed)
    assert len(written) >= 2, "the events went packed into several records"
    (first, _), (last, carried) = written[0], written[-1]
    shard = "shardId-000000000000"
    dlq = queue_url(settings, settings.kinesis_dead_letter_queue_name)
    pointer = lambda_on_failure_record(settings, shard, first, last)
    aws_client(settings, "sqs").send_message(QueueUrl=dlq, MessageBody=pointer)
    lake = LakeFiles.open(settings.lake_uri, settings)

    ((kind, done, records),) = [
        (o.kind, o.done, o.records) for o in redrive_kinesis(settings, lake)
    ]
    assert (kind, done, records) == ("pointer", True, 70)
    (landed,) = lake_files(settings, settings.lake_uri, "bronze/sales_events")
    assert landed.endswith(f"/{shard}-{first}-{last}.{carried - 1}.parquet"), "the handler's key"
    assert Counter(lake_event_ids(settings, settings.lake_uri)) == Counter(
        json.loads(p)["event_id"] for p in packed
    )


def test_sqs_dead_letters_go_back_to_the_queue_unchanged(settings):
    sqs = aws_client(settings, "sqs")
    dlq = queue_url(settings, settings.dead_letter_queue_name)
    attributes = {"reason": {"DataType": "String", "StringValue": "lake unreachable"}}
    sqs.send_message(QueueUrl=dlq, MessageBody='{"event_id": "EV-1"}', MessageAttributes=attributes)

    (outcome,) = redrive_sqs(settings)
    assert outcome.done
    queue = queue_url(settings, settings.queue_name)
    (message,) = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    assert message["Body"] == '{"event_id": "EV-1"}'
    assert message["MessageAttributes"]["reason"]["StringValue"] == "lake unreachable"
    assert dead_letter_count(settings, settings.dead_letter_queue_name) == 0


def test_failed_csv_loads_are_loaded_again_from_their_s3_events(
    settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    s3 = aws_client(settings, "s3")
    key = f"{settings.csv_landing_prefix}vendas.csv"
    s3.put_object(Bucket=settings.lake_bucket, Key=key, Body=csv_text(row()).encode())
    sqs = aws_client(settings, "sqs")
    dlq = queue_url(settings, settings.csv_dead_letter_queue_name)
    for object_key in (key, f"{settings.csv_landing_prefix}deleted-meanwhile.csv"):
        record = {"s3": {"bucket": {"name": settings.lake_bucket}, "object": {"key": object_key}}}
        event = {"Records": [{"eventName": "ObjectCreated:Put", **record}]}
        sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(event))
    for name, value in {
        "SALESFLOW_AWS_ENDPOINT_URL": settings.aws_endpoint_url or "",
        "SALESFLOW_NAME_PREFIX": settings.name_prefix,
        "SALESFLOW_LAKE_URI": settings.lake_uri,
    }.items():
        monkeypatch.setenv(name, value)

    assert main(["load-csv", "--dead-letters"]) == 1
    output = capsys.readouterr()
    assert f"{key} (dead letter): 1 loaded" in output.out
    assert "deleted-meanwhile.csv (dead letter): failed again" in output.err
    uploads = [k["Key"] for k in s3.list_objects_v2(Bucket=settings.lake_bucket)["Contents"]]
    assert any(k.startswith("bronze/csv_uploads/") for k in uploads)
    assert dead_letter_count(settings, settings.csv_dead_letter_queue_name) == 1
