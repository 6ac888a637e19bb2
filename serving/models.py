"""The query API's response models: money as decimal strings, times as ISO 8601 strings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SalesRow(BaseModel):
    """One bucket (and group, named after the `group_by` dimension, when one was asked for)."""

    model_config = ConfigDict(extra="allow")

    bucket: str = Field(description="Reporting-zone date (day) or wall time with offset.")
    net_revenue: str
    gross_revenue: str
    discount: str
    units: int
    orders: int
    returns: int


class SalesMetrics(BaseModel):
    rows: list[SalesRow]
    boundary: str = Field(description="Cutoff T: gold holds events ingested before it.")
    run_id: str | None = Field(description="The published batch run served, if any.")
    as_of: str = Field(description="When this answer was computed (UTC).")


class TopProduct(BaseModel):
    sku: str
    product_name: str | None
    category: str | None
    net_revenue: str
    units: int
    orders: int


class TopProducts(BaseModel):
    rows: list[TopProduct]
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
        description="Real-time lines (since T) kept under each flag rule, e.g. unknown_sku."
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
