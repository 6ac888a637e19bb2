"""Incremental runs publish exactly what one full run would: the equivalence property of ADR 0018.

Hypothesis generates histories delivered over several runs with advancing T: late events (up to
forty days back), copies of an event within a run and across runs (same content, or another day
and amount: the first copy wins), returns, CSV uploads, lines the quality rules hold back or
flag, and reference loads reaching into the past (a product's cost, a sku the catalog learns
late, a store moving to another time zone under store business days). After the last
incremental run, every published table must be row for row the one a full run at the same T
publishes. A run killed half way leaves the previous state served, and the next run is right.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pyspark.sql import SparkSession

from batch_layer import customer_months
from batch_layer.job import run_batch
from batch_layer.reference.versions import load_version
from batch_layer.runs import prune_runs
from contract.business_day import BusinessDay
from contract.customers import CUSTOMER_TABLES
from contract.event import IngestedSaleEvent
from contract.gold import MART_DIMENSIONS, QUALITY_QUARANTINE, SALES_WIDE
from contract.lake import PUBLISHED_POINTER, SILVER_RUNS
from contract.lake_io import LakeFiles
from contract.publication import Publication
from contract.reference import reference_table
from contract.settings import Settings
from serving.engines.duckdb_engine import DuckDBEngine
from tests.conftest import load_event
from tests.integration.batch_layer.gold_reader import read_table
from tests.unit.serving.sample_lake import (
    PRODUCTS,
    STORES,
    ingested,
    write_bronze,
    write_csv_upload,
    write_reference,
)

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

FIRST_T = datetime(2026, 11, 10, 6, 0, tzinfo=UTC)
RUN_EVERY = timedelta(days=1)
EVENT_IDS = [f"EV-PROP-{n:03d}" for n in range(12)]
"""A small pool, so that copies of one event meet within a run and across runs."""
SKUS = [p.sku for p in PRODUCTS] + ["LATE-SKU-01"]
"""The last one is unknown until a reference load adds it (flagged, then filled in)."""
STORE_IDS = [s.store_id for s in STORES] + ["UNKNOWN-STORE"]
SOURCES = ["pos", "pos", "shop-b"]
"""Another key's copy of an id is a sale of its own when its content differs (ADR 0021)."""
PUBLISHED = (SALES_WIDE, QUALITY_QUARANTINE, *MART_DIMENSIONS, *CUSTOMER_TABLES)


@dataclass(frozen=True)
class Delivery:
    """One copy of an event, delivered in a run's window."""

    event_id: str
    days_late: int
    minute_of_day: int
    store_id: str
    skus: tuple[str, ...]
    quantity: int
    cents: int
    is_return: bool
    foreign_currency: bool
    via_csv: bool
    source: str = "pos"


@dataclass(frozen=True)
class Window:
    deliveries: tuple[Delivery, ...]
    reference_change: str | None
    """`cost`, `late_sku`, `store_zone` or None: a load effective in the past, before the run."""


deliveries = st.builds(
    Delivery,
    event_id=st.sampled_from(EVENT_IDS),
    days_late=st.integers(0, 40),
    minute_of_day=st.integers(0, 1439),
    store_id=st.sampled_from(STORE_IDS),
    skus=st.lists(st.sampled_from(SKUS), min_size=1, max_size=2).map(tuple),
    quantity=st.integers(1, 3),
    cents=st.one_of(st.integers(100, 500_000), st.just(60_000_000)),
    is_return=st.booleans(),
    foreign_currency=st.sampled_from([False, False, False, False, True]),
    via_csv=st.booleans(),
    source=st.sampled_from(SOURCES),
)
windows = st.lists(
    st.builds(
        Window,
        deliveries=st.lists(deliveries, min_size=1, max_size=6).map(tuple),
        reference_change=st.sampled_from([None, "cost", "late_sku", "store_zone"]),
    ),
    min_size=3,
    max_size=3,
)


def _delivery(event: int, days_late: int, store: int, skus: tuple[int, ...], **kw: Any) -> Delivery:
    fields: dict[str, Any] = {
        "event_id": EVENT_IDS[event],
        "days_late": days_late,
        "minute_of_day": 60 * (event % 24) + 7,
        "store_id": STORE_IDS[store],
        "skus": tuple(SKUS[i] for i in skus),
        "quantity": 1 + event % 3,
        "cents": 12_345 + 1_000 * event,
        "is_return": False,
        "foreign_currency": False,
        "via_csv": False,
    }
    return Delivery(**(fields | kw))


EVERY_CASE = [
    Window(
        (
            _delivery(0, 0, 0, (0, 1)),
            _delivery(1, 3, 1, (2,), via_csv=True),
            _delivery(2, 10, 1, (3,)),
            _delivery(3, 1, 3, (1,)),
            _delivery(4, 0, 0, (0,), cents=60_000_000),
            _delivery(5, 2, 2, (1,), foreign_currency=True),
            _delivery(0, 0, 0, (0, 1)),
            _delivery(0, 0, 0, (0, 1), source="shop-b"),
            _delivery(3, 1, 3, (2,), source="shop-b"),
            _delivery(3, 1, 3, (0,), source="shop-b"),
        ),
        None,
    ),
    Window(
        (
            _delivery(0, 5, 1, (2,), cents=99),
            _delivery(6, 30, 1, (0,), is_return=True),
            _delivery(7, 0, 2, (3, 1), via_csv=True),
            _delivery(7, 0, 2, (3, 1)),
            _delivery(8, 1, 1, (0,)),
            _delivery(2, 10, 1, (3,), cents=77_700, source="shop-b"),
            _delivery(3, 1, 3, (1,), cents=50_000, source="shop-b"),
        ),
        "late_sku",
    ),
    Window(
        (
            _delivery(1, 0, 0, (0,), via_csv=True),
            _delivery(9, 12, 1, (0, 3)),
            _delivery(10, 0, 0, (1,)),
            _delivery(2, 4, 1, (1,), source="shop-b", via_csv=True),
        ),
        "store_zone",
    ),
]
"""A history with every case at least once: copies in one run and across runs (with other
content, through both sources), another key's copies with the same content (a duplicate) and
with other content (a sale of its own, sent again in a later run, and again with yet another
content: a duplicate of that sale), late events and returns, both quarantine rules, unknown stores
and a sku the catalog learns late, a store moving to another time zone."""

NOVEMBER_ONLY = Window(
    (
        EVERY_CASE[2].deliveries[0],
        replace(EVERY_CASE[2].deliveries[1], days_late=2),
        EVERY_CASE[2].deliveries[2],
    ),
    "cost",
)
"""A last run whose new lines and cost change (from three weeks back) all fall in November: the
customer-month rows of October are carried over from the state before, not rebuilt."""


def payload(delivery: Delivery, ingested_at: datetime) -> dict[str, Any]:
    occurred = datetime.combine(
        (ingested_at - timedelta(days=delivery.days_late)).date(), datetime.min.time(), tzinfo=UTC
    ) + timedelta(minutes=delivery.minute_of_day)
    occurred = min(occurred, ingested_at - timedelta(minutes=1))
    event = copy.deepcopy(load_event("return" if delivery.is_return else "sale"))
    event.pop("total", None)
    price = Decimal(delivery.cents) / 100
    event.update(
        event_id=delivery.event_id,
        occurred_at=occurred.isoformat(),
        store_id=delivery.store_id,
        currency="USD" if delivery.foreign_currency else "BRL",
        items=[
            {"sku": sku, "quantity": delivery.quantity, "unit_price": f"{price:.2f}"}
            for sku in delivery.skus
        ],
    )
    return event


def deliver(lake: Path, window: Window, start: datetime, end: datetime) -> None:
    step = (end - start) / (len(window.deliveries) + 1)
    bronze: list[IngestedSaleEvent] = []
    csv: list[IngestedSaleEvent] = []
    for number, delivery in enumerate(window.deliveries, start=1):
        at = start + step * number
        copy_ = ingested(payload(delivery, at), at, delivery.source)
        (csv if delivery.via_csv else bronze).append(copy_)
    write_bronze(lake, bronze)
    if csv:
        write_csv_upload(lake, csv)


def change_reference(lake: Path, change: str, at: datetime) -> None:
    """A load effective three weeks back: a cost change, a sku learnt late, a store's zone."""
    files = LakeFiles.open(str(lake), Settings(lake_uri=str(lake)))
    effective = at - timedelta(days=21)
    rows: list[BaseModel]
    if change == "cost":
        table = reference_table("products")
        rows = [PRODUCTS[0].model_copy(update={"unit_cost": Decimal("3123.45")})]
    elif change == "late_sku":
        table = reference_table("products")
        rows = [PRODUCTS[1].model_copy(update={"sku": "LATE-SKU-01", "name": "Learnt late"})]
    else:
        table = reference_table("stores")
        rows = [STORES[1].model_copy(update={"time_zone": "America/Manaus"})]
    load_version(files, table, table.arrow(rows), effective_from=effective, file_name=change)


def published_rows(lake: Path, publication: Publication) -> dict[str, list[tuple[str, ...]]]:
    """Every published table as a sorted multiset of rows (values as text, so any type sorts)."""
    tables = {}
    for name in PUBLISHED:
        rows = read_table(lake, publication, name).to_pylist()
        tables[name] = sorted(tuple(str(row[k]) for k in sorted(row)) for row in rows)
    return tables


def history_settings(lake: Path) -> Settings:
    return Settings(
        lake_uri=str(lake),
        state_dir=lake.parent / "state",
        reporting_tz="America/Sao_Paulo",
        business_day=BusinessDay.STORE,
        batch_full_every_days=0,
        gold_runs_kept=2,
    )


@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=windows)
@example(history=EVERY_CASE)
@example(history=[*EVERY_CASE[:2], NOVEMBER_ONLY])
def test_incremental_runs_publish_what_one_full_run_publishes(
    spark: SparkSession, tmp_path_factory: pytest.TempPathFactory, history: list[Window]
) -> None:
    lake = tmp_path_factory.mktemp("incremental") / "lake"
    write_reference(lake)
    config = history_settings(lake)
    start = FIRST_T - RUN_EVERY
    kinds = []
    for number, window in enumerate(history):
        t = FIRST_T + RUN_EVERY * number
        deliver(lake, window, start, t)
        if window.reference_change is not None and number > 0:
            change_reference(lake, window.reference_change, t)
        published = run_batch(str(lake), t, settings=config, spark=spark)
        kinds.append(published.kind)
        prune_runs(config, now=t + timedelta(days=3))
        start = t
    assert kinds == ["full"] + ["incremental"] * (len(history) - 1)
    incremental = published_rows(lake, published)
    served = DuckDBEngine(config)
    try:
        merged = served.query("SELECT count(*) AS lines, sum(net_amount) AS net FROM sales_batch")
    finally:
        served.close()

    full = run_batch(str(lake), published.cutoff, settings=config, spark=spark, full=True)

    assert full.kind == "full"
    assert published_rows(lake, full) == incremental
    assert full.output_counts == published.output_counts
    net = sum(
        (row["net_amount"] for row in read_table(lake, full, SALES_WIDE).to_pylist()),
        Decimal("0.00"),
    )
    assert (merged.rows[0]["lines"], merged.rows[0]["net"] or Decimal("0.00")) == (
        full.output_counts[SALES_WIDE],
        net,
    )


def test_a_run_killed_half_way_leaves_the_state_served_and_the_next_run_is_right(
    spark: SparkSession, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Also: the served state is made one from before customer-month rows were kept (the next
    run must build them from every day, and say so)."""
    lake = tmp_path / "lake"
    write_reference(lake)
    config = history_settings(lake)
    first = Window(
        tuple(
            Delivery(
                f"EV-KILL-{n:03d}",
                n,
                600 + n,
                STORE_IDS[n % 3],
                (SKUS[n % 3],),
                1,
                10_000,
                False,
                False,
                n % 2 == 0,
            )
            for n in range(6)
        ),
        None,
    )
    deliver(lake, first, FIRST_T - RUN_EVERY, FIRST_T)
    served = run_batch(str(lake), FIRST_T, settings=config, spark=spark)
    second_t = FIRST_T + RUN_EVERY
    second = Window(
        tuple(
            Delivery(
                f"EV-KILL-{n:03d}",
                n % 5,
                700 + n,
                STORE_IDS[n % 3],
                (SKUS[n % 2],),
                2,
                20_000,
                n == 7,
                False,
                False,
            )
            for n in range(3, 10)
        ),
        None,
    )
    deliver(lake, second, FIRST_T, second_t)
    pointer = (lake / PUBLISHED_POINTER).read_bytes()

    killed = _kill_once_silver_is_written(lake, config, second_t, served.run_id)

    assert killed, "the run finished before it could be killed"
    assert (lake / PUBLISHED_POINTER).read_bytes() == pointer
    shutil.rmtree(lake / customer_months.folder(served.run_id))
    with caplog.at_level(logging.INFO, logger="batch_layer.job"):
        again = run_batch(str(lake), second_t, settings=config, spark=spark)
    assert again.kind == "incremental"
    assert any("kept no customer-month rows" in r.getMessage() for r in caplog.records)
    full = run_batch(str(lake), second_t, settings=config, spark=spark, full=True)
    assert published_rows(lake, again) == published_rows(lake, full)


def _kill_once_silver_is_written(
    lake: Path, config: Settings, cutoff: datetime, served_run: str
) -> bool:
    """Start `salesflow batch run` and SIGKILL it (and its JVM) once it has written its part of
    silver but before it publishes; True when it was killed before finishing."""
    environment = os.environ | {
        "SALESFLOW_LAKE_URI": str(lake),
        "SALESFLOW_STATE_DIR": str(config.state_dir),
        "SALESFLOW_REPORTING_TZ": config.reporting_tz,
        "SALESFLOW_BUSINESS_DAY": config.business_day.value,
        "SALESFLOW_BATCH_FULL_EVERY_DAYS": "0",
        "SALESFLOW_PUBLISH_CATALOG": "none",
    }
    command = [
        sys.executable,
        "-m",
        "salesflow",
        "batch",
        "run",
        "--cutoff",
        cutoff.isoformat(),
        "--master",
        "local[1]",
        "--driver-memory",
        "1g",
    ]
    process = subprocess.Popen(
        command,
        env=environment,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    silver = lake / SILVER_RUNS
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and process.poll() is None:
            parts = [p for p in silver.glob("*/event_ids/*.parquet") if served_run not in str(p)]
            if parts:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
                return True
            time.sleep(0.05)
        return False
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
