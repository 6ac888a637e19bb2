"""The business day a sale belongs to: the one rule reconciliation and its oracles share.

Today a sale's business date is its `sale_date`: the calendar date of `occurred_at` in the
reporting time zone (`SALESFLOW_REPORTING_TZ`), as gold and the real-time view compute it. The
calendar issue (store-local business days) will change the rule here and in the column's
computation, and nowhere else: reconciliation compares reports with the merged view through
`BUSINESS_DATE_COLUMN`, and asks this module when a business day is over.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BUSINESS_DATE_COLUMN = "sale_date"
"""The merged view's column holding each line's business date."""

LATEST_UTC_OFFSET = timedelta(hours=14)
"""The furthest ahead of UTC any zone's clocks run (Kiribati): no business day anywhere can be
later than the UTC instant plus this."""


def business_date(occurred_at: datetime, zone: ZoneInfo) -> date:
    """The business date of a sale that happened at `occurred_at` (aware)."""
    return occurred_at.astimezone(zone).date()


def business_day_start(day: date, zone: ZoneInfo) -> datetime:
    """The instant business day `day` begins: its midnight in `zone` (aware)."""
    return datetime.combine(day, time(), tzinfo=zone)


def business_day_end(day: date, zone: ZoneInfo) -> datetime:
    """The instant business day `day` is over: the next midnight in `zone` (aware)."""
    return business_day_start(day + timedelta(days=1), zone)


def latest_possible_business_date(now: datetime) -> date:
    """The latest business date any store may have at `now`, whatever its zone: a report for a
    later day describes a day no till has started yet."""
    return (now.astimezone(UTC) + LATEST_UTC_OFFSET).date()
