"""What a dashboard refresh reads from bronze late in the day: after the freshness run (no batch
ran, so T is before every event), the bronze files the real-time view scans, as the speed layer
wrote them and after compaction merged each hour's small files (as the deployment's hourly
compaction leaves every closed hour). The cost model's Athena scan per query is this figure
per event (docs/serving.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contract.lake import BRONZE_EVENTS
from contract.lake_io import LakeFiles
from contract.settings import Settings
from serving.engines.duckdb_engine import DuckDBEngine
from speed_layer.compaction import closed_hours, compact_hour


@dataclass(frozen=True)
class Files:
    count: int
    bytes: int


@dataclass(frozen=True)
class BronzeScan:
    events: int
    landed: Files
    """As the speed layer wrote them."""
    compacted: Files
    """After merging every hour's small files."""


def bronze_scan(lake: Path, zone: str) -> BronzeScan:
    """Measure the run's bronze, then compact every hour of it (nothing writes any more)."""
    settings = Settings(lake_uri=str(lake), reporting_tz=zone)
    landed = _files(lake)
    files = LakeFiles.open(str(lake), settings)
    for hour in closed_hours(files, datetime.now(UTC) + timedelta(hours=2), timedelta(0)):
        compact_hour(files, hour)
    engine = DuckDBEngine(settings)
    try:
        events = engine.query("SELECT count(*) AS n FROM bronze_sales_events").rows[0]["n"]
    finally:
        engine.close()
    return BronzeScan(int(events), landed, _files(lake))


def _files(lake: Path) -> Files:
    paths = list((lake / BRONZE_EVENTS).rglob("*.parquet"))
    return Files(len(paths), sum(path.stat().st_size for path in paths))
