"""The contract's data-quality rules (`contract.quality`) as Spark predicates over enriched lines.

The rules' names, kinds and thresholds live in the contract; only how each is evaluated on a
joined sale line lives here. Reference attributes are joined as of the sale: a line takes the
product, store and customer rows whose validity interval holds its `occurred_at`.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as sf

from batch_layer.silver import DUPLICATE
from contract.quality import FLAG_RULES, MAX_LINE_NET_AMOUNT, QUARANTINE_RULES

PASSED = "passed"
"""The outcome of a line that goes to gold (flagged or not)."""


def _predicates() -> dict[str, Column]:
    line_net = sf.col("quantity") * sf.col("unit_price") - sf.col("discount")
    return {
        "unknown_sku": sf.col("product_known").isNull(),
        "unknown_store": sf.col("store_known").isNull(),
        "currency_mismatch": sf.col("currency") != sf.col("store_currency"),
        "line_net_out_of_range": line_net > sf.lit(str(MAX_LINE_NET_AMOUNT)).cast("decimal(18,2)"),
    }


def rule_names() -> list[str]:
    return [*FLAG_RULES, *QUARANTINE_RULES]


def as_of_join(
    lines: DataFrame, reference: DataFrame, key: str, columns: list[Column]
) -> DataFrame:
    """Left-join `columns` of the reference row of `key` valid at each line's `occurred_at`
    (broadcast: reference tables are small). A key's intervals never overlap, so a line matches
    at most one row."""
    matched = reference.select(
        sf.col(key).alias("_reference_key"),
        sf.col("valid_from").alias("_valid_from"),
        sf.col("valid_to").alias("_valid_to"),
        *columns,
    )
    condition = (
        (sf.col(key) == sf.col("_reference_key"))
        & (sf.col("occurred_at") >= sf.col("_valid_from"))
        & (sf.col("occurred_at") < sf.col("_valid_to"))
    )
    return lines.join(sf.broadcast(matched), condition, "left").drop(
        "_reference_key", "_valid_from", "_valid_to"
    )


def enrich(lines: DataFrame, products: DataFrame, stores: DataFrame) -> DataFrame:
    """Attach product and store attributes as of the sale, with `product_known`/`store_known`."""
    with_products = as_of_join(
        lines,
        products,
        "sku",
        [
            sf.col("unit_cost"),
            sf.col("name").alias("product_name"),
            sf.col("category"),
            sf.col("subcategory"),
            sf.col("brand"),
            sf.lit(True).alias("product_known"),
        ],
    )
    return as_of_join(
        with_products,
        stores,
        "store_id",
        [
            sf.col("currency").alias("store_currency"),
            sf.col("name").alias("store_name"),
            sf.col("city").alias("store_city"),
            sf.col("state").alias("store_state"),
            sf.col("region").alias("store_region"),
            sf.lit(True).alias("store_known"),
        ],
    )


def classify(enriched: DataFrame) -> DataFrame:
    """Add `outcome` (`duplicate`, the first failed quarantine rule, or `passed`) and one boolean
    column per flag rule, named after it."""
    predicates = _predicates()
    missing = set(rule_names()) - set(predicates)
    if missing:
        raise NotImplementedError(f"contract quality rules without a Spark predicate: {missing}")
    outcome = sf.when(sf.col("duplicate"), sf.lit(DUPLICATE))
    for name in QUARANTINE_RULES:
        outcome = outcome.when(predicates[name], sf.lit(name))
    flagged = enriched.withColumn("outcome", outcome.otherwise(sf.lit(PASSED)))
    for name in FLAG_RULES:
        flagged = flagged.withColumn(name, predicates[name])
    return flagged
