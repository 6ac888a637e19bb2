"""Per customer and month, the mergeable figures behind the Customer 360 tables, kept in each run's
folder so that an incremental run recomputes only the months its affected days fall in.

Every profile column but the scores is a merge over months: minima and maxima of the purchase
instants and days, sums of orders, returns, units and money, order counts per channel and revenue
per category. An order (an event) falls on one `sale_date`, so on one month, and its distinct
count adds up across months. A cohort needs only the months a customer bought in. The RFM cut
points and recency are global and move every night, so they are computed by every run, but from
one row per customer merged from these rows, not from the lines (ADR 0018).

`gold/runs/<run_id>/_customer_months/` holds the state's rows; the months a run did not touch are
carried over from the base state's folder, the others rebuilt from the state's `sales_wide` days
of those months, exactly as a full run builds every month.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.types import (
    DateType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
)

from batch_layer.inputs import path_exists, spark_uri
from contract.customers import CUSTOMER_PROFILES_SCHEMA
from contract.lake import LakeLocation, gold_run
from contract.spark_schema import spark_schema

CUSTOMER_MONTHS = "_customer_months"
MONTH = "month"
SALE = "sale"

_PROFILE = spark_schema(CUSTOMER_PROFILES_SCHEMA)
MONEY = _PROFILE["net_revenue"].dataType
SCHEMA = StructType(
    [
        StructField("customer_id", StringType()),
        StructField(MONTH, DateType()),
        *[
            StructField(name, _PROFILE[name].dataType)
            for name in (
                "first_purchase_at",
                "last_purchase_at",
                "first_purchase_date",
                "last_purchase_date",
            )
        ],
        StructField("orders", LongType()),
        StructField("returns", LongType()),
        StructField("units", LongType()),
        StructField("net_revenue", MONEY),
        StructField("channel_orders", MapType(StringType(), LongType())),
        StructField("category_net_revenue", MapType(StringType(), MONEY)),
    ]
)
"""One row per customer and month (reporting calendar's `sale_date`) with a line of theirs; the
purchase columns are NULL in a month with returns only."""

_MAP_VALUES = {"channel_orders": LongType(), "category_net_revenue": MONEY}

LINE_COLUMNS = (
    "customer_id",
    "event_id",
    "event_type",
    "occurred_at",
    "sale_date",
    "channel",
    "category",
    "net_units",
    "net_amount",
)
"""The `sales_wide` columns the aggregates read."""


def folder(run_id: str) -> str:
    return f"{gold_run(run_id)}/{CUSTOMER_MONTHS}"


def month_of(day: date) -> date:
    return day.replace(day=1)


def _is_sale() -> Column:
    return sf.col("event_type") == SALE


def aggregate(sales_wide: DataFrame) -> DataFrame:
    """The rows of every customer-month `sales_wide` has lines of (SCHEMA)."""
    lines = sales_wide.where(sf.col("customer_id").isNotNull()).select(
        *LINE_COLUMNS, sf.trunc("sale_date", "month").alias(MONTH)
    )
    key = ["customer_id", MONTH]
    sale = _is_sale()
    totals = lines.groupBy(*key).agg(
        sf.min(sf.when(sale, sf.col("occurred_at"))).alias("first_purchase_at"),
        sf.max(sf.when(sale, sf.col("occurred_at"))).alias("last_purchase_at"),
        sf.min(sf.when(sale, sf.col("sale_date"))).alias("first_purchase_date"),
        sf.max(sf.when(sale, sf.col("sale_date"))).alias("last_purchase_date"),
        sf.countDistinct(sf.when(sale, sf.col("event_id"))).alias("orders"),
        sf.countDistinct(sf.when(~sale, sf.col("event_id"))).alias("returns"),
        sf.sum("net_units").alias("units"),
        sf.sum("net_amount").cast(MONEY).alias("net_revenue"),
    )
    channels = _as_map(
        lines.where(sale)
        .groupBy(*key, "channel")
        .agg(sf.countDistinct("event_id").alias("amount")),
        "channel",
        "channel_orders",
    )
    categories = _as_map(
        lines.where(sf.col("category").isNotNull())
        .groupBy(*key, "category")
        .agg(sf.sum("net_amount").cast(MONEY).alias("amount")),
        "category",
        "category_net_revenue",
    )
    joined = totals.join(channels, key, "left").join(categories, key, "left")
    return joined.select(*[sf.col(f.name).cast(f.dataType).alias(f.name) for f in SCHEMA.fields])


def _as_map(amounts: DataFrame, name: str, alias: str) -> DataFrame:
    entries = sf.collect_list(sf.struct(sf.col(name), sf.col("amount")))
    return amounts.groupBy("customer_id", MONTH).agg(sf.map_from_entries(entries).alias(alias))


def carried_over(base: DataFrame, rebuilt_months: Iterable[date]) -> DataFrame:
    """The base state's rows of the months a run does not rebuild."""
    return base.where(~sf.col(MONTH).isin(sorted(rebuilt_months)))


def write(months: DataFrame, lake: LakeLocation, run_id: str) -> None:
    months.coalesce(1).write.mode("errorifexists").parquet(spark_uri(lake, folder(run_id)))


def read(spark: SparkSession, lake: LakeLocation, run_id: str) -> DataFrame | None:
    """The rows a run kept, or None for a run that kept none (built before they were kept)."""
    uri = spark_uri(lake, folder(run_id))
    if not path_exists(spark, uri):
        return None
    return spark.read.schema(SCHEMA).parquet(uri)


def totals(months: DataFrame) -> DataFrame:
    """One row per customer with a purchase: the merged purchase columns and sums."""
    return (
        months.groupBy("customer_id")
        .agg(
            sf.min("first_purchase_at").alias("first_purchase_at"),
            sf.max("last_purchase_at").alias("last_purchase_at"),
            sf.min("first_purchase_date").alias("first_purchase_date"),
            sf.max("last_purchase_date").alias("last_purchase_date"),
            sf.sum("orders").alias("orders"),
            sf.sum("returns").alias("returns"),
            sf.sum("units").alias("units"),
            sf.sum("net_revenue").cast(MONEY).alias("net_revenue"),
        )
        .where(sf.col("orders") > 0)
    )


def amounts(months: DataFrame, column: str, key: str) -> DataFrame:
    """`(customer_id, key, amount)`: a map column's amounts summed over months, in the map's
    value type."""
    exploded = months.select("customer_id", sf.explode(column).alias(key, "amount"))
    value_type = _MAP_VALUES[column]
    return exploded.groupBy("customer_id", key).agg(
        sf.sum("amount").cast(value_type).alias("amount")
    )


def active_months(months: DataFrame) -> DataFrame:
    """`(customer_id, month)` of every month a customer made a purchase in."""
    return months.where(sf.col("orders") > 0).select("customer_id", MONTH)
