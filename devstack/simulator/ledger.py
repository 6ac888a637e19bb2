"""The exact record of what the ingest API acknowledged, in the dashboard's own terms.

The end-to-end test compares the platform's merged numbers with this ledger, so it follows
`contract.gold.METRIC_DEFINITIONS` to the letter: money signed (a return counts negative),
`units` = signed quantities, `orders` / `returns` = distinct sale / return event ids, `cost` and
`margin` over the lines whose product cost is known (None when no line has one) and
`costed_net_revenue` the net revenue of those lines, days in the reporting time zone, each
`event_id` counted once however often it was sent. Events are parsed
with the contract's own `SaleEvent`, so the ledger reads a payload exactly as the API does.

Its memory does not grow with the run: it keeps only the most recent `id_window` acknowledged
ids. That is still exact, because the simulator only ever resends an event that is not yet
acknowledged (a retry, a lost event sent after all) or one of the last `DUPLICATE_POOL_SIZE`
acknowledged (a duplicate on purpose), far fewer than the window (a test checks it). The
written ledger lists the ids it holds: every one in a run shorter than the window.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from contract.event import EventType, SaleEvent
from contract.lake_io import replace_local_file
from contract.money import format_money

GROUPINGS = ("store_id", "channel", "payment_method", "category")
"""The `group_by` values of the query API that the ledger keeps per day."""
ACKNOWLEDGED_ID_WINDOW = 200_000
"""Acknowledged ids the ledger keeps to recognise resends: about 20 MB, whatever the run's
length; an hour at 300 events/s would otherwise keep a million."""


@dataclass
class Metrics:
    net_revenue: Decimal = Decimal("0.00")
    gross_revenue: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")
    units: int = 0
    orders: int = 0
    returns: int = 0
    cost: Decimal | None = None
    margin: Decimal | None = None
    costed_net_revenue: Decimal = Decimal("0.00")

    def add_line(
        self,
        *,
        sign: int,
        gross: Decimal,
        discount: Decimal,
        quantity: int,
        unit_cost: Decimal | None = None,
    ) -> None:
        net = gross - discount
        self.gross_revenue += sign * gross
        self.discount += sign * discount
        self.net_revenue += sign * net
        self.units += sign * quantity
        if unit_cost is not None:
            cost = unit_cost * quantity
            self.cost = (self.cost or Decimal("0.00")) + sign * cost
            self.margin = (self.margin or Decimal("0.00")) + sign * (net - cost)
            self.costed_net_revenue += sign * net

    def count_event(self, event_type: EventType) -> None:
        if event_type is EventType.RETURN:
            self.returns += 1
        else:
            self.orders += 1

    def as_json(self) -> dict[str, Any]:
        """Money as decimal strings with two places, like the query API answers."""
        return {
            "net_revenue": format_money(self.net_revenue),
            "gross_revenue": format_money(self.gross_revenue),
            "discount": format_money(self.discount),
            "units": self.units,
            "orders": self.orders,
            "returns": self.returns,
            "cost": None if self.cost is None else format_money(self.cost),
            "margin": None if self.margin is None else format_money(self.margin),
            "costed_net_revenue": format_money(self.costed_net_revenue),
        }


@dataclass
class DeliveryStats:
    """What happened on the wire: everything the simulator tried, not only what counts."""

    events_generated: int = 0
    events_sent: int = 0
    """Event sends including duplicates and retries of the same event."""
    requests: int = 0
    single_posts: int = 0
    batch_posts: int = 0
    retries: int = 0
    acknowledged: int = 0
    """Events answered 2xx, counting each `event_id` once."""
    duplicates_sent: int = 0
    rejected: int = 0
    unconfirmed: int = 0
    late_sales: int = 0
    returns: int = 0
    backfilled: int = 0
    """Events generated for the history before the live run, included in the counts above."""
    events_lost: int = 0
    """Events rung up by their till but not sent (`--lose`): in its report, missing until resent."""
    events_resent: int = 0
    """Lost events sent after all (`--resend-lost-after`)."""
    reports_sent: int = 0
    """End-of-day reports the API stored (a corrected report of a day counts again)."""
    reports_refused: int = 0


@dataclass
class Ledger:
    category_of: dict[str, str]
    reporting_zone: ZoneInfo
    unit_cost_of: dict[str, Decimal] = field(default_factory=dict)
    """The catalog's unit cost per sku; a sku missing here has no known cost (no margin)."""
    stats: DeliveryStats = field(default_factory=DeliveryStats)
    acknowledged_ids: set[str] = field(default_factory=set)
    """The most recent `id_window` acknowledged ids (all of them in a shorter run)."""
    id_window: int = ACKNOWLEDGED_ID_WINDOW
    _acknowledged_order: deque[str] = field(default_factory=deque, repr=False)
    rejected: dict[str, list[Any]] = field(default_factory=dict)
    unconfirmed_ids: set[str] = field(default_factory=set)
    """Sent but never answered 2xx nor 4xx: may or may not be in the stream."""
    totals: Metrics = field(default_factory=Metrics)
    by_day: dict[str, Metrics] = field(default_factory=lambda: defaultdict(Metrics))
    by_day_group: dict[str, dict[tuple[str, str], Metrics]] = field(
        default_factory=lambda: {grouping: defaultdict(Metrics) for grouping in GROUPINGS}
    )

    def record_acknowledged(self, payload: dict[str, Any]) -> bool:
        """Count an acknowledged event once; returns False when its id was already counted."""
        event = SaleEvent.model_validate_json(json.dumps(payload))
        self.unconfirmed_ids.discard(event.event_id)
        if event.event_id in self.acknowledged_ids:
            return False
        self._remember(event.event_id)
        self.stats.acknowledged += 1
        day = event.occurred_at.astimezone(self.reporting_zone).date().isoformat()
        sign = event.sign
        event_level = {
            "store_id": event.store_id,
            "channel": event.channel.value,
            "payment_method": event.payment_method.value,
        }
        buckets = [self.totals, self.by_day[day]]
        buckets += [self.by_day_group[g][(day, value)] for g, value in event_level.items()]
        categories = set()
        for item in event.items:
            category = self.category_of.get(item.sku, "unknown")
            categories.add(category)
            per_line = [*buckets, self.by_day_group["category"][(day, category)]]
            for metrics in per_line:
                metrics.add_line(
                    sign=sign,
                    gross=item.gross_amount,
                    discount=item.discount,
                    quantity=item.quantity,
                    unit_cost=self.unit_cost_of.get(item.sku),
                )
        for metrics in buckets:
            metrics.count_event(event.event_type)
        for category in categories:
            self.by_day_group["category"][(day, category)].count_event(event.event_type)
        return True

    def _remember(self, event_id: str) -> None:
        self.acknowledged_ids.add(event_id)
        self._acknowledged_order.append(event_id)
        if len(self._acknowledged_order) > self.id_window:
            self.acknowledged_ids.discard(self._acknowledged_order.popleft())

    def record_rejected(self, event_id: str, errors: list[Any]) -> None:
        self.unconfirmed_ids.discard(event_id)
        if event_id not in self.rejected:
            self.stats.rejected += 1
        self.rejected[event_id] = errors

    def record_unconfirmed(self, event_ids: Iterable[str]) -> None:
        for event_id in event_ids:
            if event_id not in self.acknowledged_ids:
                self.unconfirmed_ids.add(event_id)
        self.stats.unconfirmed = len(self.unconfirmed_ids)

    def as_json(self) -> dict[str, Any]:
        self.stats.unconfirmed = len(self.unconfirmed_ids)
        return {
            "written_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "reporting_tz": self.reporting_zone.key,
            "stats": asdict(self.stats),
            "totals": self.totals.as_json(),
            "by_day": {day: m.as_json() for day, m in sorted(self.by_day.items())},
            "by_day_and": {
                grouping: _nested(groups) for grouping, groups in self.by_day_group.items()
            },
            "acknowledged_event_ids": sorted(self.acknowledged_ids),
            "unconfirmed_event_ids": sorted(self.unconfirmed_ids),
            "rejected": self.rejected,
        }

    def write(self, path: Path) -> None:
        """Replace the file atomically, so a reader (`salesflow up`) never sees half a ledger."""
        replace_local_file(path, (json.dumps(self.as_json(), indent=1) + "\n").encode())


def _nested(groups: dict[tuple[str, str], Metrics]) -> dict[str, dict[str, Any]]:
    nested: dict[str, dict[str, Any]] = {}
    for (day, value), metrics in sorted(groups.items()):
        nested.setdefault(day, {})[value] = metrics.as_json()
    return nested
