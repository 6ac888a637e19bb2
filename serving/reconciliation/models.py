"""The reconciliation API's response models: money as decimal strings, dates and times as ISO
8601 strings, event types as keys (`sale`, `return`). The recorded results in the lake use the
same `ReportResult` shape, so what the API shows and what was recorded read alike."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from contract.money import format_money
from contract.reconciliation import StoredReport
from serving.reconciliation.compare import Amounts, ReportOutcome, Status, StoreDayOutcome


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Figures(_Model):
    count: int
    net_amount: str = Field(description="Decimal string; returns positive, as a till prints them.")

    @classmethod
    def of(cls, amounts: Amounts) -> Figures:
        return cls(count=amounts.count, net_amount=format_money(amounts.net_amount))


class TypeResult(_Model):
    reported: Figures
    counted: Figures = Field(description="What the merged view (gold + real time) counts.")
    missing: Figures = Field(description="Reported but not in salesflow: ask for a resend.")
    extra: Figures = Field(description="In salesflow but not in the report.")


class ReportResult(_Model):
    """One report in force against the merged view."""

    terminal_id: str | None = Field(description="None: the report covers the whole store.")
    status: Status = Field(description="`matched` or `gap`.")
    version: int = Field(description="The report version in force, from 1.")
    received_at: str
    source: str = Field(description="The API key's name, or csv:<system>/<file>.")
    totals: dict[str, TypeResult] = Field(description="Per event type.")
    net_gap: str = Field(
        description="Reported minus counted net revenue (sales less returns): money salesflow "
        "lacks; negative when it holds more than the report."
    )
    missing_event_ids: list[str] | None = Field(
        description="Listed by the report, not in salesflow: the events to resend. None when "
        "the report lists no ids."
    )
    extra_event_ids: list[str] | None

    @classmethod
    def of(cls, outcome: ReportOutcome) -> ReportResult:
        return cls(
            terminal_id=outcome.key.terminal_id,
            status=outcome.status,
            version=outcome.version,
            received_at=outcome.received_at.isoformat(),
            source=outcome.source,
            totals={
                kind.value: TypeResult(
                    reported=Figures.of(item.reported),
                    counted=Figures.of(item.counted),
                    missing=Figures.of(item.missing),
                    extra=Figures.of(item.extra),
                )
                for kind, item in outcome.by_type.items()
            },
            net_gap=format_money(outcome.net_gap),
            missing_event_ids=_listed(outcome.missing_event_ids),
            extra_event_ids=_listed(outcome.extra_event_ids),
        )


class StoreDayResult(_Model):
    store_id: str
    business_date: str
    status: Status
    overdue: bool = Field(
        description="Not matched although the business day ended more than the grace period "
        "(SALESFLOW_RECONCILIATION_GRACE_HOURS) ago: what the alarm counts."
    )
    counted: dict[str, Figures] = Field(description="All of the store's sales that day.")
    missing_events: int
    extra_events: int
    net_gap: str
    missing_event_ids: list[str] = Field(description="Every report's ids to resend, sorted.")
    unreported_terminals: list[str] = Field(
        description="Terminals that sold with no report of their own nor a whole-store report; "
        "`(none)` for sales without a terminal_id."
    )
    reports: list[ReportResult]

    @classmethod
    def of(cls, outcome: StoreDayOutcome) -> StoreDayResult:
        return cls(
            store_id=outcome.store_id,
            business_date=outcome.business_date.isoformat(),
            status=outcome.status,
            overdue=outcome.overdue,
            counted={kind.value: Figures.of(a) for kind, a in outcome.counted.items()},
            missing_events=outcome.missing_events,
            extra_events=outcome.extra_events,
            net_gap=format_money(outcome.net_gap),
            missing_event_ids=list(outcome.missing_event_ids),
            unreported_terminals=list(outcome.unreported_terminals),
            reports=[ReportResult.of(report) for report in outcome.reports],
        )


class Reconciliations(_Model):
    rows: list[StoreDayResult] = Field(description="Per store and business day, by day then store.")
    statuses: dict[str, int] = Field(description="How many store-days have each status.")
    overdue: int = Field(description="Store-days past the grace period and not matched.")
    grace_hours: float
    boundary: str = Field(description="Cutoff T of the gold the merged view used.")
    run_id: str | None
    as_of: str


class ReportVersion(_Model):
    received_at: str
    source: str
    totals: dict[str, Figures]
    listed_event_ids: int | None = Field(description="How many ids the version listed, if any.")

    @classmethod
    def of(cls, stored: StoredReport) -> ReportVersion:
        report = stored.report
        return cls(
            received_at=stored.received_at.isoformat(),
            source=stored.source,
            totals={
                kind.value: Figures(count=t.count, net_amount=format_money(t.net_amount))
                for kind, t in report.totals.items()
            },
            listed_event_ids=None if report.event_ids is None else len(report.event_ids),
        )


class RecordedResult(_Model):
    checked_at: str
    result: ReportResult


class ScopeHistory(_Model):
    terminal_id: str | None
    versions: list[ReportVersion] = Field(description="Every version received, oldest first.")
    results: list[RecordedResult] = Field(
        description="Each change of the comparison as recorded, oldest first."
    )


class StoreDayDetail(_Model):
    day: StoreDayResult
    scopes: list[ScopeHistory]
    boundary: str
    run_id: str | None
    as_of: str


def _listed(ids: tuple[str, ...] | None) -> list[str] | None:
    return None if ids is None else list(ids)
