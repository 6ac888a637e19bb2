"""Customer 360 in gold: per-customer profiles with RFM scores and segments, monthly cohort
retention, and the RFM cut points, merged from the state's customer-month rows
(`batch_layer.customer_months`) and the customer catalog's current rows.

Definitions live in `contract.customers`; this module is their Spark rendition. The RFM cut
points are the only figures that leave Spark: four values per measure, picked from the sorted
profiles on the driver, then turned into literal comparisons. So the scores in gold, the
quintile table and the API's scoring of a profile merged with today's purchases use the very same
four numbers (`contract.customers.score`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as sf

from batch_layer import customer_months
from contract.customers import (
    CUSTOMER_COHORTS,
    CUSTOMER_COHORTS_SCHEMA,
    CUSTOMER_PROFILES,
    CUSTOMER_PROFILES_SCHEMA,
    CUSTOMER_RFM_QUINTILES,
    CUSTOMER_RFM_QUINTILES_SCHEMA,
    RFM_SEGMENTS,
    SCORED_MEASURES,
    cut_positions,
)
from contract.spark_schema import spark_schema

TableWriter = Callable[[DataFrame, str], None]
"""Writes a frame as the named table of the run folder."""


def write_customer_tables(
    months: DataFrame, customers: DataFrame, as_of: date, write: TableWriter
) -> int:
    """Build and write the three customer tables; returns the number of profiles.

    `months` are the state's customer-month rows (`customer_months.SCHEMA`), one small row per
    customer and month, so this costs the same whatever the history's lines; `customers` is the
    customer catalog's effective (SCD type-2) table; `as_of` the reporting-zone day of T, from
    which tenure and recency are counted and up to which cohorts have months. The unscored
    profiles are cached: the count, the three cut-point picks, the profiles and the cohorts all
    read them.
    """
    unscored = _unscored_profiles(months, customers, as_of).persist()
    try:
        count = unscored.count()
        cuts = {
            measure: _cut_points(unscored, measure, count) for measure in SCORED_MEASURES.values()
        }
        write(_scored(unscored, cuts), CUSTOMER_PROFILES)
        write(_quintiles(unscored, cuts, count, as_of), CUSTOMER_RFM_QUINTILES)
        write(_cohorts(months, unscored, as_of), CUSTOMER_COHORTS)
    finally:
        unscored.unpersist()
    return count


def _unscored_profiles(months: DataFrame, customers: DataFrame, as_of: date) -> DataFrame:
    """Every profile column but the scores and the segment, one row per customer with a
    purchase."""
    money = spark_schema(CUSTOMER_PROFILES_SCHEMA)["net_revenue"].dataType
    totals = customer_months.totals(months)
    channels = _ranked_amounts(
        customer_months.amounts(months, "channel_orders", "channel"), "channel"
    )
    categories = _ranked_amounts(
        customer_months.amounts(months, "category_net_revenue", "category"), "category"
    )
    current = customers.where(sf.col("is_current")).select(
        "customer_id",
        sf.col("segment").alias("customer_segment"),
        sf.col("city").alias("customer_city"),
        sf.col("state").alias("customer_state"),
    )
    as_of_day = sf.lit(as_of)
    return (
        totals.join(channels, "customer_id", "left")
        .join(categories, "customer_id", "left")
        .join(current, "customer_id", "left")
        .select(
            "*",
            sf.datediff(as_of_day, sf.col("first_purchase_date")).alias("tenure_days"),
            sf.datediff(as_of_day, sf.col("last_purchase_date")).alias("recency_days"),
            (sf.col("net_revenue") / sf.col("orders")).cast(money).alias("average_ticket"),
            sf.col("channel_ranked")[0]["key"].alias("preferred_channel"),
            _as_map("channel_ranked").alias("channel_orders"),
            sf.col("category_ranked")[0]["key"].alias("preferred_category"),
            _as_map("category_ranked").alias("category_net_revenue"),
            as_of_day.alias("as_of_date"),
        )
    )


def _ranked_amounts(amounts: DataFrame, key: str) -> DataFrame:
    """Per customer, `(key, amount)` entries sorted largest amount first, then by key: the first
    entry is the preferred one (`contract.customers.preferred`)."""
    entry = sf.struct(
        (-sf.col("amount")).alias("order"), sf.col(key).alias("key"), sf.col("amount")
    )
    return amounts.groupBy("customer_id").agg(
        sf.sort_array(sf.collect_list(entry)).alias(f"{key}_ranked")
    )


def _as_map(ranked: str) -> Column:
    return sf.map_from_arrays(sf.col(f"{ranked}.key"), sf.col(f"{ranked}.amount"))


def _cut_points(profiles: DataFrame, measure: str, count: int) -> list[Any]:
    """The measure's values at `contract.customers.cut_positions` in ascending order.

    One global sort of a column per measure: the customers are few next to the lines, and an
    exact rank is what makes the quintiles reproducible by anyone from the published profiles.
    """
    if count == 0:
        return []
    positions = cut_positions(count)
    ranked = profiles.select(
        sf.col(measure), sf.row_number().over(Window.orderBy(measure)).alias("position")
    )
    picked = ranked.where(sf.col("position").isin(sorted(set(positions)))).collect()
    values = {row["position"]: row[measure] for row in picked}
    return [values[position] for position in positions]


def _score(measure: str, cuts: list[Any]) -> Column:
    above = [sf.when(sf.col(measure) > sf.lit(cut), 1).otherwise(0) for cut in cuts]
    return sum(above, sf.lit(1))


def _segment(recency: Column, frequency: Column, monetary: Column) -> Column:
    def within(score: Column, bounds: tuple[int, int]) -> Column:
        return score.between(*bounds)

    first, *rest = RFM_SEGMENTS
    case = sf.when(
        within(recency, first.recency)
        & within(frequency, first.frequency)
        & within(monetary, first.monetary),
        first.segment,
    )
    for rule in rest:
        case = case.when(
            within(recency, rule.recency)
            & within(frequency, rule.frequency)
            & within(monetary, rule.monetary),
            rule.segment,
        )
    return case


def _scored(unscored: DataFrame, cuts: dict[str, list[Any]]) -> DataFrame:
    scores = {
        name: _score(measure, cuts[measure]).alias(name)
        for name, measure in SCORED_MEASURES.items()
    }
    scored = unscored.select("*", *scores.values())
    segment = _segment(sf.col("recency_score"), sf.col("frequency_score"), sf.col("monetary_score"))
    return _shaped(
        scored.withColumn("rfm_segment", segment), spark_schema(CUSTOMER_PROFILES_SCHEMA)
    ).orderBy("customer_id")


def _quintiles(
    unscored: DataFrame, cuts: dict[str, list[Any]], count: int, as_of: date
) -> DataFrame:
    schema = spark_schema(CUSTOMER_RFM_QUINTILES_SCHEMA)
    rows = [
        (
            boundary,
            *(cuts[measure][boundary - 1] for measure in SCORED_MEASURES.values()),
            count,
            as_of,
        )
        for boundary in range(1, len(cuts["orders"]) + 1)
    ]
    return unscored.sparkSession.createDataFrame(rows, schema)


def _months_between(start: Column, end: Column) -> Column:
    """Calendar months from `start`'s month to `end`'s (both dates)."""
    return (sf.year(end) - sf.year(start)) * 12 + sf.month(end) - sf.month(start)


def _cohorts(months: DataFrame, unscored: DataFrame, as_of: date) -> DataFrame:
    cohort_of = unscored.select(
        "customer_id", sf.trunc("first_purchase_date", "month").alias("cohort_month")
    )
    sizes = cohort_of.groupBy("cohort_month").agg(sf.count(sf.lit(1)).alias("customers"))
    active_months = (
        customer_months.active_months(months)
        .join(cohort_of, "customer_id")
        .groupBy(
            "cohort_month",
            _months_between(sf.col("cohort_month"), sf.col(customer_months.MONTH)).alias(
                "months_since_first"
            ),
        )
        .agg(sf.count(sf.lit(1)).alias("active_customers"))
    )
    months_to_as_of = sf.greatest(sf.lit(0), _months_between(sf.col("cohort_month"), sf.lit(as_of)))
    grid = sizes.select(
        "cohort_month",
        "customers",
        sf.explode(sf.sequence(sf.lit(0), months_to_as_of)).alias("months_since_first"),
    )
    filled = grid.join(active_months, ["cohort_month", "months_since_first"], "left").select(
        "*",
        (sf.coalesce(sf.col("active_customers"), sf.lit(0)) / sf.col("customers")).alias(
            "retention_rate"
        ),
    )
    filled = filled.withColumn("active_customers", sf.coalesce("active_customers", sf.lit(0)))
    return _shaped(filled, spark_schema(CUSTOMER_COHORTS_SCHEMA)).orderBy(
        "cohort_month", "months_since_first"
    )


def _shaped(frame: DataFrame, target: Any) -> DataFrame:
    """Exactly the contract's columns, in its order and types."""
    return frame.select(
        *[sf.col(field.name).cast(field.dataType).alias(field.name) for field in target.fields]
    )
