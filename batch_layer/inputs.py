"""Reading the job's inputs into Spark with the contract's types: bronze events, CSV uploads and
reference tables. Nothing here infers a schema: every read names its columns and types.
"""

from __future__ import annotations

import csv
import logging
from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.types import DataType, StringType, StructField, StructType

from batch_layer.csv_format import UPLOAD_COLUMNS
from contract.bronze import BRONZE_SCHEMA
from contract.content_digest import CONTENT_DIGEST
from contract.lake import BRONZE_EVENTS, CSV_UPLOADS, LakeLocation, reference_effective
from contract.lake_io import LakeFiles
from contract.reference import reference_table
from contract.spark_schema import spark_schema

logger = logging.getLogger(__name__)

_HEADER_BYTES = 4096
"""Enough for an upload part's header line (about 170 bytes)."""


def spark_uri(lake: LakeLocation, relative: str) -> str:
    """A lake path as Spark wants it: `file:///abs/path` locally, `s3://bucket/key` on EMR."""
    return f"file://{lake.path(relative)}" if lake.scheme == "file" else lake.uri_of(relative)


def path_exists(spark: SparkSession, uri: str) -> bool:
    """Asks Spark's own Hadoop filesystem, so it works for whatever scheme the cluster has."""
    jvm = spark.sparkContext._jvm
    if jvm is None:
        raise RuntimeError("the SparkSession has no JVM: it was stopped")
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return bool(path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(path))


def cutoff_literal(cutoff: datetime) -> Column:
    return sf.lit(cutoff.astimezone(UTC).isoformat()).cast("timestamp")


def read_bronze_events(
    spark: SparkSession, lake: LakeLocation, cutoff: datetime, since: datetime | None = None
) -> DataFrame:
    """Bronze rows ingested before the cutoff (and at or after `since`, for an incremental run;
    the `ingest_date` partitions outside the window are not read). Only `*.parquet` files are
    read, so markers or manifests that compaction leaves beside them are ignored."""
    schema = spark_schema(BRONZE_SCHEMA)
    uri = spark_uri(lake, BRONZE_EVENTS)
    if not path_exists(spark, uri):
        return spark.createDataFrame([], schema)
    frame = spark.read.schema(schema).option("pathGlobFilter", "*.parquet").parquet(uri)
    if "ingest_date" in frame.columns:
        cutoff_date = cutoff.astimezone(UTC).date().isoformat()
        frame = frame.where(sf.col("ingest_date") <= sf.lit(cutoff_date).cast("date"))
        if since is not None:
            since_date = since.astimezone(UTC).date().isoformat()
            frame = frame.where(sf.col("ingest_date") >= sf.lit(since_date).cast("date"))
    frame = frame.where(sf.col("ingested_at") < cutoff_literal(cutoff))
    if since is not None:
        frame = frame.where(sf.col("ingested_at") >= cutoff_literal(since))
    return frame.select(*BRONZE_SCHEMA.names)


def read_csv_lines(
    spark: SparkSession,
    files: LakeFiles,
    cutoff: datetime,
    since: datetime | None = None,
) -> DataFrame:
    """Accepted CSV rows (one per sale line) uploaded before the cutoff (and at or after
    `since`), typed as in bronze. Parts loaded before `content_digest` existed are read with the
    columns their header names, the digest as NULL."""
    frame = spark.createDataFrame([], _csv_schema(UPLOAD_COLUMNS))
    for header, parts in _csv_parts_by_header(files).items():
        read = (
            spark.read.schema(_csv_schema(header))
            .option("header", "true")
            .option("enforceSchema", "false")
            .option("mode", "FAILFAST")
            .csv([spark_uri(files.location, part) for part in parts])
        )
        missing = [sf.lit(None).cast("string").alias(n) for n in UPLOAD_COLUMNS if n not in header]
        frame = frame.unionByName(read.select(*header, *missing))
    money = spark_schema(BRONZE_SCHEMA)["total"].dataType
    types: dict[str, DataType | str] = {
        "occurred_at": "timestamp",
        "ingested_at": "timestamp",
        "quantity": "int",
        "unit_price": money,
        "discount": money,
        CONTENT_DIGEST: "bigint",
    }
    typed = frame.select(
        *[
            sf.col(name).cast(types[name]).alias(name) if name in types else sf.col(name)
            for name in UPLOAD_COLUMNS
        ]
    )
    typed = typed.where(sf.col("ingested_at") < cutoff_literal(cutoff))
    if since is not None:
        typed = typed.where(sf.col("ingested_at") >= cutoff_literal(since))
    return typed


def _csv_schema(columns: tuple[str, ...]) -> StructType:
    return StructType([StructField(name, StringType()) for name in columns])


def _csv_parts_by_header(files: LakeFiles) -> dict[tuple[str, ...], list[str]]:
    """The upload parts grouped by the columns their first line names: today's
    `UPLOAD_COLUMNS`, or those before `content_digest` was added. Anything else is not a part
    the loader wrote, and the run stops naming it."""
    earlier = tuple(name for name in UPLOAD_COLUMNS if name != CONTENT_DIGEST)
    parts: dict[tuple[str, ...], list[str]] = {}
    for path in files.list_files(CSV_UPLOADS):
        if not path.endswith(".csv"):
            continue
        with files.open_input(path) as stream:
            first_line = stream.read(_HEADER_BYTES).split(b"\n", 1)[0]
        header = tuple(next(csv.reader([first_line.decode().rstrip("\r")]), []))
        if header not in (UPLOAD_COLUMNS, earlier):
            raise ValueError(
                f"{path}: line 1 names the columns {','.join(header)}; a CSV upload part names "
                f"{','.join(UPLOAD_COLUMNS)}. Move it out of {CSV_UPLOADS}/ and load the export "
                "with `salesflow load-csv`"
            )
        parts.setdefault(header, []).append(path)
    return parts


def read_reference(spark: SparkSession, lake: LakeLocation, table: str) -> DataFrame:
    """The effective (SCD type-2) table of `table`; empty when nothing was loaded yet, so a new
    deployment's first run keeps every line with its attributes unknown instead of failing."""
    effective_schema = reference_table(table).effective_schema()
    schema = spark_schema(effective_schema)
    uri = spark_uri(lake, reference_effective(table))
    if not path_exists(spark, uri):
        logger.warning(
            "reference table not loaded: its attributes show as unknown",
            extra={"table": table, "load_with": f"salesflow reference load {table} FILE"},
        )
        return spark.createDataFrame([], schema)
    return spark.read.schema(schema).option("pathGlobFilter", "*.parquet").parquet(uri)
