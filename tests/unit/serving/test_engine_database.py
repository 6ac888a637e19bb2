"""The DuckDB engine's tables in a database file (`SALESFLOW_SERVING_DATABASE`), as a serving
task on AWS keeps them: the same answers as in memory, through installs and merges, and the file
is only ever the engine's working copy (a stale one is replaced, and it goes when the engine
closes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

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
from tests.unit.serving.test_same_event_other_day import (
    CUTOFF,
    TZ,
    events_in_gold,
    merged_lines,
    oracle_lines,
    resent_same_day,
)


def test_an_engine_with_a_database_file_answers_as_one_in_memory(
    tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    gold = events_in_gold(make_event)
    fresh = [
        Copy(ingested(make_event(occurred_at=CUTOFF.isoformat()), CUTOFF + timedelta(minutes=1)))
        for _ in range(3)
    ]
    lake = tmp_path / "lake"
    write_inputs(lake, [*gold, *fresh])
    write_gold(lake, expected_lines(gold, TZ), CUTOFF, "run-1")
    database = tmp_path / "serving" / "engine.duckdb"
    on_file = DuckDBEngine(
        Settings(lake_uri=str(lake), reporting_tz=TZ, serving_database=str(database))
    )
    in_memory = DuckDBEngine(Settings(lake_uri=str(lake), reporting_tz=TZ))
    try:
        on_file.refresh()
        in_memory.refresh()
        assert database.stat().st_size > 0
        resent = resent_same_day(gold)
        write_bronze(lake, [copy.event for copy in resent if not copy.via_csv])
        write_csv_upload(lake, [copy.event for copy in resent if copy.via_csv])
        on_file.refresh()
        in_memory.refresh()
        assert merged_lines(on_file) == merged_lines(in_memory)
        assert merged_lines(on_file) == oracle_lines([*gold, *fresh, *resent])
    finally:
        on_file.close()
        in_memory.close()
    assert not database.exists()


def test_a_database_file_left_by_an_earlier_process_is_replaced(
    tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    gold = events_in_gold(make_event)
    lake = tmp_path / "lake"
    write_inputs(lake, gold)
    write_gold(lake, expected_lines(gold, TZ), CUTOFF, "run-1")
    database = tmp_path / "engine.duckdb"
    database.write_bytes(b"not a DuckDB database: a task killed mid-write")
    database.with_name("engine.duckdb.wal").write_bytes(b"half a log")
    engine = DuckDBEngine(
        Settings(
            lake_uri=str(lake),
            reporting_tz=TZ,
            serving_database=str(database),
            serving_memory_limit="512MB",
        )
    )
    try:
        assert merged_lines(engine) == oracle_lines(gold)
        limit = engine.query("SELECT current_setting('memory_limit') AS m").rows[0]["m"]
        assert limit in ("488.2 MiB", "512.0 MB")
    finally:
        engine.close()
    assert not database.exists()


@pytest.mark.parametrize("limit", ["lots", "3 TB", "-1GB"])
def test_a_memory_limit_duckdb_cannot_read_is_refused_naming_the_setting(limit: str) -> None:
    with pytest.raises(ValidationError, match="serving_memory_limit"):
        Settings(serving_memory_limit=limit)
