from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from contract.event import Channel, EventType, PaymentMethod, SaleEvent
from contract.money import parse_money
from devstack.catalog import build_catalog
from devstack.simulator.events import EventFactory, EventKind, EventMix, Outgoing
from devstack.simulator.rhythm import Rhythm, StoreTraffic, local_shape, store_time_zone

SATURDAY_AFTERNOON = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
CATALOG = build_catalog()


def _factory(seed: int = 5, mix: EventMix | None = None, flat: bool = False) -> EventFactory:
    rhythm = Rhythm(
        [StoreTraffic(store, CATALOG.traffic_weight(store.store_id)) for store in CATALOG.stores],
        flat=flat,
    )
    return EventFactory(CATALOG, rhythm, seed=seed, run_tag="t0", mix=mix)


def _run(factory: EventFactory, count: int, now: datetime = SATURDAY_AFTERNOON) -> list[Outgoing]:
    """Generate `count` events, acknowledging each as the API would, one second apart."""
    produced = []
    for i in range(count):
        outgoing = factory.next_event(now + timedelta(seconds=i))
        factory.remember_acknowledged(outgoing)
        produced.append(outgoing)
    return produced


@pytest.fixture(scope="module")
def events():
    return _run(_factory(), 3000)


def _validated(payload: dict[str, Any]) -> SaleEvent:
    received = datetime.fromisoformat(payload["occurred_at"].replace("Z", "+00:00"))
    return SaleEvent.model_validate_json(
        json.dumps(payload), context={"received_at": max(received, SATURDAY_AFTERNOON)}
    )


def test_same_seed_and_run_tag_give_the_same_events():
    assert [o.payload for o in _run(_factory(seed=9), 300)] == [
        o.payload for o in _run(_factory(seed=9), 300)
    ]
    assert [o.payload for o in _run(_factory(seed=9), 50)] != [
        o.payload for o in _run(_factory(seed=10), 50)
    ]


def test_every_payload_is_a_valid_contract_event(events):
    for outgoing in events:
        _validated(outgoing.payload)


def test_the_mix_has_sales_returns_late_sales_and_duplicates(events):
    kinds = Counter(outgoing.kind for outgoing in events)
    assert kinds[EventKind.SALE] > 2500
    assert kinds[EventKind.RETURN] > 30
    assert kinds[EventKind.LATE_SALE] > 15
    assert kinds[EventKind.DUPLICATE] > 10


def test_duplicates_resend_an_earlier_event_unchanged(events):
    first_seen: dict[str, tuple[int, dict[str, Any]]] = {}
    for position, outgoing in enumerate(events):
        event_id = outgoing.payload["event_id"]
        if outgoing.kind is EventKind.DUPLICATE:
            assert first_seen[event_id][1] == outgoing.payload
            assert first_seen[event_id][0] < position
        else:
            assert event_id not in first_seen
            first_seen[event_id] = (position, outgoing.payload)


def test_returns_give_back_part_of_an_earlier_sale(events):
    sales = {o.payload["order_id"]: o.payload for o in events if o.payload["event_type"] == "sale"}
    for outgoing in events:
        if outgoing.kind is not EventKind.RETURN:
            continue
        returned = outgoing.payload
        sale = sales[returned["order_id"]]
        assert returned["event_type"] == "return"
        assert returned["store_id"] == sale["store_id"]
        assert returned["payment_method"] == sale["payment_method"]
        (line,) = returned["items"]
        sold = next(item for item in sale["items"] if item["sku"] == line["sku"])
        assert 1 <= line["quantity"] <= sold["quantity"]
        assert parse_money(line["unit_price"]) == parse_money(sold["unit_price"])


def test_late_sales_are_days_old_and_within_opening_hours(events):
    by_id = {store.store_id: store for store in CATALOG.stores}
    late = [o for o in events if o.kind is EventKind.LATE_SALE]
    for outgoing in late:
        event = _validated(outgoing.payload)
        age = SATURDAY_AFTERNOON - event.occurred_at
        assert timedelta(days=1) <= age <= timedelta(days=22)
        store = by_id[event.store_id]
        assert local_shape(store.channel, event.occurred_at.astimezone(store_time_zone(store)))


def test_payment_methods_fit_the_channel(events):
    by_channel: dict[Channel, Counter[PaymentMethod]] = {
        Channel.POS: Counter(),
        Channel.ECOMMERCE: Counter(),
    }
    for outgoing in events:
        event = _validated(outgoing.payload)
        by_channel[event.channel][event.payment_method] += 1
    pos, web = by_channel[Channel.POS], by_channel[Channel.ECOMMERCE]
    assert pos[PaymentMethod.BOLETO] == 0
    assert web[PaymentMethod.CASH] == 0
    assert pos[PaymentMethod.CASH] > 0
    assert web[PaymentMethod.BOLETO] > 0
    assert pos[PaymentMethod.PIX] > 0
    assert web[PaymentMethod.PIX] > 0


def test_baskets_and_prices_are_realistic(events):
    prices = {product.sku: product.list_price for product in CATALOG.products}
    sales = [_validated(o.payload) for o in events if o.kind is EventKind.SALE]
    line_counts = Counter(len(event.items) for event in sales)
    assert line_counts[1] > line_counts[2] > line_counts[4]
    discounted = 0
    for event in sales:
        for item in event.items:
            assert item.unit_price == prices[item.sku]
            assert item.discount <= item.gross_amount * Decimal("0.26")
            discounted += item.discount > 0
    assert 0.1 < discounted / sum(len(e.items) for e in sales) < 0.7
    assert any(event.customer_id is None for event in sales)
    assert all(e.customer_id for e in sales if e.channel is Channel.ECOMMERCE)


def test_some_events_send_money_as_json_numbers_and_some_carry_a_total(events):
    payloads = [o.payload for o in events]
    assert any(isinstance(p["items"][0]["unit_price"], float) for p in payloads)
    assert any("total" in p for p in payloads)
    assert any("total" not in p for p in payloads)


def test_event_ids_carry_the_run_tag():
    (outgoing,) = _run(_factory(), 1)
    assert outgoing.payload["event_id"].startswith("SIM-t0-")


def test_returns_happen_only_where_the_store_is_open():
    three_am = datetime(2026, 11, 18, 6, 0, tzinfo=UTC)
    stores = {store.store_id: store for store in CATALOG.stores}
    produced = _run(_factory(mix=EventMix(returns=0.3)), 600, now=three_am)
    returns = [o for o in produced if o.kind is EventKind.RETURN]
    assert returns
    assert all(o.store_id == "WEB-01" for o in returns)
    assert any(stores[o.store_id].channel is Channel.POS for o in produced)


def test_returns_never_come_from_unacknowledged_sales():
    factory = _factory(mix=EventMix(returns=0.5, duplicates=0.2, late=0.0))
    produced = [factory.next_event(SATURDAY_AFTERNOON) for _ in range(200)]
    assert {o.kind for o in produced} == {EventKind.SALE}
    assert all(o.payload["event_type"] == EventType.SALE.value for o in produced)
