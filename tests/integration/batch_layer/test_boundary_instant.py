"""Events ingested exactly at the boundary T, through the real batch job and the merged view.

The job reads every copy ingested before T and none at or after it, from bronze and from CSV
uploads; the DuckDB merged view over the gold it wrote counts every sale once, before and after
the next run is published; timestamps survive Parquet, Spark and DuckDB to the microsecond.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from batch_layer.job import run_batch
from contract.gold import SALES_WIDE
from contract.settings import Settings
from serving.engines.duckdb_engine import DuckDBEngine
from tests.integration.batch_layer.gold_reader import read_table
from tests.unit.serving.boundary import (
    BOUNDARY,
    INGESTION_MICROSECONDS,
    NEXT_BOUNDARY,
    boundary_copies,
    ingested_before,
)
from tests.unit.serving.sample_lake import Copy, expected_lines, write_inputs

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

TZ = "America/Sao_Paulo"


def by_content(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines without `line_number` (a CSV upload carries no line order), in a stable order."""
    stripped = [{k: v for k, v in line.items() if k != "line_number"} for line in lines]
    return sorted(stripped, key=lambda line: (line["event_id"], line["sku"], line["quantity"]))


def input_counts(copies: list[Copy]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for copy in copies:
        origin = "csv" if copy.via_csv else "bronze"
        counts[f"{origin}_events"] += 1
        counts[f"{origin}_lines"] += len(copy.event.items)
        counts["lines"] += len(copy.event.items)
    return dict(counts)


def test_gold_stops_before_t_and_the_merged_view_counts_events_at_t_once(
    spark: SparkSession, tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    copies = boundary_copies(make_event)
    lake = tmp_path / "lake"
    write_inputs(lake, copies)
    settings = Settings(state_dir=tmp_path / "state", lake_uri=str(lake), reporting_tz=TZ)
    everything = by_content(expected_lines(copies, TZ))
    assert {line["ingested_at"].microsecond for line in everything} == INGESTION_MICROSECONDS
    engine = DuckDBEngine(settings)
    try:
        # The first run is asked for a T 999 microseconds past BOUNDARY: it reads and publishes
        # BOUNDARY, so the copies ingested one microsecond after it stay in the real-time view.
        previous = datetime.min.replace(tzinfo=UTC)
        for requested, boundary in (
            (BOUNDARY + timedelta(microseconds=999), BOUNDARY),
            (NEXT_BOUNDARY, NEXT_BOUNDARY),
        ):
            publication = run_batch(settings.lake_uri, requested, settings=settings, spark=spark)
            assert publication.cutoff == boundary
            before = ingested_before(copies, boundary)
            read = [c for c in before if c.event.ingested_at >= previous]
            assert publication.input_counts == input_counts(read)
            previous = boundary
            gold = read_table(lake, publication, SALES_WIDE).to_pylist()
            assert by_content(gold) == by_content(expected_lines(before, TZ))

            assert engine.refresh().run_id == publication.run_id
            assert by_content(engine.query("SELECT * FROM sales_merged").rows) == everything
    finally:
        engine.close()
