"""The business day a sale belongs to: the one rule the batch, the real-time view, reconciliation
and their oracles share.

A sale's business date is its `sale_date`: the calendar date of `occurred_at` in its *business
zone*. Under `SALESFLOW_BUSINESS_DAY=reporting` (the default) that is the reporting time zone
(`SALESFLOW_REPORTING_TZ`) for every sale, so every store's day ends at the same instant; under
`store` it is the time zone of the sale's store (the stores reference table's `time_zone`, as of
the sale, the reporting zone when the store has none or is unknown), so a Manaus store's day ends
at its own midnight, as its tills, shift closing and POS reports count it. The calendar columns
(`sale_year`, `sale_month`, `sale_iso_week`, `sale_weekday`, `sale_hour`) follow the same zone.
Gold computes it in Spark, the real-time view in SQL (`business_zone_sql`), both from this rule;
reconciliation compares reports with the merged view through `BUSINESS_DATE_COLUMN` and asks this
module when a business day is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BUSINESS_DATE_COLUMN = "sale_date"
"""The merged view's column holding each line's business date."""

LATEST_UTC_OFFSET = timedelta(hours=14)
"""The furthest ahead of UTC any zone's clocks run (Kiribati): no business day anywhere can be
later than the UTC instant plus this."""


class BusinessDay(StrEnum):
    """Whose calendar a sale's business date and calendar columns follow."""

    REPORTING = "reporting"
    """The reporting time zone's, for every store: one day boundary for the whole chain."""
    STORE = "store"
    """The store's own time zone (reference data), else the reporting zone's."""


def known_time_zone(name: str) -> str:
    """`name` if it is an IANA time zone this machine knows, else a ValueError saying so."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"unknown IANA time zone {name!r}: use a name like America/Sao_Paulo or "
            "America/Manaus (not an offset like -03:00 or an abbreviation like BRT)"
        ) from error
    return name


@dataclass(frozen=True)
class Calendar:
    """The deployment's calendar: the reporting zone and whose business day counts."""

    reporting_zone: ZoneInfo
    business_day: BusinessDay = BusinessDay.REPORTING

    def zone_of(self, store_zone: str | None) -> ZoneInfo:
        """The zone a sale's business day is counted in, given its store's `time_zone` as of
        the sale (None when the store has none or is not in the reference data)."""
        if self.business_day is BusinessDay.STORE and store_zone:
            return ZoneInfo(store_zone)
        return self.reporting_zone


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
