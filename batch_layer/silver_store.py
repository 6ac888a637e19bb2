"""Silver kept in the lake: what each run added, and the event-id index runs deduplicate against.

A run writes its new events' sale lines (every line of each event's winning copy, before the
quality rules, with its provenance: `ingested_at`, `source`, `origin`) under
`silver/runs/<run_id>/lines/occurred_date=D/` and their event ids, with each one's `source` and
`content_digest` (what a later copy is compared with, ADR 0021), under
`silver/runs/<run_id>/event_ids/`. Nothing is ever rewritten: the published state lists the runs
whose parts make up silver (`Publication.silver_runs`), so a run that dies before publishing
leaves parts nobody reads, and the next run rebuilds from the last published state (ADR 0018).

Lines are partitioned by the UTC date of `occurred_at`, not by business date: which business day a
line falls on depends on the calendar settings and on the store's time zone as of the sale, both
of which may change; a UTC date is within a day of every zone's date of the same instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.types import DateType, LongType, StringType, StructField, StructType

from batch_layer.inputs import path_exists, spark_uri
from batch_layer.silver import LINE_FIELDS
from contract.content_digest import CONTENT_DIGEST
from contract.lake import LakeLocation, silver_run

OCCURRED_DATE = "occurred_date"
STORED_FIELDS = (*LINE_FIELDS, "origin")
"""A stored silver line: the line's fields and the source it came through (bronze or csv)."""
LINES = "lines"
EVENT_IDS = "event_ids"
INDEX_FIELDS = ("event_id", "source", CONTENT_DIGEST)
"""An index entry: a sale silver holds and its winning copy's source and digest (NULL in parts
written before the digest existed: a later copy of such an event is a duplicate, as it was)."""


def write_part(lines: DataFrame, lake: LakeLocation, run_id: str) -> None:
    """`lines` (the new events' lines, STORED_FIELDS) and their index entries, as the run's part
    of silver."""
    dated = lines.select(
        *STORED_FIELDS, sf.to_date(sf.col("occurred_at")).alias(OCCURRED_DATE)
    ).repartition(OCCURRED_DATE)
    dated.sortWithinPartitions("event_id", "line_number").write.mode("errorifexists").partitionBy(
        OCCURRED_DATE
    ).parquet(spark_uri(lake, f"{silver_run(run_id)}/{LINES}"))
    ids = lines.select(*INDEX_FIELDS).distinct().repartition(1).sortWithinPartitions("event_id")
    ids.write.mode("errorifexists").parquet(spark_uri(lake, f"{silver_run(run_id)}/{EVENT_IDS}"))


def read_event_ids(spark: SparkSession, lake: LakeLocation, runs: Iterable[str]) -> DataFrame:
    """Every index entry the runs' parts hold (`INDEX_FIELDS`): narrow columns, not the lines."""
    schema = StructType(
        [
            StructField("event_id", StringType()),
            StructField("source", StringType()),
            StructField(CONTENT_DIGEST, LongType()),
        ]
    )
    frames = [
        spark.read.schema(schema).parquet(uri)
        for uri in (spark_uri(lake, f"{silver_run(r)}/{EVENT_IDS}") for r in runs)
        if path_exists(spark, uri)
    ]
    if not frames:
        return spark.createDataFrame([], schema)
    return _union(frames)


def read_lines(
    spark: SparkSession,
    lake: LakeLocation,
    runs: Iterable[str],
    schema: StructType,
    occurred_dates: set[date] | None = None,
) -> DataFrame:
    """The stored lines of the runs' parts (STORED_FIELDS, typed as `schema`), only those whose
    UTC `occurred_at` date is in `occurred_dates` when given (whole partitions are skipped)."""
    frames = []
    for run in runs:
        uri = spark_uri(lake, f"{silver_run(run)}/{LINES}")
        if not path_exists(spark, uri):
            continue
        stored = StructType([*schema.fields, StructField(OCCURRED_DATE, DateType())])
        frame = spark.read.schema(stored).parquet(uri)
        if occurred_dates is not None:
            frame = frame.where(sf.col(OCCURRED_DATE).isin(sorted(occurred_dates)))
        frames.append(frame.select(*[sf.col(f.name).cast(f.dataType) for f in schema.fields]))
    if not frames:
        return spark.createDataFrame([], schema)
    return _union(frames)


def _union(frames: list[DataFrame]) -> DataFrame:
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union
