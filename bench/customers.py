"""Customer 360 benchmarks: a customer's profile merged with their real-time lines against the
same lookup from the published run alone, on DuckDB; and the DynamoDB store on the moto server.

Data, generated vectorised with numpy and pyarrow: a published run with CUSTOMERS profiles (the
`customer_profiles` gold table, its cut points and a year of cohorts) and, in bronze since T,
REALTIME_EVENTS events of 2 lines for those customers (200k real-time lines, the serving bench's
volume). Gold sales lines do not enter a lookup (the real-time side is materialized on refresh,
which `python -m bench.serving` measures), so the run holds none.

Figures, each against a baseline measured in the same run:
1. Lookup on DuckDB (`CustomerService.profile`, no API cache, random customers): merged with the
   real-time lines (`realtime=true`, the default) against the run's profile alone
   (`realtime=false`); p50 and p95. Targets: p95 under 300 ms, merged within 1.5x.
2. Lookup through the DynamoDB store on the moto server (`realtime=false`: marker cached, one
   GetItem) against the same lookup through DuckDB. moto is a Python server, so this bounds the
   code path, not AWS's single-digit milliseconds.
3. Profile load into moto (BatchWriteItem, 8 writers) in profiles/s against one PutItem at a time.

Run: `.venv/bin/python -m bench.customers` (about 2 minutes); results in
`bench/results/customers.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.results_file import Figure, figure, write_results
from contract.arrow_schema import MONEY_TYPE
from contract.bronze import BRONZE_SCHEMA
from contract.customers import (
    CUSTOMER_COHORTS,
    CUSTOMER_COHORTS_SCHEMA,
    CUSTOMER_PROFILES,
    CUSTOMER_PROFILES_SCHEMA,
    CUSTOMER_RFM_QUINTILES,
    CUSTOMER_RFM_QUINTILES_SCHEMA,
    CUSTOMER_TABLES,
    cut_positions,
    rfm_segment,
    score,
)
from contract.gold import SALES_WIDE
from contract.lake import PUBLISHED_POINTER, bronze_partition, gold_run
from contract.profile_store import PROFILE_RETENTION, ProfileStore
from contract.publication import Publication
from contract.settings import Settings
from devstack.resources import bootstrap_resources
from serving.customers import CustomerService
from serving.engines.duckdb_engine import DuckDBEngine

TZ = "America/Sao_Paulo"
CUSTOMERS = 200_000
REALTIME_EVENTS = 100_000
LINES_PER_EVENT = 2
STORED_IN_MOTO = 20_000
"""Profiles loaded into the moto server (its Python backend writes a few thousand a second)."""
ONE_AT_A_TIME = 1_000
RUN_ID = "bench-customers"
CHANNELS = ["pos", "ecommerce"]


def money(cents: np.ndarray) -> pa.Array:
    """int64 cents -> decimal128(18,2) without a detour through floats or Python objects."""
    words = np.zeros((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(MONEY_TYPE, len(cents), [None, pa.py_buffer(words.tobytes())])


def customer_ids(count: int) -> pa.Array:
    return pc.binary_join_element_wise(
        "C-", pc.utf8_lpad(pa.array(np.arange(count)).cast(pa.string()), 7, "0"), ""
    )


def one_entry_maps(keys: pa.Array, values: pa.Array) -> pa.MapArray:
    offsets = pa.array(np.arange(len(keys) + 1, dtype=np.int32))
    return pa.MapArray.from_arrays(offsets, keys, values)


def write_run(lake: Path, rng: np.random.Generator, cutoff: datetime) -> None:
    """The customer tables of one published run, with cut points true to its profiles."""
    as_of = cutoff.date()
    first_day = rng.integers(0, 720, CUSTOMERS)
    last_day = np.minimum(first_day, rng.integers(0, 720, CUSTOMERS))
    orders = rng.geometric(0.35, CUSTOMERS).astype(np.int64)
    net_cents = orders * rng.integers(2_000, 400_000, CUSTOMERS)
    ordinal = as_of.toordinal()
    last_dates = [date.fromordinal(ordinal - int(d)) for d in last_day]
    cuts = {
        "last_purchase_date": sorted(last_dates),
        "orders": np.sort(orders).tolist(),
        "net_revenue": np.sort(net_cents).tolist(),
    }
    chosen = {
        measure: [ordered[p - 1] for p in cut_positions(CUSTOMERS)]
        for measure, ordered in cuts.items()
    }
    recency = np.array([score(d, chosen["last_purchase_date"]) for d in last_dates])
    frequency = np.searchsorted(np.array(chosen["orders"]), orders, side="left") + 1
    monetary = np.searchsorted(np.array(chosen["net_revenue"]), net_cents, side="left") + 1
    segments = [
        rfm_segment(int(r), int(f), int(m))
        for r, f, m in zip(recency, frequency, monetary, strict=True)
    ]
    first_us = (cutoff.timestamp() - first_day * 86_400.0).astype(np.int64) * 1_000_000
    last_us = (cutoff.timestamp() - last_day * 86_400.0).astype(np.int64) * 1_000_000
    channel = pc.take(pa.array(CHANNELS), pa.array(rng.integers(0, 2, CUSTOMERS)))
    profiles = pa.table(
        {
            "customer_id": customer_ids(CUSTOMERS),
            "customer_segment": pa.nulls(CUSTOMERS, pa.string()),
            "customer_city": pa.nulls(CUSTOMERS, pa.string()),
            "customer_state": pa.nulls(CUSTOMERS, pa.string()),
            "first_purchase_at": pa.array(first_us, pa.timestamp("us", tz="UTC")),
            "last_purchase_at": pa.array(last_us, pa.timestamp("us", tz="UTC")),
            "first_purchase_date": pa.array(
                [date.fromordinal(ordinal - int(d)) for d in first_day]
            ),
            "last_purchase_date": pa.array(last_dates),
            "tenure_days": pa.array(first_day.astype(np.int32)),
            "recency_days": pa.array(last_day.astype(np.int32)),
            "orders": pa.array(orders),
            "returns": pa.array(np.zeros(CUSTOMERS, np.int64)),
            "units": pa.array(orders * 2),
            "net_revenue": money(net_cents),
            "average_ticket": money(net_cents // orders),
            "preferred_channel": channel,
            "preferred_category": pa.nulls(CUSTOMERS, pa.string()),
            "channel_orders": one_entry_maps(channel, pa.array(orders)),
            "category_net_revenue": pa.nulls(CUSTOMERS, pa.map_(pa.string(), MONEY_TYPE)),
            "recency_score": pa.array(recency.astype(np.int32)),
            "frequency_score": pa.array(frequency.astype(np.int32)),
            "monetary_score": pa.array(monetary.astype(np.int32)),
            "rfm_segment": pa.array(segments),
            "as_of_date": pa.array([as_of] * CUSTOMERS),
        },
        schema=CUSTOMER_PROFILES_SCHEMA,
    )
    quintiles = pa.Table.from_pylist(
        [
            {
                "boundary": boundary,
                "last_purchase_date": chosen["last_purchase_date"][boundary - 1],
                "orders": chosen["orders"][boundary - 1],
                "net_revenue": money(np.array([chosen["net_revenue"][boundary - 1]]))[0].as_py(),
                "customers": CUSTOMERS,
                "as_of_date": as_of,
            }
            for boundary in range(1, 5)
        ],
        schema=CUSTOMER_RFM_QUINTILES_SCHEMA,
    )
    cohorts = pa.Table.from_pylist([], schema=CUSTOMER_COHORTS_SCHEMA)
    run = lake / gold_run(RUN_ID)
    for table, data in (
        (CUSTOMER_PROFILES, profiles.sort_by("customer_id")),
        (CUSTOMER_RFM_QUINTILES, quintiles),
        (CUSTOMER_COHORTS, cohorts),
    ):
        (run / table).mkdir(parents=True)
        pq.write_table(data, run / table / "part-00000.parquet")
    publication = Publication(
        run_id=RUN_ID,
        cutoff=cutoff,
        published_at=datetime.now(UTC),
        tables={t: f"{gold_run(RUN_ID)}/{t}" for t in (SALES_WIDE, *CUSTOMER_TABLES)},
        input_counts={},
        output_counts={SALES_WIDE: 0, CUSTOMER_PROFILES: CUSTOMERS},
        quality_counts={},
        duplicates=0,
        duration_seconds=0.0,
    )
    (lake / PUBLISHED_POINTER).write_text(publication.model_dump_json())


def write_realtime(lake: Path, rng: np.random.Generator, cutoff: datetime) -> None:
    """REALTIME_EVENTS events of LINES_PER_EVENT lines ingested since the cutoff."""
    events = REALTIME_EVENTS
    start_us = int(cutoff.timestamp() * 1e6) + 60_000_000
    ingested_us = np.sort(rng.integers(start_us, start_us + 40_000_000_000, events))
    occurred_us = ingested_us - rng.integers(0, 60_000_000, events)
    ids = pc.binary_join_element_wise("R", pa.array(np.arange(events)).cast(pa.string()), "")
    lines = events * LINES_PER_EVENT
    item_type = BRONZE_SCHEMA.field("items").type
    items = pa.StructArray.from_arrays(
        [
            pc.binary_join_element_wise(
                "SKU-", pa.array(rng.integers(0, 2_000, lines)).cast(pa.string()), ""
            ),
            pa.array(rng.integers(1, 4, lines).astype(np.int32)),
            money(rng.integers(500, 300_000, lines)),
            money(np.zeros(lines, np.int64)),
            pa.nulls(lines, pa.string()),
            pa.nulls(lines, pa.string()),
        ],
        fields=list(item_type.value_type),
    )
    offsets = pa.array(np.arange(0, lines + 1, LINES_PER_EVENT).astype(np.int32))
    customer = pc.take(customer_ids(CUSTOMERS), pa.array(rng.integers(0, CUSTOMERS, events)))
    table = pa.table(
        {
            "event_id": ids,
            "event_type": pc.take(
                pa.array(["sale", "return"]), pa.array((rng.random(events) < 0.03).astype(int))
            ),
            "occurred_at": pa.array(occurred_us, pa.timestamp("us", tz="UTC")),
            "channel": pc.take(pa.array(CHANNELS), pa.array(rng.integers(0, 2, events))),
            "store_id": pa.array(["STORE-1"] * events),
            "order_id": ids,
            "customer_id": customer,
            "currency": pa.array(["BRL"] * events),
            "payment_method": pa.array(["pix"] * events),
            "items": pa.ListArray.from_arrays(offsets, items, type=item_type),
            "total": pa.nulls(events, MONEY_TYPE),
            "terminal_id": pa.nulls(events, pa.string()),
            "salesperson_id": pa.nulls(events, pa.string()),
            "attributes": pa.nulls(events, BRONZE_SCHEMA.field("attributes").type),
            "ingested_at": pa.array(ingested_us, pa.timestamp("us", tz="UTC")),
            "source": pa.array(["pos"] * events),
        },
        schema=BRONZE_SCHEMA,
    )
    hours = ingested_us // 3_600_000_000
    for hour in np.unique(hours):
        rows = np.flatnonzero(hours == hour)
        folder = lake / bronze_partition(datetime.fromtimestamp(int(hour) * 3600, UTC))
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.take(pa.array(rows)), folder / "batch-0.parquet")


def timings_ms(run: Callable[[str], object], customers: list[str]) -> list[float]:
    samples = []
    for customer in customers:
        started = time.perf_counter()
        run(customer)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def lookups(service: CustomerService, realtime: bool) -> Callable[[str], Any]:
    loop = asyncio.new_event_loop()

    def run(customer: str) -> Any:
        answer = loop.run_until_complete(service.profile(customer, realtime=realtime))
        assert answer.customer_id == customer, answer  # type: ignore[attr-defined]
        return answer

    return run


def duckdb_figures(settings: Settings, sample: list[str]) -> tuple[list[Figure], float]:
    engine = DuckDBEngine(settings)
    service = CustomerService(settings, engine, None)
    try:
        engine.refresh()
        lookups(service, True)(sample[0])  # warm: the cut points are read once per run
        gold = timings_ms(lookups(service, False), sample)
        merged = timings_ms(lookups(service, True), sample)
    finally:
        engine.close()
    figures = [
        figure("DuckDB lookup, run only: p50", statistics.median(gold), "ms"),
        figure("DuckDB lookup, run only: p95", p95(gold), "ms"),
        figure(
            "DuckDB lookup, merged: p50", statistics.median(merged), "ms", statistics.median(gold)
        ),
        figure("DuckDB lookup, merged: p95", p95(merged), "ms", p95(gold), "<= 1.5"),
        figure("DuckDB lookup, merged: p95 (absolute)", p95(merged), "ms", None, "< 300"),
    ]
    return figures, p95(gold)


def moto_figures(settings: Settings, sample: list[str], duckdb_p95: float) -> list[Figure]:
    from devstack.local_servers import FAKE_CREDENTIALS, moto_server

    os.environ.update({k: v for k, v in FAKE_CREDENTIALS.items() if k not in os.environ})
    with moto_server() as endpoint:
        stored = settings.model_copy(
            update={"aws_endpoint_url": endpoint, "customer_profile_store": "dynamodb"}
        )
        bootstrap_resources(stored, lake_uri=stored.lake_uri)
        store = ProfileStore(stored)
        rows = (
            pq.read_table(Path(stored.lake_uri) / gold_run(RUN_ID) / CUSTOMER_PROFILES)
            .slice(0, STORED_IN_MOTO + ONE_AT_A_TIME)
            .to_pylist()
        )
        expires = datetime.now(UTC) + PROFILE_RETENTION
        started = time.perf_counter()
        single = ProfileStore(stored)
        for row in rows[STORED_IN_MOTO:]:
            single.put_profiles("one-at-a-time", [row], expires)
        one_rate = ONE_AT_A_TIME / (time.perf_counter() - started)
        single.close()
        started = time.perf_counter()
        store.put_profiles(RUN_ID, rows[:STORED_IN_MOTO], expires)
        batch_rate = STORED_IN_MOTO / (time.perf_counter() - started)
        store.mark_loaded(RUN_ID, CUSTOMERS, datetime.now(UTC))
        engine = DuckDBEngine(stored)
        service = CustomerService(stored, engine, store)
        try:
            in_store = [c for c in sample if int(c[2:]) < STORED_IN_MOTO] or sample[:1]
            lookups(service, False)(in_store[0])
            samples = timings_ms(lookups(service, False), in_store)
        finally:
            engine.close()
            store.close()
    return [
        figure("moto DynamoDB lookup, run only: p95", p95(samples), "ms", duckdb_p95),
        figure("moto profile load (8 writers)", batch_rate, "profiles/s", one_rate, ">= 2"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(360)
    with tempfile.TemporaryDirectory(prefix="bench-customers-") as scratch:
        lake = Path(scratch) / "lake"
        cutoff = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=12)
        started = time.perf_counter()
        write_run(lake, rng, cutoff)
        write_realtime(lake, rng, cutoff)
        print(f"data generated in {time.perf_counter() - started:.0f} s", flush=True)
        settings = Settings(
            lake_uri=str(lake),
            reporting_tz=TZ,
            serving_cache_seconds=0,
            state_dir=Path(scratch) / "state",
            name_prefix="bench-c360",
        )
        sample = [f"C-{n:07d}" for n in rng.integers(0, CUSTOMERS, args.lookups)]
        figures, duckdb_p95 = duckdb_figures(settings, sample)
        figures += moto_figures(settings, sample, duckdb_p95)
    write_results("customers", figures)


if __name__ == "__main__":
    main()
