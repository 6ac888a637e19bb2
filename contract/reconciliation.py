"""A till's end-of-day report (a Z report) and where every version of it is kept.

A report is not a sale event and never enters the sale stream: it is a claim about the sale
stream ("this till rang up 120 sales for 35,210.50 on 2026-11-21"), which the serving layer
checks against the merged view. `ReconciliationReport` is what a store sends, held to the same
strictness as `SaleEvent` (unknown fields refused, money exact, every refusal naming its field),
so the API and the CSV loader refuse exactly the same reports.

A report's scope is a store, a business date (`contract.business_day`) and optionally one
terminal; a report without a terminal covers the whole store. `ReportStore` keeps every version
of a scope in the lake, each an immutable object written atomically through `LakeFiles`:

    reconciliation/reports/business_date=2026-11-21/store_id=SP-01/terminal_id=PDV3/
        20261122T031500123456Z-<digest>.json

Versions are named by the instant they were received (UTC, then a content digest), so the
latest name is the report in force and no two writers ever overwrite each other. Sending the
same report again stores nothing (its digest equals the one in force); a different one becomes
the new version and the earlier ones stay as its history. Identifiers may hold `/` and `:`, so
they are percent-encoded in paths.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Self
from urllib.parse import quote

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contract.business_day import latest_possible_business_date
from contract.event import RECEIVED_AT_CONTEXT_KEY, EventId, EventType, Identifier
from contract.lake import RECONCILIATION_REPORTS
from contract.lake_io import LakeFiles
from contract.money import ZERO, Money

logger = logging.getLogger(__name__)

MAX_REPORTED_COUNT = 10_000_000
"""More events than any till rings up in a day; a larger count is a typo or a unit mix-up."""
MAX_REPORTED_EVENT_IDS = 100_000
"""Event ids one report may list: with 64-character ids that is about 7 MB, so a report with
this many ids needs the CSV loader or a raised body limit; most tills list a few hundred."""
WHOLE_STORE = "all_terminals"
"""The path segment of a report that covers every terminal of its store (no terminal_id)."""
_TERMINAL_SEGMENT = "terminal_id="
_VERSION_SUFFIX = ".json"

_STRICT = ConfigDict(strict=True, extra="forbid", frozen=True)


class TypeTotal(BaseModel):
    """What a till rang up of one event type: how many events and their net amount.

    The amount is positive for returns too, as a till prints it; salesflow compares it with the
    returns' money without their sign."""

    model_config = _STRICT

    count: Annotated[int, Field(ge=0, le=MAX_REPORTED_COUNT)]
    net_amount: Money

    @model_validator(mode="after")
    def _nothing_for_no_events(self) -> Self:
        if self.count == 0 and self.net_amount != ZERO:
            raise ValueError(f"net_amount is {self.net_amount} but count is 0")
        return self


NO_EVENTS = TypeTotal(count=0, net_amount=ZERO)


class ReconciliationReport(BaseModel):
    """A store's (or one terminal's) end-of-day report for one business date."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        json_schema_extra={"$id": "https://salesflow.dev/schemas/reconciliation-report/v1.json"},
    )

    store_id: Identifier
    business_date: Annotated[
        date,
        Field(
            description="The business day the report closes (ISO date); sales count on the day "
            "`sale_date` gives them (docs/reconciliation.md).",
            examples=["2026-11-21"],
        ),
    ]
    terminal_id: Annotated[
        Identifier | None,
        Field(description="The till the report is for; absent: the whole store, every till."),
    ] = None
    totals: Annotated[
        dict[EventType, TypeTotal],
        Field(
            min_length=1,
            description="Per event type, the count and net amount rung up; a type left out "
            "rang up nothing.",
            examples=[{"sale": {"count": 120, "net_amount": "35210.50"}}],
        ),
    ]
    event_ids: Annotated[
        list[EventId] | None,
        Field(
            max_length=MAX_REPORTED_EVENT_IDS,
            description="Optional: the event_id of every sale and return counted in `totals`, "
            "so a gap names exactly which events to resend.",
        ),
    ] = None

    @field_validator("business_date")
    @classmethod
    def _not_a_day_to_come(cls, business_date: date, info: ValidationInfo) -> date:
        context = info.context
        received_at = context.get(RECEIVED_AT_CONTEXT_KEY) if isinstance(context, dict) else None
        if isinstance(received_at, datetime):
            latest = latest_possible_business_date(received_at)
            if business_date > latest:
                raise ValueError(
                    f"business_date {business_date} has not begun anywhere yet (received at "
                    f"{received_at.isoformat()}); a report closes a day that has started"
                )
        return business_date

    @field_validator("totals")
    @classmethod
    def _every_type(cls, totals: dict[EventType, TypeTotal]) -> dict[EventType, TypeTotal]:
        """Every event type present, in the enum's order: two reports that say the same thing
        are the same report (and have the same digest)."""
        return {kind: totals.get(kind, NO_EVENTS) for kind in EventType}

    @field_validator("event_ids")
    @classmethod
    def _each_once_and_all_counted(
        cls, event_ids: list[str] | None, info: ValidationInfo
    ) -> list[str] | None:
        if event_ids is None:
            return None
        seen: set[str] = set()
        for index, event_id in enumerate(event_ids):
            if event_id in seen:
                raise ValueError(f"event_ids[{index}] {event_id!r} is listed twice")
            seen.add(event_id)
        totals: dict[EventType, TypeTotal] | None = info.data.get("totals")
        if totals is not None:
            counted = sum(total.count for total in totals.values())
            if counted != len(event_ids):
                raise ValueError(
                    f"lists {len(event_ids)} event ids but totals count {counted} events; "
                    "list every event counted, or none"
                )
        return sorted(event_ids)

    def total(self, event_type: EventType) -> TypeTotal:
        return self.totals.get(event_type, NO_EVENTS)

    @property
    def key(self) -> ReportKey:
        return ReportKey(self.store_id, self.business_date, self.terminal_id)

    @property
    def digest(self) -> str:
        """SHA-256 of the report's canonical JSON: equal for reports that say the same thing."""
        canonical = json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":")
        ).encode()
        return hashlib.sha256(canonical).hexdigest()


@dataclass(frozen=True)
class ReportKey:
    """A report's scope: one version of it is in force at a time."""

    store_id: str
    business_date: date
    terminal_id: str | None
    """None: the whole store."""

    @property
    def sort_key(self) -> tuple[str, date, bool, str]:
        """Store, day, then the whole-store report before its terminals' in id order."""
        return (
            self.store_id,
            self.business_date,
            self.terminal_id is not None,
            self.terminal_id or "",
        )

    @property
    def scope_path(self) -> str:
        """`business_date=D/store_id=S/<terminal_id=T or all_terminals>`, ids percent-encoded:
        where the scope's files live under a root such as the reports'."""
        scope = (
            WHOLE_STORE
            if self.terminal_id is None
            else _TERMINAL_SEGMENT + quote(self.terminal_id, safe="")
        )
        return (
            f"business_date={self.business_date.isoformat()}/"
            f"store_id={quote(self.store_id, safe='')}/{scope}"
        )

    @property
    def folder(self) -> str:
        """The folder of the scope's report versions."""
        return f"{RECONCILIATION_REPORTS}/{self.scope_path}"


def day_folder(business_date: date) -> str:
    return f"{RECONCILIATION_REPORTS}/business_date={business_date.isoformat()}"


class _StoredDocument(BaseModel):
    """A version file: the report as received, when, from whom, and its digest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    report: ReconciliationReport
    received_at: AwareDatetime
    source: str
    digest: str


@dataclass(frozen=True)
class StoredReport:
    report: ReconciliationReport
    received_at: datetime
    source: str
    """The API key's name, or `csv:<source system>/<file>` for a loaded export."""
    path: str
    """Relative to the lake root."""

    @property
    def digest(self) -> str:
        return self.report.digest


@dataclass(frozen=True)
class ReportInForce:
    """The version of a scope in force, and how many versions the scope has had."""

    stored: StoredReport
    versions: int


@dataclass(frozen=True)
class SaveOutcome:
    in_force: StoredReport
    versions: int
    created: bool
    """False when the report equals the one in force: nothing was written."""

    @property
    def replaced(self) -> bool:
        return self.created and self.versions > 1


class ReportStore:
    """Every version of every report, in one lake. Version files never change, so the ones read
    are remembered for the life of the store."""

    def __init__(self, lake: LakeFiles) -> None:
        self._lake = lake
        self._read: dict[str, StoredReport] = {}

    def save(
        self, report: ReconciliationReport, *, received_at: datetime, source: str
    ) -> SaveOutcome:
        """Store `report` as its scope's newest version, unless it equals the version in force."""
        key = report.key
        versions = self._versions(key.folder)
        digest = report.digest
        if versions:
            current = self.read(versions[-1])
            if current.digest == digest:
                return SaveOutcome(in_force=current, versions=len(versions), created=False)
        utc = received_at.astimezone(UTC)
        path = f"{key.folder}/{utc:%Y%m%dT%H%M%S%fZ}-{digest[:16]}{_VERSION_SUFFIX}"
        document = _StoredDocument(
            report=report, received_at=utc, source=source, digest=digest
        ).model_dump_json()
        self._lake.write_bytes(path, document.encode())
        stored = StoredReport(report=report, received_at=utc, source=source, path=path)
        self._read[path] = stored
        logger.info(
            "reconciliation report stored",
            extra={
                "store_id": key.store_id,
                "business_date": key.business_date.isoformat(),
                "terminal_id": key.terminal_id,
                "version": len(versions) + 1,
                "source": source,
            },
        )
        return SaveOutcome(in_force=stored, versions=len(versions) + 1, created=True)

    def history(self, key: ReportKey) -> list[StoredReport]:
        """Every version of `key`'s report, oldest first; the last one is in force."""
        return [self.read(path) for path in self._versions(key.folder)]

    def in_force(self, days: Iterable[date], store_id: str | None = None) -> list[ReportInForce]:
        """The report in force for every scope of `days` (of one store, when given), sorted by
        scope: one listing per day, and a read of each newest version not read before."""
        by_scope: dict[str, list[str]] = {}
        for day in days:
            folder = day_folder(day)
            if store_id is not None:
                folder += f"/store_id={quote(store_id, safe='')}"
            for path in self._lake.list_files(folder):
                if _is_version(path):
                    by_scope.setdefault(path.rpartition("/")[0], []).append(path)
        found = [
            ReportInForce(stored=self.read(max(paths)), versions=len(paths))
            for paths in by_scope.values()
        ]
        return sorted(found, key=lambda item: item.stored.report.key.sort_key)

    def read(self, path: str) -> StoredReport:
        stored = self._read.get(path)
        if stored is None:
            data = self._lake.read_bytes(path)
            if data is None:
                raise FileNotFoundError(f"no reconciliation report at {self._lake.uri_of(path)}")
            document = _StoredDocument.model_validate_json(data)
            stored = StoredReport(
                report=document.report,
                received_at=document.received_at,
                source=document.source,
                path=path,
            )
            self._read[path] = stored
        return stored

    def _versions(self, folder: str) -> list[str]:
        return [path for path in self._lake.list_files(folder) if _is_version(path)]


def _is_version(path: str) -> bool:
    """Version files only: a local lake's in-flight `.name.tmp` files and anything else in the
    folder are not reports."""
    name = path.rpartition("/")[2]
    return name.endswith(_VERSION_SUFFIX) and not name.startswith(".")
