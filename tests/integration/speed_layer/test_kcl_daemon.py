"""The real KCL MultiLangDaemon (Java, the set-up's `kcl` bundle) with the project's record
processor: POST -> ingest API -> Kinesis (moto server, 2 shards) -> `salesflow speed --consumer
kcl` -> lake, through a second worker joining, a SIGKILL of a daemon mid-stream and its restart,
and a shard split while traffic flows. The merged numbers (DuckDB serving engine) equal the
ledger of what the API acknowledged.

The API writes KPL aggregated records uncompressed (`SALESFLOW_KINESIS_COMPRESSION=false`), which
the daemon de-aggregates itself; compressed ones, as the API writes by default, go beside them,
and the daemon hands those over whole for the processor to inflate and split. The scenarios share
one stream and one test so the daemon starts three times in all.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract.aws import aws_client
from contract.lake_io import LakeFiles
from contract.names import ResourceNames
from contract.settings import Settings
from devstack import jars
from devstack.drain import is_drained
from devstack.kcl_local import KCL_BUNDLE
from devstack.local_servers import ingest_api, python_module
from serving.engines.duckdb_engine import DuckDBEngine
from tests.integration.speed_layer.stack import (
    create_resources,
    eventually,
    lake_event_ids,
    put_kinesis_packed,
    settings_env,
)
from tests.unit.speed_layer.wire_events import wire_records

pytestmark = pytest.mark.timeout(600)

API_KEY = "kcl-daemon-test-key"
DAEMON_TIMEOUT = 150.0
"""A first start waits up to 30 s (KCL's random back-off on an empty lease table), a restart for
the dead worker's leases to expire; on a loaded 2-core machine the JVM start adds more."""


class Ledger:
    """What the API acknowledged: event id -> total, posted from any thread."""

    def __init__(self, client: httpx.Client, make_event: Any) -> None:
        self._client = client
        self._make_event = make_event
        self._lock = threading.Lock()
        self.totals: dict[str, Decimal] = {}
        self._stores = itertools.count()

    def post(self, count: int) -> None:
        # The store is the partition key: 16 of them spread the events over every shard.
        events = [
            self._make_event(store_id=f"KCL-STORE-{next(self._stores) % 16:02d}")
            for _ in range(count)
        ]
        response = self._client.post("/v1/sales/batch", json={"events": events})
        assert response.status_code == 202, response.text
        with self._lock:
            self.totals.update((e["event_id"], Decimal(str(e["total"]))) for e in events)

    def add(self, payloads: list[bytes]) -> None:
        """Stream records put on the stream directly, not through the API."""
        with self._lock:
            self.totals.update(
                (event["event_id"], Decimal(event["total"])) for event in map(json.loads, payloads)
            )

    def ids(self) -> set[str]:
        with self._lock:
            return set(self.totals)


@contextmanager
def traffic(ledger: Ledger) -> Iterator[None]:
    """Batches of 5 events every 0.2 s while the block runs."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def send() -> None:
        try:
            while not stop.wait(0.2):
                ledger.post(5)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=send, name="traffic", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, f"posting failed: {errors[0]!r}"


class Leases:
    def __init__(self, settings: Settings) -> None:
        self._dynamodb = aws_client(settings, "dynamodb")
        self.table = ResourceNames.for_prefix(settings.name_prefix).kcl_lease_table

    def items(self) -> dict[str, dict[str, str]]:
        rows = self._dynamodb.scan(TableName=self.table, ConsistentRead=True)["Items"]
        return {
            row["leaseKey"]["S"]: {k: v.get("S", "") for k, v in row.items() if "S" in v}
            for row in rows
        }

    def owners(self) -> dict[str, str]:
        return {shard: row.get("leaseOwner", "") for shard, row in self.items().items()}

    def workers(self) -> set[str]:
        """The workers KCL 3 counts in its fleet (its `-WorkerMetricStats` table)."""
        rows = self._dynamodb.scan(TableName=f"{self.table}-WorkerMetricStats")["Items"]
        return {value["S"] for row in rows for value in row.values() if "S" in value}

    def leader(self) -> str | None:
        rows = self._dynamodb.scan(TableName=f"{self.table}-CoordinatorState")["Items"]
        return next((row["ownerName"]["S"] for row in rows if row["key"]["S"] == "Leader"), None)


def worker_id(process: subprocess.Popen[bytes]) -> str:
    return f"{socket.gethostname()}-{process.pid}"


def kill_daemon(speed: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker's Java daemon (not the Python launcher), as a crashed JVM would die."""
    (java,) = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit()
        and _read(entry / "comm") == "java"
        and _read(entry / "stat").rsplit(")", 1)[-1].split()[1] == str(speed.pid)
    ]
    os.kill(java, signal.SIGKILL)


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def merged_totals(settings: Settings) -> tuple[int, Decimal]:
    engine = DuckDBEngine(settings)
    try:
        (row,) = engine.query(
            "SELECT COUNT(DISTINCT event_id) AS orders, SUM(net_amount) AS net FROM sales_merged"
        ).rows
    finally:
        engine.close()
    return int(row["orders"]), Decimal(str(row["net"] or 0))


def shard_files(settings: Settings, lake_uri: str) -> dict[str, list[tuple[float, str]]]:
    """Landed batch files of a local lake by shard, with when each was written (file names are
    `{shard}-{first}-{last}`)."""
    lake = LakeFiles.open(lake_uri, settings)
    found: dict[str, list[tuple[float, str]]] = {}
    for path in lake.list_files("bronze/sales_events"):
        name = Path(path).stem
        shard = name.rsplit("-", 2)[0]
        found.setdefault(shard, []).append(((Path(lake_uri) / path).stat().st_mtime, name))
    return found


def test_kcl_daemon_lands_every_acknowledged_event_once_across_workers_crashes_and_a_split(
    moto_settings, make_event, tmp_path, pycache
):
    try:
        jars.bundle_dir(KCL_BUNDLE)
    except jars.MissingBundleError as error:
        pytest.skip(str(error))
    create_resources(moto_settings, shards=2)
    lake_uri = str(tmp_path / "lake")
    settings = moto_settings.model_copy(update={"lake_uri": lake_uri})
    env = settings_env(moto_settings, lake_uri, pycache, SALESFLOW_KINESIS_COMPRESSION="false")
    leases = Leases(moto_settings)
    kinesis = aws_client(moto_settings, "kinesis")
    command = ["salesflow", "speed", "--source", "kinesis", "--consumer", "kcl"]

    def landed(ledger: Ledger) -> bool:
        return set(lake_event_ids(moto_settings, lake_uri)) == ledger.ids()

    with (
        ingest_api(env, "kinesis", tmp_path / "api.log", api_key=API_KEY) as api,
        httpx.Client(base_url=api.base_url, headers=api.headers, timeout=10) as client,
    ):
        ledger = Ledger(client, make_event)
        for _ in range(4):
            ledger.post(10)
        compressed = wire_records(make_event, 30)
        put_kinesis_packed(moto_settings, compressed, compressed=True)
        ledger.add(compressed)
        with python_module(command, env, tmp_path / "worker-a.log") as first:
            eventually(lambda: landed(ledger), DAEMON_TIMEOUT, "the first worker's landing")
            assert set(leases.owners().values()) == {worker_id(first)}

            # A second worker: the two share the stream's shards.
            with python_module(command, env, tmp_path / "worker-b.log") as second:
                eventually(
                    lambda: set(leases.owners().values()) == {worker_id(first), worker_id(second)},
                    DAEMON_TIMEOUT,
                    "one shard leased to each worker",
                )
                with traffic(ledger):
                    # SIGKILL the daemon that does not hold the leader lock (KCL 3's leader
                    # lock outlives a crash by two minutes; docs/speed_layer.md).
                    leader = leases.leader()
                    victim = second if leader == worker_id(first) else first
                    survivor = first if victim is second else second
                    eventually(lambda: len(ledger.ids()) > 80, 30, "traffic before the crash")
                    kill_daemon(victim)
                    eventually(
                        lambda: set(leases.owners().values()) == {worker_id(survivor)},
                        DAEMON_TIMEOUT,
                        "the dead worker's lease taken over",
                    )
                    assert victim.wait(timeout=30) != 0
                    with python_module(command, env, tmp_path / "worker-c.log") as restarted:
                        eventually(
                            lambda: worker_id(restarted) in leases.workers(),
                            DAEMON_TIMEOUT,
                            "the restarted worker reporting to the fleet",
                        )
                        # Reshard while traffic flows: shard 0 splits into two children.
                        kinesis.split_shard(
                            StreamName=moto_settings.stream_name,
                            ShardToSplit="shardId-000000000000",
                            NewStartingHashKey=str(2**127 // 2),
                        )
                        eventually(
                            lambda: (
                                len(leases.items()) == 4
                                and leases.items()["shardId-000000000000"]["checkpoint"]
                                == "SHARD_END"
                            ),
                            DAEMON_TIMEOUT,
                            "the parent shard drained to SHARD_END and its children leased",
                        )
                        eventually(lambda: len(ledger.ids()) > 300, 60, "traffic after the split")
                eventually(lambda: landed(ledger), DAEMON_TIMEOUT, "every event landed")
                # What `salesflow up` asks before it stops the emulator, from the lease table.
                eventually(
                    lambda: is_drained(moto_settings, "kinesis", "kcl"),
                    DAEMON_TIMEOUT,
                    "every shard checkpointed to its end",
                )

    bronze = lake_event_ids(moto_settings, lake_uri)
    assert set(bronze) == ledger.ids()
    orders, net = merged_totals(settings)
    assert (orders, net) == (len(ledger.totals), sum(ledger.totals.values()))

    files = shard_files(moto_settings, lake_uri)
    # The API packed each request's events into KPL aggregated records; the daemon handed them
    # over one by one with their sub-sequence numbers, which end the batch keys (`{seq}.{n}`).
    assert any("." in name.rsplit("-", 1)[1] for found in files.values() for _, name in found)
    children = {"shardId-000000000002", "shardId-000000000003"}
    assert set(files) == {"shardId-000000000000", "shardId-000000000001", *children}, files
    parent_done = max(at for at, _ in files["shardId-000000000000"])
    child_start = min(at for shard in children for at, _ in files[shard])
    assert parent_done <= child_start, "a child shard landed before its parent was drained"
