"""A bronze file landing while the local engine rebuilds its real-time side is counted.

The speed layer lands files whenever it likes; the engine lists the real-time inputs, then reads
them in a transaction of several statements. These tests land a file at exact points of that
transaction (through a connection that runs a hook after a chosen statement) and check that the
next refresh counts it: while the files that fill an empty bronze are merged into the side, and
while a rebuild after a compaction writes it in full.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contract.bronze import bronze_table
from contract.event import IngestedSaleEvent
from contract.lake import bronze_partition
from contract.settings import Settings
from serving.engines.duckdb_engine import DuckDBEngine
from tests.conftest import load_event
from tests.unit.serving.sample_lake import STORES, ingested, write_reference

TZ = "America/Sao_Paulo"
START = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
MATERIALIZE_LINES = 'CREATE OR REPLACE TABLE "sales_realtime_unbatched"'
"""How the statement writing the side's lines starts, on every path that writes them all."""
MERGE_LINES = 'INSERT INTO "sales_realtime_unbatched"'
"""How the statement adding new files' lines to the side starts."""
COUNTED = "SELECT DISTINCT event_id FROM sales_realtime_unbatched ORDER BY event_id"
RECOMPUTED = "SELECT * FROM sales_realtime_unbatched_live ORDER BY event_id, line_number"
REALTIME = "SELECT * FROM sales_realtime_unbatched ORDER BY event_id, line_number"


class _Cursor:
    """A DuckDB cursor that calls `after(statement)` once each statement has run."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, after: Callable[[str], None]) -> None:
        self._cursor = cursor
        self._after = after

    def execute(self, statement: str, *args: Any) -> Any:
        result = self._cursor.execute(statement, *args)
        self._after(statement)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class _Connection:
    """The engine's connection, its cursors wrapped in `_Cursor`."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, after: Callable[[str], None]):
        self._connection = connection
        self._after = after

    def cursor(self) -> _Cursor:
        return _Cursor(self._connection.cursor(), self._after)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class _LandAfter:
    """Lands `events` as one speed-layer file right after the first statement starting with
    `prefix` once armed: the interleaving of a file renamed into place mid-transaction."""

    def __init__(self, lake: Path, events: list[IngestedSaleEvent], prefix: str) -> None:
        self.lake = lake
        self.events = events
        self.prefix = prefix
        self.armed = False
        self.landed = False

    def __call__(self, statement: str) -> None:
        if self.armed and not self.landed and statement.startswith(self.prefix):
            self.landed = True
            land(self.lake, self.events)


def land(lake: Path, events: list[IngestedSaleEvent]) -> Path:
    """One speed-layer file of `events` (all in one ingest hour), renamed into place."""
    folder = lake / bronze_partition(events[0].ingested_at)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"sqs-{uuid.uuid4().hex}.parquet"
    staging = folder / f".{name}.tmp"
    pq.write_table(bronze_table(events), staging)
    return staging.rename(folder / name)


def events(count: int, first: datetime) -> list[IngestedSaleEvent]:
    made = []
    for number in range(count):
        payload = copy.deepcopy(load_event("sale"))
        payload.update(
            event_id=f"EV{uuid.uuid4().hex.upper()}",
            store_id=STORES[0].store_id,
            occurred_at=(first - timedelta(minutes=5)).isoformat(),
        )
        made.append(ingested(payload, first + timedelta(seconds=number)))
    return made


def _engine(lake: Path, after: Callable[[str], None]) -> DuckDBEngine:
    engine = DuckDBEngine(Settings(lake_uri=str(lake), reporting_tz=TZ))
    engine._connection = _Connection(engine._connection, after)  # type: ignore[assignment]
    return engine


def _counted(engine: DuckDBEngine) -> list[str]:
    engine.refresh()
    return [row["event_id"] for row in engine.query(COUNTED).rows]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    write_reference(root)
    return root


def test_a_file_landing_while_an_empty_bronze_is_filled_is_counted(lake: Path) -> None:
    """The first query installs the views over an empty bronze, files land, and the next query
    merges them (once it installed again: a CI failure) while the last file is renamed into
    place."""
    first, last = events(5, START), events(3, START + timedelta(minutes=1))
    hook = _LandAfter(lake, last, MERGE_LINES)
    engine = _engine(lake, hook)
    try:
        assert _counted(engine) == []
        land(lake, first)
        _refresh_while_the_file_lands(engine, hook, expected=first + last)
    finally:
        engine.close()


def test_a_file_landing_while_a_compaction_rebuilds_the_side_is_counted(lake: Path) -> None:
    first, last = events(4, START), events(2, START + timedelta(minutes=1))
    hook = _LandAfter(lake, last, MATERIALIZE_LINES)
    engine = _engine(lake, hook)
    try:
        land(lake, first[:2])
        land(lake, first[2:])
        assert _counted(engine) == sorted(e.event_id for e in first[:4])
        compact(lake / bronze_partition(START))
        _refresh_while_the_file_lands(engine, hook, expected=first + last)
    finally:
        engine.close()


def _refresh_while_the_file_lands(
    engine: DuckDBEngine, hook: _LandAfter, expected: list[IngestedSaleEvent]
) -> None:
    """One refresh during which the hook lands its file; the next counts every event, and the
    side equals the view recomputed over every file."""
    hook.armed = True
    _counted(engine)
    assert hook.landed
    assert _counted(engine) == sorted(e.event_id for e in expected)
    assert engine.query(REALTIME).rows == engine.query(RECOMPUTED).rows


def compact(hour: Path) -> None:
    """The hour's files merged into one, as `salesflow compact` does."""
    files = sorted(hour.glob("*.parquet"))
    merged = pa.concat_tables([pq.read_table(f) for f in files])
    pq.write_table(merged, hour / f"compacted-{uuid.uuid4().hex}.parquet")
    for path in files:
        path.unlink()
