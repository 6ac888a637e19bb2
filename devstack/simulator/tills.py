"""The tills' own books: everything they rang up, whether or not it reached salesflow, and the
end-of-day (Z) reports made from them.

A till counts a sale when it rings it up, not when the ingest API acknowledges it, so a sale the
simulator "loses" on the way is in its till's report and shows as missing until it is resent.
Books are kept per store, business day (`contract.business_day`) and terminal (a web shop has no
terminal: its report covers the whole store). A day is reported once it has ended; a day that
changes after its report (a late sale from a till that was offline) is reported again, and the
new report replaces the first.

The book owns only the days that began at or after `owned_from` (the start of the simulator's
coverage): a day that began earlier holds events this process never saw, so reporting it would
claim too little. Reports list their event ids, so a gap names the events to resend.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from contract.business_day import business_date, business_day_end, business_day_start
from contract.event import EventType, SaleEvent
from contract.money import ZERO, format_money

ScopeKey = tuple[str, date, str | None]
"""Store, business date, terminal (None: the whole store)."""


@dataclass
class _Scope:
    counts: dict[EventType, int] = field(default_factory=lambda: dict.fromkeys(EventType, 0))
    amounts: dict[EventType, Decimal] = field(
        default_factory=lambda: dict.fromkeys(EventType, ZERO)
    )
    event_ids: list[str] = field(default_factory=list)
    changes: int = 0
    reported_changes: int = 0


@dataclass(frozen=True)
class DueReport:
    key: ScopeKey
    body: dict[str, Any]
    """The `POST /v1/reconciliations` body."""
    changes: int
    """Pass back to `TillBook.reported` once the API stored it."""


class TillBook:
    def __init__(self, zone: ZoneInfo, owned_from: datetime, keep_days: int) -> None:
        self._zone = zone
        self._owned_from = owned_from
        self._keep = timedelta(days=keep_days)
        self._scopes: dict[ScopeKey, _Scope] = {}
        self._rung_up: set[str] = set()

    def ring_up(self, payload: dict[str, Any]) -> bool:
        """Count an event in its till's book once; False when its day is not this book's."""
        event = SaleEvent.model_validate_json(json.dumps(payload))
        day = business_date(event.occurred_at, self._zone)
        if business_day_start(day, self._zone) < self._owned_from:
            return False
        if event.event_id in self._rung_up:
            return True
        self._rung_up.add(event.event_id)
        scope = self._scopes.setdefault((event.store_id, day, event.terminal_id), _Scope())
        scope.counts[event.event_type] += 1
        scope.amounts[event.event_type] += event.net_amount
        scope.event_ids.append(event.event_id)
        scope.changes += 1
        return True

    def due(self, now: datetime) -> Iterator[DueReport]:
        """The reports of ended days not reported yet, or changed since they were."""
        for key, scope in self._scopes.items():
            if scope.changes != scope.reported_changes and self._ended(key[1], now):
                yield DueReport(key=key, body=_body(key, scope), changes=scope.changes)

    def reported(self, report: DueReport) -> None:
        self._scopes[report.key].reported_changes = report.changes

    def forget_before(self, now: datetime) -> None:
        """Drop reported days older than the book keeps (late sales no longer reach them)."""
        oldest = business_date(now - self._keep, self._zone)
        for key in [k for k, s in self._scopes.items() if k[1] < oldest]:
            scope = self._scopes[key]
            if scope.changes == scope.reported_changes:
                self._rung_up.difference_update(scope.event_ids)
                del self._scopes[key]

    def _ended(self, day: date, now: datetime) -> bool:
        return business_day_end(day, self._zone) <= now


def _body(key: ScopeKey, scope: _Scope) -> dict[str, Any]:
    store_id, day, terminal_id = key
    body: dict[str, Any] = {
        "store_id": store_id,
        "business_date": day.isoformat(),
        "totals": {
            kind.value: {
                "count": scope.counts[kind],
                "net_amount": format_money(scope.amounts[kind]),
            }
            for kind in EventType
        },
        "event_ids": list(scope.event_ids),
    }
    if terminal_id is not None:
        body["terminal_id"] = terminal_id
    return body
