"""Contract v1 and v1.1 side by side: a bronze file written before v1.1 existed (no new columns)
and one written after, in the same hour, day and store, read by DuckDB (real-time view) and
Spark (batch), counted right in both views and after a batch run; revenue by promotion, terminal
and a declared custom attribute equal to an independent computation from the events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from pyspark.sql import SparkSession

from batch_layer.job import run_batch
from contract.bronze import BRONZE_SCHEMA, bronze_table
from contract.event import IngestedSaleEvent
from contract.gold import DAILY_SALES_BY_PROMOTION, SALES_WIDE
from contract.lake import bronze_partition
from contract.settings import Settings
from serving.app import create_app
from serving.engines.duckdb_engine import DuckDBEngine
from tests.integration.batch_layer.gold_reader import read_table
from tests.unit.serving.sample_lake import STORES, ingested, write_reference

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

INGESTED = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
V1_1_EVENT_FIELDS = ("terminal_id", "salesperson_id", "attributes")
V1_1_LINE_FIELDS = ("promotion_id", "coupon_code")


def _v1_schema() -> pa.Schema:
    """Bronze as the speed layer wrote it under contract v1."""
    item = BRONZE_SCHEMA.field("items").type.value_type
    v1_item = pa.struct([f for f in item if f.name not in V1_1_LINE_FIELDS])
    fields = [
        pa.field("items", pa.list_(pa.field("element", v1_item, nullable=False)), nullable=False)
        if f.name == "items"
        else f
        for f in BRONZE_SCHEMA
        if f.name not in V1_1_EVENT_FIELDS
    ]
    return pa.schema(fields)


def _write_v1_file(lake: Path, events: list[IngestedSaleEvent]) -> None:
    rows = []
    for event in events:
        row = event.model_dump(exclude=set(V1_1_EVENT_FIELDS))
        row["items"] = [
            {k: v for k, v in i.items() if k not in V1_1_LINE_FIELDS} for i in row["items"]
        ]
        row.update(
            channel=event.channel.value,
            event_type=event.event_type.value,
            payment_method=event.payment_method.value,
        )
        rows.append(row)
    folder = lake / bronze_partition(INGESTED)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=_v1_schema()), folder / "v1-writer.parquet")


def _write_v1_1_file(lake: Path, events: list[IngestedSaleEvent]) -> None:
    folder = lake / bronze_partition(INGESTED)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(bronze_table(events), folder / "v1_1-writer.parquet")


def _events(make_event: Callable[..., dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    store = STORES[0].store_id
    old = [
        ingested(make_event(store_id=store, occurred_at="2026-11-21T09:00:00-03:00"), INGESTED),
        ingested(
            make_event(kind="return", store_id=store, occurred_at="2026-11-21T09:30:00-03:00"),
            INGESTED,
        ),
    ]
    promoted = make_event(
        store_id=store,
        occurred_at="2026-11-21T10:00:00-03:00",
        terminal_id="PDV-03",
        salesperson_id="E-7",
        attributes={"loyalty_tier": "gold", "visits": 4},
    )
    promoted["items"][0].update(promotion_id="BF-2026", coupon_code="BLACK10")
    plain_new = make_event(
        store_id=store,
        occurred_at="2026-11-21T11:00:00-03:00",
        terminal_id="PDV-01",
        attributes={"loyalty_tier": "silver"},
    )
    return old, [ingested(promoted, INGESTED), ingested(plain_new, INGESTED)]


def _oracle(events: list[IngestedSaleEvent], dimension: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for event in events:
        for item in event.items:
            if dimension == "promotion_id":
                value = item.promotion_id
            elif dimension == "terminal_id":
                value = event.terminal_id
            else:
                value = (event.attributes or {}).get("loyalty_tier")
            totals[value or "(none)"] += event.sign * item.net_amount
    return dict(totals)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        state_dir=tmp_path / "state",
        lake_uri=str(tmp_path / "lake"),
        reporting_tz="America/Sao_Paulo",
        serving_cache_seconds=0,
        query_attributes=("loyalty_tier",),
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    engine = DuckDBEngine(settings)
    with TestClient(create_app(settings, engine=engine)) as test_client:
        yield test_client
    engine.close()


def _served(client: TestClient, dimension: str) -> tuple[dict[str, Decimal], str | None]:
    answer = client.get(
        "/v1/metrics/sales",
        params={"from": "2026-11-21", "to": "2026-11-22", "group_by": dimension},
    ).json()
    return {row[dimension]: Decimal(row["net_revenue"]) for row in answer["rows"]}, answer["run_id"]


def test_v1_and_v1_1_events_count_right_in_both_views_and_after_a_batch_run(
    spark: SparkSession,
    settings: Settings,
    client: TestClient,
    make_event: Callable[..., dict[str, Any]],
) -> None:
    lake = Path(settings.lake_uri)
    write_reference(lake)
    old, new = _events(make_event)
    _write_v1_file(lake, old)
    _write_v1_1_file(lake, new)
    dimensions = ("promotion_id", "terminal_id", "attributes.loyalty_tier")

    for dimension in dimensions:
        served, run_id = _served(client, dimension)
        assert run_id is None
        assert served == _oracle(old + new, dimension.removeprefix("attributes.")), dimension

    publication = run_batch(
        settings.lake_uri, datetime(2026, 11, 22, tzinfo=UTC), settings=settings, spark=spark
    )
    for dimension in dimensions:
        served, run_id = _served(client, dimension)
        assert run_id == publication.run_id
        assert served == _oracle(old + new, dimension.removeprefix("attributes.")), dimension

    gold = read_table(lake, publication, SALES_WIDE).to_pylist()
    by_event = {(r["event_id"], r["line_number"]): r for r in gold}
    promoted = new[0]
    first_line = by_event[(promoted.event_id, 1)]
    assert (first_line["promotion_id"], first_line["coupon_code"]) == ("BF-2026", "BLACK10")
    assert (first_line["terminal_id"], first_line["salesperson_id"]) == ("PDV-03", "E-7")
    assert dict(first_line["attributes"]) == {"loyalty_tier": "gold", "visits": "4"}
    for event in old:
        row = by_event[(event.event_id, 1)]
        assert [row[f] for f in (*V1_1_EVENT_FIELDS, *V1_1_LINE_FIELDS)] == [None] * 5

    mart = read_table(lake, publication, DAILY_SALES_BY_PROMOTION).to_pylist()
    assert {r["promotion_id"] or "(none)": r["net_revenue"] for r in mart} == _oracle(
        old + new, "promotion_id"
    )
