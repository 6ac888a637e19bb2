"""Events ingested exactly at the boundary T, through the serving views on DuckDB.

Gold (written by the oracle) holds what was ingested before T, the real-time view what was
ingested at or after T, and the merged view counts every sale once: before and after the next
run is published. Timestamps come back to the microsecond, from bronze
Parquet, CSV text and gold Parquet alike; Athena's result strings are read the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contract.business_day import BusinessDay
from contract.settings import Settings
from serving.engines.athena_results import converter
from serving.engines.duckdb_engine import DuckDBEngine
from serving.sql_files import SqlParameters, view_statements
from tests.unit.serving.boundary import (
    BOUNDARY,
    INGESTION_MICROSECONDS,
    NEXT_BOUNDARY,
    TICK,
    boundary_copies,
    ingested_before,
)
from tests.unit.serving.sample_lake import Copy, expected_lines, write_gold, write_inputs

TZ = "America/Sao_Paulo"

EventIngestion = tuple[str, datetime, int]
"""(event_id, ingested_at of the copy counted, lines counted)."""


def counted(lines: list[dict[str, Any]]) -> list[EventIngestion]:
    per_event = Counter((line["event_id"], line["ingested_at"]) for line in lines)
    return sorted((event_id, at, n) for (event_id, at), n in per_event.items())


def view_counted(engine: DuckDBEngine, view: str) -> list[EventIngestion]:
    rows = engine.query(
        f"SELECT event_id, ingested_at, count(*) AS n FROM {view} GROUP BY event_id, ingested_at"
    ).rows
    return sorted((row["event_id"], row["ingested_at"], row["n"]) for row in rows)


def without_line_numbers(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A CSV upload carries no line order, so lines are compared by content."""
    stripped = [{k: v for k, v in line.items() if k != "line_number"} for line in lines]
    return sorted(stripped, key=lambda line: (line["event_id"], line["sku"], line["quantity"]))


@pytest.fixture
def copies(make_event: Callable[..., dict[str, Any]]) -> list[Copy]:
    return boundary_copies(make_event)


def test_events_at_t_are_real_time_and_counted_once_across_a_publication(
    tmp_path: Path, copies: list[Copy]
) -> None:
    lake = tmp_path / "lake"
    write_inputs(lake, copies)
    everything = expected_lines(copies, TZ)
    engine = DuckDBEngine(Settings(lake_uri=str(lake), reporting_tz=TZ))
    try:
        for run_id, boundary in (("run-1", BOUNDARY), ("run-2", NEXT_BOUNDARY)):
            gold = expected_lines(ingested_before(copies, boundary), TZ)
            write_gold(lake, gold, boundary, run_id)
            run = engine.refresh()
            assert (run.run_id, run.cutoff) == (run_id, boundary)

            assert view_counted(engine, "sales_batch") == counted(gold)
            in_gold = {line["event_id"] for line in gold}
            realtime = [line for line in everything if line["event_id"] not in in_gold]
            assert view_counted(engine, "sales_realtime") == counted(realtime)
            merged = engine.query("SELECT * FROM sales_merged").rows
            assert view_counted(engine, "sales_merged") == counted(everything)
            assert without_line_numbers(merged) == without_line_numbers(everything)
    finally:
        engine.close()


def test_timestamps_keep_their_microseconds_through_every_view(
    tmp_path: Path, copies: list[Copy]
) -> None:
    lake = tmp_path / "lake"
    write_inputs(lake, copies)
    write_gold(lake, expected_lines(ingested_before(copies, BOUNDARY), TZ), BOUNDARY, "run-1")
    engine = DuckDBEngine(Settings(lake_uri=str(lake), reporting_tz=TZ))
    try:
        engine.refresh()
        rows = engine.query(
            "SELECT event_id, source, occurred_at, ingested_at FROM sales_merged"
        ).rows
    finally:
        engine.close()
    sent = {(c.event.event_id, c.event.source): c.event for c in copies}
    for row in rows:
        event = sent[(row["event_id"], row["source"])]
        assert row["ingested_at"] == event.ingested_at
        assert row["occurred_at"] == event.occurred_at
    assert {row["ingested_at"].microsecond for row in rows} == INGESTION_MICROSECONDS
    assert {row["occurred_at"].microsecond for row in rows} == {123457}


def test_athena_sql_and_results_carry_timestamps_to_the_microsecond() -> None:
    parameters = SqlParameters(
        lake="s3://lake",
        published_locations={},
        cutoff=BOUNDARY + TICK,
        reporting_tz=TZ,
        business_day=BusinessDay.REPORTING,
    )
    realtime = view_statements(parameters)["sales_realtime"]
    assert realtime.count("TIMESTAMP '2026-11-21 13:45:10.250001'") == 2
    assert converter("timestamp")("2026-11-21 13:45:10.249999") == datetime(
        2026, 11, 21, 13, 45, 10, 249999
    )
    zoned = converter("timestamp with time zone")("2026-11-21 13:45:10.251000 UTC")
    assert zoned == NEXT_BOUNDARY.astimezone(UTC)
