"""Reports in force, the merged view's counts, the comparison, and the record of its changes.

Nothing is precomputed: every answer compares the reports in force now with the merged view now
(gold up to T plus the real-time lines after it), so a late event, a resend, a corrected report
or a batch run shows in the next answer, at most `SERVING_CACHE_SECONDS` later. Only gold's part
of the counts is kept, for as long as its run is the published one (`counts`). Each outcome
that changed since it was last recorded is recorded on the way (`results.ResultLog`).

Engines block, so computations run in a worker thread; the TTL cache shares one computation
among concurrent identical requests, as for the sales metrics.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from contract.business_day import business_date
from contract.event import EventType
from contract.lake_io import LakeFiles
from contract.reconciliation import ReportStore
from contract.settings import Settings
from serving.cache import TtlCache
from serving.engines.base import QueryEngine, QueryError
from serving.published_run import PublishedRun
from serving.reconciliation.compare import (
    Amounts,
    Clock,
    CountedEvent,
    CountedGroup,
    Status,
    StoreDayOutcome,
    store_days,
)
from serving.reconciliation.counts import MergedCounts
from serving.reconciliation.models import (
    Reconciliations,
    ReportVersion,
    ScopeHistory,
    StoreDayDetail,
    StoreDayResult,
)
from serving.reconciliation.queries import (
    EVENT_KEYS,
    GROUP_KEYS,
    counted_events_sql,
    counted_groups_sql,
    store_zones_sql,
)
from serving.reconciliation.results import ResultLog

PUBLICATIONS_WAITED = 3
"""Batch runs published during one answer before it gives up: one a night is the schedule."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Computed:
    outcomes: list[StoreDayOutcome]
    run: PublishedRun
    at: datetime


class ReconciliationService:
    def __init__(
        self,
        settings: Settings,
        engine: QueryEngine,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        lake = LakeFiles.open(settings.lake_uri, settings)
        self.reports = ReportStore(lake)
        self.results = ResultLog(lake)
        self.engine = engine
        self.counts = MergedCounts(engine)
        self.zone = settings.reporting_zone
        self.calendar = settings.calendar
        self.grace = timedelta(hours=settings.reconciliation_grace_hours)
        self.lookback_days = settings.reconciliation_lookback_days
        self.cache: TtlCache[BaseModel] = TtlCache(settings.serving_cache_seconds)
        self._clock = clock

    async def store_days(self, first: date, last: date, store_id: str | None) -> BaseModel:
        return await self.cache.get(
            ("store-days", first, last, store_id),
            lambda: run_in_threadpool(self.reconciliations, first, last, store_id),
        )

    async def store_day(self, store_id: str, day: date) -> BaseModel | None:
        return await run_in_threadpool(self.detail, store_id, day)

    def today(self) -> date:
        return business_date(self._clock(), self.zone)

    def reconciliations(self, first: date, last: date, store_id: str | None) -> Reconciliations:
        computed = self.compute(first, last, store_id)
        statuses = Counter(outcome.status.value for outcome in computed.outcomes)
        return Reconciliations(
            rows=[StoreDayResult.of(outcome) for outcome in computed.outcomes],
            statuses={status.value: statuses[status.value] for status in Status},
            overdue=sum(outcome.overdue for outcome in computed.outcomes),
            grace_hours=self.grace.total_seconds() / 3600,
            boundary=computed.run.cutoff.isoformat(),
            run_id=computed.run.run_id,
            as_of=computed.at.astimezone(UTC).isoformat(),
        )

    def detail(self, store_id: str, day: date) -> StoreDayDetail | None:
        """One store-day with every report version and recorded result of each of its scopes;
        None when it has neither a report nor a sale."""
        computed = self.compute(day, day, store_id)
        if not computed.outcomes:
            return None
        (outcome,) = computed.outcomes
        scopes = [
            ScopeHistory(
                terminal_id=report.key.terminal_id,
                versions=[ReportVersion.of(v) for v in self.reports.history(report.key)],
                results=self.results.history(report.key),
            )
            for report in outcome.reports
        ]
        return StoreDayDetail(
            day=StoreDayResult.of(outcome),
            scopes=scopes,
            boundary=computed.run.cutoff.isoformat(),
            run_id=computed.run.run_id,
            as_of=computed.at.astimezone(UTC).isoformat(),
        )

    def compute(self, first: date, last: date, store_id: str | None) -> Computed:
        """Every store-day of [first, last] (of one store, when given) with a report or a sale,
        compared now; changed outcomes are recorded."""
        at = self._clock()
        days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
        reports = self.reports.in_force(days, store_id)
        listing = {
            item.stored.report.store_id
            for item in reports
            if item.stored.report.event_ids is not None
        }
        run, groups, events = self._counted(first, last, store_id, listing)
        zones = {
            row["store_id"]: row["time_zone"] for row in self.engine.query(store_zones_sql()).rows
        }
        outcomes = store_days(reports, groups, events, Clock(at, self.calendar, self.grace, zones))
        for outcome in outcomes:
            for report in outcome.reports:
                self.results.record(report, at)
        return Computed(outcomes=outcomes, run=run, at=at)

    def _counted(
        self, first: date, last: date, store_id: str | None, listing: set[str]
    ) -> tuple[PublishedRun, list[CountedGroup], list[CountedEvent]]:
        """The merged view's groups, and the events of the `listing` stores, all of one run.

        Each count is asked of gold and of the real-time lines apart (`counts.MergedCounts`): a
        run published between the two would move the events between T and the new T out of the
        real-time lines before gold's rows hold them, so the counts are asked again."""
        for _ in range(PUBLICATIONS_WAITED):
            run = self.engine.refresh()
            groups = self.counts.rows(
                run, lambda view: counted_groups_sql(view, first, last, store_id), GROUP_KEYS
            )
            events = (
                self.counts.rows(
                    run, lambda view: counted_events_sql(view, first, last, listing), EVENT_KEYS
                )
                if listing
                else []
            )
            if self.engine.refresh().publication == run.publication:
                return run, [_group(row) for row in groups], [_event(row) for row in events]
        raise QueryError(
            f"{PUBLICATIONS_WAITED} batch runs were published while the reconciliation counts "
            "were being read; ask again"
        )


def _magnitude(event_type: EventType, signed: Any) -> Decimal:
    """The merged view's net amount as a till prints it: returns positive."""
    amount = Decimal(signed or 0)
    return -amount if event_type is EventType.RETURN else amount


def _group(row: dict[str, Any]) -> CountedGroup:
    kind = EventType(row["event_type"])
    return CountedGroup(
        store_id=row["store_id"],
        business_date=row["business_date"],
        terminal_id=row["terminal_id"],
        event_type=kind,
        amounts=Amounts(int(row["events"]), _magnitude(kind, row["net_amount"])),
    )


def _event(row: dict[str, Any]) -> CountedEvent:
    kind = EventType(row["event_type"])
    return CountedEvent(
        store_id=row["store_id"],
        business_date=row["business_date"],
        terminal_id=row["terminal_id"],
        event_id=row["event_id"],
        event_type=kind,
        net_amount=_magnitude(kind, row["net_amount"]),
    )
