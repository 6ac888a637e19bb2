"""Customer 360 response models: money as decimal strings, dates and instants as ISO 8601."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SinceBoundary(BaseModel):
    """What the customer's real-time lines (events since T not yet in gold) added to the run's
    profile."""

    orders: int
    returns: int
    units: int
    net_revenue: str
    lines: int


class CustomerProfile(BaseModel):
    """A customer's profile: the published run's, merged with their purchases since T."""

    customer_id: str
    customer_segment: str | None = Field(description="From the customer catalog.")
    customer_city: str | None
    customer_state: str | None
    first_purchase_at: str = Field(description="First purchase (a sale event), UTC.")
    last_purchase_at: str
    first_purchase_date: str = Field(description="Its day in the reporting time zone.")
    last_purchase_date: str
    tenure_days: int = Field(description="Days from the first purchase to `as_of_date`.")
    recency_days: int = Field(description="Days from the last purchase to `as_of_date`.")
    orders: int = Field(description="Sale events.")
    returns: int = Field(description="Return events.")
    units: int = Field(description="Net units: returned units count negative.")
    net_revenue: str = Field(description="Net of discounts and returns.")
    average_ticket: str = Field(description="net_revenue / orders, rounded half up.")
    preferred_channel: str = Field(description="The channel with the most orders.")
    preferred_category: str | None = Field(description="The category with the most net revenue.")
    channel_orders: dict[str, int]
    category_net_revenue: dict[str, str]
    recency_score: int | None = Field(
        description="1-5 quintile against the published run's customers (docs/serving.md); "
        "null when that run has no customer to compare with."
    )
    frequency_score: int | None
    monetary_score: int | None
    rfm_segment: str | None = Field(description="Named by the first matching rule of the table.")
    as_of_date: str = Field(description="Today in the reporting time zone.")
    since_boundary: SinceBoundary
    source: Literal["dynamodb", "gold", "none"] = Field(
        description="Where the run's profile came from: the DynamoDB store, gold through the "
        "query engine (no store, or the run's load has not finished), or none (first purchase "
        "after T)."
    )
    boundary: str = Field(description="Cutoff T of the published run.")
    run_id: str | None
    as_of: str


class SegmentRow(BaseModel):
    segment: str
    meaning: str
    recency: tuple[int, int] = Field(description="Recency scores of the rule, inclusive.")
    frequency: tuple[int, int]
    monetary: tuple[int, int]
    customers: int
    share: float = Field(description="Of all profiled customers.")
    orders: int
    net_revenue: str
    average_ticket: str | None


class QuintileRow(BaseModel):
    """A score is above `boundary` when the customer's value is greater than this row's."""

    boundary: int
    last_purchase_date: str
    orders: int
    net_revenue: str


class CohortRow(BaseModel):
    cohort_month: str
    months_since_first: int
    customers: int
    active_customers: int
    retention_rate: float


class MonthRow(BaseModel):
    """Customers who bought in a month: for the first time, or again."""

    month: str
    new_customers: int
    returning_customers: int


class CustomerMetrics(BaseModel):
    """The published run's customers by RFM segment, its cut points, and cohort retention."""

    customers: int
    segments: list[SegmentRow]
    rfm_quintiles: list[QuintileRow]
    cohorts: list[CohortRow] = Field(description="The latest `cohorts` cohort months.")
    months: list[MonthRow] = Field(description="New and returning customers per month.")
    as_of_date: str | None = Field(description="The reporting-zone day of T, if a run exists.")
    boundary: str
    run_id: str | None
    as_of: str


class UnknownCustomer(BaseModel):
    """No purchase of this customer in the published run nor since T (answered as a 404)."""

    detail: str
