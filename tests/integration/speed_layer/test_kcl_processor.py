"""Drive `python -m speed_layer.kcl_processor` over stdin/stdout exactly as the KCL
MultiLangDaemon does (its JSON-lines protocol), with the lake on the moto server's S3."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from contract.aws import aws_client
from contract.lake_io import LakeFiles
from contract.settings import Settings
from contract.stream_compression import compress
from ingest_api.sinks.base import Record
from ingest_api.sinks.kinesis_aggregation import pack
from speed_layer.batching import BatchingPolicy
from speed_layer.dead_letters import DeadLetterQueue
from speed_layer.kcl_processor import KclRecordProcessor
from tests.integration.speed_layer.stack import (
    REPO_ROOT,
    create_resources,
    dead_letter_count,
    dead_letters,
    s3_lake_uri,
    settings_env,
)
from tests.unit.speed_layer.wire_events import bronze_event_ids, wire_records

SHARD = "shardId-000000000003"


class Daemon:
    """The MultiLangDaemon's side of the conversation."""

    def __init__(self, child: subprocess.Popen[str]) -> None:
        self.child = child

    def send(self, message: dict[str, Any]) -> None:
        assert self.child.stdin is not None
        self.child.stdin.write(json.dumps(message) + "\n")
        self.child.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.child.stdout is not None
        while True:
            line = self.child.stdout.readline()
            assert line, "the record processor closed its stdout"
            if line.strip():
                message: dict[str, Any] = json.loads(line)
                return message


def records_message(payloads: list[bytes], first: int) -> dict[str, Any]:
    return {
        "action": "processRecords",
        "millisBehindLatest": 0,
        "records": [
            {
                "action": "record",
                "data": base64.b64encode(data).decode(),
                "partitionKey": "SP-PAULISTA-01",
                "sequenceNumber": str(first + n),
                "subSequenceNumber": 0,
                "approximateArrivalTimestamp": 1763733912987,
            }
            for n, data in enumerate(payloads)
        ],
    }


def test_the_record_processor_lands_checkpoints_and_quarantines(moto_settings, make_event, pycache):
    create_resources(moto_settings, shards=1)
    lake_uri = s3_lake_uri(moto_settings)
    child = subprocess.Popen(
        [sys.executable, "-m", "speed_layer.kcl_processor"],
        cwd=REPO_ROOT,
        env=settings_env(moto_settings, lake_uri, pycache),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    daemon = Daemon(child)
    try:
        daemon.send(
            {
                "action": "initialize",
                "shardId": SHARD,
                "sequenceNumber": None,
                "subSequenceNumber": None,
            }
        )
        assert daemon.receive() == {"action": "status", "responseFor": "initialize"}

        good = wire_records(make_event, 3)
        daemon.send(records_message([good[0], b"\x00poison", good[1], good[2]], first=1001))
        assert daemon.receive() == {
            "action": "checkpoint",
            "sequenceNumber": "1004",
            "subSequenceNumber": 0,
        }
        daemon.send({"action": "checkpoint", "sequenceNumber": "1004", "error": None})
        assert daemon.receive() == {"action": "status", "responseFor": "processRecords"}

        lake = LakeFiles.open(lake_uri, moto_settings)
        assert Counter(bronze_event_ids(lake.location, lake.filesystem)) == Counter(
            json.loads(p)["event_id"] for p in good
        )
        (landed,) = lake.list_files("bronze/sales_events")
        assert landed.endswith(f"/{SHARD}-1001-1004.parquet")
        (quarantined,) = lake.list_files("bronze/_quarantine")
        assert json.loads(lake.open_input(quarantined).read())["source"] == f"{SHARD}:1002"

        daemon.send({"action": "shardEnded"})
        assert daemon.receive()["sequenceNumber"] is None, "checkpoint at SHARD_END"
        daemon.send({"action": "checkpoint", "sequenceNumber": "SHARD_END", "error": None})
        assert daemon.receive() == {"action": "status", "responseFor": "shardEnded"}

        daemon.send({"action": "leaseLost"})
        assert daemon.receive() == {"action": "status", "responseFor": "leaseLost"}
        assert child.stdin is not None
        child.stdin.close()
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_batch_that_never_lands_is_dead_lettered_then_checkpointed(moto_settings, make_event):
    create_resources(moto_settings, shards=1)
    sqs = aws_client(moto_settings, "sqs")
    dlq_url = sqs.get_queue_url(QueueName=moto_settings.kinesis_dead_letter_queue_name)["QueueUrl"]
    payloads = wire_records(make_event, 2)
    script = [
        {
            "action": "initialize",
            "shardId": SHARD,
            "sequenceNumber": None,
            "subSequenceNumber": None,
        },
        records_message(payloads, first=7),
        {"action": "checkpoint", "sequenceNumber": "8", "error": None},
    ]
    incoming = io.StringIO("".join(json.dumps(m) + "\n" for m in script))
    outgoing = io.StringIO()
    waits: list[float] = []
    processor = KclRecordProcessor(
        lake=LakeFiles.open(f"s3://{moto_settings.lake_bucket}-missing/lake", moto_settings),
        dead_letters=DeadLetterQueue(sqs, dlq_url),
        policy=BatchingPolicy(batch_size=100, window_seconds=0, max_attempts=3),
        sleep=waits.append,
    )

    processor.serve(incoming, outgoing)

    replies = [json.loads(line) for line in outgoing.getvalue().splitlines() if line.strip()]
    assert replies[1] == {"action": "checkpoint", "sequenceNumber": "8", "subSequenceNumber": 0}
    assert replies[2] == {"action": "status", "responseFor": "processRecords"}
    assert waits == [0.5, 1.0], "two backoffs between three attempts"
    assert dead_letter_count(moto_settings, moto_settings.kinesis_dead_letter_queue_name) == 2
    letters = dead_letters(moto_settings, moto_settings.kinesis_dead_letter_queue_name)
    assert sorted(m["Body"] for m in letters) == sorted(p.decode() for p in payloads)


def _sub_records(payloads: list[bytes], sequence: str) -> list[dict[str, Any]]:
    """The events of one aggregated record as the KCL hands them over: one record each, the
    aggregate's sequence number and the event's sub-sequence number."""
    return [
        {
            "action": "record",
            "data": base64.b64encode(data).decode(),
            "partitionKey": "SP-PAULISTA-01",
            "sequenceNumber": sequence,
            "subSequenceNumber": sub,
            "approximateArrivalTimestamp": 1763733912987,
        }
        for sub, data in enumerate(payloads)
    ]


def _serve_in_process(
    settings: Settings, lake_root: Path, script: list[dict[str, Any]]
) -> tuple[LakeFiles, list[dict[str, Any]]]:
    """The processor run here over the daemon's `script`, one landing attempt per batch: the
    lake it landed in and the messages it answered with."""
    create_resources(settings, shards=1)
    sqs = aws_client(settings, "sqs")
    dlq_url = sqs.get_queue_url(QueueName=settings.kinesis_dead_letter_queue_name)["QueueUrl"]
    outgoing = io.StringIO()
    lake = LakeFiles.open(str(lake_root), settings)
    KclRecordProcessor(
        lake=lake,
        dead_letters=DeadLetterQueue(sqs, dlq_url),
        policy=BatchingPolicy(batch_size=100, window_seconds=0, max_attempts=1),
    ).serve(io.StringIO("".join(json.dumps(m) + "\n" for m in script)), outgoing)
    return lake, [json.loads(line) for line in outgoing.getvalue().splitlines() if line.strip()]


def test_sub_records_are_checkpointed_at_their_sub_sequence_and_a_redelivery_lands_nothing_twice(
    moto_settings, make_event, tmp_path
):
    first, second = wire_records(make_event, 5), wire_records(make_event, 3)
    delivery = {
        "action": "processRecords",
        "millisBehindLatest": 0,
        "records": _sub_records(first, "2000") + _sub_records(second, "2001"),
    }
    acknowledged = {"action": "checkpoint", "sequenceNumber": "2001", "error": None}
    initialize = {"action": "initialize", "shardId": SHARD, "sequenceNumber": None}
    script: list[dict[str, Any]] = [initialize, delivery, acknowledged, delivery, acknowledged]
    lake, replies = _serve_in_process(moto_settings, tmp_path / "lake", script)

    checkpoints = [reply for reply in replies if reply["action"] == "checkpoint"]
    assert (
        checkpoints
        == [{"action": "checkpoint", "sequenceNumber": "2001", "subSequenceNumber": 2}] * 2
    ), "at the last event landed, not at the start of its aggregated record"
    (landed,) = lake.list_files("bronze/sales_events")
    assert landed.endswith(f"/{SHARD}-2000-2001.2.parquet")
    assert Counter(bronze_event_ids(lake.location, lake.filesystem)) == Counter(
        json.loads(p)["event_id"] for p in first + second
    ), "the redelivered batch overwrote its own file"


def test_a_compressed_record_is_split_here_and_checkpointed_where_the_kcl_delivered_it(
    moto_settings, make_event, tmp_path
):
    """The KCL hands a compressed aggregate over whole (sub-sequence 0): its events are numbered
    here for the batch key, and the checkpoint names the record as the KCL delivered it, since
    the KCL refuses one past the last record it handed over."""
    first, plain, last = (wire_records(make_event, n) for n in (5, 1, 4))
    compressed = [
        compress(entry.data)
        for payloads in (first, last)
        for entry in pack([Record(data, "SP-PAULISTA-01") for data in payloads])
    ]
    script = [
        {"action": "initialize", "shardId": SHARD, "sequenceNumber": None},
        records_message([compressed[0], plain[0]], first=3000),
        {"action": "checkpoint", "sequenceNumber": "3001", "error": None},
        records_message([compressed[1]], first=3002),
        {"action": "checkpoint", "sequenceNumber": "3002", "error": None},
    ]
    lake, replies = _serve_in_process(moto_settings, tmp_path / "lake", script)

    assert [
        (reply["sequenceNumber"], reply["subSequenceNumber"])
        for reply in replies
        if reply["action"] == "checkpoint"
    ] == [("3001", 0), ("3002", 0)]
    assert sorted(Path(path).name for path in lake.list_files("bronze/sales_events")) == [
        f"{SHARD}-3000-3001.parquet",
        f"{SHARD}-3002-3002.3.parquet",
    ]
    assert Counter(bronze_event_ids(lake.location, lake.filesystem)) == Counter(
        json.loads(p)["event_id"] for p in first + plain + last
    )
