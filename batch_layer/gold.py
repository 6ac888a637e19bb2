"""Gold: `sales_wide` (one row per sale line, signed money, every attribute an analyst joins to)
and the quality quarantine table, in exactly the contract's column order and types."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as sf

from batch_layer.quality import as_of_join, enrich
from batch_layer.silver import LINE_FIELDS
from contract.gold import SALES_WIDE_PARTITION_COLUMN, SALES_WIDE_SCHEMA
from contract.quality import QUARANTINE_RULES
from contract.spark_schema import spark_schema

QUARANTINE_FIELDS = (*LINE_FIELDS, "quality_rule")


def sales_wide(
    passed: DataFrame,
    products: DataFrame,
    stores: DataFrame,
    customers: DataFrame,
    reporting_tz: str,
) -> DataFrame:
    """`passed` lines (`LINE_FIELDS`) as gold rows, hash-partitioned by `sale_date`.

    Money is negated for returns, so summing any column gives net figures; the calendar is
    the reporting time zone's, so a sale at 22:00 in Sao Paulo counts on that local day.
    Attributes and unit cost are those in force at the sale; a line whose product has no known
    cost has NULL cost and margin (never a made-up zero). The
    lines are shuffled by day before the reference joins: the shuffle then carries the 16 line
    columns instead of the 38 gold ones (the joins are broadcast, so they keep the partitioning).
    """
    local_time = sf.from_utc_timestamp(sf.col("occurred_at"), reporting_tz)
    gross = _money(_signed(sf.col("quantity") * sf.col("unit_price")))
    discount = _money(_signed(sf.col("discount")))
    cost = _money(_signed(sf.col("quantity") * sf.col("unit_cost")))
    customer_columns = [
        sf.col("segment").alias("customer_segment"),
        sf.col("city").alias("customer_city"),
        sf.col("state").alias("customer_state"),
    ]
    computed: dict[str, Column] = {
        "net_units": _signed(sf.col("quantity")),
        "gross_amount": gross,
        "discount_amount": discount,
        "net_amount": _money(gross - discount),
        "cost_amount": cost,
        "margin_amount": _money(gross - discount - cost),
        "sale_year": sf.year(local_time),
        "sale_month": sf.month(local_time),
        "sale_iso_week": sf.weekofyear(local_time),
        "sale_weekday": (sf.dayofweek(local_time) + 5) % 7 + 1,
        "sale_hour": sf.hour(local_time),
    }
    by_day = passed.select(
        *LINE_FIELDS, sf.to_date(local_time).alias(SALES_WIDE_PARTITION_COLUMN)
    ).repartition(SALES_WIDE_PARTITION_COLUMN)
    joined = as_of_join(
        enrich(by_day, products, stores), customers, "customer_id", customer_columns
    )
    target = spark_schema(SALES_WIDE_SCHEMA)
    return joined.select(
        *[
            computed.get(field.name, sf.col(field.name)).cast(field.dataType).alias(field.name)
            for field in target.fields
        ]
    )


def quarantine(classified: DataFrame) -> DataFrame:
    held = classified.where(sf.col("outcome").isin(list(QUARANTINE_RULES)))
    return held.select(*LINE_FIELDS, sf.col("outcome").alias("quality_rule"))


def _signed(amount: Column) -> Column:
    """Negated for returns: cheaper than multiplying by a -1 sign, a decimal multiplication
    (past 18 digits, so on `BigDecimal`) for every amount."""
    return sf.when(sf.col("event_type") == "return", -amount).otherwise(amount)


def _money(amount: Column) -> Column:
    return amount.cast(spark_schema(SALES_WIDE_SCHEMA)["net_amount"].dataType)
