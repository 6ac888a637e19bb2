"""Event time in the reporting time zone: ranges, their rounding, comparison periods and the
time buckets rows are grouped into.

Everything that decides what a `granularity` or a `compare` means lives here. The calendar rules
(docs/serving.md, "Calendar rules"):
- Minute and hour buckets are instants: the start of the reporting zone's local minute or hour,
  so the day clocks fall back has 25 hour buckets and the day they spring forward 23, each
  labelled with its own UTC offset.
- Day, week (ISO, from Monday) and month buckets are business days: taken from `sale_date`, the
  date gold and the real-time view both carry (`contract.business_day`: the reporting zone's, or
  each store's own under `SALESFLOW_BUSINESS_DAY=store`) and both engines prune partitions by. A
  range of whole days selects lines by that date, not by instant, so a Manaus store's sale at
  23:30 its time counts on its own day whatever the reporting zone's clock says.
- A comparison moved by whole days or months compares equal local times: last week's 01:00 hour
  sits beside each of this week's 01:00 hours, even across a change of offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from contract.business_day import BusinessDay, Calendar

MAX_BUCKETS = 10_080
"""Enough for a week of minutes; wider ranges must use a coarser granularity."""
FIRST_DAY = date(2000, 1, 1)
END_DAY = date(2101, 1, 1)
"""`from` and `to` must lie in [FIRST_DAY, END_DAY) of the reporting zone (years 2000-2100):
anything else is a typo, and the partition projection has no days there."""


class Granularity(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    """ISO weeks, Monday to Sunday."""
    MONTH = "month"
    TOTAL = "total"
    """One bucket for the whole range (labelled with its start)."""


class Compare(StrEnum):
    PREVIOUS_PERIOD = "previous_period"
    """The range of the same length just before: the previous months for a range of whole
    calendar months, the previous days for whole days, the previous stretch of time otherwise."""
    PREVIOUS_WEEK = "previous_week"
    """The same range seven days earlier (same weekdays)."""
    PREVIOUS_YEAR = "previous_year"
    """The same calendar dates one year earlier (29 February falls back to the 28th)."""


STORE_DAY_MARGIN = timedelta(days=2)
"""How far a store's business date can lie from the reporting zone's date of the same instant
(zones span UTC-12 to UTC+14): the `sale_date` pruning margin of instant ranges under
`BusinessDay.STORE`."""


@dataclass(frozen=True)
class EventTimeRange:
    """[start, end) on event time, as UTC instants."""

    start: datetime
    end: datetime
    business_days: bool = False
    """Both ends are reporting-zone midnights and the question is about days (day, week, month
    buckets, or a total over whole days): lines are selected by their business date."""

    def where(self, calendar: Calendar) -> str:
        """The filter on the merged view's lines, with the `sale_date` range that lets both
        engines prune gold partitions."""
        zone = calendar.reporting_zone
        first_day = self.start.astimezone(zone).date()
        last_day = (self.end - timedelta(microseconds=1)).astimezone(zone).date()
        if self.business_days:
            return _sale_dates(first_day, last_day)
        if calendar.business_day is BusinessDay.STORE:
            first_day, last_day = first_day - STORE_DAY_MARGIN, last_day + STORE_DAY_MARGIN
        return (
            f"{_sale_dates(first_day, last_day)} "
            f"AND occurred_at >= {timestamp_literal(self.start)} "
            f"AND occurred_at < {timestamp_literal(self.end)}"
        )


def _sale_dates(first: date, last: date) -> str:
    return f"sale_date BETWEEN DATE '{first:%Y-%m-%d}' AND DATE '{last:%Y-%m-%d}'"


class _Unit(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


_RESOLUTION = {
    Granularity.MINUTE: _Unit.MINUTE,
    Granularity.HOUR: _Unit.HOUR,
    Granularity.DAY: _Unit.DAY,
    Granularity.WEEK: _Unit.DAY,
    Granularity.MONTH: _Unit.DAY,
    Granularity.TOTAL: _Unit.MINUTE,
}
"""What a range is rounded to: its buckets, at most a day. Weeks and months are groupings of
days: `from=2026-11-04` keeps the week of 2 November partial rather than adding two days."""
_LENGTH = {_Unit.MINUTE: timedelta(minutes=1), _Unit.HOUR: timedelta(hours=1)}
_DATE_BUCKETS = frozenset({Granularity.DAY, Granularity.WEEK, Granularity.MONTH})
_INSTANT_BUCKETS = frozenset({Granularity.MINUTE, Granularity.HOUR})


def align(period: EventTimeRange, granularity: Granularity, zone: ZoneInfo) -> EventTimeRange:
    """The range widened to whole units of its resolution in the reporting zone (`from` down,
    `to` up), so every bucket is complete and requests differing by a microsecond share one
    answer and one cache entry; a range of whole days asked by day is one of business days."""
    unit = _RESOLUTION[granularity]
    floor_end = _floor(period.end, unit, zone)
    end = floor_end if floor_end == period.end else _next(floor_end, unit, zone)
    start = _floor(period.start, unit, zone)
    by_day = granularity not in _INSTANT_BUCKETS
    whole_days = _is_midnight(start.astimezone(zone), zone) and _is_midnight(
        end.astimezone(zone), zone
    )
    return EventTimeRange(start, end, business_days=by_day and whole_days)


def too_many_buckets(period: EventTimeRange, granularity: Granularity) -> bool:
    unit = _RESOLUTION[granularity]
    if granularity is Granularity.TOTAL or unit not in _LENGTH:
        return False
    return period.end - period.start > _LENGTH[unit] * MAX_BUCKETS


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _floor(instant: datetime, unit: _Unit, zone: ZoneInfo) -> datetime:
    local = instant.astimezone(zone)
    if unit is _Unit.DAY:
        return local_midnight(local.date(), zone)
    local = local.replace(second=0, microsecond=0)
    if unit is _Unit.HOUR:
        local = local.replace(minute=0)
    return local.astimezone(UTC)


def _next(boundary: datetime, unit: _Unit, zone: ZoneInfo) -> datetime:
    if unit is _Unit.DAY:
        return local_midnight(boundary.astimezone(zone).date() + timedelta(days=1), zone)
    return boundary + _LENGTH[unit]


class _ShiftUnit(StrEnum):
    MONTH = "month"
    DAY = "day"
    SECOND = "second"


@dataclass(frozen=True)
class Shift:
    """How far back a comparison lies: whole months or days of the reporting zone's calendar
    (wall time, so a day across a DST change is still a day), or an exact number of seconds."""

    unit: _ShiftUnit
    amount: int

    def back(self, instant: datetime, zone: ZoneInfo) -> datetime:
        if self.unit is _ShiftUnit.SECOND:
            return instant - timedelta(seconds=self.amount)
        local = instant.astimezone(zone).replace(tzinfo=None)
        if self.unit is _ShiftUnit.DAY:
            shifted = local - timedelta(days=self.amount)
        else:
            shifted = _add_months(local, -self.amount)
        return shifted.replace(tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Comparison:
    compare: Compare
    shift: Shift
    period: EventTimeRange
    """The comparison range: the asked range moved back by `shift`."""


def comparison(compare: Compare, period: EventTimeRange, zone: ZoneInfo) -> Comparison:
    """The comparison period of an (aligned) range."""
    shift = _shift(compare, period, zone)
    moved = EventTimeRange(
        shift.back(period.start, zone), shift.back(period.end, zone), period.business_days
    )
    return Comparison(compare, shift, moved)


def _shift(compare: Compare, period: EventTimeRange, zone: ZoneInfo) -> Shift:
    if compare is Compare.PREVIOUS_WEEK:
        return Shift(_ShiftUnit.DAY, 7)
    if compare is Compare.PREVIOUS_YEAR:
        return Shift(_ShiftUnit.MONTH, 12)
    start, end = period.start.astimezone(zone), period.end.astimezone(zone)
    if _is_midnight(start, zone) and _is_midnight(end, zone):
        if start.day == 1 and end.day == 1:
            return Shift(_ShiftUnit.MONTH, (end.year - start.year) * 12 + end.month - start.month)
        return Shift(_ShiftUnit.DAY, (end.date() - start.date()).days)
    return Shift(_ShiftUnit.SECOND, int((period.end - period.start).total_seconds()))


def _is_midnight(local: datetime, zone: ZoneInfo) -> bool:
    return local == local_midnight(local.date(), zone)


def _add_months(wall: datetime, months: int) -> datetime:
    """`wall` moved by whole months, the day clamped to the target month's last day."""
    index = wall.year * 12 + wall.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return wall.replace(year=year, month=month, day=min(wall.day, last_day))


def bucket_sql(
    granularity: Granularity, zone: ZoneInfo, period: EventTimeRange, shift: Shift | None = None
) -> str:
    """The SQL bucket of a merged-view line: a DATE (day, week, month), or an instant (minute,
    hour: the start of its local minute or hour in `zone`; `total`: the range's start). With
    `shift`, the line's time is first moved forward by it, so a comparison line lands in the
    bucket of the asked range it is compared with (last year's 3 March in this year's 3 March,
    or its week or month). A minute or hour moved by whole days or months is a *wall* time of
    `zone` instead (`is_wall_bucket`): which instant it sits beside is for the caller to say,
    since a wall time can name two instants or none."""
    if granularity is Granularity.TOTAL:
        return timestamp_literal(period.start)
    if granularity in _DATE_BUCKETS:
        day = _local_date_sql(zone, shift)
        if granularity is Granularity.DAY:
            return day
        return f"CAST(date_trunc('{granularity.value}', {day}) AS date)"
    if is_wall_bucket(granularity, shift):
        return (
            f"CAST(date_trunc('{granularity.value}', {_local_time_sql(zone, shift)}) AS timestamp)"
        )
    instant = "occurred_at"
    if shift is not None:
        instant = f"date_add('second', {shift.amount}, occurred_at)"
    return _instant_floor_sql(granularity, instant, zone)


def is_wall_bucket(granularity: Granularity, shift: Shift | None) -> bool:
    """Whether `bucket_sql` gives a wall time of the reporting zone rather than an instant."""
    return (
        granularity in _INSTANT_BUCKETS
        and shift is not None
        and shift.unit is not _ShiftUnit.SECOND
    )


def _instant_floor_sql(granularity: Granularity, instant: str, zone: ZoneInfo) -> str:
    """The instant the local minute or hour of `instant` began: the instant less the time
    past the local hour (an hour is not a UTC hour in a zone at :30 or :45 from UTC)."""
    if granularity is Granularity.MINUTE:
        return f"date_trunc('minute', {instant})"
    local = f"({instant} AT TIME ZONE '{zone.key}')"
    return f"{instant} - ({local} - date_trunc('hour', {local}))"


def _local_date_sql(zone: ZoneInfo, shift: Shift | None) -> str:
    if shift is None:
        return "sale_date"
    if shift.unit is _ShiftUnit.SECOND:
        return f"CAST({_local_time_sql(zone, shift)} AS date)"
    return f"CAST(date_add('{shift.unit.value}', {shift.amount}, sale_date) AS date)"


def _local_time_sql(zone: ZoneInfo, shift: Shift | None) -> str:
    at_zone = f"AT TIME ZONE '{zone.key}'"
    if shift is None:
        return f"occurred_at {at_zone}"
    if shift.unit is _ShiftUnit.SECOND:
        return f"date_add('second', {shift.amount}, occurred_at) {at_zone}"
    return f"date_add('{shift.unit.value}', {shift.amount}, occurred_at {at_zone})"


def instants_of_wall(wall: datetime, zone: ZoneInfo, period: EventTimeRange) -> list[datetime]:
    """The instants in `period` whose wall time in `zone` is `wall` (naive): two in the hour
    clocks fall back, none in the hour they spring forward over."""
    candidates = {wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)}
    return sorted(
        instant
        for instant in candidates
        if instant.astimezone(zone).replace(tzinfo=None) == wall
        and period.start <= instant < period.end
    )


def as_utc(value: datetime) -> datetime:
    """Engines return timestamps naive (Athena) or aware (DuckDB): both are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def bucket_label(value: date | datetime, zone: ZoneInfo) -> str:
    """A bucket as the API shows it: a date, or an instant as a reporting-zone time with its
    offset (the two 01:00 hours of a fall-back night differ by theirs)."""
    if isinstance(value, datetime):
        return instant_label(as_utc(value), zone)
    return value.isoformat()


def instant_label(instant: datetime, zone: ZoneInfo) -> str:
    """An instant as a reporting-zone time with offset (the ranges in answers)."""
    return instant.astimezone(zone).isoformat()


def timestamp_literal(instant: datetime) -> str:
    return f"TIMESTAMP '{instant.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}'"
