"""Gold: `sales_wide` (one row per sale line, signed money, every attribute an analyst joins to)
and the quality quarantine table, in exactly the contract's column order and types."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as sf

from batch_layer.quality import as_of_join, enrich
from batch_layer.silver import LINE_FIELDS
from contract.business_day import BusinessDay, Calendar
from contract.gold import SALES_WIDE_PARTITION_COLUMN, SALES_WIDE_SCHEMA
from contract.quality import QUARANTINE_RULES
from contract.spark_schema import spark_schema

_BUSINESS_ZONE = "_business_zone"
_STORE_ZONE = "_store_zone"


def sales_wide(
    passed: DataFrame,
    products: DataFrame,
    stores: DataFrame,
    customers: DataFrame,
    calendar: Calendar,
) -> DataFrame:
    """`passed` lines (`LINE_FIELDS`) as gold rows, hash-partitioned by `sale_date`.

    Money is negated for returns, so summing any column gives net figures; `sale_date` and the
    calendar columns are in each sale's business zone (`contract.business_day`), so a sale at
    22:00 in Sao Paulo counts on that local day. Attributes and unit cost are those in force at
    the sale; a line whose product has no known cost has NULL cost and margin (never a made-up
    zero). The lines are shuffled by day before the reference joins: the shuffle then carries
    the line columns instead of the gold ones (the joins are broadcast, so they keep the
    partitioning).
    """
    local_time = sf.from_utc_timestamp(sf.col("occurred_at"), sf.col(_BUSINESS_ZONE))
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
    by_day = (
        with_sale_date(passed.select(*LINE_FIELDS), stores, calendar)
        .select(*LINE_FIELDS, _BUSINESS_ZONE, SALES_WIDE_PARTITION_COLUMN)
        .repartition(SALES_WIDE_PARTITION_COLUMN)
    )
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


def with_sale_date(lines: DataFrame, stores: DataFrame, calendar: Calendar) -> DataFrame:
    """`lines` (with `store_id` and `occurred_at`) with their business date, `sale_date`, and
    the zone it is counted in (`_business_zone`): the store's `time_zone` as of the sale under
    `BusinessDay.STORE` (the reporting zone when it has none), else the reporting zone."""
    reporting = sf.lit(calendar.reporting_zone.key)
    if calendar.business_day is not BusinessDay.STORE:
        zoned = lines.withColumn(_BUSINESS_ZONE, reporting)
    else:
        zoned = as_of_join(
            lines, stores, "store_id", [sf.col("time_zone").alias(_STORE_ZONE)]
        ).withColumn(_BUSINESS_ZONE, sf.coalesce(sf.col(_STORE_ZONE), reporting))
        zoned = zoned.drop(_STORE_ZONE)
    local_time = sf.from_utc_timestamp(sf.col("occurred_at"), sf.col(_BUSINESS_ZONE))
    return zoned.withColumn(SALES_WIDE_PARTITION_COLUMN, sf.to_date(local_time))


def quarantine(classified: DataFrame) -> DataFrame:
    held = classified.where(sf.col("outcome").isin(list(QUARANTINE_RULES)))
    return held.select(*LINE_FIELDS, sf.col("outcome").alias("quality_rule"))


def _signed(amount: Column) -> Column:
    """Negated for returns: cheaper than multiplying by a -1 sign, a decimal multiplication
    (past 18 digits, so on `BigDecimal`) for every amount."""
    return sf.when(sf.col("event_type") == "return", -amount).otherwise(amount)


def _money(amount: Column) -> Column:
    return amount.cast(spark_schema(SALES_WIDE_SCHEMA)["net_amount"].dataType)
