"""The API's queries, built in the Athena dialect over `sales_merged` from whitelisted parts.

Only enum members, the dimensions' own expressions (`serving.dimensions`), formatted dates and
string literals rendered by sqlglot ever reach the SQL text, never raw request strings. Every
time filter carries the matching `sale_date` range too, so both engines prune gold partitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from contract.gold import METRIC_DEFINITIONS
from contract.reference import REFERENCE_TABLES, UNKNOWN_ATTRIBUTE
from serving.dimensions import Dimension, Filter

MERGED_VIEW = "sales_merged"
CURRENT_ATTRIBUTES_VIEW = "sales_merged_current_attributes"
REALTIME_LINES = "sales_realtime_unbatched"
FLAG_RULE_MARKERS = {"unknown_sku": "product_name", "unknown_store": "store_name"}
"""Each flag rule of `contract.quality` and the gold column that is NULL exactly on its lines
(a known product always has a name, a known store too)."""


class Granularity(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


class Attributes(StrEnum):
    """Which catalog the product, store and customer attributes come from."""

    AS_OF_SALE = "as_of_sale"
    """The attributes in force when each sale happened (the default: history stays as it was)."""
    CURRENT = "current"
    """Today's attributes for every sale (history regrouped under the current catalog)."""

    @property
    def view(self) -> str:
        return MERGED_VIEW if self is Attributes.AS_OF_SALE else CURRENT_ATTRIBUTES_VIEW


@dataclass(frozen=True)
class EventTimeRange:
    """[start, end) on event time, as UTC instants."""

    start: datetime
    end: datetime

    def where(self, zone: ZoneInfo) -> str:
        last_instant = self.end - timedelta(microseconds=1)
        first_day = self.start.astimezone(zone).date()
        last_day = last_instant.astimezone(zone).date()
        return (
            f"sale_date BETWEEN DATE '{first_day:%Y-%m-%d}' AND DATE '{last_day:%Y-%m-%d}' "
            f"AND occurred_at >= {_timestamp(self.start)} AND occurred_at < {_timestamp(self.end)}"
        )


@dataclass(frozen=True)
class Slice:
    """Which lines a question is about and how they are grouped."""

    group_by: tuple[Dimension, ...] = ()
    filters: tuple[Filter, ...] = ()
    attributes: Attributes = Attributes.AS_OF_SALE

    def where(self, period: EventTimeRange, zone: ZoneInfo) -> str:
        return " AND ".join([period.where(zone), *(f.where() for f in self.filters)])


EVERY_LINE = Slice()
"""No grouping beyond the time bucket, no filter, each sale's own attributes."""


def sales_metrics_sql(
    period: EventTimeRange, granularity: Granularity, zone: ZoneInfo, slice_: Slice = EVERY_LINE
) -> str:
    """Every METRIC_DEFINITIONS metric per bucket (and group); buckets are reporting-zone dates
    for `day`, naive reporting-zone wall times for `hour` and `minute`."""
    bucket = (
        "sale_date"
        if granularity is Granularity.DAY
        else f"CAST(date_trunc('{granularity.value}', occurred_at AT TIME ZONE "
        f"'{zone.key}') AS timestamp)"
    )
    dimensions = [f"{bucket} AS bucket"] + [d.select() for d in slice_.group_by]
    metrics = [f"{sql} AS {name}" for name, sql in METRIC_DEFINITIONS.items()]
    keys = ", ".join(str(position) for position in range(1, len(dimensions) + 1))
    return (
        f"SELECT {', '.join(dimensions + metrics)} FROM {slice_.attributes.view} "
        f"WHERE {slice_.where(period, zone)} GROUP BY {keys} ORDER BY {keys}"
    )


def top_products_sql(
    period: EventTimeRange, limit: int, zone: ZoneInfo, slice_: Slice = EVERY_LINE
) -> str:
    return (
        f"SELECT sku, {_labelled('max(product_name)', 'product_name')}, "
        f"{_labelled('max(category)', 'category')}, "
        f"{METRIC_DEFINITIONS['net_revenue']} AS net_revenue, "
        f"{METRIC_DEFINITIONS['units']} AS units, {METRIC_DEFINITIONS['orders']} AS orders "
        f"FROM {slice_.attributes.view} WHERE {slice_.where(period, zone)} "
        f"GROUP BY sku ORDER BY net_revenue DESC, sku LIMIT {int(limit)}"
    )


def newest_landed_event_sql(since: datetime) -> str:
    """The newest bronze event ingested at or after `since` (normally the cutoff T)."""
    return (
        "SELECT max(ingested_at) AS newest_ingested_at FROM bronze_sales_events "
        f"WHERE ingest_date >= '{since.astimezone(UTC):%Y-%m-%d}' "
        f"AND ingested_at >= {_timestamp(since)}"
    )


def reference_status_sql() -> str:
    """How many current rows each reference table has, and how many real-time lines (since T)
    each flag rule marked: what the dashboard needs to say what is missing."""
    loaded = [
        f"(SELECT count(*) FROM {table} WHERE is_current) AS {table}" for table in REFERENCE_TABLES
    ]
    flagged = [
        f"(SELECT count_if({column} IS NULL) FROM {REALTIME_LINES}) AS {rule}"
        for rule, column in FLAG_RULE_MARKERS.items()
    ]
    return f"SELECT {', '.join(loaded + flagged)}"


def _labelled(column: str, name: str | None = None) -> str:
    """A dimension whose value is NULL for keys not in the catalog, shown as `(unknown)`."""
    return f"COALESCE({column}, '{UNKNOWN_ATTRIBUTE}') AS {name or column}"


def _timestamp(instant: datetime) -> str:
    return f"TIMESTAMP '{instant.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}'"
