"""Dashboard marts: `sales_wide` grouped by day and one dimension, with the contract's metric
SQL (`contract.gold.METRIC_DEFINITIONS`) evaluated as written, so every engine agrees."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as sf

from contract.gold import MART_DIMENSIONS, METRIC_DEFINITIONS, mart_schema
from contract.spark_schema import spark_schema


def build_mart(sales_wide: DataFrame, mart: str) -> DataFrame:
    dimensions = list(MART_DIMENSIONS[mart])
    target = spark_schema(mart_schema(mart))
    metrics = [sf.expr(sql).alias(name) for name, sql in METRIC_DEFINITIONS.items()]
    grouped = sales_wide.groupBy(*dimensions).agg(*metrics)
    return grouped.select(
        *[sf.col(field.name).cast(field.dataType).alias(field.name) for field in target.fields]
    ).orderBy(*dimensions)
