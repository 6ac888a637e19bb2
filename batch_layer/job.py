"""The nightly job: bronze + CSV uploads + reference -> silver -> gold run folder -> publication.

`run_batch(lake_uri, cutoff, settings=...)` is the entry point for the CLI, the devstack, the
EMR entry script and tests. It reads what was ingested since the published T (everything, for a
full run), adds the new events to silver, rebuilds the `sales_wide` days they or a reference
change affect, writes `gold/runs/<run_id>/{sales_wide,sales_wide_manifest,quality_quarantine,
<marts>,<customer tables>}` and then publishes the new state. The same inputs and cutoff always
give the same rows, whichever runs led there; only run ids and timings differ (ADR 0018).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.types import StructType

from batch_layer import (
    customer_months,
    gold,
    gold_state,
    increment,
    index_ranges,
    inputs,
    marts,
    quality,
    s3a,
    silver,
    silver_store,
)
from batch_layer.csv_pending import load_pending
from batch_layer.customers import write_customer_tables
from batch_layer.publish import publish
from batch_layer.spark_session import build_session
from contract.content_digest import CONFLICT_SEPARATOR
from contract.customers import CUSTOMER_PROFILES, CUSTOMER_TABLES
from contract.gold import (
    MART_DIMENSIONS,
    QUALITY_QUARANTINE,
    SALES_WIDE,
    SALES_WIDE_PARTITION_COLUMN,
    SALES_WIDE_PLAIN_COLUMNS,
    SALES_WIDE_SCHEMA,
    mart_schema,
)
from contract.lake import LakeLocation, gold_run, sales_wide_manifest
from contract.lake_io import LakeFiles
from contract.publication import DayPartition, Publication, boundary_instant, read_publication
from contract.quality import EVENT_ID_CONFLICTS, FLAG_RULES, QUARANTINE_RULES
from contract.reference import REFERENCE_TABLES
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
    conflicts: int
    """Sales made of a copy that conflicted with its id's winner (`<event_id>~<source>`)."""


@dataclass(frozen=True)
class _Run:
    """One run's fixed context: where it reads and writes, what it builds on."""

    session: SparkSession
    lake: LakeLocation
    files: LakeFiles
    run_id: str
    cutoff: datetime
    base: Publication | None
    """The published state this run builds on; None for a full run."""
    reference: dict[str, DataFrame]
    reference_snapshot: dict[str, bytes]
    """The effective reference files as the run started: what it joins, kept for the next."""
    settings: Settings

    def uri(self, table: str) -> str:
        return inputs.spark_uri(self.lake, f"{gold_run(self.run_id)}/{table}")


@dataclass(frozen=True)
class BuiltState:
    """What a run wrote, before it is published."""

    counts: LineCounts
    silver_runs: list[str]
    days: dict[str, DayPartition]
    days_written: int
    quarantined: int
    customer_profiles: int


def run_batch(
    lake_uri: str,
    cutoff: datetime,
    *,
    settings: Settings,
    spark: SparkSession | None = None,
    full: bool = False,
) -> Publication:
    """Bring gold up to `cutoff` (timezone-aware, taken to the whole millisecond below:
    `contract.publication.boundary_instant`) and publish it; returns the publication served.

    Incremental by default (`batch_layer.increment`): only what was ingested since the published
    T is read, and only the days it affects are rebuilt; `full` (or a state a run cannot build
    on) rebuilds every day from bronze. Both publish the same tables. A run that finds nothing
    new publishes nothing and returns the state already served.

    `lake_uri` is a local folder or `s3://bucket/prefix`: EMR's session has its own `s3://`, a
    local one reaches it through S3A at the settings' S3 endpoint (`batch_layer.s3a`). Without
    `spark`, a local session is started (and left running for reuse in the same process).
    Raises on any failure, leaving the previous publication served.
    """
    cutoff = boundary_instant(cutoff)
    started = time.monotonic()
    load_pending(lake_uri, settings=settings)
    lake = LakeLocation.parse(lake_uri)
    files = LakeFiles.open(lake_uri, settings)
    session = spark or build_session(s3a=lake.scheme == "s3")
    s3a.connect(session, settings)
    published = read_publication(files)
    base = increment.base_state(files, published, settings, cutoff=cutoff, full=full)
    run = _Run(
        session=session,
        lake=lake,
        files=files,
        run_id=_new_run_id(cutoff),
        cutoff=cutoff,
        base=base,
        reference={name: inputs.read_reference(session, lake, name) for name in REFERENCE_TABLES},
        reference_snapshot=increment.reference_snapshot(files),
        settings=settings,
    )
    logger.info(
        "batch run started",
        extra={"run_id": run.run_id, "cutoff": cutoff.isoformat(), "incremental": bool(base)},
    )
    since = base.cutoff if base is not None else None
    bronze = inputs.read_bronze_events(session, lake, cutoff, since)
    csv_lines = inputs.read_csv_lines(session, files, cutoff, since)
    known = None if base is None else _index_entries(run, base, bronze, csv_lines)
    events = silver.ranked_events(bronze, csv_lines, known).persist()
    try:
        built = _build(run, events)
    finally:
        events.unpersist()
    if built is None:
        assert published is not None, "a full run always builds"
        logger.info(
            "batch run found nothing new: nothing published",
            extra={"run_id": run.run_id, "served_run_id": published.run_id},
        )
        return published
    publication = _publication(run, built, time.monotonic() - started)
    publish(lake, publication, settings)
    logger.info(
        "batch run published",
        extra={
            "run_id": run.run_id,
            "kind": publication.kind,
            "days_written": built.days_written,
            "sales_wide_rows": publication.output_counts[SALES_WIDE],
            "duplicates": publication.duplicates,
            "quarantined": publication.output_counts[QUALITY_QUARANTINE],
            "seconds": round(publication.duration_seconds, 1),
        },
    )
    return publication


def _index_entries(
    run: _Run, base: Publication, bronze: DataFrame, csv_lines: DataFrame
) -> DataFrame:
    """The entries of the base state's event-id index that the run's new copies can match
    (`batch_layer.index_ranges`): the new ids are ranged first, so the index is read only
    where they fall."""
    new_ids = bronze.select("event_id").unionByName(csv_lines.select("event_id"))
    ranges = index_ranges.new_id_ranges(new_ids)
    logger.info(
        "event-id index read within the new ids' ranges",
        extra={"run_id": run.run_id, "ranges": len(ranges)},
    )
    index = silver_store.read_event_ids(run.session, run.lake, base.silver_runs)
    return index_ranges.within(index, ranges)


def _build(run: _Run, events: DataFrame) -> BuiltState | None:
    """Silver's new part, then the affected `sales_wide` days and the quarantine, marts and
    customer tables of the new state, in the run's folder; None when nothing changed."""
    products, stores = run.reference["products"], run.reference["stores"]
    lines = silver.sale_lines(events)
    counts = _count(quality.classify(quality.enrich(lines, products, stores)))
    fresh = lines.where(~sf.col("duplicate")).select(*silver_store.STORED_FIELDS)
    affected = _affected_days(run, fresh)
    if affected is not None and not affected and sum(counts.lines_by_origin.values()) == 0:
        return None
    silver_store.write_part(fresh, run.lake, run.run_id)
    silver_runs = [run.run_id] if run.base is None else [*run.base.silver_runs, run.run_id]
    day_lines = (
        fresh
        if affected is None
        else silver_store.read_lines(
            run.session, run.lake, silver_runs, fresh.schema, increment.around(affected)
        )
    )
    classified = quality.classify(
        quality.enrich(day_lines.withColumn("duplicate", sf.lit(False)), products, stores)
    )
    written = _write_days(run, classified, affected)
    kept = (
        {}
        if run.base is None or affected is None
        else {
            day: partition
            for day, partition in run.base.sales_wide_days.items()
            if date.fromisoformat(day) not in affected
        }
    )
    days = {**kept, **written}
    gold_state.write_manifests(run.files, run.run_id, gold_state.day_files(run.files, days))
    state = _read_days(run, days)
    quarantined = _write_quarantine(run, classified, affected)
    _write_marts(run, state, affected)
    profiles = write_customer_tables(
        _customer_months(run, state, days, affected),
        run.reference["customers"],
        run.cutoff.astimezone(run.settings.reporting_zone).date(),
        lambda frame, table: _write_small(frame, run.uri(table)),
    )
    increment.keep_reference_snapshot(run.files, run.run_id, run.reference_snapshot)
    return BuiltState(counts, silver_runs, days, len(written), quarantined, profiles)


def _affected_days(run: _Run, fresh: DataFrame) -> set[date] | None:
    """The business days an incremental run rebuilds; None for a full run (all of them)."""
    if run.base is None:
        return None
    stores = run.reference["stores"]
    stored = silver_store.read_lines(run.session, run.lake, run.base.silver_runs, fresh.schema)
    affected = increment.business_days(fresh, stores, run.settings)
    affected |= increment.changed_reference_days(
        run.session,
        run.lake,
        run.base,
        stored,
        run.reference,
        files=run.files,
        snapshot=run.reference_snapshot,
        settings=run.settings,
    )
    return affected


def _write_days(
    run: _Run, classified: DataFrame, affected: set[date] | None
) -> dict[str, DayPartition]:
    """The passed lines' `sales_wide` rows of the affected days (all, for a full run), in the
    run's folder; each day written with its row count."""
    passed = classified.where(classified.outcome == quality.PASSED).select(*silver.LINE_FIELDS)
    wide = gold.sales_wide(
        passed,
        run.reference["products"],
        run.reference["stores"],
        run.reference["customers"],
        run.settings.calendar,
    )
    if affected is not None:
        wide = wide.where(sf.col(SALES_WIDE_PARTITION_COLUMN).isin(sorted(affected)))
    _write_sales_wide(wide, run.uri(SALES_WIDE))
    written = run.files.list_files(f"{gold_run(run.run_id)}/{SALES_WIDE}")
    if not any(path.endswith(".parquet") for path in written):
        return {}
    rows = (
        _read_sales_wide(run.session, run.uri(SALES_WIDE))
        .groupBy(SALES_WIDE_PARTITION_COLUMN)
        .count()
        .collect()
    )
    return {
        row[SALES_WIDE_PARTITION_COLUMN].isoformat(): DayPartition(
            run_id=run.run_id, rows=row["count"]
        )
        for row in rows
    }


def _read_days(run: _Run, days: dict[str, DayPartition]) -> DataFrame:
    """The state's `sales_wide`: each day read from the run folder that holds it."""
    schema = spark_schema(SALES_WIDE_SCHEMA)
    by_run: dict[str, list[str]] = defaultdict(list)
    for day, partition in sorted(days.items()):
        by_run[partition.run_id].append(day)
    frames = [
        run.session.read.schema(schema)
        .option("basePath", inputs.spark_uri(run.lake, f"{gold_run(run_id)}/{SALES_WIDE}"))
        .parquet(
            *[inputs.spark_uri(run.lake, gold_state.day_folder(run_id, day)) for day in wanted]
        )
        for run_id, wanted in by_run.items()
    ]
    if not frames:
        return run.session.createDataFrame([], schema)
    state = frames[0]
    for frame in frames[1:]:
        state = state.unionByName(frame)
    return state


def _previous(run: _Run, table: str, schema: StructType) -> DataFrame | None:
    """`table` as the base state published it, or None for a full run."""
    if run.base is None or table not in run.base.tables:
        return None
    uri = inputs.spark_uri(run.lake, run.base.tables[table])
    return run.session.read.schema(schema).parquet(uri)


def _write_quarantine(run: _Run, classified: DataFrame, affected: set[date] | None) -> int:
    """The held lines of the state: this run's for the affected days, the base state's for the
    others. Returns how many."""
    held = gold.quarantine(classified)
    previous = _previous(run, QUALITY_QUARANTINE, held.schema)
    if affected is not None and previous is not None:
        stores, days = run.reference["stores"], sorted(affected)
        held = _on_days(held, stores, run, days, keep=True).unionByName(
            _on_days(previous, stores, run, days, keep=False)
        )
    _write_small(held, run.uri(QUALITY_QUARANTINE))
    return run.session.read.parquet(run.uri(QUALITY_QUARANTINE)).count()


def _on_days(
    lines: DataFrame, stores: DataFrame, run: _Run, days: list[date], *, keep: bool
) -> DataFrame:
    """The lines whose business day is (`keep`) or is not among `days`."""
    dated = gold.with_sale_date(lines, stores, run.settings.calendar)
    on_days = sf.col(SALES_WIDE_PARTITION_COLUMN).isin(days)
    return dated.where(on_days if keep else ~on_days).select(*lines.columns)


def _write_marts(run: _Run, state: DataFrame, affected: set[date] | None) -> None:
    """Each mart of the state: rebuilt from the affected days' rows, the base's rows kept for
    the other days (a mart row is one day's group, so both are exact)."""
    for mart in MART_DIMENSIONS:
        previous = _previous(run, mart, spark_schema(mart_schema(mart)))
        if affected is None or previous is None:
            built = marts.build_mart(state, mart)
        else:
            days = sorted(affected)
            fresh = marts.build_mart(
                state.where(sf.col(SALES_WIDE_PARTITION_COLUMN).isin(days)), mart
            )
            built = previous.where(~sf.col(SALES_WIDE_PARTITION_COLUMN).isin(days)).unionByName(
                fresh
            )
        _write_small(built, run.uri(mart))


def _customer_months(
    run: _Run, state: DataFrame, days: dict[str, DayPartition], affected: set[date] | None
) -> DataFrame:
    """The state's customer-month rows, kept in the run's folder and read back: the months of
    the affected days rebuilt from their `sales_wide` days, the others carried over from the
    base state (all rebuilt for a full run, or when the base state kept none)."""
    previous = (
        None
        if run.base is None or affected is None
        else customer_months.read(run.session, run.lake, run.base.run_id)
    )
    if run.base is not None and previous is None:
        logger.info(
            "base state kept no customer-month rows: building them from every day",
            extra={"run_id": run.run_id, "base_run_id": run.base.run_id},
        )
    if previous is None or affected is None:
        built = customer_months.aggregate(state)
    else:
        months = {customer_months.month_of(day) for day in affected}
        in_months = {
            day: partition
            for day, partition in days.items()
            if customer_months.month_of(date.fromisoformat(day)) in months
        }
        built = customer_months.carried_over(previous, months).unionByName(
            customer_months.aggregate(_read_days(run, in_months))
        )
        logger.info(
            "customer-month rows rebuilt for the affected months",
            extra={"run_id": run.run_id, "months": len(months), "days_read": len(in_months)},
        )
    customer_months.write(built, run.lake, run.run_id)
    kept = customer_months.read(run.session, run.lake, run.run_id)
    assert kept is not None, "just written"
    return kept


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
            sf.sum(
                (sf.col("is_first_line") & (sf.instr("event_id", CONFLICT_SEPARATOR) > 0)).cast(
                    "long"
                )
            ).alias(EVENT_ID_CONFLICTS),
        )
        .collect()
    )
    lines_by_origin: Counter[str] = Counter()
    events_by_origin: Counter[str] = Counter()
    lines_by_outcome: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    conflicts = 0
    for row in rows:
        if row["outcome"] != silver.DUPLICATE:
            conflicts += row[EVENT_ID_CONFLICTS] or 0
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
        conflicts,
    )


def _write_sales_wide(wide: DataFrame, uri: str) -> None:
    """`wide` is partitioned by day, so each `sale_date` folder gets one file; sorted for stable
    output."""
    writer = (
        wide.sortWithinPartitions(SALES_WIDE_PARTITION_COLUMN, "event_id", "line_number")
        .write.mode("errorifexists")
        .partitionBy(SALES_WIDE_PARTITION_COLUMN)
    )
    for column in SALES_WIDE_PLAIN_COLUMNS:
        writer = writer.option(f"parquet.enable.dictionary#{column}", "false")
    writer.parquet(uri)


def _write_small(frame: DataFrame, uri: str) -> None:
    frame.coalesce(1).write.mode("errorifexists").parquet(uri)


def _read_sales_wide(spark: SparkSession, uri: str) -> DataFrame:
    return spark.read.schema(spark_schema(SALES_WIDE_SCHEMA)).parquet(uri)


def _publication(run: _Run, built: BuiltState, duration_seconds: float) -> Publication:
    counts = built.counts
    outcome = counts.lines_by_outcome
    tables = {
        table: f"{gold_run(run.run_id)}/{table}"
        for table in (QUALITY_QUARANTINE, *MART_DIMENSIONS, *CUSTOMER_TABLES)
    }
    return Publication(
        run_id=run.run_id,
        cutoff=run.cutoff.astimezone(UTC),
        published_at=datetime.now(UTC),
        tables={SALES_WIDE: sales_wide_manifest(run.run_id), **tables},
        input_counts={
            "bronze_events": counts.events_by_origin.get(silver.BRONZE_ORIGIN, 0),
            "bronze_lines": counts.lines_by_origin.get(silver.BRONZE_ORIGIN, 0),
            "csv_events": counts.events_by_origin.get(silver.CSV_ORIGIN, 0),
            "csv_lines": counts.lines_by_origin.get(silver.CSV_ORIGIN, 0),
            "lines": sum(counts.lines_by_origin.values()),
        },
        output_counts={
            SALES_WIDE: sum(partition.rows for partition in built.days.values()),
            QUALITY_QUARANTINE: built.quarantined,
            CUSTOMER_PROFILES: built.customer_profiles,
        },
        quality_counts={
            **counts.flagged,
            EVENT_ID_CONFLICTS: counts.conflicts,
            **{rule: outcome.get(rule, 0) for rule in QUARANTINE_RULES},
        },
        duplicates=outcome.get(silver.DUPLICATE, 0),
        duration_seconds=duration_seconds,
        kind="full" if run.base is None else "incremental",
        full_cutoff=run.cutoff if run.base is None else run.base.full_cutoff,
        silver_runs=built.silver_runs,
        sales_wide_days=built.days,
        calendar=increment.calendar_key(run.settings),
    )
