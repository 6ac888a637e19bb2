"""Each report in force against what the merged view counted: plain data in, plain data out.

Kept free of engines and I/O so the rules read in one place and tests can feed them directly.

A report's scope is its store and business date, and its terminal when it names one. Per event
type, what it reported is set against what the merged view counts in that scope: how many events
and their net amount, returns as positive amounts as a till prints them. What the report claims
beyond what salesflow holds is *missing* (events to ask the store to resend); what salesflow holds
beyond the report is *extra*. When the report lists its `event_id`s, the events salesflow counts
but the report does not list are extra by name and amount, the listed ids salesflow lacks are
missing by name, and what remains of the difference (the same event with another amount) is
split into missing and extra by its sign. A report matches when nothing is missing or extra.

A store-day is `matched` when every report of it matches and the reports cover every sale of the
day (a whole-store report, or one per terminal that sold); `gap` when a report does not match;
`not_reported` while no report covers some of its sales.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from contract.business_day import Calendar, business_day_end
from contract.event import EventType
from contract.money import ZERO
from contract.reconciliation import ReportInForce, ReportKey

NO_TERMINAL = "(none)"
"""How a store-day names the sales that carry no terminal_id among its unreported terminals."""


class Status(StrEnum):
    MATCHED = "matched"
    GAP = "gap"
    NOT_REPORTED = "not_reported"


@dataclass(frozen=True)
class Amounts:
    """A number of events and their net amount (returns positive, as a till prints them)."""

    count: int = 0
    net_amount: Decimal = ZERO

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.count + other.count, self.net_amount + other.net_amount)

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(self.count - other.count, self.net_amount - other.net_amount)

    @property
    def positive_part(self) -> Amounts:
        return Amounts(max(self.count, 0), max(self.net_amount, ZERO))

    @property
    def is_zero(self) -> bool:
        return self.count == 0 and self.net_amount == ZERO


NOTHING = Amounts()


@dataclass(frozen=True)
class CountedGroup:
    """What the merged view counts for one store, business date, terminal and event type."""

    store_id: str
    business_date: date
    terminal_id: str | None
    event_type: EventType
    amounts: Amounts


@dataclass(frozen=True)
class CountedEvent:
    """One event as the merged view counts it, for the scopes whose reports list their ids."""

    store_id: str
    business_date: date
    terminal_id: str | None
    event_id: str
    event_type: EventType
    net_amount: Decimal
    """Positive for returns too."""


@dataclass(frozen=True)
class TypeComparison:
    reported: Amounts
    counted: Amounts
    missing: Amounts
    """Reported but not in salesflow: to be resent."""
    extra: Amounts
    """In salesflow but not reported."""


@dataclass(frozen=True)
class ReportOutcome:
    """One report in force, compared."""

    key: ReportKey
    status: Status
    by_type: dict[EventType, TypeComparison]
    missing_event_ids: tuple[str, ...] | None
    """Listed by the report, not counted by salesflow; None when the report lists no ids."""
    extra_event_ids: tuple[str, ...] | None
    """Counted by salesflow in the report's scope, not listed; None when the report lists none."""
    version: int
    received_at: datetime
    source: str
    digest: str

    @property
    def net_gap(self) -> Decimal:
        """Reported minus counted net revenue (sales less returns): how much money salesflow
        lacks (negative: holds beyond the report)."""
        return sum(
            (
                _sign(kind) * (item.reported.net_amount - item.counted.net_amount)
                for kind, item in self.by_type.items()
            ),
            ZERO,
        )


@dataclass(frozen=True)
class StoreDayOutcome:
    store_id: str
    business_date: date
    status: Status
    counted: dict[EventType, Amounts]
    """Everything salesflow counts for the store and day, all terminals."""
    reports: tuple[ReportOutcome, ...]
    unreported_terminals: tuple[str, ...]
    """Terminals that sold this day with no report of their own and no whole-store report."""
    overdue: bool
    """Not matched although the day ended more than the grace period ago."""

    @property
    def missing_events(self) -> int:
        return sum(item.missing.count for r in self.reports for item in r.by_type.values())

    @property
    def extra_events(self) -> int:
        return sum(item.extra.count for r in self.reports for item in r.by_type.values())

    @property
    def net_gap(self) -> Decimal:
        return sum((report.net_gap for report in self.reports), ZERO)

    @property
    def missing_event_ids(self) -> tuple[str, ...]:
        return tuple(sorted({i for r in self.reports for i in r.missing_event_ids or ()}))


@dataclass(frozen=True)
class Clock:
    """When "now" is, how long an unmatched day may stay so before it is overdue, and when each
    store's business day ends (`contract.business_day`: its own midnight under
    `BusinessDay.STORE`, the reporting zone's otherwise)."""

    now: datetime
    calendar: Calendar
    grace: timedelta
    store_zones: Mapping[str, str | None] = field(default_factory=dict)
    """Each store's current `time_zone` in the reference data."""

    def overdue(self, store_id: str, business_date: date) -> bool:
        zone = self.calendar.zone_of(self.store_zones.get(store_id))
        return self.now >= business_day_end(business_date, zone) + self.grace


def compare_report(
    in_force: ReportInForce, groups: Iterable[CountedGroup], events: Iterable[CountedEvent]
) -> ReportOutcome:
    """`in_force` against the groups and (when it lists ids) the events of its scope; anything
    outside its scope is ignored."""
    stored = in_force.stored
    report = stored.report
    key = report.key
    counted: dict[EventType, Amounts] = defaultdict(Amounts)
    for group in groups:
        if _in_scope(key, group.store_id, group.business_date, group.terminal_id):
            counted[group.event_type] += group.amounts
    extra_by_type: dict[EventType, Amounts] = defaultdict(Amounts)
    missing_ids: tuple[str, ...] | None = None
    extra_ids: tuple[str, ...] | None = None
    if report.event_ids is not None:
        listed = set(report.event_ids)
        seen: set[str] = set()
        extras: set[str] = set()
        for event in events:
            if not _in_scope(key, event.store_id, event.business_date, event.terminal_id):
                continue
            seen.add(event.event_id)
            if event.event_id not in listed:
                extras.add(event.event_id)
                extra_by_type[event.event_type] += Amounts(1, event.net_amount)
        missing_ids = tuple(sorted(listed - seen))
        extra_ids = tuple(sorted(extras))
    by_type = {}
    for kind in EventType:
        reported = Amounts(report.total(kind).count, report.total(kind).net_amount)
        rest = reported - (counted[kind] - extra_by_type[kind])
        by_type[kind] = TypeComparison(
            reported=reported,
            counted=counted[kind],
            missing=rest.positive_part,
            extra=extra_by_type[kind] + (NOTHING - rest).positive_part,
        )
    matched = all(c.missing.is_zero and c.extra.is_zero for c in by_type.values()) and not (
        missing_ids or extra_ids
    )
    return ReportOutcome(
        key=key,
        status=Status.MATCHED if matched else Status.GAP,
        by_type=by_type,
        missing_event_ids=missing_ids,
        extra_event_ids=extra_ids,
        version=in_force.versions,
        received_at=stored.received_at,
        source=stored.source,
        digest=stored.digest,
    )


def store_days(
    reports: Iterable[ReportInForce],
    groups: Iterable[CountedGroup],
    events: Iterable[CountedEvent],
    clock: Clock,
) -> list[StoreDayOutcome]:
    """Every store-day that has a report or counted sales, sorted by day then store."""
    groups_of: dict[tuple[str, date], list[CountedGroup]] = defaultdict(list)
    counted: dict[tuple[str, date], dict[EventType, Amounts]] = defaultdict(
        lambda: defaultdict(Amounts)
    )
    terminals: dict[tuple[str, date], set[str | None]] = defaultdict(set)
    for group in groups:
        day = (group.store_id, group.business_date)
        groups_of[day].append(group)
        counted[day][group.event_type] += group.amounts
        terminals[day].add(group.terminal_id)
    events_of: dict[tuple[str, date], list[CountedEvent]] = defaultdict(list)
    for event in events:
        events_of[(event.store_id, event.business_date)].append(event)
    by_day: dict[tuple[str, date], list[ReportOutcome]] = defaultdict(list)
    for in_force in reports:
        key = in_force.stored.report.key
        day = (key.store_id, key.business_date)
        by_day[day].append(compare_report(in_force, groups_of.get(day, ()), events_of.get(day, ())))
    outcomes = []
    for store_id, business_date in sorted(
        by_day.keys() | counted.keys(), key=lambda k: (k[1], k[0])
    ):
        day = (store_id, business_date)
        day_reports = tuple(by_day.get(day, ()))
        reported_terminals = {r.key.terminal_id for r in day_reports}
        unreported: tuple[str, ...] = ()
        if None not in reported_terminals:
            unreported = tuple(
                sorted(t or NO_TERMINAL for t in terminals.get(day, set()) - reported_terminals)
            )
        if any(r.status is Status.GAP for r in day_reports):
            status = Status.GAP
        elif not day_reports or unreported:
            status = Status.NOT_REPORTED
        else:
            status = Status.MATCHED
        outcomes.append(
            StoreDayOutcome(
                store_id=store_id,
                business_date=business_date,
                status=status,
                counted={kind: counted[day][kind] for kind in EventType},
                reports=day_reports,
                unreported_terminals=unreported,
                overdue=status is not Status.MATCHED and clock.overdue(store_id, business_date),
            )
        )
    return outcomes


def _in_scope(key: ReportKey, store_id: str, day: date, terminal_id: str | None) -> bool:
    return (
        store_id == key.store_id
        and day == key.business_date
        and (key.terminal_id is None or terminal_id == key.terminal_id)
    )


def _sign(kind: EventType) -> int:
    return -1 if kind is EventType.RETURN else 1
