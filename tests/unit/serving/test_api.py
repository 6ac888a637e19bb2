"""The query API through FastAPI's test client, on DuckDB over the scenario lake."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from contract.lake import PUBLISHED_POINTER
from contract.settings import Settings
from serving.app import create_app
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.conftest import TZ
from tests.unit.serving.sample_lake import Copy, expected_lines
from tests.unit.serving.scenario import CUTOFF


@pytest.fixture
def engine(scenario_settings: Settings) -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(scenario_settings)
    yield engine
    engine.close()


@pytest.fixture
def client(scenario_settings: Settings, engine: DuckDBEngine) -> Iterator[TestClient]:
    with TestClient(create_app(scenario_settings, engine)) as client:
        yield client


def test_daily_sales_by_store_equal_the_oracle_with_money_as_strings(
    client: TestClient, scenario: list[Copy]
) -> None:
    response = client.get(
        "/v1/metrics/sales",
        params={
            "from": "2026-11-16",
            "to": "2026-11-22",
            "granularity": "day",
            "group_by": "store_id",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["boundary"] == CUTOFF.isoformat()
    assert body["run_id"] == "run-1"
    expected: dict[tuple[str, str], Decimal] = {}
    for line in expected_lines(scenario, TZ):
        key = (line["sale_date"].isoformat(), line["store_id"])
        expected[key] = expected.get(key, Decimal("0.00")) + line["net_amount"]
    got = {(row["bucket"], row["store_id"]): row["net_revenue"] for row in body["rows"]}
    assert got == {key: f"{value:.2f}" for key, value in expected.items()}
    assert all(isinstance(row["units"], int) for row in body["rows"])


def test_minute_buckets_are_reporting_zone_wall_times_with_offset(
    client: TestClient, scenario: list[Copy]
) -> None:
    response = client.get(
        "/v1/metrics/sales",
        params={
            "from": "2026-11-21T10:00:00",
            "to": "2026-11-21T11:00:00",
            "granularity": "minute",
        },
    )
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    zone = ZoneInfo(TZ)
    expected: dict[str, Decimal] = {}
    for line in expected_lines(scenario, TZ):
        local = line["occurred_at"].astimezone(zone)
        if local.date().isoformat() == "2026-11-21" and local.hour == 10:
            bucket = local.replace(second=0, microsecond=0).isoformat()
            expected[bucket] = expected.get(bucket, Decimal("0.00")) + line["net_amount"]
    assert len(expected) > 3
    assert {r["bucket"]: r["net_revenue"] for r in rows} == {
        bucket: f"{value:.2f}" for bucket, value in expected.items()
    }
    assert all(r["bucket"].endswith("-03:00") for r in rows)


@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        (
            {"from": "2026-11-21", "to": "2026-11-22", "granularity": "fortnight"},
            "granularity",
            "minute",
        ),
        ({"from": "2026-11-21", "to": "2026-11-22", "group_by": "colour"}, "group_by", "store_id"),
        (
            {"from": "2026-11-21", "to": "2026-11-22", "group_by": "sku,brand,channel"},
            "group_by",
            "two different",
        ),
        ({"from": "2026-11-21", "to": "2026-11-22", "group_by": "sku,sku"}, "group_by", "two"),
        ({"from": "2026-11-21", "to": "2026-11-22", "colour": "red"}, "colour", "unknown query"),
        (
            {"from": "2026-11-21", "to": "2026-11-22", "attributes.tier": "gold"},
            "attributes.tier",
            "filter by a dimension",
        ),
        ({"from": "yesterday", "to": "2026-11-22"}, "from", "datetime"),
        ({"to": "2026-11-22"}, "from", "required"),
        ({"from": "2026-11-22", "to": "2026-11-21"}, "to", "must be after"),
        ({"from": "2026-01-01", "to": "2026-11-22", "granularity": "minute"}, "to", "coarser"),
    ],
)
def test_bad_parameters_get_422_with_the_field_path(
    client: TestClient, params: dict[str, str], field: str, fragment: str
) -> None:
    response = client.get("/v1/metrics/sales", params=params)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [["query", field]]
    assert fragment in errors[0]["msg"].lower()


def test_top_products_rank_by_net_revenue(client: TestClient, scenario: list[Copy]) -> None:
    response = client.get(
        "/v1/metrics/top-products", params={"from": "2026-11-16", "to": "2026-11-22", "limit": 2}
    )
    assert response.status_code == 200, response.text
    by_sku: dict[str, Decimal] = {}
    for line in expected_lines(scenario, TZ):
        by_sku[line["sku"]] = by_sku.get(line["sku"], Decimal("0.00")) + line["net_amount"]
    best = sorted(by_sku.items(), key=lambda item: (-item[1], item[0]))[:2]
    assert [(r["sku"], r["net_revenue"]) for r in response.json()["rows"]] == [
        (sku, f"{value:.2f}") for sku, value in best
    ]


def test_freshness_reports_the_newest_landed_event_and_the_last_batch(
    client: TestClient, scenario: list[Copy]
) -> None:
    body = client.get("/v1/freshness").json()
    newest = max(c.event.ingested_at for c in scenario if not c.via_csv)
    assert body["newest_event_ingested_at"] == newest.isoformat()
    assert body["newest_event_age_seconds"] > 0
    assert body["boundary"] == CUTOFF.isoformat()
    assert body["last_batch"]["run_id"] == "run-1"
    assert body["reporting_tz"] == TZ


def test_identical_requests_within_the_ttl_cost_one_query(
    scenario_settings: Settings, engine: DuckDBEngine
) -> None:
    app = create_app(scenario_settings, engine)
    params = {"from": "2026-11-21", "to": "2026-11-22", "granularity": "hour"}

    async def many_dashboards() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            concurrent = await asyncio.gather(
                *[http.get("/v1/metrics/sales", params=params) for _ in range(8)]
            )
            later = await http.get("/v1/metrics/sales", params=params)
            return [*concurrent, later]

    responses = asyncio.run(many_dashboards())
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    assert app.state.service.cache.computations == 1


def test_dashboard_page_is_served(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "/v1/metrics/sales" in response.text
    assert "<script" in response.text
    sources = re.findall(r"""(?:src|href)=["']([^"']+)""", response.text)
    assert all(source.startswith(("/", "#")) for source in sources), sources  # no CDN


def test_an_unreadable_publication_pointer_gets_503_saying_what_to_do(
    scenario_settings: Settings,
) -> None:
    pointer = Path(scenario_settings.lake_uri) / PUBLISHED_POINTER
    pointer.write_text('{"run_id": "half-written"')
    engine = DuckDBEngine(scenario_settings)
    try:
        with TestClient(create_app(scenario_settings, engine)) as client:
            response = client.get("/v1/freshness")
    finally:
        engine.close()
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert "salesflow batch run" in response.json()["detail"]


def test_display_takes_the_locale_setting_and_the_reporting_zones_country(
    scenario_settings: Settings,
) -> None:
    settings = scenario_settings.model_copy(update={"display_locale": "en-US"})
    engine = DuckDBEngine(settings)
    try:
        with TestClient(create_app(settings, engine)) as client:
            body = client.get("/v1/display").json()
    finally:
        engine.close()
    assert (body["locale"], body["country"], body["currency"]) == ("en-US", "BR", "BRL")
    assert body["max_buckets"] == 10_080
