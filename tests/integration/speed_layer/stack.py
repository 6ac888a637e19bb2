"""Helpers for the speed layer's integration tests: AWS resources on the moto server, real
consumer and API processes, and reading what landed."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from contract.aws import aws_client
from contract.lake import LakeLocation
from contract.lake_io import LakeFiles
from contract.settings import Settings
from contract.stream_compression import compress
from devstack.local_servers import FAKE_CREDENTIALS
from ingest_api.sinks.base import Record
from ingest_api.sinks.kinesis_aggregation import pack
from tests.unit.speed_layer.wire_events import bronze_event_ids

REPO_ROOT = Path(__file__).resolve().parents[3]
PROCESS_TIMEOUT = 90.0
"""How long a test waits for a child process's work: its start-up alone can take seconds."""


def create_resources(settings: Settings, *, shards: int = 2, visibility_timeout: int = 30) -> None:
    """The stream, queue, dead-letter queue and lake bucket the settings name."""
    kinesis = aws_client(settings, "kinesis")
    kinesis.create_stream(StreamName=settings.stream_name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(
        StreamName=settings.stream_name, WaiterConfig={"Delay": 0.2}
    )
    sqs = aws_client(settings, "sqs")
    sqs.create_queue(
        QueueName=settings.queue_name,
        Attributes={"VisibilityTimeout": str(visibility_timeout)},
    )
    for dead_letter_queue in (
        settings.dead_letter_queue_name,
        settings.kinesis_dead_letter_queue_name,
        settings.csv_dead_letter_queue_name,
    ):
        sqs.create_queue(QueueName=dead_letter_queue)
    aws_client(settings, "s3").create_bucket(Bucket=settings.lake_bucket)


def s3_lake_uri(settings: Settings) -> str:
    return f"s3://{settings.lake_bucket}/lake"


def lake_event_ids(settings: Settings, lake_uri: str) -> list[str]:
    lake = LakeFiles.open(lake_uri, settings)
    return bronze_event_ids(lake.location, lake.filesystem)


def lake_files(settings: Settings, lake_uri: str, folder: str = "bronze") -> list[str]:
    return [path for path in LakeFiles.open(lake_uri, settings).list_files(folder)]


def put_kinesis(settings: Settings, records: Sequence[bytes], partition_key: str = "SP-01") -> None:
    kinesis = aws_client(settings, "kinesis")
    for start in range(0, len(records), 500):
        response = kinesis.put_records(
            StreamName=settings.stream_name,
            Records=[
                {"Data": data, "PartitionKey": f"{partition_key}-{i % 7}"}
                for i, data in enumerate(records[start : start + 500])
            ],
        )
        assert response["FailedRecordCount"] == 0


def put_kinesis_packed(
    settings: Settings, records: Sequence[bytes], *, compressed: bool = False
) -> list[tuple[str, int]]:
    """The records as the ingest API writes them with aggregation on (one PutRecords call), and
    `compressed` as with `kinesis_compression` too; each stream record written: its sequence
    number and how many events it carries."""
    kinesis = aws_client(settings, "kinesis")
    entries = pack([Record(data, f"SP-01-{i % 7}") for i, data in enumerate(records)])
    response = kinesis.put_records(
        StreamName=settings.stream_name,
        Records=[
            {"Data": compress(e.data) if compressed else e.data, "PartitionKey": e.partition_key}
            | ({"ExplicitHashKey": e.explicit_hash_key} if e.explicit_hash_key else {})
            for e in entries
        ],
    )
    assert response["FailedRecordCount"] == 0
    return [
        (answer["SequenceNumber"], len(entry.members))
        for entry, answer in zip(entries, response["Records"], strict=True)
    ]


def send_sqs(settings: Settings, records: Sequence[bytes]) -> None:
    sqs = aws_client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=settings.queue_name)["QueueUrl"]
    for start in range(0, len(records), 10):
        chunk = records[start : start + 10]
        response = sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": data.decode()} for i, data in enumerate(chunk)],
        )
        assert not response.get("Failed")


def dead_letter_count(settings: Settings, queue: str) -> int:
    sqs = aws_client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def dead_letters(settings: Settings, queue: str) -> list[dict[str, Any]]:
    """Every message on a dead-letter queue (received once and hidden for a minute)."""
    sqs = aws_client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            VisibilityTimeout=60,
        ).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)


def eventually(check: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def settings_env(settings: Settings, lake_uri: str, pycache: Path, **extra: str) -> dict[str, str]:
    """The environment a child process needs to see the same settings.

    Children keep compiled bytecode in `pycache` (a private folder, never the venv or the
    tree): with PYTHONDONTWRITEBYTECODE set, every child would otherwise compile boto3,
    pyarrow and pydantic from source, several seconds per process start on a busy machine.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("SALESFLOW_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(FAKE_CREDENTIALS)
    env.update(
        {
            "PYTHONPYCACHEPREFIX": str(pycache),
            "PYTHONPATH": str(REPO_ROOT),
            "SALESFLOW_AWS_ENDPOINT_URL": settings.aws_endpoint_url or "",
            "SALESFLOW_NAME_PREFIX": settings.name_prefix,
            "SALESFLOW_STATE_DIR": str(settings.state_dir),
            "SALESFLOW_LAKE_URI": lake_uri,
            "SALESFLOW_SPEED_BATCHING_WINDOW_SECONDS": "0.2",
        }
    )
    env.update(extra)
    return env


def local_lake(tmp_path: Path) -> str:
    return str(LakeLocation.parse(str(tmp_path / "lake")).root)
