"""Turns the catalog, the rhythm and a seeded generator into sale event payloads (docs/contract.md).

Most events are sales happening now. A few are returns of earlier acknowledged sales, a few are
late (a till that was offline for days syncs its backlog), and a few are duplicates: an already
acknowledged event sent again with the same `event_id`, as a client does after a lost response.
Event ids carry a per-run tag, so a restarted simulator never reuses an id of an earlier run.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Any

from contract.event import Channel, EventType
from contract.money import CENT, format_money
from contract.reference import Customer, Store
from devstack.catalog import Catalog
from devstack.simulator.rhythm import Rhythm, is_open, local_shape, store_time_zone
from devstack.simulator.shopping import BasketLine, Shopper

Payload = dict[str, Any]


class EventKind(StrEnum):
    SALE = "sale"
    LATE_SALE = "late_sale"
    RETURN = "return"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class EventMix:
    """Shares of each kind among generated events; the rest are sales happening now."""

    returns: float = 0.03
    late: float = 0.015
    duplicates: float = 0.01
    anonymous_at_pos: float = 0.45
    with_total: float = 0.7
    money_as_numbers: float = 0.05
    """Share of events sending money as JSON numbers instead of decimal strings (both valid)."""
    max_late_days: int = 21


@dataclass(frozen=True)
class Outgoing:
    kind: EventKind
    store_id: str
    payload: Payload


RETURN_POOL_SIZE = 5_000
DUPLICATE_POOL_SIZE = 1_000
LATE_SEARCH_ATTEMPTS = 50


class EventFactory:
    def __init__(
        self,
        catalog: Catalog,
        rhythm: Rhythm,
        *,
        seed: int,
        run_tag: str,
        mix: EventMix | None = None,
    ) -> None:
        self._rng = random.Random(seed)
        self._rhythm = rhythm
        self._run_tag = run_tag
        self._mix = mix or EventMix()
        self._shopper = Shopper(self._rng, catalog.products)
        self._customers = catalog.customers
        self._customers_by_state: dict[str, list[Customer]] = {}
        for customer in catalog.customers:
            self._customers_by_state.setdefault(customer.state or "", []).append(customer)
        self._stores = {store.store_id: store for store in catalog.stores}
        self._pos_stores = [s for s in catalog.stores if s.channel is Channel.POS]
        self._sequence = 0
        self._returnable: deque[Payload] = deque(maxlen=RETURN_POOL_SIZE)
        self._resendable: deque[Payload] = deque(maxlen=DUPLICATE_POOL_SIZE)
        self.late_floor: datetime | None = None
        """When set, late sales happen no earlier than this: the tills' books that report
        end-of-day totals (`devstack.simulator.tills`) own only the days from there on."""

    def next_event(self, now: datetime) -> Outgoing:
        """The next event at `now`: a sale, or by the mix's odds a duplicate, return or late sale.

        Duplicates and returns need an acknowledged event to repeat or give back, and a return
        needs its store to be open; when there is none, their share goes to sales. The sequence
        is reproducible for a seed given the same acknowledgements in the same order.
        """
        draw = self._rng.random()
        mix = self._mix
        if draw < mix.duplicates:
            if self._resendable:
                payload = self._rng.choice(self._resendable)
                return Outgoing(EventKind.DUPLICATE, payload["store_id"], payload)
        elif draw < mix.duplicates + mix.returns:
            returned = self._return(now)
            if returned is not None:
                return returned
        elif draw < mix.duplicates + mix.returns + mix.late and self._pos_stores:
            return self._late_sale(now)
        store = self._pick_store(now)
        occurred_at = now - timedelta(milliseconds=self._rng.randint(0, 1500))
        return Outgoing(EventKind.SALE, store.store_id, self._sale(store, occurred_at))

    def remember_acknowledged(self, outgoing: Outgoing) -> None:
        """Acknowledged sales may later be returned or re-sent; unacknowledged ones never are."""
        if outgoing.kind is EventKind.DUPLICATE:
            return
        self._resendable.append(outgoing.payload)
        if outgoing.payload["event_type"] == EventType.SALE.value:
            self._returnable.append(outgoing.payload)

    def _pick_store(self, now: datetime) -> Store:
        weights = self._rhythm.store_weights(now)
        return self._rng.choices([s for s, _ in weights], [w for _, w in weights])[0]

    def _late_sale(self, now: datetime) -> Outgoing:
        """A sale from a till that was offline: some days old, inside the store's opening hours."""
        store = self._rng.choice(self._pos_stores)
        zone = store_time_zone(store)
        floor = self.late_floor
        occurred_at = (
            now - timedelta(days=1) if floor is None else max(now - timedelta(days=1), floor)
        )
        for _ in range(LATE_SEARCH_ATTEMPTS):
            candidate = now - timedelta(
                days=self._rng.randint(1, self._mix.max_late_days),
                seconds=self._rng.randint(0, 86_399),
            )
            if (floor is None or candidate >= floor) and local_shape(
                store.channel, candidate.astimezone(zone)
            ) > 0:
                occurred_at = candidate
                break
        return Outgoing(EventKind.LATE_SALE, store.store_id, self._sale(store, occurred_at))

    def _sale(self, store: Store, occurred_at: datetime) -> Payload:
        customer = self._customer(store)
        payment = self._shopper.payment_method(store.channel, customer)
        lines = self._shopper.basket(customer, payment)
        order_id, terminal_id = self._order_and_terminal(store)
        return self._payload(
            event_type=EventType.SALE,
            store=store,
            occurred_at=occurred_at,
            order_id=order_id,
            terminal_id=terminal_id,
            customer_id=customer.customer_id if customer else None,
            payment_method=payment.value,
            lines=[_line_json(line) for line in lines],
        )

    def _return(self, now: datetime) -> Outgoing | None:
        """Part of an earlier sale comes back: same order, store, customer and payment."""
        if not self._returnable:
            return None
        index = self._rng.randrange(len(self._returnable))
        sale = self._returnable[index]
        store = self._stores[sale["store_id"]]
        if not is_open(store, now):
            return None
        del self._returnable[index]
        line = self._rng.choice(sale["items"])
        sold_quantity = line["quantity"]
        quantity = self._rng.randint(1, sold_quantity)
        discount = Decimal(str(line.get("discount", "0"))) * quantity / sold_quantity
        returned = {
            "sku": line["sku"],
            "quantity": quantity,
            "unit_price": format_money(Decimal(str(line["unit_price"]))),
            "discount": format_money(discount.quantize(CENT, rounding=ROUND_DOWN)),
        }
        payload = self._payload(
            event_type=EventType.RETURN,
            store=store,
            occurred_at=now,
            order_id=sale["order_id"],
            terminal_id=sale.get("terminal_id"),
            customer_id=sale.get("customer_id"),
            payment_method=sale["payment_method"],
            lines=[returned],
        )
        return Outgoing(EventKind.RETURN, store.store_id, payload)

    def _payload(
        self,
        *,
        event_type: EventType,
        store: Store,
        occurred_at: datetime,
        order_id: str,
        terminal_id: str | None,
        customer_id: str | None,
        payment_method: str,
        lines: list[Payload],
    ) -> Payload:
        self._sequence += 1
        payload: Payload = {
            "event_id": f"SIM-{self._run_tag}-{self._sequence:09d}",
            "event_type": event_type.value,
            "occurred_at": _timestamp(store, occurred_at),
            "channel": store.channel.value,
            "store_id": store.store_id,
            "order_id": order_id,
            "currency": store.currency,
            "payment_method": payment_method,
            "items": lines,
        }
        if customer_id is not None:
            payload["customer_id"] = customer_id
        if terminal_id is not None:
            payload["terminal_id"] = terminal_id
        if self._rng.random() < self._mix.with_total:
            total = sum(
                (Decimal(i["unit_price"]) * i["quantity"] - Decimal(i["discount"]) for i in lines),
                Decimal("0.00"),
            )
            payload["total"] = format_money(total)
        if self._rng.random() < self._mix.money_as_numbers:
            _money_as_numbers(payload)
        return payload

    def _customer(self, store: Store) -> Customer | None:
        if store.channel is Channel.POS:
            if self._rng.random() < self._mix.anonymous_at_pos:
                return None
            locals_ = self._customers_by_state.get(store.state or "")
            if locals_ and self._rng.random() < 0.8:
                return self._rng.choice(locals_)
        return self._rng.choice(self._customers)

    def _order_and_terminal(self, store: Store) -> tuple[str, str | None]:
        """The order id, and the till that rang it up (a web shop has none)."""
        if store.channel is Channel.ECOMMERCE:
            return f"WEB-{self._run_tag}-{self._sequence + 1:09d}", None
        terminal = f"PDV{self._rng.randint(1, 8)}"
        return f"{store.store_id}-{terminal}-{self._run_tag}-{self._sequence + 1:09d}", terminal


def _line_json(line: BasketLine) -> Payload:
    return {
        "sku": line.product.sku,
        "quantity": line.quantity,
        "unit_price": format_money(line.unit_price),
        "discount": format_money(line.discount),
    }


def _timestamp(store: Store, at: datetime) -> str:
    """Tills send their local offset; the web shop sends UTC with `Z`, as such systems do."""
    if store.channel is Channel.ECOMMERCE:
        return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return at.astimezone(store_time_zone(store)).isoformat(timespec="milliseconds")


def _money_as_numbers(payload: Payload) -> None:
    for item in payload["items"]:
        item["unit_price"] = float(item["unit_price"])
        item["discount"] = float(item["discount"])
    if "total" in payload:
        payload["total"] = float(payload["total"])
