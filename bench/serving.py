"""Serving benchmarks on DuckDB: today's dashboard queries over the merged view against the
same queries over gold alone, measured in the same run on the same lake.

Data, generated vectorised with numpy and pyarrow: a retailer selling 200k lines a day. Gold
holds 10M sales_wide lines (the 50 days before T, hive-partitioned by sale_date); T is today's
local midnight, when the nightly batch ran; bronze holds today's 200k real-time lines (100k
events of 2 lines, 5% of them late events for old days, 5% copies of events gold already has).

Baseline: each query on `sales_batch` (gold alone) over the range ending with the last day gold
holds in full. Measured: the same query on `sales_merged` over the range ending today, about the
same volume of lines, but through the union with the real-time side. The shapes: today's
dashboard (a day per minute, by store, top products; a week hourly by category) and the
analyst's (30 days by day, store and category with a filter; 365 days by month, which reads all
of gold's 10M lines; 30 days by day beside the previous 30). Each query runs through
`DuckDBEngine.query` (sqlglot transpilation included), no API cache; p50/p95 of `--repeats`
runs. Also reported: the time to refresh the real-time side after new bronze files land.
Run: `.venv/bin/python -m bench.serving` (about 3 minutes).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from batch_layer import gold_state
from batch_layer.reference.versions import load_version
from bench.publication import gold_only_publication
from bench.results_file import Figure, figure, write_results
from contract.arrow_schema import MONEY_TYPE
from contract.bronze import BRONZE_SCHEMA
from contract.business_day import Calendar
from contract.gold import SALES_WIDE
from contract.lake import bronze_partition, gold_run
from contract.lake_io import LakeFiles
from contract.publication import DayPartition, Publication
from contract.reference import VALID_FROM_MIN, reference_table
from contract.settings import Settings
from serving.buckets import Compare, EventTimeRange, Granularity, align, comparison
from serving.dimensions import Filter, dimensions
from serving.engines.duckdb_engine import DuckDBEngine
from serving.queries import (
    EVERY_LINE,
    MERGED_VIEW,
    Slice,
    sales_metrics_sql,
    top_products_sql,
)

TZ = ZoneInfo("America/Sao_Paulo")
CALENDAR = Calendar(TZ)
GOLD_LINES = 10_000_000
REALTIME_EVENTS = 100_000
LINES_PER_EVENT = 2
DAYS = 50
FILES_PER_HOUR = 4
STORES = 60
PRODUCTS = 2_000
CUSTOMERS = 20_000
CHANNELS = ["pos", "ecommerce"]
PAYMENTS = ["credit_card", "debit_card", "pix", "cash", "boleto", "voucher", "other"]
CATEGORIES = ["computers", "peripherals", "monitors", "phones", "audio", "gaming", "home", "office"]
RUN_ID = "bench-run"


def money(cents: np.ndarray) -> pa.Array:
    """int64 cents -> decimal128(18,2) without a detour through floats or Python objects."""
    words = np.zeros((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(MONEY_TYPE, len(cents), [None, pa.py_buffer(words.tobytes())])


def pooled(prefix: str, size: int) -> list[str]:
    return [f"{prefix}{n:05d}" for n in range(size)]


class Catalog:
    def __init__(self, rng: np.random.Generator) -> None:
        self.skus = pooled("SKU-", PRODUCTS)
        self.stores = pooled("STORE-", STORES)
        self.customers = pooled("C-", CUSTOMERS)
        self.price_cents = rng.integers(500, 500_000, PRODUCTS)
        self.cost_cents = self.price_cents * 7 // 10
        self.category = rng.integers(0, len(CATEGORIES), PRODUCTS)
        self.store_channel = np.arange(STORES) % 2

    def write(self, lake: Path) -> None:
        tables = {
            "products": {
                "sku": self.skus,
                "name": [f"Product {s}" for s in self.skus],
                "category": [CATEGORIES[c] for c in self.category],
                "subcategory": ["general"] * PRODUCTS,
                "brand": ["Acme"] * PRODUCTS,
                "unit_cost": money(self.cost_cents),
                "list_price": money(self.price_cents),
            },
            "stores": {
                "store_id": self.stores,
                "name": self.stores,
                "channel": [CHANNELS[c] for c in self.store_channel],
                "city": ["Sao Paulo"] * STORES,
                "state": ["SP"] * STORES,
                "region": ["Sudeste"] * STORES,
                "currency": ["BRL"] * STORES,
                "opened_on": [date(2020, 1, 1)] * STORES,
                "time_zone": [None] * STORES,  # the reporting zone's business days
            },
            "customers": {
                "customer_id": self.customers,
                "segment": ["retail"] * CUSTOMERS,
                "city": ["Sao Paulo"] * CUSTOMERS,
                "state": ["SP"] * CUSTOMERS,
                "first_purchase_on": [date(2021, 1, 1)] * CUSTOMERS,
            },
        }
        files = LakeFiles.open(str(lake), Settings(lake_uri=str(lake)))
        for name, columns in tables.items():
            table = reference_table(name)
            load_version(
                files,
                table,
                pa.table(
                    {field.name: columns[field.name] for field in table.schema()},
                    schema=table.schema(),
                ),
                effective_from=VALID_FROM_MIN,
                file_name="bench catalog",
            )


def local_day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TZ).astimezone(UTC)


def gold_day(
    rng: np.random.Generator, catalog: Catalog, day: date, lines: int, until: datetime, first: int
) -> pa.Table:
    """One sale_date partition of sales_wide: `lines` lines, events of LINES_PER_EVENT lines."""
    events = lines // LINES_PER_EVENT
    start = local_day_start(day)
    span = min((until - start).total_seconds(), 86_400.0)
    seconds = np.sort(rng.uniform(0, span, events))
    occurred_us = int(start.timestamp() * 1e6) + (seconds * 1e6).astype(np.int64)
    is_return = rng.random(events) < 0.03
    store = rng.integers(0, STORES, events)
    payment = rng.integers(0, len(PAYMENTS), events)
    customer = rng.integers(0, CUSTOMERS, events)
    ids = event_ids("G", np.arange(first, first + events))

    def per_line(values: np.ndarray) -> np.ndarray:
        return np.repeat(values, LINES_PER_EVENT)

    sku = rng.integers(0, PRODUCTS, events * LINES_PER_EVENT)
    quantity = rng.integers(1, 5, events * LINES_PER_EVENT).astype(np.int32)
    sign = np.where(per_line(is_return), -1, 1)
    gross = catalog.price_cents[sku] * quantity
    discount = np.where(rng.random(len(sku)) < 0.2, gross // 10, 0)
    cost = catalog.cost_cents[sku] * quantity
    local = pc.local_timestamp(pa.array(per_line(occurred_us), pa.timestamp("us", tz=str(TZ))))
    dictionary = pa.DictionaryArray.from_arrays
    n = len(sku)
    columns = {
        "event_id": pc.take(ids, pa.array(np.repeat(np.arange(events), LINES_PER_EVENT))),
        "line_number": pa.array(np.tile(np.arange(1, LINES_PER_EVENT + 1), events), pa.int32()),
        "event_type": dictionary(pa.array(per_line(is_return.astype(np.int8))), ["sale", "return"]),
        "occurred_at": pa.array(per_line(occurred_us), pa.timestamp("us", tz="UTC")),
        "ingested_at": pa.array(per_line(occurred_us) + 2_000_000, pa.timestamp("us", tz="UTC")),
        "channel": dictionary(pa.array(catalog.store_channel[per_line(store)]), CHANNELS),
        "store_id": dictionary(pa.array(per_line(store)), catalog.stores),
        "order_id": pc.take(ids, pa.array(np.repeat(np.arange(events), LINES_PER_EVENT))),
        "customer_id": dictionary(pa.array(per_line(customer)), catalog.customers),
        "payment_method": dictionary(pa.array(per_line(payment)), PAYMENTS),
        "currency": dictionary(pa.array(np.zeros(n, np.int8)), ["BRL"]),
        "sku": dictionary(pa.array(sku), catalog.skus),
        "quantity": pa.array(quantity),
        "net_units": pa.array((quantity * sign).astype(np.int32)),
        "unit_price": money(catalog.price_cents[sku]),
        "gross_amount": money(gross * sign),
        "discount_amount": money(discount * sign),
        "net_amount": money((gross - discount) * sign),
        "cost_amount": money(cost * sign),
        "margin_amount": money((gross - discount - cost) * sign),
        "source": dictionary(pa.array(np.zeros(n, np.int8)), ["pos"]),
        "product_name": dictionary(pa.array(sku), [f"Product {s}" for s in catalog.skus]),
        "category": dictionary(pa.array(catalog.category[sku]), CATEGORIES),
        "subcategory": dictionary(pa.array(np.zeros(n, np.int8)), ["general"]),
        "brand": dictionary(pa.array(np.zeros(n, np.int8)), ["Acme"]),
        "store_name": dictionary(pa.array(per_line(store)), catalog.stores),
        "store_city": dictionary(pa.array(np.zeros(n, np.int8)), ["Sao Paulo"]),
        "store_state": dictionary(pa.array(np.zeros(n, np.int8)), ["SP"]),
        "store_region": dictionary(pa.array(np.zeros(n, np.int8)), ["Sudeste"]),
        "customer_segment": dictionary(pa.array(np.zeros(n, np.int8)), ["retail"]),
        "customer_city": dictionary(pa.array(np.zeros(n, np.int8)), ["Sao Paulo"]),
        "customer_state": dictionary(pa.array(np.zeros(n, np.int8)), ["SP"]),
        "sale_year": pc.cast(pc.year(local), pa.int32()),
        "sale_month": pc.cast(pc.month(local), pa.int32()),
        "sale_iso_week": pc.cast(pc.iso_week(local), pa.int32()),
        "sale_weekday": pc.cast(pc.day_of_week(local, count_from_zero=False), pa.int32()),
        "sale_hour": pc.cast(pc.hour(local), pa.int32()),
        "content_digest": pa.array(per_line(content_digests(rng, events))),
    }
    return pa.table(columns)


def content_digests(rng: np.random.Generator, events: int) -> np.ndarray:
    """Each event's 64-bit content digest (contract.content_digest): random, as hashes are."""
    return rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, events, dtype=np.int64)


def event_ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    """Ids like the ULIDs clients send: 26 characters, a sortable part (the number) and 64
    random-looking bits (a multiplicative hash of it, in hex), so neither an engine's memory
    (DuckDB keeps strings of at most 12 bytes inline) nor compression sees easier ids than real
    ones."""
    mixed = np.asarray(numbers, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return pa.array(
        [f"{prefix}{n:09d}{m:016x}" for n, m in zip(numbers.tolist(), mixed.tolist(), strict=True)]
    )


def write_gold(lake: Path, rng: np.random.Generator, catalog: Catalog, cutoff: datetime) -> int:
    """DAYS full days before the cutoff (a local midnight); returns the lines written."""
    table_folder = lake / gold_run(RUN_ID) / SALES_WIDE
    today = cutoff.astimezone(TZ).date()
    per_day = GOLD_LINES // DAYS
    written, first_event = 0, 0
    for offset in range(DAYS, 0, -1):
        day = today - timedelta(days=offset)
        table = gold_day(rng, catalog, day, per_day, cutoff, first_event)
        folder = table_folder / f"sale_date={day:%Y-%m-%d}"
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-0.parquet", row_group_size=1 << 17)
        written += table.num_rows
        first_event += table.num_rows // LINES_PER_EVENT
    return written


def write_realtime(
    lake: Path, rng: np.random.Generator, catalog: Catalog, cutoff: datetime, gold_events: int
) -> int:
    """REALTIME_EVENTS bronze events ingested during the day after the cutoff: 90% occurred a
    few seconds before, 5% late (days old), 5% re-sent copies of yesterday's events that gold
    already holds (same event_id and occurred_at: they must count once)."""
    events = REALTIME_EVENTS
    start_us = int(cutoff.timestamp() * 1e6) + 60_000_000
    ingested_us = np.sort(rng.integers(start_us, start_us + 86_000_000_000, events))
    occurred_us = ingested_us - rng.integers(0, 60_000_000, events)
    kind = rng.random(events)
    late = kind < 0.05
    occurred_us[late] -= rng.integers(1, 30, late.sum()) * 86_400_000_000
    copies = kind > 0.95
    ids = event_ids("R", np.arange(events)).to_numpy(zero_copy_only=False)
    copied = rng.integers(gold_events - 5_000, gold_events, copies.sum())
    ids[copies] = event_ids("G", copied).to_pylist()
    occurred_us[copies] = gold_occurred_us(lake, copied)
    store = rng.integers(0, STORES, events)
    sku = rng.integers(0, PRODUCTS, events * LINES_PER_EVENT)
    item_type = BRONZE_SCHEMA.field("items").type
    items = pa.StructArray.from_arrays(
        [
            pc.take(pa.array(catalog.skus), pa.array(sku)),
            pa.array(rng.integers(1, 5, len(sku)).astype(np.int32)),
            money(catalog.price_cents[sku]),
            money(np.zeros(len(sku), np.int64)),
            pa.nulls(len(sku), pa.string()),  # promotion_id (contract v1.1)
            pa.nulls(len(sku), pa.string()),  # coupon_code
        ],
        fields=list(item_type.value_type),
    )
    offsets = pa.array(np.arange(0, len(sku) + 1, LINES_PER_EVENT).astype(np.int32))

    def strings(pool: list[str], index: np.ndarray) -> pa.Array:
        return pc.take(pa.array(pool), pa.array(index))

    table = pa.table(
        {
            "event_id": pa.array(ids, pa.string()),
            "event_type": strings(["sale", "return"], (rng.random(events) < 0.03).astype(int)),
            "occurred_at": pa.array(occurred_us, pa.timestamp("us", tz="UTC")),
            "channel": strings(CHANNELS, catalog.store_channel[store]),
            "store_id": strings(catalog.stores, store),
            "order_id": pa.array(ids, pa.string()),
            "customer_id": strings(catalog.customers, rng.integers(0, CUSTOMERS, events)),
            "currency": strings(["BRL"], np.zeros(events, int)),
            "payment_method": strings(PAYMENTS, rng.integers(0, len(PAYMENTS), events)),
            "items": pa.ListArray.from_arrays(offsets, items, type=item_type),
            "total": pa.nulls(events, MONEY_TYPE),
            "terminal_id": pa.nulls(events, pa.string()),
            "salesperson_id": pa.nulls(events, pa.string()),
            "attributes": pa.nulls(events, BRONZE_SCHEMA.field("attributes").type),
            "ingested_at": pa.array(ingested_us, pa.timestamp("us", tz="UTC")),
            "source": strings(["pos"], np.zeros(events, int)),
            "content_digest": pa.array(content_digests(rng, events)),
        },
        schema=BRONZE_SCHEMA,
    )
    hours = (ingested_us // 3_600_000_000).astype(np.int64)
    for hour in np.unique(hours):
        rows = np.flatnonzero(hours == hour)
        folder = lake / bronze_partition(datetime.fromtimestamp(hour * 3600, UTC))
        folder.mkdir(parents=True, exist_ok=True)
        for part, chunk in enumerate(np.array_split(rows, FILES_PER_HOUR)):
            pq.write_table(table.take(pa.array(chunk)), folder / f"batch-{part}.parquet")
    return events * LINES_PER_EVENT


def gold_occurred_us(lake: Path, event_numbers: np.ndarray) -> np.ndarray:
    """When gold says the copied events occurred (they are all in its last day)."""
    wanted = event_ids("G", event_numbers).to_pylist()
    last_day = sorted((lake / gold_run(RUN_ID) / SALES_WIDE).iterdir())[-1]
    table = pq.read_table(last_day, columns=["event_id", "occurred_at"])
    found = dict(
        zip(
            table["event_id"].to_pylist(),
            table["occurred_at"].cast(pa.int64()).to_pylist(),
            strict=True,
        )
    )
    return np.array([found[event_id] for event_id in wanted], dtype=np.int64)


def publish(lake: Path, cutoff: datetime, lines: int) -> None:
    """The written days as a published state: each day's manifest, then the pointer."""
    files = LakeFiles.open(str(lake), Settings(lake_uri=str(lake)))
    days = {
        folder.name.partition("=")[2]: DayPartition(run_id=RUN_ID, rows=0)
        for folder in (lake / gold_run(RUN_ID) / SALES_WIDE).iterdir()
    }
    gold_state.write_manifests(files, RUN_ID, gold_state.day_files(files, days))
    publication = gold_only_publication(RUN_ID, cutoff, lines)
    (lake / "gold" / "_published.json").write_text(publication.model_dump_json())


def timings_ms(run: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--lake", type=Path, help="reuse or keep the generated lake here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as scratch:
        lake = args.lake or Path(scratch) / "lake"
        cutoff = local_day_start(datetime.now(TZ).date())
        if not (lake / "gold" / "_published.json").exists():
            started = time.perf_counter()
            rng = np.random.default_rng(7)
            catalog = Catalog(rng)
            catalog.write(lake)
            gold_lines = write_gold(lake, rng, catalog, cutoff)
            realtime_lines = write_realtime(
                lake, rng, catalog, cutoff, gold_lines // LINES_PER_EVENT
            )
            publish(lake, cutoff, gold_lines)
            print(
                f"generated {gold_lines:,} gold and {realtime_lines:,} real-time lines "
                f"in {time.perf_counter() - started:.1f} s"
            )
        figures = run_queries(lake, args.repeats)
    write_results("serving", figures)


def by(*names: str, **filters: tuple[str, ...]) -> Slice:
    known = dimensions()
    return Slice(
        group_by=tuple(known[name] for name in names),
        filters=tuple(Filter(known[name], values) for name, values in sorted(filters.items())),
    )


NEW_SHAPES = ("30-day daily by store and category, pos", "365-day monthly")
"""The query shapes of the analyst's dashboard, held to the absolute target too."""


def day_range(last: date, count: int) -> EventTimeRange:
    """The `count` local days ending with `last`."""
    end = local_day_start(last + timedelta(days=1))
    return EventTimeRange(local_day_start(last - timedelta(days=count - 1)), end)


TODAY_SHAPES = ("one-day per-minute", "one-day by store", "one-day top products")
"""The queries of the dashboard showing today (the end-to-end freshness benchmark times them)."""


def dashboard_queries(last: date) -> dict[str, str]:
    """Every measured query over ranges ending with the day `last`, as the API asks them (ranges
    aligned to their buckets)."""
    month = align(day_range(last, 30), Granularity.DAY, TZ)

    def metrics(
        period: EventTimeRange, granularity: Granularity, slice_: Slice = EVERY_LINE
    ) -> str:
        return sales_metrics_sql(align(period, granularity, TZ), granularity, CALENDAR, slice_)

    return {
        TODAY_SHAPES[0]: metrics(day_range(last, 1), Granularity.MINUTE),
        TODAY_SHAPES[1]: metrics(day_range(last, 1), Granularity.DAY, by("store_id")),
        TODAY_SHAPES[2]: top_products_sql(
            align(day_range(last, 1), Granularity.TOTAL, TZ), 10, CALENDAR
        ),
        "7-day hourly by category": metrics(day_range(last, 7), Granularity.HOUR, by("category")),
        NEW_SHAPES[0]: metrics(
            month, Granularity.DAY, by("store_id", "category", channel=("pos",))
        ),
        NEW_SHAPES[1]: metrics(day_range(last, 365), Granularity.MONTH),
        "30-day daily vs previous period": sales_metrics_sql(
            month,
            Granularity.DAY,
            CALENDAR,
            comparison=comparison(Compare.PREVIOUS_PERIOD, month, TZ),
        ),
    }


def on_gold(sql: str) -> str:
    """The same query over gold alone."""
    return sql.replace(f"FROM {MERGED_VIEW}", "FROM sales_batch")


def run_queries(lake: Path, repeats: int) -> list[Figure]:
    published = Publication.model_validate_json((lake / "gold" / "_published.json").read_text())
    today = published.cutoff.astimezone(TZ).date()
    merged_queries = dashboard_queries(today)
    gold_queries = {
        name: on_gold(sql) for name, sql in dashboard_queries(today - timedelta(days=1)).items()
    }
    engine = DuckDBEngine(Settings(lake_uri=str(lake), reporting_tz=TZ.key))
    figures: list[Figure] = []
    try:
        started = time.perf_counter()
        engine.refresh()
        install_ms = (time.perf_counter() - started) * 1000
        for name, merged_sql in merged_queries.items():
            gold_sql = gold_queries[name]
            merged_rows = len(engine.query(merged_sql).rows)
            gold_rows = len(engine.query(gold_sql).rows)
            print(f"{name}: {merged_rows} merged rows, {gold_rows} gold-only rows")
            merged = timings_ms(partial(engine.query, merged_sql), repeats)
            gold = timings_ms(partial(engine.query, gold_sql), repeats)
            figures += [
                figure(
                    f"{name}: merged p50 vs gold-only",
                    statistics.median(merged),
                    "ms",
                    statistics.median(gold),
                    "<= 1.5",
                ),
                figure(f"{name}: merged p95 vs gold-only", p95(merged), "ms", p95(gold), "<= 1.5"),
            ]
            if name == "one-day per-minute" or name in NEW_SHAPES:
                figures.append(
                    figure(f"{name}: merged p95, absolute", p95(merged), "ms", target="< 300")
                )
        figures += [
            figure("install views + materialize real-time side", install_ms, "ms"),
            figure("refresh after new bronze files", refresh_after_landing_ms(lake, engine), "ms"),
        ]
    finally:
        engine.close()
    return figures


def refresh_after_landing_ms(lake: Path, engine: DuckDBEngine) -> float:
    """Touch one bronze file (as a landing batch would add one) and time the refresh."""
    newest = max((lake / "bronze").rglob("*.parquet"), key=lambda path: path.stat().st_mtime_ns)
    newest.write_bytes(newest.read_bytes())
    started = time.perf_counter()
    engine.refresh()
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
