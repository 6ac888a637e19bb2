"""What an incremental run starts from and which `sales_wide` days it must rebuild.

A run is incremental when the published state was built by this layout (it lists its silver
runs), under the same calendar, and `--full` was not asked for; otherwise it rebuilds everything
from bronze. An incremental run reads only what was ingested in [previous T, T): every event of it
whose id silver already holds is a later copy (silver's copies were all ingested earlier, and the
first copy wins), a duplicate or, from another source with other content, a sale of its own
unless silver holds that too (`silver.ranked_events`, ADR 0021); the rest are new. The days it
rebuilds are

- the business days of the new events' lines (late events reach back as far as they go), and
- for each reference table whose effective rows changed since the state was built (a load, a
  rollback, an erasure), the business days of the stored lines whose key is among the changed
  rows and whose `occurred_at` falls in a changed validity interval, under the old and the new
  rows (a store moved to another time zone leaves one day and joins another).

Everything else is reused as published (ADR 0018).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf

from batch_layer import gold
from batch_layer.inputs import path_exists, spark_uri
from contract.gold import SALES_WIDE_PARTITION_COLUMN
from contract.lake import LakeLocation, reference_effective_file, reference_snapshot_file
from contract.lake_io import LakeFiles
from contract.publication import Publication
from contract.reference import REFERENCE_TABLES, ReferenceTable, reference_table
from contract.settings import Settings
from contract.spark_schema import spark_schema

logger = logging.getLogger(__name__)


def calendar_key(settings: Settings) -> str:
    return f"{settings.reporting_tz}|{settings.business_day.value}"


def base_state(
    lake: LakeFiles,
    published: Publication | None,
    settings: Settings,
    *,
    cutoff: datetime,
    full: bool,
) -> Publication | None:
    """The published state an incremental run builds on, or None for a full run (and why)."""
    reason = None
    every = timedelta(days=settings.batch_full_every_days)
    if full:
        reason = "asked for (--full)"
    elif (
        published is not None
        and every
        and (published.full_cutoff is None or cutoff - published.full_cutoff >= every)
    ):
        reason = f"the last full rebuild is {settings.batch_full_every_days} days old or more"
    elif published is None:
        reason = "nothing published yet"
    elif not published.silver_runs:
        reason = "the published state has no stored silver (built before incremental runs)"
    elif published.calendar != calendar_key(settings):
        reason = f"the calendar changed ({published.calendar} -> {calendar_key(settings)})"
    elif any(
        not lake.exists(reference_snapshot_file(published.run_id, t)) for t in REFERENCE_TABLES
    ):
        reason = "the published state kept no snapshot of its reference tables"
    if reason is not None:
        logger.info("batch run rebuilds everything", extra={"reason": reason})
        return None
    return published


def reference_snapshot(lake: LakeFiles) -> dict[str, bytes]:
    """The effective tables as a run starts (an empty table for a kind never loaded), kept in
    its folder by `keep_reference_snapshot` so the next run can tell what changed."""
    return {
        name: lake.read_bytes(reference_effective_file(table.name)) or _empty_parquet(table)
        for name, table in REFERENCE_TABLES.items()
    }


def keep_reference_snapshot(lake: LakeFiles, run_id: str, snapshot: dict[str, bytes]) -> None:
    for name, content in snapshot.items():
        lake.write_bytes(reference_snapshot_file(run_id, name), content)


def business_days(lines: DataFrame, stores: DataFrame, settings: Settings) -> set[date]:
    dated = gold.with_sale_date(lines.select("store_id", "occurred_at"), stores, settings.calendar)
    return {row[0] for row in dated.select(SALES_WIDE_PARTITION_COLUMN).distinct().collect()}


def changed_reference_days(
    spark: SparkSession,
    lake: LakeLocation,
    base: Publication,
    stored_lines: DataFrame,
    current: dict[str, DataFrame],
    *,
    files: LakeFiles,
    snapshot: dict[str, bytes],
    settings: Settings,
) -> set[date]:
    """The business days of the stored lines a reference change since `base` restates. A table
    whose effective file as this run read it (`snapshot`, from `reference_snapshot`) is byte for
    byte the state's is skipped without Spark."""
    days: set[date] = set()
    previous_stores = _snapshot(spark, lake, base.run_id, "stores")
    for name, table in REFERENCE_TABLES.items():
        if files.read_bytes(reference_snapshot_file(base.run_id, name)) == snapshot[name]:
            continue
        before = _snapshot(spark, lake, base.run_id, name)
        after = current[name]
        columns = [f.name for f in table.effective_schema()]
        changed = (
            before.select(*columns)
            .exceptAll(after.select(*columns))
            .unionByName(after.select(*columns).exceptAll(before.select(*columns)))
        )
        intervals = changed.select(
            sf.col(table.key).alias("_key"),
            sf.col("valid_from").alias("_from"),
            sf.col("valid_to").alias("_to"),
        ).distinct()
        if intervals.isEmpty():
            continue
        hit = stored_lines.join(
            sf.broadcast(intervals),
            (stored_lines[table.key] == sf.col("_key"))
            & (stored_lines["occurred_at"] >= sf.col("_from"))
            & (stored_lines["occurred_at"] < sf.col("_to")),
        ).select("store_id", "occurred_at")
        touched = business_days(hit, current["stores"], settings) | business_days(
            hit, previous_stores, settings
        )
        logger.info(
            "reference change restates days",
            extra={"table": name, "days": len(touched)},
        )
        days |= touched
    return days


def _empty_parquet(table: ReferenceTable) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table.effective_schema().empty_table(), sink)
    return bytes(sink.getvalue().to_pybytes())


def around(days: Iterable[date]) -> set[date]:
    """The UTC dates whose lines can fall on `days` in any zone (a zone is within a day of UTC)."""
    return {day + timedelta(days=offset) for day in days for offset in (-1, 0, 1)}


def _snapshot(spark: SparkSession, lake: LakeLocation, run_id: str, table: str) -> DataFrame:
    schema = spark_schema(reference_table(table).effective_schema())
    uri = spark_uri(lake, reference_snapshot_file(run_id, table))
    if not path_exists(spark, uri):
        return spark.createDataFrame([], schema)
    return spark.read.schema(schema).parquet(uri)
