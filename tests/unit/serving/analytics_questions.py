"""The analyst's questions about the analytics scenario (`analytics.py`) and how to check the
query API's answers against the oracle: shared by the DuckDB unit tests, whose gold the oracle
writes, and the end-to-end test, whose gold the real Spark batch job writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import load_event
from tests.unit.serving.analytics import (
    ZONE,
    Bucketer,
    Sums,
    day_bucket,
    hour_bucket,
    midnight,
    month_bucket,
    oracle,
    week_bucket,
    years_later,
)

METRICS = tuple(Sums().as_api())
NOTHING = Sums().as_api()
"""A row's metrics when no line falls in it: zeros, cost and margin unknown."""


def analytics_event(kind: str = "sale", **overrides: Any) -> dict[str, Any]:
    """`make_event` for lakes built outside a test (module-scoped): ids from the order ids."""
    payload = load_event(kind)
    payload["event_id"] = f"EV-{overrides['order_id']}"
    payload.update(overrides)
    return payload


def served(client: TestClient, params: dict[str, Any]) -> dict[str, Any]:
    response = client.get("/v1/metrics/sales", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_key(body: dict[str, Any], group_by: tuple[str, ...]) -> dict[tuple[str, ...], Any]:
    return {
        (row["bucket"], *(row[name] for name in group_by)): {name: row[name] for name in METRICS}
        for row in body["rows"]
    }


def comparisons(body: dict[str, Any], group_by: tuple[str, ...]) -> dict[tuple[str, ...], Any]:
    return {
        (row["bucket"], *(row[name] for name in group_by)): row["comparison"]
        for row in body["rows"]
    }


def totals(body: dict[str, Any]) -> dict[str, Any]:
    return {name: body["totals"][name] for name in METRICS}


@dataclass(frozen=True)
class Case:
    """One question: its parameters and how the oracle answers it."""

    params: dict[str, Any]
    bucket: Bucketer
    start: datetime
    end: datetime
    group_by: tuple[str, ...] = ()
    filters: dict[str, set[str]] | None = None
    compared: tuple[datetime, datetime] | None = None
    """The comparison range."""
    moved: Callable[[datetime], datetime] | None = None
    """How a comparison line's local time moves into the asked range."""


def _total_of(start: datetime) -> Bucketer:
    return lambda _moment: start.isoformat()


CASES = {
    "days across the boundary": Case(
        {"from": "2026-11-01", "to": "2026-11-22", "granularity": "day"},
        day_bucket,
        midnight(date(2026, 11, 1)),
        midnight(date(2026, 11, 22)),
    ),
    "months over a year against the previous year": Case(
        {
            "from": "2025-12-01",
            "to": "2026-12-01",
            "granularity": "month",
            "compare": "previous_year",
        },
        month_bucket,
        midnight(date(2025, 12, 1)),
        midnight(date(2026, 12, 1)),
        compared=(midnight(date(2024, 12, 1)), midnight(date(2025, 12, 1))),
        moved=years_later,
    ),
    "ISO weeks by category against the previous week": Case(
        {
            "from": "2026-11-02",
            "to": "2026-11-23",
            "granularity": "week",
            "group_by": "category",
            "compare": "previous_week",
        },
        week_bucket,
        midnight(date(2026, 11, 2)),
        midnight(date(2026, 11, 23)),
        group_by=("category",),
        compared=(midnight(date(2026, 10, 26)), midnight(date(2026, 11, 16))),
        moved=lambda moment: moment + timedelta(days=7),
    ),
    "two dimensions, filtered, against the previous 174 days": Case(
        {
            "from": "2026-06-01",
            "to": "2026-11-22",
            "granularity": "total",
            "group_by": "store_region,brand",
            "category": ["peripherals", "computers"],
            "payment_method": ["pix", "cash"],
            "compare": "previous_period",
        },
        _total_of(midnight(date(2026, 6, 1))),
        midnight(date(2026, 6, 1)),
        midnight(date(2026, 11, 22)),
        group_by=("store_region", "brand"),
        filters={"category": {"peripherals", "computers"}, "payment_method": {"pix", "cash"}},
        compared=(midnight(date(2025, 12, 9)), midnight(date(2026, 6, 1))),
        moved=lambda moment: moment + timedelta(days=174),
    ),
    "months by region and sku, the 30 days against the previous week": Case(
        {
            "from": "2026-10-23",
            "to": "2026-11-22",
            "granularity": "month",
            "group_by": "store_region,sku",
            "store_region": "Sudeste",
            "compare": "previous_week",
        },
        month_bucket,
        midnight(date(2026, 10, 23)),
        midnight(date(2026, 11, 22)),
        group_by=("store_region", "sku"),
        filters={"store_region": {"Sudeste"}},
        compared=(midnight(date(2026, 10, 16)), midnight(date(2026, 11, 15))),
        moved=lambda moment: moment + timedelta(days=7),
    ),
    "hours of today against the six hours before": Case(
        {
            "from": "2026-11-21T06:00:00",
            "to": "2026-11-21T18:00:00",
            "granularity": "hour",
            "compare": "previous_period",
        },
        hour_bucket,
        datetime(2026, 11, 21, 6, tzinfo=ZONE),
        datetime(2026, 11, 21, 18, tzinfo=ZONE),
        compared=(datetime(2026, 11, 20, 18, tzinfo=ZONE), datetime(2026, 11, 21, 6, tzinfo=ZONE)),
        moved=lambda moment: moment + timedelta(hours=12),
    ),
}


def assert_answers(client: TestClient, lines: list[dict[str, Any]], case: Case) -> None:
    """The API's rows, totals and comparisons for `case` equal the oracle's, metric for metric."""
    body = served(client, case.params)
    rows, total = oracle(lines, case.start, case.end, case.bucket, case.group_by, case.filters)
    assert len(rows) >= 2, "the scenario must give this question several rows"
    assert body["period"] == {"from": case.start.isoformat(), "to": case.end.isoformat()}
    assert body["group_by"] == list(case.group_by)
    if case.compared is None or case.moved is None:
        assert by_key(body, case.group_by) == rows
        assert totals(body) == total
        assert body["comparison"] is None
        return
    start, end = case.compared
    compared, compared_total = oracle(
        lines, start, end, case.bucket, case.group_by, case.filters, case.moved
    )
    assert compared, "the comparison period must hold sales too"
    assert body["comparison"]["from"] == start.isoformat()
    assert body["comparison"]["to"] == end.isoformat()
    assert body["comparison"]["compare"] == case.params["compare"]
    keys = rows.keys() | compared.keys()
    assert by_key(body, case.group_by) == {key: rows.get(key, NOTHING) for key in keys}
    assert comparisons(body, case.group_by) == {key: compared.get(key, NOTHING) for key in keys}
    assert totals(body) == total
    assert body["totals"]["comparison"] == compared_total
