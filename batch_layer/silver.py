"""Silver: bronze events and CSV lines as one set of typed sale lines, each with its fate.

CSV lines are first regrouped into events, so both sources are deduplicated the same way: per
`event_id` the copy ingested first wins (ties: the smaller `source`), whichever source it came
from. A later copy from another source whose content digest differs from the winner's is not a
duplicate but a sale of its own, `<event_id>~<source>` (ADR 0021): no client can suppress another's
sale by sending its id first. The losing copies stay in the frame marked `duplicate`, so every
input line is accounted for in the run's counts.
"""

from __future__ import annotations

from typing import cast

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as sf
from pyspark.sql.types import ArrayType, StructType

from batch_layer.csv_format import EVENT_COLUMNS, LINE_COLUMNS
from contract.bronze import BRONZE_SCHEMA
from contract.content_digest import CONFLICT_SEPARATOR, CONTENT_DIGEST
from contract.event import LineItem, SaleEvent
from contract.spark_schema import spark_schema

BRONZE_ORIGIN = "bronze"
CSV_ORIGIN = "csv"
DUPLICATE = "duplicate"

LINE_FIELDS = (
    "event_id",
    "line_number",
    "event_type",
    "occurred_at",
    "ingested_at",
    "channel",
    "store_id",
    "order_id",
    "customer_id",
    "payment_method",
    "currency",
    "sku",
    "quantity",
    "unit_price",
    "discount",
    "source",
    "terminal_id",
    "salesperson_id",
    "attributes",
    "promotion_id",
    "coupon_code",
    CONTENT_DIGEST,
)
"""A silver sale line: the event's fields, the line's fields and its 1-based line number."""

_BRONZE = spark_schema(BRONZE_SCHEMA)
_ITEM = cast(StructType, cast(ArrayType, _BRONZE["items"].dataType).elementType)
_CSV_ABSENT_EVENT_FIELDS = tuple(
    name for name in SaleEvent.model_fields if name not in (*EVENT_COLUMNS, "items", "total")
)
"""Event fields the CSV format does not carry (contract v1.1's): NULL for CSV lines."""
_CSV_ABSENT_LINE_FIELDS = tuple(name for name in LineItem.model_fields if name not in LINE_COLUMNS)
_EVENT_FIELDS = (
    *EVENT_COLUMNS,
    "ingested_at",
    "source",
    CONTENT_DIGEST,
    *_CSV_ABSENT_EVENT_FIELDS,
)
_LINE_ITEM_FIELDS = tuple(LineItem.model_fields)


def csv_events(csv_lines: DataFrame) -> DataFrame:
    """CSV rows regrouped into events shaped like bronze rows. Lines are ordered by content, so
    an event's line numbers do not depend on how Spark split the files."""
    line = [sf.col(name) for name in LINE_COLUMNS] + [
        sf.lit(None).cast(_ITEM[name].dataType).alias(name) for name in _CSV_ABSENT_LINE_FIELDS
    ]
    items = sf.array_sort(sf.collect_list(sf.struct(*line)))
    stamp = ("ingested_at", "source", CONTENT_DIGEST)
    grouped = csv_lines.groupBy(*EVENT_COLUMNS, *stamp).agg(items.alias("items"))
    return grouped.select(
        *EVENT_COLUMNS,
        *stamp,
        *[
            sf.lit(None).cast(_BRONZE[name].dataType).alias(name)
            for name in _CSV_ABSENT_EVENT_FIELDS
        ],
        "items",
    )


def ranked_events(
    bronze_events: DataFrame, csv_lines: DataFrame, known: DataFrame | None = None
) -> DataFrame:
    """Every input event with `origin` and `duplicate` (a later copy), its lines still in `items`,
    and `event_id` the sale it counts as: its own id, or `<event_id>~<source>` for a copy that
    conflicts with the winner (ADR 0021).

    `known` (an incremental run's event-id index: `event_id`, `source`, `content_digest` of each
    sale silver holds) takes the winner's place for the ids it holds: every stored copy was
    ingested before any input copy, so a stored winner is never beaten (ADR 0018).

    The job caches this frame rather than the exploded lines: half the rows, the event's fields
    stored once, and `items` kept as one uncompressed column, so building the cache costs a
    fraction of caching the enriched lines."""
    events = bronze_events.select(*_EVENT_FIELDS, "items").withColumn(
        "origin", sf.lit(BRONZE_ORIGIN)
    )
    events = events.unionByName(csv_events(csv_lines).withColumn("origin", sf.lit(CSV_ORIGIN)))
    hashable = [
        sf.to_json(name) if name == "attributes" else sf.col(name) for name in _EVENT_FIELDS
    ]
    order = (
        "ingested_at",
        "source",
        "origin",
        sf.col(CONTENT_DIGEST).asc_nulls_last(),
        sf.xxhash64(*hashable, "items"),
    )
    first_ingested = Window.partitionBy("event_id").orderBy(*order)
    stored = sf.lit(False)
    winner_source = sf.first("source").over(first_ingested)
    winner_digest = sf.first(CONTENT_DIGEST).over(first_ingested)
    if known is not None:
        events = events.join(_stored_winners(known), "event_id", "left")
        stored = sf.coalesce(sf.col("_stored"), sf.lit(False))
        winner_source = sf.when(stored, sf.col("_stored_source")).otherwise(winner_source)
        winner_digest = sf.when(stored, sf.col("_stored_digest")).otherwise(winner_digest)
    conflict = sf.coalesce(
        (sf.col("source") != winner_source) & (sf.col(CONTENT_DIGEST) != winner_digest),
        sf.lit(False),
    )
    events = events.withColumn("_conflict", conflict).withColumn("_stored", stored)
    events = events.withColumn(
        "event_id",
        sf.when(
            sf.col("_conflict"),
            sf.concat("event_id", sf.lit(CONFLICT_SEPARATOR), "source"),
        ).otherwise(sf.col("event_id")),
    )
    later = sf.row_number().over(Window.partitionBy("event_id").orderBy(*order)) > 1
    duplicate = later | (sf.col("_stored") & ~sf.col("_conflict"))
    if known is not None:
        events = events.join(_stored_conflicts(known), "event_id", "left")
        duplicate = duplicate | sf.coalesce(sf.col("_stored_conflict"), sf.lit(False))
    return events.withColumn("duplicate", duplicate).select(
        *_EVENT_FIELDS, "items", "origin", "duplicate"
    )


def _stored_winners(known: DataFrame) -> DataFrame:
    return known.select(
        "event_id",
        sf.lit(True).alias("_stored"),
        sf.col("source").alias("_stored_source"),
        sf.col(CONTENT_DIGEST).alias("_stored_digest"),
    )


def _stored_conflicts(known: DataFrame) -> DataFrame:
    """The index's conflict sales alone: usually few, so adaptive execution broadcasts them
    (a forced broadcast would hold every one on each executor when a client floods them)."""
    held = known.where(sf.instr("event_id", CONFLICT_SEPARATOR) > 0)
    return held.select("event_id", sf.lit(True).alias("_stored_conflict"))


def sale_lines(ranked: DataFrame) -> DataFrame:
    """The lines of `ranked_events`, with `origin`, `is_first_line` and `duplicate`."""
    exploded = ranked.select(
        *_EVENT_FIELDS,
        "origin",
        "duplicate",
        sf.posexplode("items").alias("position", "item"),
    )
    return exploded.select(
        *[
            (sf.col("position") + 1).cast("int").alias(name)
            if name == "line_number"
            else sf.col(f"item.{name}").alias(name)
            if name in _LINE_ITEM_FIELDS
            else sf.col(name)
            for name in LINE_FIELDS
        ],
        "origin",
        (sf.col("position") == 0).alias("is_first_line"),
        "duplicate",
    )
