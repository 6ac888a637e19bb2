"""Kill the consumer after the file is written and before the checkpoint, then restart it."""

from __future__ import annotations

import json
import signal
from collections import Counter
from pathlib import Path

import duckdb

from contract.settings import Settings
from devstack.local_servers import python_module, stop
from speed_layer.checkpoints import CheckpointFile
from tests.integration.speed_layer.stack import (
    PROCESS_TIMEOUT,
    create_resources,
    eventually,
    lake_event_ids,
    put_kinesis,
    put_kinesis_packed,
    send_sqs,
    settings_env,
)
from tests.unit.speed_layer.wire_events import wire_records


def ids_of(records: list[bytes]) -> list[str]:
    return [json.loads(r)["event_id"] for r in records]


def crash_once(
    source: str, settings: Settings, lake_uri: str, tmp_path: Path, pycache: Path
) -> None:
    env = settings_env(settings, lake_uri, pycache)
    with python_module(
        ["tests.integration.speed_layer.crashing_consumer", source], env, tmp_path / "crash.log"
    ) as child:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, (tmp_path / "crash.log").read_text()


def test_kinesis_redelivery_after_a_crash_leaves_no_duplicate(
    moto_settings, make_event, tmp_path, pycache
):
    create_resources(moto_settings, shards=2)
    lake_uri = str(tmp_path / "lake")
    first, later = wire_records(make_event, 30), wire_records(make_event, 20)
    put_kinesis(moto_settings, first)

    crash_once("kinesis", moto_settings, lake_uri, tmp_path, pycache)
    landed_before_crash = lake_event_ids(moto_settings, lake_uri)
    assert landed_before_crash, "the crash came after the first file was written"
    with CheckpointFile.for_stream(moto_settings.state_dir, moto_settings.stream_name) as marks:
        pending = [marks.get(f"shardId-{n:012d}") for n in range(2)]
    assert [c.landed for c in pending] == [None, None], "nothing was checkpointed"
    assert any(c.pending_last for c in pending)

    put_kinesis(moto_settings, later)
    env = settings_env(moto_settings, lake_uri, pycache)
    with python_module(["salesflow", "speed"], env, tmp_path / "speed.log") as consumer:
        eventually(
            lambda: set(lake_event_ids(moto_settings, lake_uri)) == set(ids_of(first + later)),
            what="every event after the restart",
            timeout=PROCESS_TIMEOUT,
        )
        assert stop(consumer) == 0, "SIGTERM stops the consumer cleanly"

    landed = Counter(lake_event_ids(moto_settings, lake_uri))
    assert landed == Counter(ids_of(first + later)), "each event exactly once"


def test_aggregated_records_redelivered_after_a_crash_land_nothing_twice(
    moto_settings, make_event, tmp_path, pycache
):
    """Aggregated records beside plain and compressed ones: the replay after the crash rebuilds
    the same batch of stream records, so the same events under the same key."""
    create_resources(moto_settings, shards=1)
    lake_uri = str(tmp_path / "lake")
    packed, plain, compressed, later = (wire_records(make_event, n) for n in (60, 3, 30, 40))
    put_kinesis_packed(moto_settings, packed)
    put_kinesis(moto_settings, plain)
    put_kinesis_packed(moto_settings, compressed, compressed=True)

    crash_once("kinesis", moto_settings, lake_uri, tmp_path, pycache)
    assert lake_event_ids(moto_settings, lake_uri), "the crash came after the first file"
    put_kinesis_packed(moto_settings, later, compressed=True)
    env = settings_env(moto_settings, lake_uri, pycache)
    with python_module(["salesflow", "speed"], env, tmp_path / "speed.log") as consumer:
        eventually(
            lambda: (
                set(lake_event_ids(moto_settings, lake_uri))
                == set(ids_of(packed + plain + compressed + later))
            ),
            what="every event after the restart",
            timeout=PROCESS_TIMEOUT,
        )
        assert stop(consumer) == 0

    landed = Counter(lake_event_ids(moto_settings, lake_uri))
    assert landed == Counter(ids_of(packed + plain + compressed + later)), "each event exactly once"


def test_sqs_redelivery_after_a_crash_is_removed_by_event_id_at_read_time(
    moto_settings, make_event, tmp_path, pycache
):
    create_resources(moto_settings, visibility_timeout=1)
    lake_uri = str(tmp_path / "lake")
    first, later = wire_records(make_event, 30), wire_records(make_event, 10)
    send_sqs(moto_settings, first)

    crash_once("sqs", moto_settings, lake_uri, tmp_path, pycache)
    landed_before_crash = lake_event_ids(moto_settings, lake_uri)
    assert landed_before_crash, "the crash came after the first file was written"

    send_sqs(moto_settings, later)
    env = settings_env(moto_settings, lake_uri, pycache)
    with python_module(
        ["salesflow", "speed", "--source", "sqs"], env, tmp_path / "speed.log"
    ) as child:
        eventually(
            lambda: set(lake_event_ids(moto_settings, lake_uri)) == set(ids_of(first + later)),
            what="every event after the restart",
            timeout=PROCESS_TIMEOUT,
        )
        assert stop(child) == 0

    raw = Counter(lake_event_ids(moto_settings, lake_uri))
    assert set(raw) == set(ids_of(first + later)), "nothing acknowledged is lost"
    assert all(raw[event_id] >= 1 for event_id in landed_before_crash)
    deduplicated = duckdb.execute(
        f"""
        SELECT event_id, count(*) OVER (PARTITION BY event_id) AS copies
        FROM read_parquet('{lake_uri}/bronze/sales_events/**/*.parquet', hive_partitioning = true)
        QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingested_at) = 1
        """
    ).fetchall()
    assert sorted(event_id for event_id, _ in deduplicated) == sorted(ids_of(first + later))
