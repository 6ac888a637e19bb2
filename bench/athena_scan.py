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
demo catalog's reference tables are loaded through the versioned loader; T is first published
with no gold day, so the refresh's figures are the bronze since T alone.

Gold: `--gold-days` (30) business days of `sales_wide` before the day the dashboard asks, at
`--gold-events-per-day` (100k, a tenth of the bronze day's volume, so the history writes in
seconds and uploads to the moto server in about a minute; each day's file, about 10 MB, stays
above Trino's 3 MB small-file threshold, so Trino reads only its `event_id` column as from a day
at 1M events), published with per-day manifests as the batch publishes them
(`bench.gold_history`: written with pyarrow as the Spark job writes them, ULID event ids, 2 or 3
lines per event; what differs from Spark is said there). The real-time view's anti-join reads
gold's `event_id` column for every gold day its window holds (`views/sales_realtime_unbatched.sql`,
ADR 0022). In the same Trino session, the gold state is published and the refresh's real-time
queries run again twice, with the views the real `AthenaEngine` installs from `Settings` with
`realtime_dedup_days` = 3 (the Terraform default) and = 0 (every gold day). Gold holds no line
of the day asked, so what a query reads more than with no gold day is its anti-join's read:
reported per gold event looked up, against the `event_id` column chunks' size in the files (the
ratio shows Trino reads that column alone), and the window's read against every day's (it
should be the window's share of gold's events: partition projection prunes gold to the days of
the view's literal; the run warns when it does not).

The refresh: the requests `refresh()` in serving/static/dashboard.html sends with the page's
defaults (today, hourly, no comparison, ranked by net revenue, no filter), and the till
reconciliation panel's one, for the reporting day most of the events fall on (the same SQL as
today's late in the day, whatever the hour the benchmark runs at). The SQL texts are those the
query API sends its engine (recorded on the DuckDB engine over the same lake, as
tests/integration/serving/test_athena_sql_on_trino.py does: the Athena engine sends the same
texts); the Glue tables and views are those the real `AthenaEngine` installs on the moto server,
replayed on Trino (`devstack.trino_athena`). The refresh is recorded twice in one query API: a
run's first refresh also asks gold's part of the reconciliation counts, which the next ones do
not (`serving.reconciliation.counts`); the second is the refresh the cost model prices every
time, and the queries only the first sent are measured once, with the gold history published.

Baseline, from the same lake: the whole bronze files since T per event, which the cost model
priced every refresh at before (`bench.freshness`'s "bronze bytes per event, hours compacted").
Each query's figure is its scanned bytes per real-time event since T against that baseline; the
refresh's is their sum. Results: bench/results/athena_scan.json, read by devstack/cost/inputs.py
(the bronze figures, and the anti-join's bytes per query per event of history).
Takes about 15 minutes on a shared 2-core machine at the default million events (4.5 to build
the lake, 6 on Trino without gold, the rest with it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from bench.gold_history import GoldHistory, write_gold_history
from bench.publication import gold_only_publication
from bench.results_file import Figure, figure, write_results
from contract import wire
from contract.aws import aws_client
from contract.event import SaleEvent
from contract.lake import BRONZE_EVENTS, PUBLISHED_POINTER, bronze_partition
from contract.lake_io import LakeFiles
from contract.pydantic_fast import validate_json
from contract.settings import Settings
from devstack.catalog import Catalog, build_catalog, write_reference
from devstack.jars import MissingBundleError, bundle_dir
from devstack.local_servers import FAKE_CREDENTIALS, moto_server
from devstack.simulator.events import EventFactory
from devstack.simulator.rhythm import Rhythm, StoreTraffic
from devstack.trino import BUNDLE, StatementStats, TrinoError, TrinoServer, java_for_trino
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
from serving.sql_files import dedup_from_date
from speed_layer.compaction import compact_hour
from speed_layer.landing import land
from speed_layer.records import Batch, DeliveredRecord

EVENTS = 1_000_000
"""A day at 1M events/day, the cost table's middle column (and about the freshness run's)."""
BATCH_EVENTS = 500
"""Events per landed file: the speed layer's batch size (SALESFLOW_SPEED_BATCH_SIZE)."""
COMPACTION_EVERY = timedelta(minutes=10)
"""The `batch` module's compaction schedule (`salesflow compact --open-hours`)."""
GOLD_DAYS = 30
"""Days of gold history before T (T's own day, up to T, included)."""
GOLD_EVENTS_PER_DAY = 100_000
"""A tenth of the 1M events/day of bronze: each day's file (about 10 MB) stays above Trino's
3 MB small-file threshold, so only its `event_id` column is read, as from a day at 1M events;
30 days at 1M would take minutes to write and to upload to the moto server."""
DEDUP_DAYS = 3
"""The window the Terraform root sets (`realtime_dedup_days`, ADR 0022); 0 is every gold day."""
SOURCE = "bench"
RUN_ID = "athena-scan"
"""The published state with no gold day, the bronze-only measurement's."""
GOLD_RUN_ID = "athena-scan-gold"
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


AFTER_PUBLICATION = "after a publication"
"""The label prefix of the first refresh a serving task answers after a run is published: it
also reads gold's part of the reconciliation counts, which the task keeps until the next run
(`serving.reconciliation.counts`); the refreshes after it do not."""
PANEL_BY_PANEL = "panel by panel"


def after_publication_requests(today: date) -> list[Request]:
    """`refresh_requests`, asked first after a publication."""
    return [
        Request(f"{AFTER_PUBLICATION}: {r.label}", r.path, r.params)
        for r in refresh_requests(today)
    ]


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


def build_lake(lake: Path, catalog: Catalog, events: int, batch_events: int, now: datetime) -> Lake:
    """The demo catalog, `events` simulated events landed and compacted since T, T published."""
    settings = Settings(lake_uri=str(lake))
    write_reference(str(lake), catalog, settings=settings)
    files = LakeFiles.open(str(lake), settings)
    cutoff = (now - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    factory = event_factory(catalog, SEED, "scan")
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
        batch.append(delivered(factory, ingested_at, f"bench:{number}"))
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


def event_factory(catalog: Catalog, seed: int, run_tag: str) -> EventFactory:
    """The simulator's events over the demo catalog, every store at its weight, flat in time."""
    rhythm = Rhythm(
        [StoreTraffic(store, catalog.traffic_weight(store.store_id)) for store in catalog.stores],
        flat=True,
    )
    return EventFactory(catalog, rhythm, seed=seed, run_tag=run_tag)


def delivered(factory: EventFactory, ingested_at: datetime, sequence: str) -> DeliveredRecord:
    """The factory's next event as the speed layer receives it: validated and stamped as the
    ingest API stamps it (`contract.wire`)."""
    outgoing = factory.next_event(ingested_at)
    event = validate_json(SaleEvent, json.dumps(outgoing.payload))
    factory.remember_acknowledged(outgoing)
    data = wire.encode_accepted(event, ingested_at=ingested_at, source=SOURCE)
    return DeliveredRecord(data, sequence)


def publish_cutoff(files: LakeFiles, cutoff: datetime, now: datetime) -> None:
    """A published state with T = `cutoff` and no gold day: the views prune bronze to T."""
    publication = gold_only_publication(RUN_ID, cutoff, 0, published_at=now)
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


Scan = tuple[IssuedQuery, StatementStats]


@dataclass(frozen=True)
class Scans:
    without_gold: list[Scan]
    """Every measured query (`measured`), T published with no gold day: the bronze since T they
    read."""
    with_gold: dict[int, list[Scan]]
    """By `realtime_dedup_days` (0: every day), the refresh's queries over the real-time view
    with the gold history published, the views installed with that window."""
    once_per_run: list[Scan]
    """With the gold history published, the queries a serving task sends once per run."""


@contextmanager
def lake_on_emulator(lake: Path) -> Iterator[tuple[str, Settings]]:
    """A moto server with Athena's resources and `lake` uploaded under LAKE_PREFIX of the lake
    bucket: its endpoint, and the settings that reach it, their lake that S3 folder."""
    with moto_server() as endpoint:
        emulated = Settings(aws_endpoint_url=endpoint)
        settings = emulated.model_copy(
            update={"lake_uri": f"s3://{emulated.lake_bucket}/{LAKE_PREFIX}"}
        )
        create_athena_resources(settings)
        upload_lake(settings, lake, LAKE_PREFIX)
        yield endpoint, settings


def scan_on_trino(
    lake: Path,
    issued: list[IssuedQuery],
    gold: GoldHistory,
    work_dir: Path,
    small_file_threshold: str | None,
) -> Scans:
    """Upload the lake to the moto server, let `AthenaEngine` install its tables and views
    there, replay them on Trino and run every issued query; then publish the gold history and
    run the refresh's real-time queries again, once per dedup window, each time with the views
    the real `AthenaEngine` installs from `Settings` with that window."""
    with lake_on_emulator(lake) as (endpoint, settings):
        install_views(settings)
        properties = (
            {"parquet.small-file-threshold": small_file_threshold} if small_file_threshold else {}
        )
        with athena_trino(
            endpoint, work_dir, heap="4G", query_memory="2GB", catalog_properties=properties
        ) as trino:
            install_catalog(trino, settings)
            without_gold = run_on_trino(trino, settings, measured(issued), "no gold")
            aws_client(settings, "s3").put_object(
                Bucket=settings.lake_bucket,
                Key=f"{LAKE_PREFIX}/{PUBLISHED_POINTER}",
                Body=gold.publication.model_dump_json().encode(),
            )
            realtime = [q for q in issued if reads_realtime(q.sql) and in_refresh(q)]
            with_gold = {}
            for days in (DEDUP_DAYS, 0):
                windowed = settings.model_copy(update={"realtime_dedup_days": days})
                install_views(windowed)
                install_catalog(trino, windowed)
                with_gold[days] = run_on_trino(trino, windowed, realtime, window_label(days))
            per_run = run_on_trino(trino, settings, once_per_run(issued), "once per run")
    return Scans(without_gold, with_gold, per_run)


def install_views(settings: Settings) -> None:
    """What the real `AthenaEngine` sends Glue and Athena for the published run and `settings`
    (a new engine installs on its first refresh)."""
    athena = AthenaEngine(settings)
    try:
        athena.refresh()
    finally:
        athena.close()


def run_on_trino(
    trino: TrinoServer, settings: Settings, queries: list[IssuedQuery], label: str
) -> list[Scan]:
    scans = []
    for query in queries:
        _, stats = trino_query(trino, query.sql, schema=settings.glue_database)
        print(
            f"{label}: {query.request.label}: {stats.physical_input_bytes:,} bytes read, "
            f"{stats.wall_time_ms / 1000:.1f} s"
        )
        scans.append((query, stats))
    return scans


def window_label(days: int) -> str:
    return f"window of {days} gold days" if days else "every gold day"


REALTIME_RELATIONS = ("bronze_sales_events", "sales_realtime", MERGED_VIEW)
"""Bronze, and the views over it (`sales_realtime_unbatched`, `sales_merged_current_attributes`
included): a query naming one reads the day's bronze since T."""


def reads_realtime(sql: str) -> bool:
    return any(relation in sql for relation in REALTIME_RELATIONS)


def in_refresh(query: IssuedQuery) -> bool:
    """A query of the dashboard's refresh as every refresh but a run's first sends it, not of
    the panel-by-panel baseline."""
    return not query.request.label.startswith((PANEL_BY_PANEL, AFTER_PUBLICATION))


def measured(issued: list[IssuedQuery]) -> list[IssuedQuery]:
    """The issued queries but those of a run's first refresh that the next one sends again."""
    later = [query for query in issued if not query.request.label.startswith(AFTER_PUBLICATION)]
    return once_per_run(issued) + later


def once_per_run(issued: list[IssuedQuery]) -> list[IssuedQuery]:
    """The queries of a run's first refresh that the next refresh does not send again."""
    every_refresh = {query.sql for query in issued if in_refresh(query)}
    return [
        query
        for query in issued
        if query.request.label.startswith(AFTER_PUBLICATION) and query.sql not in every_refresh
    ]


def figures_of(lake: Lake, all_scans: list[Scan]) -> list[Figure]:
    whole = lake.bytes / lake.events
    scans = [s for s in all_scans if in_refresh(s[0])]
    panel_by_panel = sum(
        stats.physical_input_bytes for query, stats in all_scans if not in_refresh(query)
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


def gold_figures(lake: Lake, gold: GoldHistory, scans: Scans) -> list[Figure]:
    """What gold adds to the refresh's real-time queries: each one's bytes with the gold history
    published less the same query's with no gold day.

    Gold holds no line of the day asked, so the anti-join is what reads it: gold's part of the
    reconciliation counts, which reads the gold days of the panel's lookback, is asked once per
    run (`Scans.once_per_run`), and a refresh's read besides the anti-join should be about
    nothing. The anti-join is the one read that changes with the window, so the bytes per gold
    event come from the difference between every day and the window (the days outside the
    window, which only the anti-join reads), and the window's pruning from the query that reads
    least with the window against every day: a read besides the anti-join can only bring that
    ratio nearer to 1."""
    ids_per_event = gold.event_id_bytes / gold.events
    bronze = {query.sql: stats.physical_input_bytes for query, stats in scans.without_gold}
    others = sum(read for sql, read in bronze.items() if not reads_realtime(sql))
    added = {
        days: [stats.physical_input_bytes - bronze[q.sql] for q, stats in with_gold]
        for days, with_gold in scans.with_gold.items()
    }
    window, every = added[DEDUP_DAYS], added[0]
    outside = [e - w for e, w in zip(every, window, strict=True)]
    reading = [read for read in outside if read > 0]
    outside_events = gold.events - gold.events_since(dedup_from(lake.cutoff, DEDUP_DAYS))
    anti_join = sum(reading) / max(1, len(reading)) / max(1, outside_events)
    purest = min(range(len(every)), key=lambda i: window[i] / every[i] if every[i] else 1.0)
    share = gold.events_since(dedup_from(lake.cutoff, DEDUP_DAYS)) / gold.events
    besides_anti_join = sum(w - window[purest] for w, e in zip(window, every, strict=True) if e)
    lookback = reconciliation_days([q.sql for q, _ in scans.without_gold])
    per_run_bytes = sum(
        stats.physical_input_bytes - bronze[query.sql] for query, stats in scans.once_per_run
    )
    figures = [
        figure("gold history: days", len(gold.events_by_day), "days"),
        figure("gold history: events", gold.events, "events"),
        figure("gold history: lines per event", gold.lines / gold.events, "lines"),
        figure("gold history: MiB of day files", gold.bytes / 2**20, "MiB"),
        figure("gold event_id column chunks: bytes per event", ids_per_event, "bytes"),
        figure(
            "gold event_id column chunks: bytes per event, the simulator's ids",
            gold.simulator_id_bytes_per_event,
            "bytes",
            baseline=ids_per_event,
        ),
        figure("anti-join: real-time queries that read gold", len(reading), "queries"),
        figure(
            "anti-join: bytes per gold event, per query that reads gold "
            "(baseline: the event_id column chunks)",
            anti_join,
            "bytes",
            baseline=ids_per_event,
        ),
        figure(
            ANTI_JOIN_BYTES_PER_EVENT,
            sum(reading) / len(every) / max(1, outside_events),
            "bytes",
            baseline=ids_per_event,
        ),
        figure(
            f"anti-join: gold events in the window of {DEDUP_DAYS} days, share of all",
            share,
            "share",
        ),
        figure(
            f"anti-join: gold bytes, window of {DEDUP_DAYS} days (baseline: every gold day; "
            "the query that reads gold least besides)",
            window[purest],
            "bytes",
            baseline=every[purest],
        ),
        figure(
            "dashboard refresh: gold MiB read besides the anti-join",
            besides_anti_join / 2**20,
            "MiB",
        ),
        figure(
            "once per run: gold MiB read (reconciliation counts of the lookback days)",
            per_run_bytes / 2**20,
            "MiB",
        ),
        figure(
            RECONCILIATION_BYTES_PER_EVENT,
            per_run_bytes / max(1, gold.events_between(*lookback)),
            "bytes",
        ),
    ]
    for days, with_gold in scans.with_gold.items():
        label = window_label(days)
        figures += [
            figure(
                f"anti-join, {label}: gold days looked up",
                sum(1 for d in gold.events_by_day if d >= dedup_from(lake.cutoff, days)),
                "days",
            ),
            figure(f"anti-join, {label}: MiB added per refresh", sum(added[days]) / 2**20, "MiB"),
            figure(
                f"dashboard refresh, {label}: bytes scanned per event since T",
                (sum(stats.physical_input_bytes for _, stats in with_gold) + others) / lake.events,
                "bytes",
                baseline=lake.bytes / lake.events,
            ),
        ]
    warn_unless_pruned(window[purest] / max(1, every[purest]), share)
    return figures


RECONCILIATION_BYTES_PER_EVENT = (
    "reconciliation counts: gold bytes read once per run per event of the lookback days"
)
"""The cost model's `reconciliation_gold_bytes_per_event`: gold's part of the reconciliation
counts reads the gold days of the lookback (`SALESFLOW_RECONCILIATION_LOOKBACK_DAYS`) once per
published run and serving task (`serving.reconciliation.counts`), not on every refresh."""
_BUSINESS_DAYS = re.compile(r"BETWEEN DATE '(\d{4}-\d{2}-\d{2})' AND DATE '(\d{4}-\d{2}-\d{2})'")


def reconciliation_days(issued_sql: list[str]) -> tuple[date, date]:
    """The business days the reconciliation panel's query asks for (`counted_groups_sql`)."""
    for sql in issued_sql:
        if "count(DISTINCT event_id) AS events" in sql and (found := _BUSINESS_DAYS.search(sql)):
            return date.fromisoformat(found[1]), date.fromisoformat(found[2])
    raise RuntimeError("no reconciliation query among the refresh's: its SQL has changed")


ANTI_JOIN_BYTES_PER_EVENT = "anti-join: gold bytes read per query per event of history"
"""The cost model's `gold_event_id_bytes_per_event`: what the anti-join reads per event of the
gold days it looks up, per query as the model counts them (all of the refresh's real-time
queries, the one that reads no gold included)."""


def dedup_from(cutoff: datetime, days: int) -> date:
    """The first gold day the view's anti-join reads with `days` (the view's own literal)."""
    return date.fromisoformat(dedup_from_date(cutoff, days))


def warn_unless_pruned(ratio: float, share: float) -> None:
    """Say loudly when the window's literal did not prune gold's partitions: its read should
    be the window's share of every day's, the footers of a few files aside."""
    if ratio > 1.25 * share + 0.01:
        print(
            f"WARNING: with a window of {DEDUP_DAYS} days the anti-join read {ratio:.3f} of what "
            f"it read over every gold day, while the window holds {share:.3f} of gold's events: "
            "Trino did not prune gold's partitions to the window"
        )


def lake_with_gold(
    lake_dir: Path, events: int, batch_events: int, gold_days: int, gold_events_per_day: int
) -> tuple[Lake, GoldHistory, date]:
    """`build_lake`'s day since T and a gold history before it, and the reporting day the
    dashboard asks for: the one most of the events fall on, as it asks for today late in the
    day. Gold ends the day before: as at a deployment's T near local midnight, it holds no line
    of the day asked, so what a query reads more with gold is its lookup of gold's sales."""
    now = datetime.now(UTC)
    started = time.perf_counter()
    catalog = build_catalog()
    lake = build_lake(lake_dir, catalog, events, batch_events, now)
    print(
        f"{lake.events:,} events since {lake.cutoff:%Y-%m-%d %H:%M} UTC in {lake.files} files, "
        f"{lake.bytes / 2**20:.1f} MiB ({time.perf_counter() - started:.0f} s)"
    )
    zone = ZoneInfo(local_settings(lake_dir).reporting_tz)
    day = (lake.cutoff + timedelta(hours=12)).astimezone(zone).date()
    started = time.perf_counter()
    gold = write_gold_history(
        lake_dir,
        catalog,
        run_id=GOLD_RUN_ID,
        cutoff=lake.cutoff,
        last_day=day - timedelta(days=1),
        days=gold_days,
        events_per_day=gold_events_per_day,
        reporting_tz=zone.key,
        seed=SEED,
    )
    print(
        f"gold history: {gold.events:,} events in {gold_days} days, {gold.bytes / 2**20:.1f} MiB "
        f"({time.perf_counter() - started:.0f} s)"
    )
    return lake, gold, day


def measure(
    workdir: Path,
    events: int,
    batch_events: int,
    gold_days: int,
    gold_events_per_day: int,
    small_file_threshold: str | None = None,
) -> list[Figure]:
    lake_dir = workdir / "lake"
    lake, gold, day = lake_with_gold(lake_dir, events, batch_events, gold_days, gold_events_per_day)
    issued = record_queries(lake_dir, after_publication_requests(day) + refresh_requests(day))
    print(
        f"{len(issued)} queries recorded for a run's first refresh and the next "
        f"({len(once_per_run(issued))} sent once per run)"
    )
    issued += record_queries(lake_dir, panel_by_panel_requests(day))
    scans = scan_on_trino(lake_dir, issued, gold, workdir / "trino", small_file_threshold)
    return figures_of(lake, scans.without_gold) + gold_figures(lake, gold, scans)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.athena_scan", description=__doc__)
    parser.add_argument("--events", type=int, default=EVENTS, help="real-time events since T")
    parser.add_argument(
        "--batch-events", type=int, default=BATCH_EVENTS, help="events per landed file"
    )
    parser.add_argument(
        "--gold-days", type=int, default=GOLD_DAYS, help="days of gold history before T"
    )
    parser.add_argument(
        "--gold-events-per-day",
        type=int,
        default=GOLD_EVENTS_PER_DAY,
        help="events per day of gold history",
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
        figures = measure(
            Path(workdir),
            args.events,
            args.batch_events,
            args.gold_days,
            args.gold_events_per_day,
            args.small_file_threshold,
        )
    write_results(
        "athena_scan_column_chunks" if args.small_file_threshold else "athena_scan", figures
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
