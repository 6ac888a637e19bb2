"""Gold: `sales_wide` (one row per sale line, signed money, every attribute an analyst joins to)
and the quality quarantine table, in exactly the contract's column order and types."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as sf

from batch_layer.silver import LINE_FIELDS
from contract.gold import SALES_WIDE_SCHEMA
from contract.spark_schema import spark_schema

QUARANTINE_FIELDS = (*LINE_FIELDS, "quality_rule")


def sales_wide(passed: DataFrame, customers: DataFrame, reporting_tz: str) -> DataFrame:
    """Money is negated for returns, so summing any column gives net figures; the calendar is
    the reporting time zone's, so a sale at 22:00 in Sao Paulo counts on that local day."""
    sign = sf.when(sf.col("event_type") == "return", sf.lit(-1)).otherwise(sf.lit(1))
    local_time = sf.from_utc_timestamp(sf.col("occurred_at"), reporting_tz)
    gross = _money(sf.col("quantity") * sf.col("unit_price") * sign)
    discount = _money(sf.col("discount") * sign)
    cost = _money(sf.col("quantity") * sf.col("unit_cost") * sign)
    customer_columns = customers.select(
        "customer_id",
        sf.col("segment").alias("customer_segment"),
        sf.col("city").alias("customer_city"),
        sf.col("state").alias("customer_state"),
    )
    computed: dict[str, Column] = {
        "sale_date": sf.to_date(local_time),
        "net_units": sf.col("quantity") * sign,
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
    joined = passed.join(sf.broadcast(customer_columns), "customer_id", "left")
    target = spark_schema(SALES_WIDE_SCHEMA)
    return joined.select(
        *[
            computed.get(field.name, sf.col(field.name)).cast(field.dataType).alias(field.name)
            for field in target.fields
        ]
    )


def quarantine(classified: DataFrame, rules: list[str]) -> DataFrame:
    held = classified.where(sf.col("outcome").isin(rules))
    return held.select(*LINE_FIELDS, sf.col("outcome").alias("quality_rule"))


def _money(amount: Column) -> Column:
    return amount.cast(spark_schema(SALES_WIDE_SCHEMA)["net_amount"].dataType)
