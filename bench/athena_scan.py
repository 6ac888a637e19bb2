"""What a dashboard refresh scans on Athena, measured on Trino: `python -m bench.athena_scan`.

Athena bills the bytes a query reads from S3, and Trino (Athena engine v3's engine) reads only
the Parquet column chunks a query needs, plus each file's footer. This runs every SQL text one
refresh of the dashboard sends for today on a real Trino over the lake in the moto server's S3,
and takes each query's `physicalInputBytes` (the bytes read from storage, what Athena bills as
data scanned) from Trino's client protocol.

The lake: a day of real-time events since T, as late in the day as the cost model prices a
refresh. The simulator's events (the demo catalog, its sales, returns, late sales and resends;
`devstack.simulator.events`) are stamped as the ingest API stamps them (`contract.wire`) and
landed by the speed layer's own `land()` in batches of `--batch-events`, ingested evenly from T
(24 hours ago, on the hour) to a minute ago. Compaction runs as the deployment runs it, every 10
minutes over the open hour (`compact_hour`), so each closed hour is one file (its batches gathered
into row groups of up to 128Ki rows), and the newest minutes are still the landed batches. The
demo catalog's reference tables are loaded through the versioned loader; T is published with
no gold day, so the real-time view's anti-join against gold reads nothing (that read grows with
gold's history, not with the day's events, and is left out here: docs/cost.md).

The refresh: the requests `refresh()` in serving/static/dashboard.html sends with the page's
defaults (today, hourly, no comparison, ranked by net revenue, no filter), and the till
reconciliation panel's one, for the reporting day most of the events fall on (the same SQL as
today's late in the day, whatever the hour the benchmark runs at). The SQL texts are those the
query API sends its engine (recorded on the DuckDB engine over the same lake, as
tests/integration/serving/test_athena_sql_on_trino.py does: the Athena engine sends the same
texts); the Glue tables and views are those the real `AthenaEngine` installs on the moto server,
replayed on Trino (`devstack.trino_athena`).

Baseline, from the same lake: the whole bronze files since T per event, which the cost model
priced every refresh at before (`bench.freshness`'s "bronze bytes per event, hours compacted").
Each query's figure is its scanned bytes per real-time event since T against that baseline; the
refresh's is their sum. Results: bench/results/athena_scan.json, read by devstack/cost/inputs.py.
Takes about 11 minutes on a shared 2-core machine at the default million events (4.5 to build
the lake, 6 on Trino).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from bench.results_file import Figure, figure, write_results
from contract import wire
from contract.event import SaleEvent
from contract.gold import SALES_WIDE
from contract.lake import BRONZE_EVENTS, PUBLISHED_POINTER, bronze_partition, sales_wide_manifest
from contract.lake_io import LakeFiles
from contract.publication import Publication
from contract.pydantic_fast import validate_json
from contract.settings import Settings
from devstack.catalog import build_catalog, write_reference
from devstack.jars import MissingBundleError, bundle_dir
from devstack.local_servers import FAKE_CREDENTIALS, moto_server
from devstack.simulator.events import EventFactory
from devstack.simulator.rhythm import Rhythm, StoreTraffic
from devstack.trino import BUNDLE, StatementStats, TrinoError, java_for_trino
from devstack.trino_athena import (
    RecordingEngine,
    athena_trino,
    create_athena_resources,
    install_catalog,
    trino_query,
    upload_lake,
)
from serving.app import create_app
from serving.engines.athena_engine import AthenaEngine
from serving.engines.duckdb_engine import DuckDBEngine
from serving.queries import MERGED_VIEW
from speed_layer.compaction import compact_hour
from speed_layer.landing import land
from speed_layer.records import Batch, DeliveredRecord

EVENTS = 1_000_000
"""A day at 1M events/day, the cost table's middle column (and about the freshness run's)."""
BATCH_EVENTS = 500
"""Events per landed file: the speed layer's batch size (SALESFLOW_SPEED_BATCH_SIZE)."""
COMPACTION_EVERY = timedelta(minutes=10)
"""The `batch` module's compaction schedule (`salesflow compact --open-hours`)."""
SOURCE = "bench"
RUN_ID = "athena-scan"
LAKE_PREFIX = "lake"
SEED = 7


@dataclass(frozen=True)
class Request:
    label: str
    path: str
    params: dict[str, str | list[str]] = field(default_factory=dict)


PANELS = {
    "category": "category",
    "brand": "brand",
    "region, state": "store_region,store_state",
    "payment": "payment_method",
    "channel": "channel",
}
"""The dashboard's breakdown panels and the `group_by` of each."""


def refresh_requests(today: date) -> list[Request]:
    """What one refresh of the dashboard asks showing today with its defaults: `refresh()` in
    serving/static/dashboard.html (a day is shown by hour; every panel's totals in one
    breakdowns request; top products and slow movers by net revenue; customers) and the
    reconciliation panel's request."""
    day = _day(today)
    products = {**day, "order_by": "net_revenue", "limit": "10"}
    return [
        Request("freshness", "/v1/freshness"),
        Request("sales by hour", "/v1/metrics/sales", {**day, "granularity": "hour"}),
        Request(
            "panels",
            "/v1/metrics/sales/breakdowns",
            {**day, "granularity": "total", "group_by": list(PANELS.values())},
        ),
        Request("top products", "/v1/metrics/top-products", products),
        Request("slow movers", "/v1/metrics/top-products", {**products, "slow_movers": "true"}),
        Request("customers", "/v1/metrics/customers"),
        Request("reconciliation panel", "/v1/reconciliations"),
    ]


PANEL_BY_PANEL = "panel by panel"


def panel_by_panel_requests(today: date) -> list[Request]:
    """The same panels as the dashboard asked them before `/v1/metrics/sales/breakdowns`: one
    `/v1/metrics/sales` request each, the baseline of the `panels` request."""
    total = {**_day(today), "granularity": "total"}
    return [
        Request(f"{PANEL_BY_PANEL}: sales by {name}", "/v1/metrics/sales", {**total, "group_by": g})
        for name, g in PANELS.items()
    ]


def _day(today: date) -> dict[str, str | list[str]]:
    return {"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}


@dataclass(frozen=True)
class Lake:
    cutoff: datetime
    events: int
    """Bronze rows since T (every copy the speed layer landed, resends included)."""
    files: int
    bytes: int
    """The bronze files' whole size."""


def build_lake(lake: Path, events: int, batch_events: int, now: datetime) -> Lake:
    """The demo catalog, `events` simulated events landed and compacted since T, T published."""
    settings = Settings(lake_uri=str(lake))
    catalog = build_catalog()
    write_reference(str(lake), catalog, settings=settings)
    files = LakeFiles.open(str(lake), settings)
    cutoff = (now - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    rhythm = Rhythm(
        [StoreTraffic(store, catalog.traffic_weight(store.store_id)) for store in catalog.stores],
        flat=True,
    )
    factory = EventFactory(catalog, rhythm, seed=SEED, run_tag="scan")
    step = (now - timedelta(minutes=1) - cutoff) / events
    batch: list[DeliveredRecord] = []
    landed = 0
    next_run = cutoff + COMPACTION_EVERY

    def flush() -> None:
        nonlocal batch, landed
        if batch:
            report = land(Batch(f"scan-{landed:07d}", tuple(batch)), files)
            if not report.ok or report.quarantined:
                raise RuntimeError(f"the speed layer did not land batch {landed}: {report}")
            landed += 1
            batch = []

    for number in range(events):
        ingested_at = cutoff + step * (number + 0.5)
        while ingested_at >= next_run:
            flush()
            compact_hour(files, bronze_partition(next_run - COMPACTION_EVERY))
            next_run += COMPACTION_EVERY
        outgoing = factory.next_event(ingested_at)
        event = validate_json(SaleEvent, json.dumps(outgoing.payload))
        factory.remember_acknowledged(outgoing)
        data = wire.encode_accepted(event, ingested_at=ingested_at, source=SOURCE)
        batch.append(DeliveredRecord(data, f"bench:{number}"))
        if len(batch) == batch_events:
            flush()
    flush()  # the newest minutes: landed since the compactor's last run
    publish_cutoff(files, cutoff, now)
    paths = sorted((lake / BRONZE_EVENTS).rglob("*.parquet"))
    return Lake(
        cutoff=cutoff,
        events=sum(pq.read_metadata(path).num_rows for path in paths),
        files=len(paths),
        bytes=sum(path.stat().st_size for path in paths),
    )


def publish_cutoff(files: LakeFiles, cutoff: datetime, now: datetime) -> None:
    """A published state with T = `cutoff` and no gold day: the views prune bronze to T."""
    publication = Publication(
        run_id=RUN_ID,
        cutoff=cutoff,
        published_at=now,
        tables={SALES_WIDE: sales_wide_manifest(RUN_ID)},
        input_counts={},
        output_counts={SALES_WIDE: 0},
        quality_counts={},
        duplicates=0,
        duration_seconds=0.0,
    )
    files.write_bytes(PUBLISHED_POINTER, publication.model_dump_json().encode())


@dataclass(frozen=True)
class IssuedQuery:
    request: Request
    sql: str


def record_queries(lake: Path, requests: list[Request]) -> list[IssuedQuery]:
    """Each SQL text the query API sends its engine for `requests`, in order, by request."""
    settings = local_settings(lake)
    recording = RecordingEngine(DuckDBEngine(settings), [])
    issued: list[IssuedQuery] = []
    try:
        with TestClient(create_app(settings, recording)) as client:
            for request in requests:
                before = len(recording.answered)
                response = client.get(request.path, params=request.params)
                if response.status_code not in (200, 404):
                    raise RuntimeError(f"{request.path} answered {response.status_code}")
                issued += [IssuedQuery(request, sql) for sql, _ in recording.answered[before:]]
    finally:
        recording.close()
    return issued


def local_settings(lake: Path) -> Settings:
    """The query API over the local lake, without its cache or background work: every request
    reaches the engine, and nothing else does."""
    return Settings(
        lake_uri=str(lake),
        serving_cache_seconds=0,
        serving_refresh_seconds=0,
        reconciliation_check_seconds=0,
    )


def scan_on_trino(
    lake: Path, issued: list[IssuedQuery], work_dir: Path, small_file_threshold: str | None
) -> Iterator[tuple[IssuedQuery, StatementStats]]:
    """Upload the lake to the moto server, let `AthenaEngine` install its tables and views
    there, replay them on Trino and run every issued query: its statistics, one by one."""
    with moto_server() as endpoint:
        emulated = Settings(aws_endpoint_url=endpoint)
        settings = emulated.model_copy(
            update={"lake_uri": f"s3://{emulated.lake_bucket}/{LAKE_PREFIX}"}
        )
        create_athena_resources(settings)
        upload_lake(settings, lake, LAKE_PREFIX)
        athena = AthenaEngine(settings)
        try:
            athena.refresh()
        finally:
            athena.close()
        properties = (
            {"parquet.small-file-threshold": small_file_threshold} if small_file_threshold else {}
        )
        with athena_trino(
            endpoint, work_dir, heap="4G", query_memory="2GB", catalog_properties=properties
        ) as trino:
            install_catalog(trino, settings)
            for query in issued:
                _, stats = trino_query(trino, query.sql, schema=settings.glue_database)
                print(
                    f"{query.request.label}: {stats.physical_input_bytes:,} bytes read, "
                    f"{stats.wall_time_ms / 1000:.1f} s"
                )
                yield query, stats


REALTIME_RELATIONS = ("bronze_sales_events", "sales_realtime", MERGED_VIEW)
"""Bronze, and the views over it (`sales_realtime_unbatched`, `sales_merged_current_attributes`
included): a query naming one reads the day's bronze since T."""


def reads_realtime(sql: str) -> bool:
    return any(relation in sql for relation in REALTIME_RELATIONS)


def figures_of(lake: Lake, all_scans: list[tuple[IssuedQuery, StatementStats]]) -> list[Figure]:
    whole = lake.bytes / lake.events
    scans = [s for s in all_scans if not s[0].request.label.startswith(PANEL_BY_PANEL)]
    panel_by_panel = sum(
        stats.physical_input_bytes
        for query, stats in all_scans
        if query.request.label.startswith(PANEL_BY_PANEL)
    )
    panels = sum(stats.physical_input_bytes for q, stats in scans if q.request.label == "panels")
    per_request: dict[str, int] = {}
    rows = []
    for query, stats in scans:
        label = query.request.label
        per_request[label] = per_request.get(label, 0) + 1
        rows.append(
            (
                f"{label} #{per_request[label]}",
                reads_realtime(query.sql),
                stats.physical_input_bytes,
            )
        )
    scanned = sum(read for _, _, read in rows)
    realtime = [read for _, on_realtime, read in rows if on_realtime]
    others = [read for _, on_realtime, read in rows if not on_realtime]
    figures = [
        figure("real-time events since T", lake.events, "events"),
        figure("bronze files since T", lake.files, "files"),
        figure("bronze whole-file bytes per event since T", whole, "bytes"),
        figure("dashboard refresh: Athena queries", len(rows), "queries"),
        figure("dashboard refresh: queries over the real-time side", len(realtime), "queries"),
        figure("dashboard refresh: other queries", len(others), "queries"),
        figure("dashboard refresh: MiB scanned", scanned / 2**20, "MiB"),
        figure(
            "dashboard refresh: bytes scanned per event since T",
            scanned / lake.events,
            "bytes",
            baseline=whole,
        ),
        figure(
            "real-time queries: bytes scanned per event since T",
            sum(realtime) / lake.events,
            "bytes",
            baseline=whole,
        ),
        figure(
            "real-time queries: mean bytes scanned per event",
            sum(realtime) / lake.events / max(1, len(realtime)),
            "bytes",
            baseline=whole,
        ),
        figure("other queries: KiB scanned, all together", sum(others) / 1024, "KiB"),
        figure(
            f"the {len(PANELS)} breakdown panels in one request: bytes scanned per event "
            "(baseline: one request per panel)",
            panels / lake.events,
            "bytes",
            baseline=panel_by_panel / lake.events,
        ),
    ]
    figures += [
        figure(f"{name}: bytes scanned per event", read / lake.events, "bytes", baseline=whole)
        for name, _, read in rows
    ]
    return figures


def measure(
    workdir: Path, events: int, batch_events: int, small_file_threshold: str | None = None
) -> list[Figure]:
    now = datetime.now(UTC)
    lake_dir = workdir / "lake"
    started = time.perf_counter()
    lake = build_lake(lake_dir, events, batch_events, now)
    print(
        f"{lake.events:,} events since {lake.cutoff:%Y-%m-%d %H:%M} UTC in {lake.files} files, "
        f"{lake.bytes / 2**20:.1f} MiB ({time.perf_counter() - started:.0f} s)"
    )
    # The day most of the events fall on, asked as the dashboard asks for today late in the day.
    zone = ZoneInfo(local_settings(lake_dir).reporting_tz)
    day = (lake.cutoff + timedelta(hours=12)).astimezone(zone).date()
    issued = record_queries(lake_dir, refresh_requests(day))
    print(f"{len(issued)} queries recorded for one refresh")
    issued += record_queries(lake_dir, panel_by_panel_requests(day))
    scans = list(scan_on_trino(lake_dir, issued, workdir / "trino", small_file_threshold))
    return figures_of(lake, scans)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.athena_scan", description=__doc__)
    parser.add_argument("--events", type=int, default=EVENTS, help="real-time events since T")
    parser.add_argument(
        "--batch-events", type=int, default=BATCH_EVENTS, help="events per landed file"
    )
    parser.add_argument(
        "--small-file-threshold",
        help="Trino's parquet.small-file-threshold (its default, 3MB: a smaller file is read "
        "whole); `0B` reads only the column chunks a query needs, as from files above it. "
        "Results then go to athena_scan_column_chunks.json, which the cost model does not read",
    )
    args = parser.parse_args()
    try:
        bundle_dir(BUNDLE)
        java_for_trino()
    except (MissingBundleError, TrinoError) as missing:
        print(f"skipped: {missing}")  # `make setup` fetches the bundle; results left as they are
        return 0
    os.environ.update({k: v for k, v in FAKE_CREDENTIALS.items() if k not in os.environ})
    with tempfile.TemporaryDirectory(prefix="bench-athena-scan-") as workdir:
        figures = measure(Path(workdir), args.events, args.batch_events, args.small_file_threshold)
    write_results(
        "athena_scan_column_chunks" if args.small_file_threshold else "athena_scan", figures
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
