"""An event is one sale whatever day its copies claim: a copy ingested after T whose
`occurred_at` falls on another business day than the copy gold holds is a duplicate in the
real-time view too, as the batch will treat it (the first copy wins), whether the local engine
materializes the real-time side in full or merges the new file into it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contract.lake import gold_run
from contract.settings import Settings
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.sample_lake import (
    Copy,
    expected_lines,
    ingested,
    write_bronze,
    write_csv_upload,
    write_gold,
    write_inputs,
)

TZ = "America/Sao_Paulo"
CUTOFF = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
SOLD = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
"""Gold's copies were sold three days before T, and arrived the same day."""


@pytest.fixture
def engine_for(tmp_path: Path) -> Iterator[Callable[..., DuckDBEngine]]:
    engines: list[DuckDBEngine] = []

    def start(lake: Path, dedup_days: int = 0) -> DuckDBEngine:
        settings = Settings(lake_uri=str(lake), reporting_tz=TZ, realtime_dedup_days=dedup_days)
        engines.append(DuckDBEngine(settings))
        return engines[-1]

    yield start
    for engine in engines:
        engine.close()


def events_in_gold(make_event: Callable[..., dict[str, Any]]) -> list[Copy]:
    return [
        Copy(ingested(make_event(occurred_at=SOLD.isoformat()), SOLD + timedelta(minutes=1)))
        for _ in range(3)
    ]


def later_copies(gold: list[Copy], *, days_later: int) -> list[Copy]:
    """Copies of gold's events sent again after T, claiming a sale `days_later` days on; the
    last through a CSV upload."""
    resent = []
    for number, copy in enumerate(gold):
        payload = copy.event.model_dump(mode="json", exclude={"ingested_at", "source"})
        payload["occurred_at"] = (SOLD + timedelta(days=days_later)).isoformat()
        at = CUTOFF + timedelta(minutes=5 + number)
        resent.append(Copy(ingested(payload, at), via_csv=number == len(gold) - 1))
    return resent


def counted_events(engine: DuckDBEngine) -> dict[str, int]:
    rows = engine.query(
        "SELECT event_id, count(DISTINCT sale_date) AS days, count(*) AS n "
        "FROM sales_merged GROUP BY event_id"
    ).rows
    return {row["event_id"]: row["days"] for row in rows}


def merged_lines(engine: DuckDBEngine) -> list[tuple[str, int, Any, Any]]:
    rows = engine.query(
        "SELECT event_id, line_number, sale_date, net_amount FROM sales_merged"
    ).rows
    return sorted((r["event_id"], r["line_number"], r["sale_date"], r["net_amount"]) for r in rows)


def oracle_lines(copies: list[Copy]) -> list[tuple[str, int, Any, Any]]:
    return sorted(
        (line["event_id"], line["line_number"], line["sale_date"], line["net_amount"])
        for line in expected_lines(copies, TZ)
    )


@pytest.mark.parametrize("days_later", [1, 2])
def test_a_copy_claiming_another_day_is_not_counted_again_when_materialized_in_full(
    tmp_path: Path,
    make_event: Callable[..., dict[str, Any]],
    engine_for: Callable[[Path], DuckDBEngine],
    days_later: int,
) -> None:
    gold = events_in_gold(make_event)
    copies = [*gold, *later_copies(gold, days_later=days_later)]
    lake = tmp_path / "lake"
    write_inputs(lake, copies)
    write_gold(lake, expected_lines(gold, TZ), CUTOFF, "run-1")
    engine = engine_for(lake)

    engine.refresh()

    assert counted_events(engine) == {copy.event.event_id: 1 for copy in gold}
    assert merged_lines(engine) == oracle_lines(copies)


def test_a_copy_claiming_another_day_is_not_counted_again_when_merged_file_by_file(
    tmp_path: Path,
    make_event: Callable[..., dict[str, Any]],
    engine_for: Callable[[Path], DuckDBEngine],
) -> None:
    gold = events_in_gold(make_event)
    fresh = Copy(
        ingested(make_event(occurred_at=CUTOFF.isoformat()), CUTOFF + timedelta(minutes=1))
    )
    lake = tmp_path / "lake"
    write_inputs(lake, [*gold, fresh])
    write_gold(lake, expected_lines(gold, TZ), CUTOFF, "run-1")
    engine = engine_for(lake)
    engine.refresh()

    resent = later_copies(gold, days_later=1)
    write_bronze(lake, [copy.event for copy in resent if not copy.via_csv])
    write_csv_upload(lake, [copy.event for copy in resent if copy.via_csv])
    engine.refresh()

    assert counted_events(engine) == {copy.event.event_id: 1 for copy in [*gold, fresh]}
    assert merged_lines(engine) == oracle_lines([*gold, fresh, *resent])


def resent_same_day(gold: list[Copy]) -> list[Copy]:
    """Copies of gold's events sent again after T as they were (a retry, an export), the last
    through a CSV upload."""
    return later_copies(gold, days_later=0)


@pytest.mark.parametrize("merged_file_by_file", [False, True])
def test_with_a_dedup_window_gold_days_before_it_are_not_looked_up_until_the_next_run(
    tmp_path: Path,
    make_event: Callable[..., dict[str, Any]],
    engine_for: Callable[..., DuckDBEngine],
    merged_file_by_file: bool,
) -> None:
    """SALESFLOW_REALTIME_DEDUP_DAYS (docs/adr/0022): gold sold its copies three days before
    T's date. A window of three days still finds them; a window of two does not, and the
    copies resent after T then count a second time, as the setting documents (the next run's
    first-copy rule drops them). Without a window (0) every gold day is looked up."""
    gold = events_in_gold(make_event)
    resent = resent_same_day(gold)
    counts = {}
    for dedup_days in (0, 3, 2):
        lake = tmp_path / f"lake-{dedup_days}"
        write_inputs(lake, gold if merged_file_by_file else [*gold, *resent])
        write_gold(lake, expected_lines(gold, TZ), CUTOFF, "run-1")
        engine = engine_for(lake, dedup_days)
        engine.refresh()
        if merged_file_by_file:
            write_bronze(lake, [copy.event for copy in resent if not copy.via_csv])
            write_csv_upload(lake, [copy.event for copy in resent if copy.via_csv])
            engine.refresh()
        lines = engine.query("SELECT count(*) AS n FROM sales_merged").rows[0]["n"]
        counts[dedup_days] = lines
    once = len(expected_lines(gold, TZ))
    assert counts == {0: once, 3: once, 2: 2 * once}


def test_merging_landed_files_reads_gold_once_per_published_run(
    tmp_path: Path,
    make_event: Callable[..., dict[str, Any]],
    engine_for: Callable[..., DuckDBEngine],
) -> None:
    """Gold's sales the view looks up are kept from the run's installation: a merge judges new
    copies against them without reading gold's files, which are moved away meanwhile (on an
    `s3://` lake each read would scan the window's sales through the S3 API)."""
    gold = events_in_gold(make_event)
    lake = tmp_path / "lake"
    write_inputs(lake, gold)
    write_gold(lake, expected_lines(gold, TZ), CUTOFF, "run-1")
    engine = engine_for(lake, 3)
    engine.refresh()

    gold_files = lake / gold_run("run-1")
    hidden = tmp_path / "gold-away"
    gold_files.rename(hidden)
    resent = resent_same_day(gold)
    write_bronze(lake, [copy.event for copy in resent if not copy.via_csv])
    write_csv_upload(lake, [copy.event for copy in resent if copy.via_csv])
    engine.refresh()
    hidden.rename(gold_files)

    assert engine.query("SELECT count(*) AS n FROM sales_realtime_unbatched").rows == [{"n": 0}]
    assert merged_lines(engine) == oracle_lines([*gold, *resent])
