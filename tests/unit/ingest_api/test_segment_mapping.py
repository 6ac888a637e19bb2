"""Segment's e-commerce spec to contract events: fields, defaults, amounts, errors where sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract.event import EventType, LineItem, SaleEvent
from ingest_api.models import FieldError
from ingest_api.segment.mapping import MappingContext, map_commerce_message
from tests.unit.ingest_api.segment_messages import SOURCE, segment_message


def _context(store_id_property: str = "store_id") -> MappingContext:
    """Received now: built per call, since `segment_message` stamps messages a minute before now
    and a long test session would otherwise see them in the future of an import-time moment."""
    return MappingContext(
        source=SOURCE, store_id_property=store_id_property, received_at=datetime.now(UTC)
    )


def _map(
    message: dict[str, Any], context: MappingContext | None = None, kind: EventType = EventType.SALE
) -> SaleEvent:
    result = map_commerce_message(message, kind, context or _context())
    assert isinstance(result, SaleEvent), result
    return result


def _errors(message: dict[str, Any], kind: EventType = EventType.SALE) -> dict[str, str]:
    result = map_commerce_message(message, kind, _context())
    assert isinstance(result, list), result
    assert all(isinstance(error, FieldError) for error in result)
    return {error.path: error.message for error in result}


def test_segments_own_order_completed_example_maps_to_a_sale_with_its_amounts():
    message = segment_message()
    event = _map(message)
    assert event.event_id == message["messageId"]
    assert event.event_type is EventType.SALE
    assert event.occurred_at == datetime.fromisoformat(message["timestamp"])
    assert (event.channel.value, event.store_id, event.currency) == ("ecommerce", SOURCE, "USD")
    assert event.order_id == "50314b8e9bcf000000000000"
    assert event.customer_id == "019mr8mf4r"
    assert event.payment_method.value == "other"
    assert [(i.sku, i.quantity, i.unit_price) for i in event.items] == [
        ("45790-32", 1, Decimal("19.00")),
        ("46493-32", 2, Decimal("3.00")),
    ]
    assert [item.discount for item in event.items] == [Decimal("1.90"), Decimal("0.60")]
    assert event.net_amount == Decimal("22.50")


def test_order_refunded_is_a_return_whose_lines_are_its_products():
    event = _map(segment_message("order_refunded"), kind=EventType.RETURN)
    assert event.event_type is EventType.RETURN
    assert event.sign == -1
    assert [(i.sku, i.quantity, i.net_amount) for i in event.items] == [
        ("46493-32", 1, Decimal("3.00"))
    ]


def test_store_and_channel_come_from_properties_and_the_store_property_is_a_setting():
    message = segment_message(store_id="SP-PAULISTA-01", shop="RJ-01", channel="pos")
    assert (_map(message).store_id, _map(message).channel.value) == ("SP-PAULISTA-01", "pos")
    by_shop = _context(store_id_property="shop")
    assert _map(message, by_shop).store_id == "RJ-01"
    assert _map(segment_message(), by_shop).store_id == SOURCE


def test_product_id_stands_in_for_sku_quantity_defaults_to_one_and_integers_become_ids():
    products = [{"product_id": 1234, "price": "10.50"}, {"sku": "A-1", "price": 2, "quantity": 3}]
    event = _map(
        segment_message(
            products=products,
            order_id=987,
            currency="brl",
            discount=None,
            revenue=None,
            subtotal=None,
            total=None,
        )
    )
    assert event.order_id == "987"
    assert event.currency == "BRL"
    assert [(i.sku, i.quantity, i.unit_price) for i in event.items] == [
        ("1234", 1, Decimal("10.50")),
        ("A-1", 3, Decimal("2.00")),
    ]


def test_a_user_id_that_is_no_identifier_is_left_out_not_a_reason_to_refuse_the_order():
    message = segment_message()
    message["userId"] = "ana@example.com"
    assert _map(message).customer_id is None


def test_a_message_id_that_is_no_event_id_becomes_a_stable_derived_one():
    message = segment_message()
    message["messageId"] = "order #42 / retry-safe id"
    first, again = _map(message), _map(dict(message))
    assert first.event_id == again.event_id
    assert first.event_id.startswith("sm-")
    message["messageId"] = "order #43"
    assert _map(message).event_id != first.event_id


def test_per_product_discounts_are_kept_and_must_agree_with_the_order_discount():
    products = [
        {"sku": "A", "price": 10, "quantity": 2, "discount": 1.5},
        {"sku": "B", "price": 5, "discount": 0.5},
    ]
    event = _map(segment_message(products=products, discount=2, revenue=23, subtotal=23, total=28))
    assert [item.discount for item in event.items] == [Decimal("1.50"), Decimal("0.50")]
    errors = _errors(segment_message(products=products, discount=3, revenue=None, subtotal=None))
    assert (
        "does not equal the sum of the products' discounts (2.00)" in errors["properties.discount"]
    )


def test_revenue_may_be_read_before_or_after_the_order_discount_but_must_match_one():
    assert _map(segment_message(revenue=22.5)).net_amount == Decimal("22.50")
    errors = _errors(segment_message(revenue=24))
    assert errors == {
        "properties.revenue": "revenue 24.00 does not match the products: price * quantity - "
        "discount is 25.00 before the order discount and 22.50 after it"
    }


def test_total_and_subtotal_are_checked_against_the_products_shipping_and_tax():
    errors = _errors(segment_message(total=30, subtotal=25))
    assert errors["properties.total"].startswith("total 30.00 does not equal the products after")
    assert "(22.50) plus shipping and tax (5.00)" in errors["properties.total"]
    assert errors["properties.subtotal"].startswith("subtotal 25.00 does not equal")


def test_an_order_discount_above_the_products_value_is_refused():
    errors = _errors(segment_message(discount=26, revenue=None, subtotal=None, total=None))
    assert errors == {
        "properties.discount": "discount 26.00 exceeds the products' price * quantity (25.00)"
    }


@pytest.mark.parametrize("products", [None, [], "a list of products"])
def test_an_order_without_products_is_refused_saying_what_to_send(products):
    message = segment_message()
    message["properties"]["products"] = products
    errors = _errors(message)
    assert list(errors) == ["properties.products"]
    assert "an Order Completed needs at least one product" in errors["properties.products"]


def test_contract_errors_are_reported_at_the_segment_field_that_was_sent():
    products = [{"sku": "A", "price": -3, "quantity": 1}, {"name": "no id", "quantity": 0}]
    message = segment_message(
        products=products,
        currency="dollars",
        channel="store",
        discount=None,
        revenue=None,
        subtotal=None,
        total=None,
        order_id=None,
    )
    message["timestamp"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    errors = _errors(message)
    assert errors["properties.products[0].price"] == "money must be >= 0"
    assert errors["properties.products[1].sku"] == "a product needs a sku or a product_id"
    assert errors["properties.products[1].price"] == "a product needs its unit price in `price`"
    assert "greater than 0" in errors["properties.products[1].quantity"]
    assert "properties.currency" in errors
    assert "properties.channel" in errors
    assert errors["properties.order_id"] == "Field required"
    assert "in the future" in errors["timestamp"]


def test_money_sent_as_numbers_is_exact_and_more_than_cents_is_refused_not_rounded():
    products = [{"sku": "A", "price": 0.1 + 0.2}]
    errors = _errors(
        segment_message(products=products, discount=None, revenue=None, subtotal=None, total=None)
    )
    assert errors == {"properties.products[0].price": "money has more than 2 decimal places"}
    products = [{"sku": "A", "price": 19.99, "quantity": 3}]
    event = _map(
        segment_message(products=products, discount=None, revenue=59.97, subtotal=None, total=None)
    )
    assert event.net_amount == Decimal("59.97")


@given(
    lines=st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=10_000, places=2),
            st.integers(min_value=1, max_value=50),
        ),
        min_size=1,
        max_size=8,
    ),
    fraction=st.decimals(min_value=0, max_value=1, places=4),
)
def test_an_order_discount_is_spread_to_the_cent_summing_exactly_within_each_line(lines, fraction):
    gross = sum((price * quantity for price, quantity in lines), Decimal("0.00"))
    discount = (gross * fraction).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    products = [
        {"sku": f"S{n}", "price": str(price), "quantity": quantity}
        for n, (price, quantity) in enumerate(lines)
    ]
    message = segment_message(
        products=products, discount=str(discount), revenue=None, subtotal=None, total=None
    )
    event = _map(message)
    assert sum(item.discount for item in event.items) == discount
    assert all(Decimal(0) <= item.discount <= item.gross_amount for item in event.items)
    assert [LineItem.model_validate_json(i.model_dump_json()) for i in event.items] == event.items
    assert event.net_amount == gross - discount
    assert _map(dict(message)).items == event.items


def test_order_amounts_beyond_the_money_bounds_are_refused_where_sent():
    products = [{"sku": "A", "price": "999999999.99", "quantity": 10}]
    message = segment_message(
        products=products, discount="1000000000.00", revenue=None, subtotal=None, total=None
    )
    assert _errors(message) == {"properties.discount": "money must be at most 999999999.99"}
    message = segment_message(
        products=products, discount="999999999.99", revenue=None, subtotal=None, total=None
    )
    assert _map(message).net_amount == Decimal("9999999999.90") - Decimal("999999999.99")


def test_coupon_affiliation_and_custom_properties_fill_contract_v1_1():
    message = segment_message(loyaltyTier="gold", visitCount=3, giftWrap=True, note="x" * 300)
    message["properties"]["products"][1].update(coupon="UNO2X", promotion_id="toys-week")
    event = _map(message)
    assert [(i.coupon_code, i.promotion_id) for i in event.items] == [
        ("hasbros", None),
        ("UNO2X", "toys-week"),
    ]
    assert event.attributes == {
        "affiliation": "Google Store",
        "loyalty_tier": "gold",
        "visit_count": "3",
    }


def test_an_order_discount_spread_over_the_lines_keeps_their_coupons():
    event = _map(segment_message())
    assert sum((item.discount for item in event.items), Decimal(0)) == Decimal("2.50")
    assert {item.coupon_code for item in event.items} == {"hasbros"}


def test_terminal_and_salesperson_are_read_from_the_properties():
    event = _map(segment_message(terminal_id="KIOSK-2", salesperson_id=77))
    assert (event.terminal_id, event.salesperson_id) == ("KIOSK-2", "77")
    assert _errors(segment_message(terminal_id="till #2")) == {
        "properties.terminal_id": "String should match pattern '^[A-Za-z0-9_.:/-]+$'"
    }
