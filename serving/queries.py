"""The API's queries, built in the Athena dialect over `sales_merged` from whitelisted parts.

Only enum members, the dimensions' own expressions (`serving.dimensions`), formatted dates and
string literals rendered by sqlglot ever reach the SQL text, never raw request strings. Every
time filter carries the matching `sale_date` range too, so both engines prune gold partitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import sqlglot
from sqlglot import exp

from contract.business_day import Calendar
from contract.content_digest import CONFLICT_SEPARATOR
from contract.gold import METRIC_DEFINITIONS
from contract.quality import EVENT_ID_CONFLICTS
from contract.reference import REFERENCE_TABLES, UNKNOWN_ATTRIBUTE
from serving.buckets import (
    Comparison,
    EventTimeRange,
    Granularity,
    bucket_sql,
    timestamp_literal,
)
from serving.dimensions import ATHENA_DIALECT, PRODUCT_DIMENSIONS, Dimension, Filter

MERGED_VIEW = "sales_merged"
CURRENT_ATTRIBUTES_VIEW = "sales_merged_current_attributes"
BATCH_LINES = "sales_batch"
REALTIME_LINES = "sales_realtime_unbatched"
FLAG_RULE_MARKERS = {"unknown_sku": "product_name", "unknown_store": "store_name"}
"""Each flag rule of `contract.quality` and the gold column that is NULL exactly on its lines
(a known product always has a name, a known store too)."""
METRIC_COLUMNS = tuple(
    sorted(
        {
            column.name
            for sql in METRIC_DEFINITIONS.values()
            for column in sqlglot.parse_one(sql, read=ATHENA_DIALECT).find_all(exp.Column)
        }
    )
)
"""The merged view's columns the metric definitions read: all a period's lines must carry."""
CURRENT = "current"
COMPARISON = "comparison"
"""Values of the `side` column of sales_metrics_sql: the asked range or its comparison."""
ZERO_WHEN_UNSOLD = tuple(name for name in METRIC_DEFINITIONS if name not in ("cost", "margin"))
"""Metrics of a product that sold nothing: zero, except cost and margin (unknown: NULL)."""


class Attributes(StrEnum):
    """Which catalog the product, store and customer attributes come from."""

    AS_OF_SALE = "as_of_sale"
    """The attributes in force when each sale happened (the default: history stays as it was)."""
    CURRENT = "current"
    """Today's attributes for every sale (history regrouped under the current catalog)."""

    @property
    def view(self) -> str:
        return MERGED_VIEW if self is Attributes.AS_OF_SALE else CURRENT_ATTRIBUTES_VIEW


class ProductOrder(StrEnum):
    """What top products (and slow movers) are ranked by."""

    NET_REVENUE = "net_revenue"
    UNITS = "units"
    MARGIN = "margin"


@dataclass(frozen=True)
class Slice:
    """Which lines a question is about and how they are grouped."""

    group_by: tuple[Dimension, ...] = ()
    filters: tuple[Filter, ...] = ()
    attributes: Attributes = Attributes.AS_OF_SALE

    def where(self, period: EventTimeRange, calendar: Calendar) -> str:
        return " AND ".join([period.where(calendar), *(f.where() for f in self.filters)])


EVERY_LINE = Slice()
"""No grouping beyond the time bucket, no filter, each sale's own attributes."""


def sales_metrics_sql(
    period: EventTimeRange,
    granularity: Granularity,
    calendar: Calendar,
    slice_: Slice = EVERY_LINE,
    comparison: Comparison | None = None,
) -> str:
    """Every METRIC_DEFINITIONS metric per `side` (CURRENT, and COMPARISON when asked), bucket
    and group. Comparison lines are read over the comparison range and bucketed as if moved
    forward by the shift (`bucket_sql`), so each sits beside the row it is compared with; a line
    in both ranges (a 30-day range against the previous week) counts on both sides, hence the
    UNION ALL rather than one scan.

    With groups, one total row per side is added (bucket and groups NULL, through GROUPING
    SETS): an order spanning two categories is one order in the total, not two. Without groups
    no total row is needed: every event falls in exactly one bucket, so the buckets' sums are
    the total, distinct counts included, and the distinct counting (most of the cost) is done
    once instead of twice."""
    return _grouped_metrics_sql(
        period,
        granularity,
        calendar,
        slice_=slice_,
        comparison=comparison,
        groupings=(slice_.group_by,),
    )


def sales_breakdowns_sql(
    period: EventTimeRange,
    granularity: Granularity,
    calendar: Calendar,
    slice_: Slice,
    *,
    groupings: tuple[tuple[Dimension, ...], ...],
    comparison: Comparison | None = None,
) -> str:
    """`sales_metrics_sql` for several groupings of the same lines (`slice_`'s filters and
    attributes; its own `group_by` is not used) in one query: one GROUPING SET per grouping
    and the total. The lines are read once, which on Athena is the billed scan of the day's
    bronze, instead of once per grouping. A row belongs to the grouping whose dimensions are
    exactly its non-NULL ones (dimensions are never NULL on their own rows: `serving.dimensions`
    labels missing values), so the groupings must be different sets of dimensions."""
    if not groupings or not all(groupings):
        raise ValueError("sales_breakdowns_sql needs one or more non-empty groupings")
    return _grouped_metrics_sql(
        period, granularity, calendar, slice_=slice_, comparison=comparison, groupings=groupings
    )


def _grouped_metrics_sql(
    period: EventTimeRange,
    granularity: Granularity,
    calendar: Calendar,
    *,
    slice_: Slice,
    comparison: Comparison | None,
    groupings: tuple[tuple[Dimension, ...], ...],
) -> str:
    dimensions = tuple(dict.fromkeys(d for grouping in groupings for d in grouping))
    zone = calendar.reporting_zone
    current_bucket = bucket_sql(granularity, zone, period)
    sides = [
        _side_lines(CURRENT, period, current_bucket, calendar, slice_=slice_, dimensions=dimensions)
    ]
    if comparison is not None:
        bucket = bucket_sql(granularity, zone, period, comparison.shift)
        sides.append(
            _side_lines(
                COMPARISON,
                comparison.period,
                bucket,
                calendar,
                slice_=slice_,
                dimensions=dimensions,
            )
        )
    names = [_quoted(d.name) for d in dimensions]
    if dimensions:
        sets = [
            f"({', '.join(['side', 'bucket', *(_quoted(d.name) for d in grouping)])})"
            for grouping in groupings
        ]
        grouping_sql = f"GROUPING SETS ({', '.join([*sets, '(side)'])})"
    else:
        grouping_sql = "side, bucket"
    keys = ", ".join(["side", "bucket", *names])
    return (
        f"WITH lines AS ({' UNION ALL '.join(sides)}) "
        f"SELECT {keys}, {_metrics()} FROM lines GROUP BY {grouping_sql}"
    )


def _side_lines(
    side: str,
    period: EventTimeRange,
    bucket: str,
    calendar: Calendar,
    *,
    slice_: Slice,
    dimensions: tuple[Dimension, ...],
) -> str:
    columns = [f"'{side}' AS side", f"{bucket} AS bucket", *(d.select() for d in dimensions)]
    return (
        f"SELECT {', '.join([*columns, *METRIC_COLUMNS])} FROM {slice_.attributes.view} "
        f"WHERE {slice_.where(period, calendar)}"
    )


def top_products_sql(
    period: EventTimeRange,
    limit: int,
    calendar: Calendar,
    slice_: Slice = EVERY_LINE,
    order: ProductOrder = ProductOrder.NET_REVENUE,
) -> str:
    """The best sellers by `order` among the lines of the slice; every metric per product."""
    labels = ", ".join(
        _labelled(f"max({column})", column) for column in ("product_name", "category", "brand")
    )
    return (
        f"SELECT sku, {labels}, {_metrics()} "
        f"FROM {slice_.attributes.view} WHERE {slice_.where(period, calendar)} "
        f"GROUP BY sku ORDER BY {order.value} DESC NULLS LAST, sku LIMIT {int(limit)}"
    )


def slow_movers_sql(
    period: EventTimeRange,
    limit: int,
    calendar: Calendar,
    slice_: Slice = EVERY_LINE,
    order: ProductOrder = ProductOrder.NET_REVENUE,
) -> str:
    """The lowest sellers by `order` among the active products: every product of today's
    catalog (`is_current`) that the product filters (sku, category, subcategory, brand, read on
    today's catalog) keep, with its sales over the period under the other filters; a product
    that sold nothing comes first, with zeros. Unknown margins (no cost) rank last."""
    product_filters = [f for f in slice_.filters if f.dimension.name in PRODUCT_DIMENSIONS]
    sale_filters = [f for f in slice_.filters if f.dimension.name not in PRODUCT_DIMENSIONS]
    sold_where = " AND ".join([period.where(calendar), *(f.where() for f in sale_filters)])
    catalog_where = " AND ".join(["is_current", *(f.where() for f in product_filters)])
    metrics = ", ".join(
        f"COALESCE(s.{name}, 0) AS {name}" if name in ZERO_WHEN_UNSOLD else f"s.{name}"
        for name in METRIC_DEFINITIONS
    )
    return (
        f"WITH sold AS (SELECT sku, {_metrics()} FROM {slice_.attributes.view} "
        f"WHERE {sold_where} GROUP BY sku), "
        f"active_products AS (SELECT * FROM products WHERE {catalog_where}) "
        f"SELECT p.sku, p.name AS product_name, "
        f"{_labelled('p.category', 'category')}, {_labelled('p.brand', 'brand')}, {metrics} "
        f"FROM active_products AS p LEFT JOIN sold AS s ON s.sku = p.sku "
        f"ORDER BY {order.value} ASC NULLS LAST, p.sku LIMIT {int(limit)}"
    )


def _metrics() -> str:
    return ", ".join(f"{sql} AS {name}" for name, sql in METRIC_DEFINITIONS.items())


def _quoted(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(ATHENA_DIALECT)


def newest_landed_event_sql(since: datetime) -> str:
    """The newest bronze event ingested at or after `since` (normally the cutoff T)."""
    return (
        "SELECT max(ingested_at) AS newest_ingested_at FROM bronze_sales_events "
        f"WHERE ingest_date >= '{since.astimezone(UTC):%Y-%m-%d}' "
        f"AND ingested_at >= {timestamp_literal(since)}"
    )


def reference_status_sql() -> str:
    """How many current rows each reference table has, how many real-time lines (since T) each
    flag rule marked, and how many real-time sales are a conflicting copy's own (ADR 0021): what
    the dashboard needs to say what is missing. They are counted in one pass over the real-time
    lines, which on Athena is a billed scan of the day's bronze: one subquery per rule would
    scan it once per rule."""
    loaded = [
        f"(SELECT count(*) FROM {table} WHERE is_current) AS {table}" for table in REFERENCE_TABLES
    ]
    counts = [
        *(f"count_if({column} IS NULL) AS {rule}" for rule, column in FLAG_RULE_MARKERS.items()),
        f"count(DISTINCT CASE WHEN strpos(event_id, '{CONFLICT_SEPARATOR}') > 0 "
        f"THEN event_id END) AS {EVENT_ID_CONFLICTS}",
    ]
    flagged = [f"flags.{rule}" for rule in (*FLAG_RULE_MARKERS, EVENT_ID_CONFLICTS)]
    return (
        f"SELECT {', '.join(loaded + flagged)} "
        f"FROM (SELECT {', '.join(counts)} FROM {REALTIME_LINES}) AS flags"
    )


def store_currency_sql() -> str:
    """The currency most of today's stores sell in: the one the dashboard shows money in."""
    return (
        "SELECT currency, count(*) AS stores FROM stores WHERE is_current "
        "GROUP BY currency ORDER BY stores DESC, currency LIMIT 1"
    )


def _labelled(column: str, name: str) -> str:
    """A dimension whose value is NULL for keys not in the catalog, shown as `(unknown)`."""
    return f"COALESCE({column}, '{UNKNOWN_ATTRIBUTE}') AS {name}"
