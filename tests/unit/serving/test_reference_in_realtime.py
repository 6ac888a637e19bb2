"""The real-time view with a shop's own catalog: unknown keys kept as `(unknown)` and filled in
by a later load, attributes and cost as of each sale, and what the dashboard says is missing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from batch_layer.reference.versions import load_version
from contract.lake_io import LakeFiles
from contract.reference import reference_table
from contract.settings import Settings
from serving.app import create_app
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.sample_lake import ingested, write_bronze

TZ = "America/Sao_Paulo"
INGESTED = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


def _load(lake: Path, table: str, rows: list[dict[str, Any]], effective_from: datetime) -> None:
    kind = reference_table(table)
    load_version(
        LakeFiles.open(str(lake), Settings(lake_uri=str(lake))),
        kind,
        pa.Table.from_pylist(rows, schema=kind.schema()),
        effective_from=effective_from,
        file_name=f"{table}.csv",
    )


def _product(sku: str, category: str, cost: str) -> dict[str, Any]:
    return {"sku": sku, "name": f"Product {sku}", "category": category, "unit_cost": Decimal(cost)}


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture
def settings(lake: Path) -> Settings:
    return Settings(lake_uri=str(lake), reporting_tz=TZ, serving_cache_seconds=0)


@pytest.fixture
def engine(settings: Settings) -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(settings)
    yield engine
    engine.close()


@pytest.fixture
def client(settings: Settings, engine: DuckDBEngine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine=engine)) as test_client:
        yield test_client


def _sale(make_event: Callable[..., dict[str, Any]], sku: str, occurred_at: str) -> Any:
    payload = make_event(
        store_id="POA-CENTRO",
        occurred_at=occurred_at,
        items=[{"sku": sku, "quantity": 2, "unit_price": "50.00"}],
        total=None,
    )
    return ingested(payload, INGESTED)


def test_an_empty_catalog_says_what_to_load_and_keeps_every_sale(
    client: TestClient, lake: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    write_bronze(lake, [_sale(make_event, "NEW-LAUNCH", "2026-11-21T10:00:00-03:00")])

    freshness = client.get("/v1/freshness").json()
    by_category = client.get(
        "/v1/metrics/sales",
        params={
            "from": "2026-11-21",
            "to": "2026-11-22",
            "granularity": "day",
            "group_by": "category",
        },
    ).json()

    assert freshness["reference"]["missing"] == [
        "no products loaded: salesflow reference load products FILE",
        "no stores loaded: salesflow reference load stores FILE",
        "no customers loaded: salesflow reference load customers FILE",
    ]
    assert freshness["reference"]["realtime_quality_counts"] == {
        "unknown_sku": 1,
        "unknown_store": 1,
        "event_id_conflicts": 0,
    }
    assert [(r["category"], r["net_revenue"]) for r in by_category["rows"]] == [
        ("(unknown)", "100.00")
    ]


def test_a_catalog_loaded_later_fills_in_the_lines_already_sold(
    client: TestClient, lake: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    write_bronze(lake, [_sale(make_event, "NEW-LAUNCH", "2026-11-21T10:00:00-03:00")])
    assert client.get("/v1/freshness").json()["reference"]["realtime_quality_counts"] == {
        "unknown_sku": 1,
        "unknown_store": 1,
        "event_id_conflicts": 0,
    }

    _load(lake, "products", [_product("NEW-LAUNCH", "Drones", "30.00")], INGESTED)
    _load(
        lake,
        "stores",
        [{"store_id": "POA-CENTRO", "name": "Centro", "channel": "pos", "currency": "BRL"}],
        INGESTED,
    )

    freshness = client.get("/v1/freshness").json()
    top = client.get(
        "/v1/metrics/top-products", params={"from": "2026-11-21", "to": "2026-11-22"}
    ).json()
    assert freshness["reference"]["realtime_quality_counts"] == {
        "unknown_sku": 0,
        "unknown_store": 0,
        "event_id_conflicts": 0,
    }
    assert freshness["reference"]["missing"] == [
        "no customers loaded: salesflow reference load customers FILE"
    ]
    assert [(r["product_name"], r["category"]) for r in top["rows"]] == [
        ("Product NEW-LAUNCH", "Drones")
    ]


def test_each_line_takes_the_cost_and_category_in_force_when_it_was_sold(
    engine: DuckDBEngine, lake: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    _load(lake, "products", [_product("A-1", "Tools", "10.00")], datetime(2026, 1, 1, tzinfo=UTC))
    _load(
        lake,
        "products",
        [_product("A-1", "Garden", "40.00")],
        datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
    )
    write_bronze(
        lake,
        [
            _sale(make_event, "A-1", "2026-11-21T08:59:00-03:00"),
            _sale(make_event, "A-1", "2026-11-21T09:00:00-03:00"),
        ],
    )

    engine.refresh()
    rows = engine.query(
        "SELECT occurred_at, category, cost_amount, margin_amount FROM sales_merged "
        "ORDER BY occurred_at"
    ).rows

    assert [(r["category"], r["cost_amount"], r["margin_amount"]) for r in rows] == [
        ("Tools", Decimal("20.00"), Decimal("80.00")),
        ("Garden", Decimal("80.00"), Decimal("20.00")),
    ]


def test_a_sku_moved_to_another_category_is_reportable_both_ways(
    client: TestClient, lake: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    _load(lake, "products", [_product("A-1", "Tools", "10.00")], datetime(2026, 1, 1, tzinfo=UTC))
    _load(
        lake,
        "products",
        [_product("A-1", "Garden", "10.00")],
        datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
    )
    write_bronze(
        lake,
        [
            _sale(make_event, "A-1", "2026-11-21T08:00:00-03:00"),
            _sale(make_event, "A-1", "2026-11-21T10:00:00-03:00"),
        ],
    )
    params = {"from": "2026-11-21", "to": "2026-11-22", "group_by": "category"}

    as_sold = client.get("/v1/metrics/sales", params=params).json()["rows"]
    current = client.get("/v1/metrics/sales", params={**params, "attributes": "current"}).json()

    assert [(r["category"], r["net_revenue"]) for r in as_sold] == [
        ("Garden", "100.00"),
        ("Tools", "100.00"),
    ]
    assert [(r["category"], r["net_revenue"]) for r in current["rows"]] == [("Garden", "200.00")]
