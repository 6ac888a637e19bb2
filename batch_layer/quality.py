"""The contract's data-quality rules (`contract.quality`) as Spark predicates over enriched lines.

The rules' names, order and thresholds live in the contract; only how each is evaluated on a
joined sale line lives here. A line is classified by the first rule it fails, as the contract
says, after the duplicate check.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as sf

from batch_layer.silver import DUPLICATE
from contract.quality import MAX_LINE_NET_AMOUNT, QUALITY_RULES

PASSED = "passed"
"""The outcome of a line that goes to gold."""


def _predicates() -> dict[str, Column]:
    line_net = sf.col("quantity") * sf.col("unit_price") - sf.col("discount")
    return {
        "unknown_sku": sf.col("product_known").isNull(),
        "unknown_store": sf.col("store_known").isNull(),
        "currency_mismatch": sf.col("currency") != sf.col("store_currency"),
        "line_net_out_of_range": line_net > sf.lit(str(MAX_LINE_NET_AMOUNT)).cast("decimal(18,2)"),
    }


def rule_names() -> list[str]:
    return [rule.name for rule in QUALITY_RULES]


def enrich(lines: DataFrame, products: DataFrame, stores: DataFrame) -> DataFrame:
    """Attach product and store attributes (broadcast: reference tables are small)."""
    product_columns = products.select(
        "sku",
        "unit_cost",
        sf.col("name").alias("product_name"),
        "category",
        "subcategory",
        "brand",
        sf.lit(True).alias("product_known"),
    )
    store_columns = stores.select(
        "store_id",
        sf.col("currency").alias("store_currency"),
        sf.col("name").alias("store_name"),
        sf.col("city").alias("store_city"),
        sf.col("state").alias("store_state"),
        sf.col("region").alias("store_region"),
        sf.lit(True).alias("store_known"),
    )
    return lines.join(sf.broadcast(product_columns), "sku", "left").join(
        sf.broadcast(store_columns), "store_id", "left"
    )


def classify(enriched: DataFrame) -> DataFrame:
    """Add `outcome`: `duplicate`, the first failed rule's name, or `passed`."""
    predicates = _predicates()
    missing = set(rule_names()) - set(predicates)
    if missing:
        raise NotImplementedError(f"contract quality rules without a Spark predicate: {missing}")
    outcome = sf.when(sf.col("duplicate"), sf.lit(DUPLICATE))
    for name in rule_names():
        outcome = outcome.when(predicates[name], sf.lit(name))
    return enriched.withColumn("outcome", outcome.otherwise(sf.lit(PASSED)))
