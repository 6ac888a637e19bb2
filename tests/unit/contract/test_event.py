from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from contract.event import (
    MAX_ATTRIBUTE_VALUE_LENGTH,
    RECEIVED_AT_CONTEXT_KEY,
    IngestedSaleEvent,
    SaleEvent,
    attribute_value,
)


def validate(payload: dict[str, Any], received_at: datetime | None = None) -> SaleEvent:
    context = {RECEIVED_AT_CONTEXT_KEY: received_at} if received_at else None
    return SaleEvent.model_validate_json(json.dumps(payload), context=context)


def error_locations(payload: dict[str, Any], received_at: datetime | None = None) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        validate(payload, received_at)
    return {".".join(str(part) for part in error["loc"]) for error in caught.value.errors()}


def test_the_design_example_is_valid_and_exact(make_event):
    event = validate(make_event())
    assert event.items[1].unit_price == Decimal("79.90")
    assert event.net_amount == Decimal("4659.70")
    assert event.sign == 1


def test_a_return_counts_negative(make_event):
    event = validate(make_event("return"))
    assert event.sign == -1
    assert event.net_amount == Decimal("79.90")


@pytest.mark.parametrize(
    ("mutate", "location"),
    [
        (lambda p: p.pop("store_id"), "store_id"),
        (lambda p: p.update(surprise=1), "surprise"),
        (lambda p: p.update(store_id=1), "store_id"),
        (lambda p: p.update(currency="brl"), "currency"),
        (lambda p: p.update(currency="BRLX"), "currency"),
        (lambda p: p.update(channel="fax"), "channel"),
        (lambda p: p.update(payment_method="cheque"), "payment_method"),
        (lambda p: p.update(event_id="short"), "event_id"),
        (lambda p: p.update(event_id="has space in it"), "event_id"),
        (lambda p: p.update(occurred_at="2026-11-21T13:45:12"), "occurred_at"),
        (lambda p: p.update(occurred_at=1732196712), "occurred_at"),
        (lambda p: p.update(items=[]), "items"),
        (lambda p: p["items"][0].update(quantity=0), "items.0.quantity"),
        (lambda p: p["items"][0].update(quantity=-1), "items.0.quantity"),
        (lambda p: p["items"][0].update(quantity=1.5), "items.0.quantity"),
        (lambda p: p["items"][0].update(quantity="1"), "items.0.quantity"),
        (lambda p: p["items"][0].update(unit_price=True), "items.0.unit_price"),
        (lambda p: p["items"][0].update(unit_price="4599.901"), "items.0.unit_price"),
        (lambda p: p["items"][0].update(unit_price=4599.901), "items.0.unit_price"),
        (lambda p: p["items"][0].update(unit_price="-1.00"), "items.0.unit_price"),
        (lambda p: p["items"][0].update(unit_price=-1), "items.0.unit_price"),
        (lambda p: p["items"][0].update(unit_price="1e3"), "items.0.unit_price"),
        (lambda p: p["items"][0].update(unit_price=None), "items.0.unit_price"),
        (lambda p: p["items"][0].update(unit_price=1e26), "items.0.unit_price"),
        (lambda p: p["items"][0].update(unit_price=10**30), "items.0.unit_price"),
        (lambda p: p["items"][0].update(unit_price=1e-26), "items.0.unit_price"),
        (lambda p: p["items"][0].update(discount="4700.00"), "items.0"),
        (lambda p: p["items"][0].update(colour="red"), "items.0.colour"),
        (lambda p: p.update(total="1.00"), ""),
        (lambda p: p.update(terminal_id="till 3"), "terminal_id"),
        (lambda p: p.update(salesperson_id=""), "salesperson_id"),
        (lambda p: p["items"][0].update(promotion_id="x" * 65), "items.0.promotion_id"),
        (lambda p: p["items"][0].update(coupon_code=""), "items.0.coupon_code"),
        (lambda p: p["items"][0].update(coupon_code="A\nB"), "items.0.coupon_code"),
        (lambda p: p.update(attributes={f"k{n}": n for n in range(21)}), "attributes"),
        (lambda p: p.update(attributes={"Loyalty": "gold"}), "attributes.Loyalty.[key]"),
        (lambda p: p.update(attributes={"k" * 41: "x"}), "attributes"),
        (lambda p: p.update(attributes={"tier": "x" * 257}), "attributes.tier"),
        (lambda p: p.update(attributes={"vip": True}), "attributes.vip"),
        (lambda p: p.update(attributes={"nested": {"a": 1}}), "attributes.nested"),
        (lambda p: p.update(attributes={"ratio": float("nan")}), "attributes.ratio"),
        (lambda p: p.update(attributes=["tier"]), "attributes"),
    ],
)
def test_each_contract_rule_names_the_offending_field(make_event, mutate, location):
    payload = make_event()
    mutate(payload)
    locations = error_locations(payload)
    assert location in locations or any(loc.startswith(location) for loc in locations)


def test_v1_1_fields_are_optional_and_attributes_are_stored_as_text(make_event):
    payload = make_event(
        terminal_id="PDV-03",
        salesperson_id="E-0042",
        attributes={"loyalty_tier": "gold", "visits": 12, "ltv": 1234.5},
    )
    payload["items"][0].update(promotion_id="BF-2026", coupon_code="BLACK FRIDAY 10%")
    event = validate(payload)
    assert (event.terminal_id, event.salesperson_id) == ("PDV-03", "E-0042")
    assert event.attributes == {"loyalty_tier": "gold", "visits": "12", "ltv": "1234.5"}
    assert (event.items[0].promotion_id, event.items[0].coupon_code) == (
        "BF-2026",
        "BLACK FRIDAY 10%",
    )
    assert (event.items[1].promotion_id, event.items[1].coupon_code) == (None, None)


def test_more_than_500_items_is_rejected(make_event):
    item = {"sku": "CABLE-HDMI-2M", "quantity": 1, "unit_price": "10.00"}
    payload = make_event(items=[item] * 501, total=None)
    assert "items" in error_locations(payload)


def test_future_events_are_rejected_only_beyond_five_minutes(make_event):
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    ok = make_event(occurred_at=(now + timedelta(minutes=4)).isoformat())
    late = make_event(occurred_at=(now - timedelta(days=30)).isoformat())
    future = make_event(occurred_at=(now + timedelta(minutes=6)).isoformat())
    validate(ok, received_at=now)
    validate(late, received_at=now)
    assert "occurred_at" in error_locations(future, received_at=now)


def test_money_accepts_json_numbers_exactly(make_event):
    payload = make_event(total=4659.7)
    payload["items"][0]["unit_price"] = 4599.9
    payload["items"][0]["discount"] = 100
    event = validate(payload)
    assert event.items[0].unit_price == Decimal("4599.90")
    assert event.total == Decimal("4659.70")


def test_ingested_event_round_trips_through_json(make_event):
    event = validate(make_event())
    ingested = IngestedSaleEvent.accept(
        event, ingested_at=datetime(2026, 11, 21, 16, 45, 13, tzinfo=UTC), source="pos-sp"
    )
    wire = ingested.model_dump_json()
    assert json.loads(wire)["items"][1]["unit_price"] == "79.90"
    assert IngestedSaleEvent.model_validate_json(wire) == ingested


@pytest.mark.usefixtures("machine_in_sao_paulo")
def test_the_ingestion_stamp_is_utc_whatever_the_machines_zone(make_event):
    event = validate(make_event())
    berlin = timezone(timedelta(hours=1))
    ingested = IngestedSaleEvent.accept(
        event, ingested_at=datetime(2026, 11, 21, 17, 45, 13, tzinfo=berlin), source="pos-sp"
    )
    assert ingested.ingested_at == datetime(2026, 11, 21, 16, 45, 13, tzinfo=UTC)
    assert ingested.ingested_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("79.9", "79.90"), ("-0.0", "0.00"), ("0", "0.00"), ("100", "100.00"), ('"5"', "5.00")],
)
def test_money_is_normalised_to_two_places(make_event, raw, expected):
    payload = json.dumps(make_event(total=None)).replace('"4599.90"', raw)
    event = SaleEvent.model_validate_json(payload.replace('"100.00"', '"0"'))
    assert str(event.items[0].unit_price) == expected


def test_attribute_values_are_text_of_bounded_length():
    longest = "x" * MAX_ATTRIBUTE_VALUE_LENGTH
    assert attribute_value(longest) == longest
    assert (attribute_value(7), attribute_value(0.1)) == ("7", "0.1")
    with pytest.raises(ValueError, match=f"at most {MAX_ATTRIBUTE_VALUE_LENGTH} characters"):
        attribute_value(longest + "x")
    with pytest.raises(ValueError, match="a number attribute must be finite"):
        attribute_value(float("inf"))
    for wrong in (True, None, [1]):
        with pytest.raises(ValueError, match="must be a string or a number"):
            attribute_value(wrong)
