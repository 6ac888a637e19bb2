"""Resource bootstrap and the drain check against a real moto server."""

from __future__ import annotations

import json

from contract.aws import aws_client
from contract.profile_store import EXPIRY_ATTRIBUTE, PARTITION_KEY, SORT_KEY
from contract.settings import Settings
from devstack.drain import forget_stream_checkpoints, is_drained, stream_checkpoint_path
from devstack.resources import CHECKPOINT_TABLE_KEY, bootstrap_resources


def test_bootstrap_creates_every_resource_once_with_terraform_names(moto_settings, tmp_path):
    lake_uri = f"s3://{moto_settings.lake_bucket}/lake"
    first = bootstrap_resources(moto_settings, lake_uri=lake_uri)
    again = bootstrap_resources(moto_settings, lake_uri=lake_uri)

    assert first.stream_created
    assert sorted(first.created) == sorted(
        [
            f"kinesis:{moto_settings.stream_name}",
            f"sqs:{moto_settings.dead_letter_queue_name}",
            f"sqs:{moto_settings.queue_name}",
            f"sqs:{moto_settings.kinesis_dead_letter_queue_name}",
            f"sqs:{moto_settings.csv_dead_letter_queue_name}",
            f"s3:{moto_settings.lake_bucket}",
            f"dynamodb:{moto_settings.checkpoint_table}",
            f"dynamodb:{moto_settings.customer_profiles_table}",
        ]
    )
    assert again.created == []
    assert not again.stream_created

    sqs = aws_client(moto_settings, "sqs")
    queue_url = sqs.get_queue_url(QueueName=moto_settings.queue_name)["QueueUrl"]
    redrive = json.loads(
        sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])[
            "Attributes"
        ]["RedrivePolicy"]
    )
    assert redrive["deadLetterTargetArn"].endswith(moto_settings.dead_letter_queue_name)
    assert int(redrive["maxReceiveCount"]) == moto_settings.speed_max_attempts
    table = aws_client(moto_settings, "dynamodb").describe_table(
        TableName=moto_settings.checkpoint_table
    )["Table"]
    assert table["KeySchema"] == [{"AttributeName": CHECKPOINT_TABLE_KEY, "KeyType": "HASH"}]
    dynamodb = aws_client(moto_settings, "dynamodb")
    profiles = dynamodb.describe_table(TableName=moto_settings.customer_profiles_table)["Table"]
    assert profiles["KeySchema"] == [
        {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
    ]
    ttl = dynamodb.describe_time_to_live(TableName=moto_settings.customer_profiles_table)
    assert ttl["TimeToLiveDescription"]["AttributeName"] == EXPIRY_ATTRIBUTE


def test_a_local_lake_needs_no_bucket(moto_settings, tmp_path):
    created = bootstrap_resources(moto_settings, lake_uri=str(tmp_path / "lake")).created
    assert not any(name.startswith("s3:") for name in created)


def _write_checkpoints(settings: Settings, checkpoints: dict[str, dict[str, str | None]]) -> None:
    path = stream_checkpoint_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(checkpoints))


def test_stream_is_drained_only_when_every_shard_is_landed(moto_settings, tmp_path):
    bootstrap_resources(moto_settings, lake_uri=str(tmp_path / "lake"))
    kinesis = aws_client(moto_settings, "kinesis")
    assert is_drained(moto_settings, "kinesis")

    put = kinesis.put_record(StreamName=moto_settings.stream_name, Data=b"{}", PartitionKey="a")
    assert not is_drained(moto_settings, "kinesis")

    shard, sequence = put["ShardId"], put["SequenceNumber"]
    _write_checkpoints(moto_settings, {shard: {"landed": None, "pending_last": sequence}})
    assert not is_drained(moto_settings, "kinesis")

    _write_checkpoints(moto_settings, {shard: {"landed": sequence, "pending_last": None}})
    assert is_drained(moto_settings, "kinesis")

    assert forget_stream_checkpoints(moto_settings)
    assert not stream_checkpoint_path(moto_settings).exists()
    assert not is_drained(moto_settings, "kinesis")


def test_queue_is_drained_when_no_message_is_waiting_or_in_flight(moto_settings, tmp_path):
    bootstrap_resources(moto_settings, lake_uri=str(tmp_path / "lake"))
    sqs = aws_client(moto_settings, "sqs")
    url = sqs.get_queue_url(QueueName=moto_settings.queue_name)["QueueUrl"]
    assert is_drained(moto_settings, "sqs")

    sqs.send_message(QueueUrl=url, MessageBody="{}")
    assert not is_drained(moto_settings, "sqs")
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert not is_drained(moto_settings, "sqs")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert is_drained(moto_settings, "sqs")
