"""S3 answers every write 503 SlowDown for a while, as when it throttles a prefix, while events
arrive; then it takes writes again. Landing fails and is retried as the same batch; nothing is
checkpointed (Kinesis) or deleted (SQS) that did not land, nothing is dead-lettered, and once S3
is back every event lands exactly once.

The consumer is the real poller loop writing an `s3://` lake on the moto server; only its S3
traffic goes through the fault proxy (`tests/e2e/fault_proxy.py`), the stream and the queues
reach the emulator directly. The whole `up` stack on an S3 lake behind the proxy was too slow to
come back within an end-to-end test's waits, and the pollers are what writes bronze.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contract.aws import aws_client
from contract.settings import Settings
from devstack.drain import messages_on_queue
from speed_layer.checkpoints import CheckpointFile
from tests.e2e.fault_proxy import S3_WRITES, Faults, fault_proxy
from tests.integration.speed_layer.stack import (
    create_resources,
    dead_letter_count,
    eventually,
    lake_event_ids,
    put_kinesis,
    s3_lake_uri,
    send_sqs,
)
from tests.unit.speed_layer.wire_events import wire_records

SHARDS = 2
UPLOAD_STARTED = S3_WRITES - {"CreateMultipartUpload"}
"""The upload of each file is started, then its parts and its completion refused: the failure
reaches the lake's writer when it closes the object, not when it opens it."""
REFUSED_WRITES = 15
"""S3 writes refused before S3 comes back: several landing attempts of every batch held (the
S3 client itself retries a write a few times before the poller sees it fail)."""


@pytest.fixture
def s3_behind_proxy(moto_settings: Settings) -> Iterator[tuple[Settings, Faults]]:
    """Settings whose S3 calls go through the fault proxy; every other service's go straight
    to the moto server."""
    with fault_proxy(moto_settings.aws_endpoint_url or "") as (proxy, faults):
        settings = moto_settings.model_copy(
            update={
                "s3_endpoint_url": proxy,
                "speed_batch_size": 25,
                "speed_batching_window_seconds": 0.2,
                "speed_max_attempts": 50,
            }
        )
        settings = settings.model_copy(update={"lake_uri": s3_lake_uri(settings)})
        create_resources(settings, shards=SHARDS, visibility_timeout=2)
        yield settings, faults


@pytest.mark.parametrize(
    ("source", "refused"),
    [
        pytest.param("kinesis", S3_WRITES, id="kinesis"),
        pytest.param("sqs", S3_WRITES, id="sqs"),
        pytest.param("kinesis", UPLOAD_STARTED, id="kinesis-upload-started"),
    ],
)
def test_s3_refusing_writes_delays_landing_and_loses_nothing(
    s3_behind_proxy: tuple[Settings, Faults],
    make_event: Callable[..., dict[str, Any]],
    poller: Callable[..., Any],
    source: str,
    refused: frozenset[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, faults = s3_behind_proxy
    send = put_kinesis if source == "kinesis" else send_sqs
    before, during = wire_records(make_event, 30), wire_records(make_event, 60)
    expected = Counter(json.loads(record)["event_id"] for record in before + during)

    with poller(settings, source, settings.lake_uri):
        send(settings, before)
        eventually(lambda: len(lake_event_ids(settings, settings.lake_uri)) == 30, what="landing")
        eventually(lambda: _all_acknowledged(settings, source), what="the first records acked")
        landed_before = _checkpoints(settings) if source == "kinesis" else {}
        faults.s3_writes_failing = refused
        failing_since = time.monotonic()
        send(settings, during)
        eventually(
            lambda: sum(faults.injected.values()) >= REFUSED_WRITES,
            what=f"the held batches to be retried ({REFUSED_WRITES} refused S3 writes)",
        )
        assert len(lake_event_ids(settings, settings.lake_uri)) == 30
        if source == "kinesis":
            assert _checkpoints(settings) == landed_before, "checkpointed what did not land"
        else:
            eventually(
                lambda: messages_on_queue(settings) == 60,
                timeout=10,
                what="the 60 unlanded messages still on the queue (none deleted)",
            )
        faults.clear()
        failed_for = time.monotonic() - failing_since
        eventually(
            lambda: Counter(lake_event_ids(settings, settings.lake_uri)) == expected,
            timeout=60,
            what="every event once, after S3 came back",
        )
        recovered_in = time.monotonic() - failing_since - failed_for

    assert dead_letter_count(settings, settings.kinesis_dead_letter_queue_name) == 0
    assert dead_letter_count(settings, settings.dead_letter_queue_name) == 0
    eventually(lambda: _all_acknowledged(settings, source), timeout=10, what="every record acked")
    with capsys.disabled():
        print(
            f"\n{source}: S3 writes refused for {failed_for:.1f} s ({dict(faults.injected)}); "
            f"all {len(expected)} events landed once {recovered_in:.1f} s after S3 came back"
        )


def _all_acknowledged(settings: Settings, source: str) -> bool:
    """Every record on the source is behind the poller: each shard checkpointed at its last
    record (Kinesis), or every message deleted (SQS)."""
    if source == "kinesis":
        return _checkpoints(settings) == _last_sequences(settings)
    return messages_on_queue(settings) == 0


def _checkpoints(settings: Settings) -> dict[str, str | None]:
    """Each shard's last landed sequence number, read from the poller's checkpoint file (which
    it replaces atomically) without taking the lock the running poller holds."""
    path = CheckpointFile.for_stream(settings.state_dir, settings.stream_name).path
    stored = json.loads(path.read_text()) if path.exists() else {}
    return {shard: stored.get(shard, {}).get("landed") for shard in _shard_ids()}


def _last_sequences(settings: Settings) -> dict[str, str | None]:
    """Each shard's last sequence number, read from the stream itself."""
    kinesis = aws_client(settings, "kinesis")
    last: dict[str, str | None] = {}
    for shard in _shard_ids():
        iterator = kinesis.get_shard_iterator(
            StreamName=settings.stream_name, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        last[shard] = None
        while records := (page := kinesis.get_records(ShardIterator=iterator))["Records"]:
            last[shard] = records[-1]["SequenceNumber"]
            iterator = page["NextShardIterator"]
    return last


def _shard_ids() -> list[str]:
    return [f"shardId-{n:012d}" for n in range(SHARDS)]
