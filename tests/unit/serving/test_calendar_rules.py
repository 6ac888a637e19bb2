"""The calendar rules through the query API on DuckDB, against oracles written with zoneinfo.

Minute and hour buckets are instants: the fall-back day has 25 hour buckets and the
spring-forward day 23, each labelled with its own offset; a comparison by whole days sits beside
the equal local hour. Day buckets are business days: the reporting zone's, or each store's own
under `SALESFLOW_BUSINESS_DAY=store`. Every case reads the real-time view (nothing published);
`tests/integration/batch_layer/test_calendar_batch.py` runs the same rules through the batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from contract.business_day import BusinessDay
from contract.event import Channel
from contract.settings import Settings
from serving.app import create_app
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.sample_lake import (
    CUSTOMERS,
    PRODUCTS,
    STORES,
    Copy,
    ReferenceCatalog,
    expected_lines,
    ingested,
    write_inputs,
)

STEP = timedelta(minutes=20)
"""Sales every 20 minutes of UTC time: three per hour of an ordinary zone."""


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The oracle's start of a local day: the first instant whose local date is `day` (Sao
    Paulo's 2018-11-04 began at 01:00, its midnight skipped)."""
    instant = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    while instant.astimezone(zone).date() >= day:
        instant -= timedelta(minutes=1)
    while instant.astimezone(zone).date() < day:
        instant += timedelta(minutes=1)
    return instant


def sales_between(
    start: datetime, end: datetime, make_event: Callable[..., dict[str, Any]]
) -> list[Copy]:
    copies = []
    at = start
    while at < end:
        payload = make_event(occurred_at=at.isoformat(), store_id="SP-PAULISTA-01")
        copies.append(Copy(ingested(payload, at + timedelta(seconds=30))))
        at += STEP
    return copies


def local_hour_label(instant: datetime, zone: ZoneInfo) -> str:
    """The oracle's hour bucket: the local hour's start, with the offset in force then."""
    return instant.astimezone(zone).replace(minute=0, second=0, microsecond=0).isoformat()


def serve(lake: Path, tz: str, business_day: BusinessDay = BusinessDay.REPORTING) -> TestClient:
    settings = Settings(
        lake_uri=str(lake), reporting_tz=tz, business_day=business_day, serving_cache_seconds=0
    )
    return TestClient(create_app(settings, DuckDBEngine(settings)))


@pytest.fixture
def client_for(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def start(lake: Path, tz: str, business_day: BusinessDay = BusinessDay.REPORTING) -> TestClient:
        client = serve(lake, tz, business_day)
        clients.append(client.__enter__())
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


TRANSITIONS = [
    pytest.param("America/New_York", date(2026, 11, 1), 25, id="new-york-falls-back"),
    pytest.param("America/New_York", date(2026, 3, 8), 23, id="new-york-springs-forward"),
    pytest.param("Europe/Lisbon", date(2026, 10, 25), 25, id="lisbon-falls-back"),
    pytest.param("Europe/Lisbon", date(2026, 3, 29), 23, id="lisbon-springs-forward"),
    pytest.param("America/Sao_Paulo", date(2018, 11, 4), 23, id="sao-paulo-2018-midnight-skipped"),
    pytest.param("America/Sao_Paulo", date(2018, 2, 17), 25, id="sao-paulo-2018-falls-back"),
    pytest.param("Asia/Kolkata", date(2026, 11, 21), 24, id="kolkata-half-hour-offset"),
]


@pytest.mark.parametrize(("tz", "day", "hours"), TRANSITIONS)
def test_hour_buckets_are_the_local_hours_as_instants_with_their_offsets(
    tmp_path: Path,
    make_event: Callable[..., dict[str, Any]],
    client_for: Callable[..., TestClient],
    tz: str,
    day: date,
    hours: int,
) -> None:
    zone = ZoneInfo(tz)
    start, end = local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)
    copies = sales_between(start, end, make_event)
    lake = tmp_path / "lake"
    write_inputs(lake, copies)
    expected = Counter(
        local_hour_label(line["occurred_at"], zone)
        for line in expected_lines(copies, tz)
        if line["line_number"] == 1
    )
    assert len(expected) == hours

    response = client_for(lake, tz).get(
        "/v1/metrics/sales",
        params={
            "from": day.isoformat(),
            "to": (day + timedelta(days=1)).isoformat(),
            "granularity": "hour",
        },
    )

    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert {row["bucket"]: row["orders"] for row in rows} == dict(expected)
    assert [row["bucket"] for row in rows] == sorted(expected, key=datetime.fromisoformat)


def test_minute_buckets_of_the_repeated_hour_are_two_sets_of_instants(
    tmp_path: Path, make_event: Callable[..., dict[str, Any]], client_for: Callable[..., TestClient]
) -> None:
    tz, zone = "America/New_York", ZoneInfo("America/New_York")
    first_one_am = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)
    copies = sales_between(first_one_am, first_one_am + timedelta(hours=2), make_event)
    lake = tmp_path / "lake"
    write_inputs(lake, copies)

    response = client_for(lake, tz).get(
        "/v1/metrics/sales",
        params={
            "from": "2026-11-01T05:00:00Z",
            "to": "2026-11-01T07:00:00Z",
            "granularity": "minute",
        },
    )

    assert response.status_code == 200, response.text
    labels = [row["bucket"] for row in response.json()["rows"]]
    assert labels == [copy.event.occurred_at.astimezone(zone).isoformat() for copy in copies]
    assert labels[0] == "2026-11-01T01:00:00-04:00"
    assert labels[3] == "2026-11-01T01:00:00-05:00"


@pytest.mark.parametrize(
    ("asked", "compared_day"),
    [
        pytest.param(date(2026, 11, 1), date(2026, 10, 25), id="fall-back-against-a-plain-day"),
        pytest.param(date(2026, 3, 8), date(2026, 3, 1), id="spring-forward-against-a-plain-day"),
        pytest.param(date(2026, 11, 8), date(2026, 11, 1), id="plain-day-against-fall-back"),
    ],
)
def test_same_weekday_last_week_compares_equal_local_hours(
    tmp_path: Path,
    make_event: Callable[..., dict[str, Any]],
    client_for: Callable[..., TestClient],
    asked: date,
    compared_day: date,
) -> None:
    tz, zone = "America/New_York", ZoneInfo("America/New_York")
    copies = [
        *sales_between(
            local_midnight(compared_day, zone),
            local_midnight(compared_day + timedelta(days=1), zone),
            make_event,
        ),
        *sales_between(
            local_midnight(asked, zone), local_midnight(asked + timedelta(days=1), zone), make_event
        ),
    ]
    lake = tmp_path / "lake"
    write_inputs(lake, copies)
    lines = [line for line in expected_lines(copies, tz) if line["line_number"] == 1]
    now = Counter(
        local_hour_label(line["occurred_at"], zone) for line in lines if line["sale_date"] == asked
    )
    before_by_wall_hour = Counter(
        line["occurred_at"].astimezone(zone).hour
        for line in lines
        if line["sale_date"] == compared_day
    )

    response = client_for(lake, tz).get(
        "/v1/metrics/sales",
        params={
            "from": asked.isoformat(),
            "to": (asked + timedelta(days=1)).isoformat(),
            "granularity": "hour",
            "compare": "previous_week",
        },
    )

    assert response.status_code == 200, response.text
    body = response.json()
    got = {row["bucket"]: (row["orders"], row["comparison"]["orders"]) for row in body["rows"]}
    assert got == {
        label: (orders, before_by_wall_hour[datetime.fromisoformat(label).hour])
        for label, orders in now.items()
    }
    assert body["totals"]["orders"] == sum(now.values())
    assert body["totals"]["comparison"]["orders"] == sum(before_by_wall_hour.values())


ZONED_STORES = [
    STORES[0].model_copy(update={"time_zone": "America/Sao_Paulo"}),
    STORES[1].model_copy(
        update={"store_id": "AM-MANAUS-01", "name": "Manaus", "time_zone": "America/Manaus"}
    ),
    STORES[2].model_copy(
        update={
            "store_id": "PE-NORONHA-01",
            "name": "Noronha",
            "channel": Channel.POS,
            "time_zone": "America/Noronha",
        }
    ),
    STORES[1].model_copy(update={"store_id": "RJ-NO-ZONE-01", "name": "No zone"}),
]
ZONED_CATALOG = ReferenceCatalog(PRODUCTS, ZONED_STORES, CUSTOMERS)


def around_local_midnights(make_event: Callable[..., dict[str, Any]]) -> list[Copy]:
    """Every store's sales at 23:10, 23:50, 00:10 and 00:50 of its own clock around the
    midnights of 20, 21 and 22 November 2026."""
    copies = []
    for store in ZONED_STORES:
        zone = ZoneInfo(store.time_zone or "America/Sao_Paulo")
        for day in (date(2026, 11, 21), date(2026, 11, 22)):
            midnight = datetime.combine(day, time(), tzinfo=zone)
            for minutes in (-50, -10, 10, 50):
                at = (midnight + timedelta(minutes=minutes)).astimezone(UTC)
                payload = make_event(
                    occurred_at=at.isoformat(), store_id=store.store_id, channel=store.channel.value
                )
                copies.append(Copy(ingested(payload, at + timedelta(seconds=5))))
    return copies


@pytest.mark.parametrize("business_day", list(BusinessDay))
def test_day_buckets_follow_the_business_day_setting(
    tmp_path: Path,
    make_event: Callable[..., dict[str, Any]],
    client_for: Callable[..., TestClient],
    business_day: BusinessDay,
) -> None:
    tz = "America/Sao_Paulo"
    copies = around_local_midnights(make_event)
    lake = tmp_path / "lake"
    write_inputs(lake, copies, ZONED_CATALOG)
    lines = expected_lines(copies, tz, ZONED_CATALOG, business_day)
    first_day, last_day = date(2026, 11, 21), date(2026, 11, 22)
    expected = Counter(
        (line["sale_date"].isoformat(), line["store_id"])
        for line in lines
        if line["line_number"] == 1 and first_day <= line["sale_date"] <= last_day
    )
    client = client_for(lake, tz, business_day)

    response = client.get(
        "/v1/metrics/sales",
        params={
            "from": "2026-11-21",
            "to": "2026-11-23",
            "granularity": "day",
            "group_by": "store_id",
        },
    )

    assert response.status_code == 200, response.text
    body = response.json()
    got = {(row["bucket"], row["store_id"]): row["orders"] for row in body["rows"]}
    assert got == dict(expected)
    assert body["totals"]["orders"] == sum(expected.values())
    display = client.get("/v1/display").json()
    assert display["business_day"] == business_day.value
    if business_day is BusinessDay.STORE:
        # Manaus's 23:10 and 23:50 of the 21st are the 22nd in Sao Paulo, yet count on the 21st.
        assert got[("2026-11-21", "AM-MANAUS-01")] == 4
        assert got[("2026-11-21", "PE-NORONHA-01")] == 4


@pytest.mark.parametrize("business_day", list(BusinessDay))
def test_hour_buckets_stay_reporting_zone_instants_whatever_the_business_day(
    tmp_path: Path,
    make_event: Callable[..., dict[str, Any]],
    client_for: Callable[..., TestClient],
    business_day: BusinessDay,
) -> None:
    tz, zone = "America/Sao_Paulo", ZoneInfo("America/Sao_Paulo")
    copies = around_local_midnights(make_event)
    lake = tmp_path / "lake"
    write_inputs(lake, copies, ZONED_CATALOG)
    start = datetime(2026, 11, 22, tzinfo=zone)
    expected = Counter(
        local_hour_label(line["occurred_at"], zone)
        for line in expected_lines(copies, tz, ZONED_CATALOG, business_day)
        if line["line_number"] == 1 and start <= line["occurred_at"] < start + timedelta(days=1)
    )

    response = client_for(lake, tz, business_day).get(
        "/v1/metrics/sales",
        params={"from": "2026-11-22", "to": "2026-11-23", "granularity": "hour"},
    )

    assert response.status_code == 200, response.text
    assert {row["bucket"]: row["orders"] for row in response.json()["rows"]} == dict(expected)
