"""The query API's response models: money as decimal strings, times as ISO 8601 strings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Metrics(BaseModel):
    """Every metric of a group of sale lines (contract.gold METRIC_DEFINITIONS and
    RATIO_METRICS): money and ratios as decimal strings, counts as integers."""

    net_revenue: str
    gross_revenue: str
    discount: str
    cost: str | None = Field(
        description="Cost of the lines whose product cost is known; null when none is."
    )
    margin: str | None = Field(description="Net revenue minus cost, over the same lines.")
    costed_net_revenue: str = Field(
        description="Net revenue of the lines whose product cost is known: margin_pct's base."
    )
    margin_pct: str | None = Field(
        description="100 * margin / costed_net_revenue: lines without a known cost are left "
        "out of both, never counted at zero cost."
    )
    units: int
    orders: int
    returns: int
    average_ticket: str | None = Field(description="net_revenue / orders.")
    units_per_order: str | None = Field(description="units / orders.")
    return_rate: str | None = Field(description="100 * returns / orders.")


class Period(BaseModel):
    """A range of event time as served: `to` exclusive, reporting-zone times with offset."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str


class Comparison(Period):
    compare: str


class Bucketed(BaseModel):
    bucket: str = Field(
        description="Reporting-zone date (day, week: its Monday, month: its 1st) or wall time "
        "with offset (minute, hour, total: the range's start)."
    )


class SalesRow(Metrics, Bucketed):
    """One bucket (and group, named after each `group_by` dimension, when asked for); the
    bucket comes first, the group values last."""

    model_config = ConfigDict(extra="allow")

    comparison: Metrics | None = Field(
        None, description="The same bucket and group over the comparison period, if asked."
    )


class Totals(Metrics):
    """The whole range and slice at once (orders distinct across groups and buckets)."""

    comparison: Metrics | None = None


class SalesMetrics(BaseModel):
    period: Period = Field(description="The range served: the one asked, rounded outwards.")
    granularity: str
    group_by: list[str]
    comparison: Comparison | None = Field(description="The comparison period, if asked.")
    rows: list[SalesRow]
    totals: Totals
    boundary: str = Field(description="Cutoff T: gold holds events ingested before it.")
    run_id: str | None = Field(description="The published batch run served, if any.")
    as_of: str = Field(description="When this answer was computed (UTC).")


class SalesBreakdowns(BaseModel):
    breakdowns: list[SalesMetrics] = Field(
        description="One answer per `group_by` asked, in the order asked: each the same as "
        "`/v1/metrics/sales` gives for that `group_by` and the other parameters."
    )


class Product(BaseModel):
    sku: str
    product_name: str | None
    category: str
    brand: str


class ProductRow(Metrics, Product):
    """A product (name, category and brand `(unknown)` for a sku not in the catalog) and its
    metrics over the range."""


class TopProducts(BaseModel):
    period: Period
    order_by: str
    slow_movers: bool
    rows: list[ProductRow]
    boundary: str
    run_id: str | None
    as_of: str


class LastBatch(BaseModel):
    run_id: str
    cutoff: str
    published_at: str
    duration_seconds: float
    output_counts: dict[str, int]
    quality_counts: dict[str, int]
    duplicates: int


class ReferenceStatus(BaseModel):
    """What the catalog holds and what the real-time lines could not find in it."""

    loaded: dict[str, int] = Field(description="Current rows per reference table.")
    missing: list[str] = Field(
        description="What to do about each empty reference table, as a command to run."
    )
    realtime_quality_counts: dict[str, int] = Field(
        description=(
            "Real-time lines (since T) kept under each flag rule, e.g. unknown_sku, and "
            "event_id_conflicts: real-time sales made of a copy another source's id had "
            "already claimed with other content (`<event_id>~<source>`)."
        )
    )


class Freshness(BaseModel):
    newest_event_ingested_at: str | None = Field(
        description="The newest event landed in bronze since T, if any."
    )
    newest_event_age_seconds: float | None
    boundary: str
    last_batch: LastBatch | None
    reporting_tz: str
    today: str = Field(description="Today's date in the reporting time zone.")
    reference: ReferenceStatus
    as_of: str


class Display(BaseModel):
    """What a client needs to show numbers as the shop reads them."""

    locale: str | None = Field(
        description="SALESFLOW_DISPLAY_LOCALE; null: the country's most used language."
    )
    country: str | None = Field(description="ISO 3166 country of the reporting time zone.")
    currency: str | None = Field(description="The currency of most current stores, if any.")
    reporting_tz: str
    business_day: str = Field(
        description="Whose calendar days and the calendar columns follow: `reporting` (the "
        "reporting time zone's, for every store) or `store` (each store's own time zone)."
    )
    today: str = Field(description="Today's date in the reporting time zone.")
    dimensions: list[str] = Field(description="What `group_by` and filters accept.")
    max_range_days: int
    max_buckets: int
