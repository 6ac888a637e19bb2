"""The nightly job: bronze + CSV uploads + reference -> silver -> gold run folder -> publication.

`run_batch(lake_uri, cutoff, settings=...)` is the entry point for the CLI, the devstack, the
EMR entry script and tests. It reads every input line ingested before `cutoff`, writes
`gold/runs/<run_id>/{sales_wide,quality_quarantine,<marts>,<customer tables>}` and then publishes
the run. The same inputs and cutoff always give the same rows; only the run id and timings differ.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf

from batch_layer import gold, inputs, marts, quality, silver
from batch_layer.csv_pending import load_pending
from batch_layer.customers import write_customer_tables
from batch_layer.publish import publish
from batch_layer.spark_session import build_session
from contract.customers import CUSTOMER_PROFILES, CUSTOMER_TABLES
from contract.gold import (
    MART_DIMENSIONS,
    QUALITY_QUARANTINE,
    SALES_WIDE,
    SALES_WIDE_PARTITION_COLUMN,
    SALES_WIDE_SCHEMA,
)
from contract.lake import LakeLocation, gold_run
from contract.publication import Publication, boundary_instant
from contract.quality import FLAG_RULES, QUARANTINE_RULES
from contract.settings import Settings
from contract.spark_schema import spark_schema

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LineCounts:
    """How many input lines each origin brought and where each line ended up."""

    lines_by_origin: dict[str, int]
    events_by_origin: dict[str, int]
    lines_by_outcome: dict[str, int]
    flagged: dict[str, int]
    """Lines kept in gold with each flag rule (`contract.quality.FLAG_RULES`)."""


def run_batch(
    lake_uri: str,
    cutoff: datetime,
    *,
    settings: Settings,
    spark: SparkSession | None = None,
) -> Publication:
    """Rebuild gold from every line ingested before `cutoff` (timezone-aware, taken to the whole
    millisecond below: `contract.publication.boundary_instant`) and publish it.

    `lake_uri` is a local folder or `s3://bucket/prefix` (S3 needs a Spark with an S3
    filesystem, as on EMR). Without `spark`, a local session is started (and left running for
    reuse in the same process). Raises on any failure, leaving the previous publication served.
    """
    cutoff = boundary_instant(cutoff)
    started = time.monotonic()
    load_pending(lake_uri, settings=settings)
    lake = LakeLocation.parse(lake_uri)
    session = spark or build_session()
    run_id = _new_run_id(cutoff)
    run_folder = gold_run(run_id)
    logger.info("batch run started", extra={"run_id": run_id, "cutoff": cutoff.isoformat()})

    products = inputs.read_reference(session, lake, "products")
    stores = inputs.read_reference(session, lake, "stores")
    customers = inputs.read_reference(session, lake, "customers")
    events = silver.ranked_events(
        inputs.read_bronze_events(session, lake, cutoff),
        inputs.read_csv_lines(session, lake, cutoff),
    ).persist()
    try:
        classified = quality.classify(quality.enrich(silver.sale_lines(events), products, stores))
        counts = _count(classified)
        passed = classified.where(classified.outcome == quality.PASSED).select(*silver.LINE_FIELDS)
        wide = gold.sales_wide(passed, products, stores, customers, settings.calendar)
        _write_sales_wide(wide, inputs.spark_uri(lake, f"{run_folder}/{SALES_WIDE}"))
        held = gold.quarantine(classified)
        _write_small(held, inputs.spark_uri(lake, f"{run_folder}/{QUALITY_QUARANTINE}"))
    finally:
        events.unpersist()

    written = _read_sales_wide(session, inputs.spark_uri(lake, f"{run_folder}/{SALES_WIDE}"))
    for mart in MART_DIMENSIONS:
        _write_small(
            marts.build_mart(written, mart), inputs.spark_uri(lake, f"{run_folder}/{mart}")
        )
    profiles = write_customer_tables(
        written,
        customers,
        cutoff.astimezone(settings.reporting_zone).date(),
        lambda frame, table: _write_small(frame, inputs.spark_uri(lake, f"{run_folder}/{table}")),
    )

    publication = _publication(run_id, cutoff, counts, profiles, time.monotonic() - started)
    publish(lake, publication, settings)
    logger.info(
        "batch run published",
        extra={
            "run_id": run_id,
            "sales_wide_rows": publication.output_counts[SALES_WIDE],
            "duplicates": publication.duplicates,
            "quarantined": publication.output_counts[QUALITY_QUARANTINE],
            "seconds": round(publication.duration_seconds, 1),
        },
    )
    return publication


def _new_run_id(cutoff: datetime) -> str:
    now = datetime.now(UTC)
    return f"{cutoff.astimezone(UTC):%Y%m%dT%H%M%SZ}-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def _count(classified: DataFrame) -> LineCounts:
    rows = (
        classified.groupBy("origin", "outcome")
        .agg(
            sf.count(sf.lit(1)).alias("lines"),
            sf.sum(sf.col("is_first_line").cast("long")).alias("events"),
            *[sf.sum(sf.col(flag).cast("long")).alias(flag) for flag in FLAG_RULES],
        )
        .collect()
    )
    lines_by_origin: Counter[str] = Counter()
    events_by_origin: Counter[str] = Counter()
    lines_by_outcome: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    for row in rows:
        if row["outcome"] == quality.PASSED:
            flagged.update({flag: row[flag] or 0 for flag in FLAG_RULES})
        lines_by_origin[row["origin"]] += row["lines"]
        events_by_origin[row["origin"]] += row["events"]
        lines_by_outcome[row["outcome"]] += row["lines"]
    return LineCounts(
        dict(lines_by_origin),
        dict(events_by_origin),
        dict(lines_by_outcome),
        {flag: flagged.get(flag, 0) for flag in FLAG_RULES},
    )


_UNIQUE_PER_EVENT = ("event_id", "order_id", "occurred_at", "ingested_at")
"""`sales_wide` columns with about one value per event: Parquet would build a dictionary for
each, overflow it and fall back to plain encoding, paying for both (a fifth of the write stage)."""


def _write_sales_wide(wide: DataFrame, uri: str) -> None:
    """`wide` is partitioned by day, so each `sale_date` folder gets one file; sorted for stable
    output."""
    writer = (
        wide.sortWithinPartitions(SALES_WIDE_PARTITION_COLUMN, "event_id", "line_number")
        .write.mode("errorifexists")
        .partitionBy(SALES_WIDE_PARTITION_COLUMN)
    )
    for column in _UNIQUE_PER_EVENT:
        writer = writer.option(f"parquet.enable.dictionary#{column}", "false")
    writer.parquet(uri)


def _write_small(frame: DataFrame, uri: str) -> None:
    frame.coalesce(1).write.mode("errorifexists").parquet(uri)


def _read_sales_wide(spark: SparkSession, uri: str) -> DataFrame:
    return spark.read.schema(spark_schema(SALES_WIDE_SCHEMA)).parquet(uri)


def _publication(
    run_id: str,
    cutoff: datetime,
    counts: LineCounts,
    customer_profiles: int,
    duration_seconds: float,
) -> Publication:
    outcome = counts.lines_by_outcome
    return Publication(
        run_id=run_id,
        cutoff=cutoff.astimezone(UTC),
        published_at=datetime.now(UTC),
        tables={
            table: f"{gold_run(run_id)}/{table}"
            for table in (SALES_WIDE, QUALITY_QUARANTINE, *MART_DIMENSIONS, *CUSTOMER_TABLES)
        },
        input_counts={
            "bronze_events": counts.events_by_origin.get(silver.BRONZE_ORIGIN, 0),
            "bronze_lines": counts.lines_by_origin.get(silver.BRONZE_ORIGIN, 0),
            "csv_events": counts.events_by_origin.get(silver.CSV_ORIGIN, 0),
            "csv_lines": counts.lines_by_origin.get(silver.CSV_ORIGIN, 0),
            "lines": sum(counts.lines_by_origin.values()),
        },
        output_counts={
            SALES_WIDE: outcome.get(quality.PASSED, 0),
            QUALITY_QUARANTINE: sum(outcome.get(rule, 0) for rule in QUARANTINE_RULES),
            CUSTOMER_PROFILES: customer_profiles,
        },
        quality_counts={
            **counts.flagged,
            **{rule: outcome.get(rule, 0) for rule in QUARANTINE_RULES},
        },
        duplicates=outcome.get(silver.DUPLICATE, 0),
        duration_seconds=duration_seconds,
    )
