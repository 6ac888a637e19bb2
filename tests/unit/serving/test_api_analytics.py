"""The analyst's questions through the query API on DuckDB, against the plain-Python oracle of
`analytics.py`: a year of sales split by a published gold run and real-time lines.

Every metric of every row and total is compared: margin and margin % over the lines with a
known cost, filters, one- and two-dimension groupings, day, hour, ISO week, month and total
buckets in the reporting zone, and each comparison period beside its rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from contract.settings import Settings
from serving.app import create_app
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.analytics import (
    CATALOG,
    CUTOFF,
    TZ,
    analytics_copies,
    expected_lines_of,
    midnight,
    oracle,
)
from tests.unit.serving.analytics_questions import (
    CASES,
    METRICS,
    NOTHING,
    analytics_event,
    assert_answers,
    served,
)
from tests.unit.serving.sample_lake import write_gold, write_inputs


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """Built once for the module (the lake is read-only): gold by the oracle before T, bronze
    for every copy; returns the lake and the oracle's lines of everything delivered."""
    copies = analytics_copies(analytics_event)
    lake = tmp_path_factory.mktemp("analytics") / "lake"
    write_inputs(lake, copies, CATALOG)
    before = [c for c in copies if c.event.ingested_at < CUTOFF]
    write_gold(lake, expected_lines_of(before), CUTOFF, "run-analytics")
    return lake, expected_lines_of(copies)


@pytest.fixture(scope="module")
def settings(lake: tuple[Path, list[dict[str, Any]]]) -> Settings:
    return Settings(lake_uri=str(lake[0]), reporting_tz=TZ, serving_cache_seconds=60)


@pytest.fixture(scope="module")
def lines(lake: tuple[Path, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return lake[1]


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    engine = DuckDBEngine(settings)
    with TestClient(create_app(settings, engine)) as client:
        yield client
    engine.close()


@pytest.mark.parametrize("name", list(CASES))
def test_rows_totals_and_comparisons_equal_the_oracle(
    client: TestClient, lines: list[dict[str, Any]], name: str
) -> None:
    assert_answers(client, lines, CASES[name])


def test_the_lake_really_spans_the_boundary(
    client: TestClient, lines: list[dict[str, Any]]
) -> None:
    """Lines of the questions above come from both layers, late ones included."""
    late = [line for line in lines if line["ingested_at"] >= CUTOFF > line["occurred_at"]]
    assert len({line["event_id"] for line in late}) >= 8
    assert any(line["ingested_at"] < CUTOFF for line in lines)
    answer = served(client, {"from": "2026-11-21", "to": "2026-11-22", "granularity": "total"})
    assert answer["run_id"] == "run-analytics"
    assert answer["boundary"] == CUTOFF.isoformat()


def test_margin_pct_leaves_lines_without_a_known_cost_out_of_both_terms(
    client: TestClient, lines: list[dict[str, Any]]
) -> None:
    params = {"from": "2025-09-01", "to": "2026-11-22", "granularity": "total", "group_by": "sku"}
    rows = {row["sku"]: row for row in served(client, params)["rows"]}
    for sku in ("CABLE-HDMI-2M", "NOT-A-SKU"):  # no cost in the catalog, not in the catalog
        assert rows[sku]["cost"] is None
        assert rows[sku]["margin"] is None
        assert rows[sku]["margin_pct"] is None
        assert rows[sku]["costed_net_revenue"] == "0.00"
        assert Decimal(rows[sku]["net_revenue"]) != 0
    by_category = {
        row["category"]: row for row in served(client, {**params, "group_by": "category"})["rows"]
    }
    peripherals = by_category["peripherals"]  # the mouse (with a cost) and the cable (without)
    mouse = [line for line in lines if line["sku"] == "MOUSE-LOGI-M170"]
    mouse_net = sum((line["net_amount"] for line in mouse), Decimal("0.00"))
    mouse_margin = sum((line["margin_amount"] for line in mouse), Decimal("0.00"))
    assert peripherals["costed_net_revenue"] == f"{mouse_net:.2f}"
    assert peripherals["margin"] == f"{mouse_margin:.2f}"
    assert Decimal(peripherals["margin_pct"]) == (mouse_margin * 100 / mouse_net).quantize(
        Decimal("0.01")
    )
    assert Decimal(peripherals["net_revenue"]) > mouse_net


def _product_oracle(
    lines: list[dict[str, Any]], start: datetime, end: datetime, filters: dict[str, set[str]]
) -> dict[str, dict[str, Any]]:
    rows, _ = oracle(lines, start, end, lambda _m: "", ("sku",), filters)
    return {key[1]: metrics for key, metrics in rows.items()}


@pytest.mark.parametrize("order_by", ["net_revenue", "units", "margin"])
def test_top_products_rank_by_the_order_asked_with_the_same_filters(
    client: TestClient, lines: list[dict[str, Any]], order_by: str
) -> None:
    params = {
        "from": "2026-01-01",
        "to": "2026-11-22",
        "order_by": order_by,
        "store_region": ["Sudeste", "Sul"],
        "limit": 4,
    }
    response = client.get("/v1/metrics/top-products", params=params)
    assert response.status_code == 200, response.text
    expected = _product_oracle(
        lines,
        midnight(date(2026, 1, 1)),
        midnight(date(2026, 11, 22)),
        {"store_region": {"Sudeste", "Sul"}},
    )

    def rank(item: tuple[str, dict[str, Any]]) -> tuple[bool, Decimal, str]:
        value = item[1][order_by]
        return (value is None, -Decimal(value or 0), item[0])

    best = sorted(expected.items(), key=rank)[:4]
    body = response.json()
    assert body["order_by"] == order_by
    assert [(r["sku"], {name: r[name] for name in METRICS}) for r in body["rows"]] == best
    names = {p.sku: (p.name, p.category, p.brand) for p in CATALOG.products}
    for row in body["rows"]:
        assert (row["product_name"], row["category"], row["brand"]) == names.get(
            row["sku"], ("(unknown)", "(unknown)", "(unknown)")
        )


def test_slow_movers_are_the_active_products_that_sold_least_unsold_first(
    client: TestClient, lines: list[dict[str, Any]]
) -> None:
    params = {
        "from": "2026-01-01",
        "to": "2026-11-22",
        "slow_movers": "true",
        "order_by": "units",
        "category": ["peripherals", "audio", "tablets"],
        "channel": "pos",
    }
    body = client.get("/v1/metrics/top-products", params=params).json()
    sold = _product_oracle(
        lines, midnight(date(2026, 1, 1)), midnight(date(2026, 11, 22)), {"channel": {"pos"}}
    )
    active = [p.sku for p in CATALOG.products if p.category in {"peripherals", "audio", "tablets"}]
    expected = sorted(
        ((sku, sold.get(sku, NOTHING)) for sku in active),
        key=lambda item: (item[1]["units"], item[0]),
    )
    assert body["slow_movers"] is True
    assert [(r["sku"], {name: r[name] for name in METRICS}) for r in body["rows"]] == expected
    assert body["rows"][0]["sku"] == "HEADSET-JBL-T520"  # in the catalog, never sold
    assert body["rows"][0]["units"] == 0


def test_equal_questions_share_one_answer_and_one_cache_entry(settings: Settings) -> None:
    """A `from` a microsecond later, filter values in another order, a `to` given with its
    offset: the same question after normalisation, so the same answer and one computation."""
    engine = DuckDBEngine(settings)
    app = create_app(settings, engine)
    variants: list[dict[str, Any]] = [
        {"from": "2026-11-01T00:00:00", "to": "2026-11-22", "category": ["audio", "tablets"]},
        {
            "from": "2026-11-01T00:00:00.000001",
            "to": "2026-11-22",
            "category": ["tablets", "audio", "tablets"],
        },
        {
            "from": "2026-11-01T03:00:00Z",
            "to": "2026-11-22T00:00:00-03:00",
            "category": ["tablets", "audio"],
        },
    ]

    async def ask() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return [
                await http.get("/v1/metrics/sales", params={**params, "granularity": "day"})
                for params in variants
            ]

    try:
        responses = asyncio.run(ask())
    finally:
        engine.close()
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    assert app.state.service.cache.computations == 1
    assert responses[0].json()["period"]["from"] == "2026-11-01T00:00:00-03:00"


@pytest.mark.parametrize(
    ("path", "params", "field", "fragment"),
    [
        ("sales", {"from": "2019-01-01", "to": "2026-01-01"}, "to", "longer than the maximum"),
        ("sales", {"from": "2026-11-22", "to": "2026-11-01"}, "to", "must be after"),
        ("sales", {"from": "1999-12-31", "to": "2026-01-01"}, "from", "2000-2100"),
        ("sales", {"from": "2100-12-01", "to": "2101-01-02"}, "to", "2000-2100"),
        ("sales", {"from": "2026-11-01", "to": "2026-11-22", "compare": "lastyear"}, "compare", ""),
        ("sales", {"from": "2026-11-01", "to": "2026-11-22", "order_by": "units"}, "order_by", ""),
        (
            "top-products",
            {"from": "2026-11-01", "to": "2026-11-22", "group_by": "brand"},
            "group_by",
            "unknown query parameter",
        ),
        (
            "top-products",
            {"from": "2026-11-01", "to": "2026-11-22", "order_by": "cost"},
            "order_by",
            "",
        ),
        (
            "top-products",
            {"from": "2026-11-01", "to": "2026-11-22", "region": "Sul"},
            "region",
            "store_region",
        ),
    ],
)
def test_bad_questions_get_422_naming_the_parameter(
    client: TestClient, path: str, params: dict[str, str], field: str, fragment: str
) -> None:
    response = client.get(f"/v1/metrics/{path}", params=params)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [["query", field]]
    assert fragment in errors[0]["msg"]


def test_display_gives_the_country_currency_and_limits(client: TestClient) -> None:
    body = client.get("/v1/display").json()
    assert body["country"] == "BR"
    assert body["currency"] == "BRL"
    assert body["locale"] is None
    assert body["reporting_tz"] == TZ
    assert body["max_range_days"] == 1830
    assert "store_region" in body["dimensions"]
