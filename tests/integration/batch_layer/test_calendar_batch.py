"""The calendar rules after the batch run: gold's `sale_date` and calendar columns against the
zoneinfo oracle under both business-day settings, and the query API answering the same before
the run (real-time view) and after it (gold), on a fall-back night and around store midnights."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pyspark.sql import SparkSession

from batch_layer.job import run_batch
from contract.business_day import BusinessDay
from contract.gold import SALES_WIDE
from contract.settings import Settings
from serving.app import create_app
from serving.engines.duckdb_engine import DuckDBEngine
from tests.integration.batch_layer.gold_reader import read_table
from tests.unit.serving.sample_lake import Copy, expected_lines, write_inputs
from tests.unit.serving.test_calendar_rules import (
    ZONED_CATALOG,
    around_local_midnights,
    local_hour_label,
    local_midnight,
    sales_between,
)

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

TZ = "America/New_York"
FALL_BACK = date(2026, 11, 1)
QUESTIONS = (
    {"from": "2026-11-01", "to": "2026-11-02", "granularity": "hour"},
    {"from": "2026-11-20", "to": "2026-11-24", "granularity": "day", "group_by": "store_id"},
    {"from": "2026-11-01", "to": "2026-11-02", "granularity": "hour", "compare": "previous_week"},
    {"from": "2026-11-01", "to": "2026-12-01", "granularity": "week"},
)


def by_content(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(lines, key=lambda line: (line["event_id"], line["line_number"]))


def answers(settings: Settings) -> list[Any]:
    """The rows and totals of every question, without the fields that name the run."""
    with TestClient(create_app(settings, DuckDBEngine(settings))) as client:
        bodies = [client.get("/v1/metrics/sales", params=q) for q in QUESTIONS]
    assert all(body.status_code == 200 for body in bodies), [b.text for b in bodies]
    return [(body.json()["rows"], body.json()["totals"]) for body in bodies]


@pytest.mark.parametrize("business_day", list(BusinessDay))
def test_gold_keeps_the_calendar_rules_and_the_api_answers_alike_before_and_after_the_run(
    spark: SparkSession,
    tmp_path: Path,
    make_event: Callable[..., dict[str, Any]],
    business_day: BusinessDay,
) -> None:
    zone = ZoneInfo(TZ)
    week_before = FALL_BACK - timedelta(days=7)
    copies: list[Copy] = [
        *sales_between(
            local_midnight(week_before, zone),
            local_midnight(week_before + timedelta(1), zone),
            make_event,
        ),
        *sales_between(
            local_midnight(FALL_BACK, zone),
            local_midnight(FALL_BACK + timedelta(1), zone),
            make_event,
        ),
        *around_local_midnights(make_event),
    ]
    lake = tmp_path / "lake"
    write_inputs(lake, copies, ZONED_CATALOG)
    settings = Settings(
        state_dir=tmp_path / "state",
        lake_uri=str(lake),
        reporting_tz=TZ,
        business_day=business_day,
        serving_cache_seconds=0,
    )
    realtime = answers(settings)

    cutoff = datetime(2026, 11, 25, tzinfo=UTC)
    publication = run_batch(settings.lake_uri, cutoff, settings=settings, spark=spark)

    gold = read_table(lake, publication, SALES_WIDE).to_pylist()
    assert by_content(gold) == by_content(expected_lines(copies, TZ, ZONED_CATALOG, business_day))
    assert answers(settings) == realtime
    hours = realtime[0][0]
    assert len(hours) == 25
    assert [row["bucket"] for row in hours[1:3]] == [
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:00:00-05:00",
    ]


ZONE_TRANSITIONS = [
    pytest.param(
        "America/New_York", (date(2026, 3, 8), date(2026, 11, 1)), id="new-york-both-transitions"
    ),
    pytest.param("Europe/Lisbon", (date(2026, 3, 29), date(2026, 10, 25)), id="lisbon"),
    pytest.param("America/Sao_Paulo", (date(2018, 2, 17), date(2018, 11, 4)), id="sao-paulo-2018"),
]


@pytest.mark.parametrize(("tz", "days"), ZONE_TRANSITIONS)
def test_transition_days_keep_their_hours_after_the_run(
    spark: SparkSession,
    tmp_path: Path,
    make_event: Callable[..., dict[str, Any]],
    tz: str,
    days: tuple[date, date],
) -> None:
    """A zone's spring-forward and fall-back days through the real Spark job: gold equals the
    zoneinfo oracle, and each day's hour buckets (23 and 25 of them, each with its offset) are
    the oracle's local hours, the same before the run and after it."""
    zone = ZoneInfo(tz)
    copies = [
        copy
        for day in days
        for copy in sales_between(
            local_midnight(day, zone), local_midnight(day + timedelta(1), zone), make_event
        )
    ]
    lake = tmp_path / "lake"
    write_inputs(lake, copies, ZONED_CATALOG)
    settings = Settings(
        state_dir=tmp_path / "state", lake_uri=str(lake), reporting_tz=tz, serving_cache_seconds=0
    )
    expected = expected_lines(copies, tz, ZONED_CATALOG, BusinessDay.REPORTING)
    oracle_hours = [
        Counter(
            local_hour_label(line["occurred_at"], zone)
            for line in expected
            if line["line_number"] == 1 and line["sale_date"] == day
        )
        for day in days
    ]
    before = hour_answers(settings, days)

    cutoff = datetime.combine(days[1] + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    publication = run_batch(settings.lake_uri, cutoff, settings=settings, spark=spark)

    gold = read_table(lake, publication, SALES_WIDE).to_pylist()
    assert by_content(gold) == by_content(expected)
    assert sorted(len(hours) for hours in oracle_hours) == [23, 25]
    assert before == [dict(hours) for hours in oracle_hours]
    assert hour_answers(settings, days) == before


def hour_answers(settings: Settings, days: tuple[date, ...]) -> list[dict[str, int]]:
    """Orders per hour bucket of each day, as the query API answers them."""
    with TestClient(create_app(settings, DuckDBEngine(settings))) as client:
        bodies = [
            client.get(
                "/v1/metrics/sales",
                params={"from": str(day), "to": str(day + timedelta(1)), "granularity": "hour"},
            )
            for day in days
        ]
    assert all(body.status_code == 200 for body in bodies), [b.text for b in bodies]
    return [{row["bucket"]: row["orders"] for row in body.json()["rows"]} for body in bodies]
