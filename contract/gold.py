"""The gold tables' schemas and the metric definitions every reader shares.

`sales_wide` has one row per sale line. Money columns are signed: a return's amounts are negated,
so a plain SUM gives net figures. `net_units` is the quantity with the same sign; `quantity`
stays as sent. Attributes (product, store, customer) and the unit cost are those in force when the
sale happened; they are NULL for a key not in the catalog (reports show `(unknown)`), and so are
`cost_amount` and `margin_amount` when the product's cost is unknown. The serving layer's
real-time view produces exactly these columns from bronze.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pyarrow as pa

from contract.arrow_schema import MONEY_TYPE, TIMESTAMP_TYPE

SALES_WIDE = "sales_wide"

SALES_WIDE_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("line_number", pa.int32(), nullable=False),
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("sale_date", pa.date32(), nullable=False),
        pa.field("occurred_at", TIMESTAMP_TYPE, nullable=False),
        pa.field("ingested_at", TIMESTAMP_TYPE, nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("store_id", pa.string(), nullable=False),
        pa.field("order_id", pa.string(), nullable=False),
        pa.field("customer_id", pa.string()),
        pa.field("payment_method", pa.string(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("sku", pa.string(), nullable=False),
        pa.field("quantity", pa.int32(), nullable=False),
        pa.field("net_units", pa.int32(), nullable=False),
        pa.field("unit_price", MONEY_TYPE, nullable=False),
        pa.field("gross_amount", MONEY_TYPE, nullable=False),
        pa.field("discount_amount", MONEY_TYPE, nullable=False),
        pa.field("net_amount", MONEY_TYPE, nullable=False),
        pa.field("cost_amount", MONEY_TYPE),
        pa.field("margin_amount", MONEY_TYPE),
        pa.field("source", pa.string(), nullable=False),
        pa.field("terminal_id", pa.string()),
        pa.field("salesperson_id", pa.string()),
        pa.field("promotion_id", pa.string()),
        pa.field("coupon_code", pa.string()),
        pa.field("attributes", pa.map_(pa.string(), pa.string())),
        pa.field("product_name", pa.string()),
        pa.field("category", pa.string()),
        pa.field("subcategory", pa.string()),
        pa.field("brand", pa.string()),
        pa.field("store_name", pa.string()),
        pa.field("store_city", pa.string()),
        pa.field("store_state", pa.string()),
        pa.field("store_region", pa.string()),
        pa.field("customer_segment", pa.string()),
        pa.field("customer_city", pa.string()),
        pa.field("customer_state", pa.string()),
        pa.field("sale_year", pa.int32(), nullable=False),
        pa.field("sale_month", pa.int32(), nullable=False),
        pa.field("sale_iso_week", pa.int32(), nullable=False),
        pa.field("sale_weekday", pa.int32(), nullable=False),
        pa.field("sale_hour", pa.int32(), nullable=False),
        pa.field("content_digest", pa.int64()),
    ]
)
"""Calendar columns are in the reporting time zone; `sale_weekday` is ISO (1 = Monday).
`terminal_id` to `attributes` are contract v1.1's optional fields, NULL for events without them.
`content_digest` is the event's winning copy's (`contract.content_digest`), which the real-time
view compares later copies with (ADR 0021); NULL in days written before it existed."""

SALES_WIDE_PARTITION_COLUMN = "sale_date"
SALES_WIDE_PLAIN_COLUMNS = ("event_id", "order_id", "occurred_at", "ingested_at", "content_digest")
"""`sales_wide` columns with about one value per event, written without a dictionary: Parquet
would build one for each, overflow it and fall back to plain encoding, paying for both (a fifth
of the batch's write stage)."""

METRIC_DEFINITIONS = {
    "net_revenue": "SUM(net_amount)",
    "gross_revenue": "SUM(gross_amount)",
    "discount": "SUM(discount_amount)",
    "units": "SUM(net_units)",
    "orders": "COUNT(DISTINCT CASE WHEN event_type = 'sale' THEN event_id END)",
    "returns": "COUNT(DISTINCT CASE WHEN event_type = 'return' THEN event_id END)",
    "cost": "SUM(cost_amount)",
    "margin": "SUM(margin_amount)",
    "costed_net_revenue": "SUM(CASE WHEN cost_amount IS NOT NULL THEN net_amount ELSE 0 END)",
}
"""How each additive metric is computed from sale lines, in every engine and every test.

`cost` and `margin` sum the lines whose product cost is known and are NULL when no line of the
group has one; `costed_net_revenue` is the net revenue of those same lines, the base of
`margin_pct` (so a product without a cost neither inflates nor dilutes the margin rate).
Metrics added later come last, so mart files of earlier runs read them as NULL by name."""

RATIO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class RatioMetric:
    """A metric derived from two METRIC_DEFINITIONS sums: `numerator / denominator * scale`,
    rounded half up to two places, undefined (None) when the denominator is zero or NULL.

    Ratios are computed from a group's sums, never summed or averaged themselves, so a total
    and its parts always agree; BI tools must do the same (docs/bi.md)."""

    numerator: str
    denominator: str
    scale: int = 1

    def of(self, sums: Mapping[str, Decimal | int | None]) -> Decimal | None:
        numerator, denominator = sums[self.numerator], sums[self.denominator]
        if numerator is None or not denominator:
            return None
        value = Decimal(numerator) * self.scale / Decimal(denominator)
        return value.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


RATIO_METRICS = {
    "margin_pct": RatioMetric("margin", "costed_net_revenue", scale=100),
    "average_ticket": RatioMetric("net_revenue", "orders"),
    "units_per_order": RatioMetric("units", "orders"),
    "return_rate": RatioMetric("returns", "orders", scale=100),
}
"""Margin % over the lines with a known cost; net revenue and units per sale (returns count
negative in the numerator, as in `net_revenue`); return events per 100 sales."""

QUALITY_QUARANTINE = "quality_quarantine"
"""Run-folder table of the sale lines a data-quality rule held back, with the rule's name."""

DAILY_SALES_BY_STORE = "daily_sales_by_store"
DAILY_SALES_BY_CATEGORY = "daily_sales_by_category"
DAILY_SALES_BY_CHANNEL_PAYMENT = "daily_sales_by_channel_payment"
DAILY_SALES_BY_PROMOTION = "daily_sales_by_promotion"

MART_DIMENSIONS: dict[str, tuple[str, ...]] = {
    DAILY_SALES_BY_STORE: ("sale_date", "store_id"),
    DAILY_SALES_BY_CATEGORY: ("sale_date", "category"),
    DAILY_SALES_BY_CHANNEL_PAYMENT: ("sale_date", "channel", "payment_method"),
    DAILY_SALES_BY_PROMOTION: ("sale_date", "promotion_id", "coupon_code"),
}
"""Each dashboard mart: `sales_wide` grouped by these columns, with every METRIC_DEFINITIONS
metric. A mart row's counts are exact for its group (orders are distinct within the group)."""

_METRIC_TYPES: dict[str, pa.DataType] = {
    "net_revenue": MONEY_TYPE,
    "gross_revenue": MONEY_TYPE,
    "discount": MONEY_TYPE,
    "units": pa.int64(),
    "orders": pa.int64(),
    "returns": pa.int64(),
    "cost": MONEY_TYPE,
    "margin": MONEY_TYPE,
    "costed_net_revenue": MONEY_TYPE,
}


_NULLABLE_METRICS = frozenset({"cost", "margin"})
"""NULL when no line of the group has a known product cost."""


def mart_schema(mart: str) -> pa.Schema:
    """Dimensions typed as in `sales_wide` (nullable for `category`), then the metrics."""
    dimensions = [SALES_WIDE_SCHEMA.field(name) for name in MART_DIMENSIONS[mart]]
    metrics = [
        pa.field(name, _METRIC_TYPES[name], nullable=name in _NULLABLE_METRICS)
        for name in METRIC_DEFINITIONS
    ]
    return pa.schema([*dimensions, *metrics])
