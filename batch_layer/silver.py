"""Silver: bronze events and CSV lines as one set of typed sale lines, each with its fate.

CSV lines are first regrouped into events, so both sources are deduplicated the same way: per
`event_id` the copy ingested first wins (ties: the smaller `source`), whichever source it came
from. The losing copies stay in the frame marked `duplicate`, so every input line is accounted
for in the run's counts.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as sf

from batch_layer.csv_format import EVENT_COLUMNS, LINE_COLUMNS

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
)
"""A silver sale line: the event's fields, the line's fields and its 1-based line number."""

_EVENT_FIELDS = (*EVENT_COLUMNS, "ingested_at", "source")


def csv_events(csv_lines: DataFrame) -> DataFrame:
    """CSV rows regrouped into events shaped like bronze rows. Lines are ordered by content, so
    an event's line numbers do not depend on how Spark split the files."""
    items = sf.array_sort(sf.collect_list(sf.struct(*[sf.col(name) for name in LINE_COLUMNS])))
    return csv_lines.groupBy(*_EVENT_FIELDS).agg(items.alias("items"))


def ranked_events(bronze_events: DataFrame, csv_lines: DataFrame) -> DataFrame:
    """Every input event with `origin` and `duplicate` (a later copy), its lines still in `items`.

    The job caches this frame rather than the exploded lines: half the rows, the event's fields
    stored once, and `items` kept as one uncompressed column, so building the cache costs a
    fraction of caching the enriched lines."""
    events = bronze_events.select(*_EVENT_FIELDS, "items").withColumn(
        "origin", sf.lit(BRONZE_ORIGIN)
    )
    events = events.unionByName(csv_events(csv_lines).withColumn("origin", sf.lit(CSV_ORIGIN)))
    first_ingested = Window.partitionBy("event_id").orderBy(
        "ingested_at",
        "source",
        "origin",
        sf.xxhash64(*_EVENT_FIELDS, "items"),
    )
    return events.withColumn("duplicate", sf.row_number().over(first_ingested) > 1)


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
            if name in LINE_COLUMNS
            else sf.col(name)
            for name in LINE_FIELDS
        ],
        "origin",
        (sf.col("position") == 0).alias("is_first_line"),
        "duplicate",
    )
