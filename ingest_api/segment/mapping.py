"""Segment's e-commerce spec to the sale event contract: `Order Completed` and `Order Refunded`.

The mapping only renames and fills defaults; every rule of the contract is then enforced by
`SaleEvent` itself, and its errors are reported at the Segment field the shop actually sent
(`properties.products[0].price`, not `items[0].unit_price`). Amounts the spec carries twice
(`revenue`, `total`, an order-level `discount`) are checked against the products, so a shop's
inconsistent order is refused with the numbers rather than stored with the wrong ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from contract.event import (
    ATTRIBUTE_KEY_PATTERN,
    MAX_ATTRIBUTES,
    EventType,
    LineItem,
    SaleEvent,
    attribute_value,
)
from contract.money import CENT, ZERO, parse_money
from ingest_api.models import FieldError
from ingest_api.parsing import field_errors, validation_context

COMMERCE_EVENTS = {"Order Completed": EventType.SALE, "Order Refunded": EventType.RETURN}
DEFAULT_CHANNEL = "ecommerce"
DEFAULT_CURRENCY = "USD"
"""Segment's spec reads amounts without `currency` as US dollars."""
DEFAULT_PAYMENT_METHOD = "other"
DEFAULT_QUANTITY = 1
DERIVED_EVENT_ID_PREFIX = "sm-"
"""A `messageId` that is not a valid `event_id` becomes `sm-` + its SHA-256 (still idempotent)."""

ORDER_AMOUNTS = ("discount", "subtotal", "revenue", "total", "shipping", "tax")
"""Order-level amounts of the spec, checked against the products (see `_with_order_amounts`)."""

SPEC_PROPERTIES = frozenset(
    {
        *ORDER_AMOUNTS,
        "order_id",
        "checkout_id",
        "affiliation",
        "coupon",
        "currency",
        "products",
        "channel",
        "payment_method",
        "terminal_id",
        "salesperson_id",
        "promotion_id",
    }
)
"""`properties` the mapping reads itself; every other string or number property of the order is
a custom property and becomes an event attribute (contract v1.1)."""

_EVENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_KEY = re.compile(r"[^a-z0-9_]+")
_ATTRIBUTE_KEY = re.compile(ATTRIBUTE_KEY_PATTERN)
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:/-]{1,64}$")
_ITEM_FIELDS = {
    "sku": "sku",
    "quantity": "quantity",
    "unit_price": "price",
    "discount": "discount",
    "coupon_code": "coupon",
    "promotion_id": "promotion_id",
}


@dataclass(frozen=True, slots=True)
class MappingContext:
    source: str
    """The write key's name: the store when `properties` names none."""
    store_id_property: str
    received_at: datetime
    stores: frozenset[str] | None = None
    """The stores the write key is bound to; None: every store."""
    max_age: timedelta | None = None
    """The oldest `timestamp` accepted, before `received_at` (SALESFLOW_MAX_EVENT_AGE_DAYS)."""


def commerce_event_type(message: Mapping[str, Any]) -> EventType | None:
    """`sale` or `return` for the two e-commerce events this platform stores, else None."""
    name = message.get("event")
    return COMMERCE_EVENTS.get(name) if isinstance(name, str) else None


def map_commerce_message(
    message: Mapping[str, Any], event_type: EventType, context: MappingContext
) -> SaleEvent | list[FieldError]:
    """The contract event for an `Order Completed`/`Order Refunded`, or what is wrong with it."""
    properties = message.get("properties")
    if not isinstance(properties, dict):
        return [_error("properties", "send the order in `properties` (a JSON object)")]
    products = properties.get("products")
    if not isinstance(products, list) or not products:
        return [
            _error(
                "properties.products",
                f"an {message.get('event')} needs at least one product in properties.products, "
                "each with sku or product_id, price and quantity",
            )
        ]
    errors: list[FieldError] = []
    order_coupon = properties.get("coupon")
    items = [_item(product, index, errors, order_coupon) for index, product in enumerate(products)]
    amounts = _order_amounts(properties, errors)
    payload = _event_payload(message, properties, event_type, items, context)
    try:
        event = SaleEvent.model_validate_json(
            orjson.dumps(payload), context=validation_context(context.received_at, context.max_age)
        )
    except ValidationError as error:
        details = error.errors(include_url=False, include_input=False)
        found = field_errors([_at_segment_path(d, context) for d in details])
        return errors + [e for e in found if not _reported_under(e.path, errors)]
    return errors or _with_order_amounts(event, amounts)


def _reported_under(path: str, errors: Sequence[FieldError]) -> bool:
    """Whether a mapping error already covers `path` (the contract would repeat it less clearly)."""
    return any(path == e.path or path.startswith((e.path + ".", e.path + "[")) for e in errors)


def _event_payload(
    message: Mapping[str, Any],
    properties: Mapping[str, Any],
    event_type: EventType,
    items: list[dict[str, Any]],
    context: MappingContext,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event_type": event_type.value,
        "channel": _or_default(properties.get("channel"), DEFAULT_CHANNEL),
        "store_id": _as_identifier(
            _or_default(properties.get(context.store_id_property), context.source)
        ),
        "currency": _or_default(properties.get("currency"), DEFAULT_CURRENCY),
        "payment_method": _or_default(properties.get("payment_method"), DEFAULT_PAYMENT_METHOD),
        "items": items,
    }
    if isinstance(payload["currency"], str):
        payload["currency"] = payload["currency"].upper()
    optional = {
        "event_id": _event_id(message.get("messageId")),
        "occurred_at": message.get("timestamp"),
        "order_id": _as_identifier(properties.get("order_id")),
        "customer_id": _customer_id(message.get("userId")),
        "terminal_id": _as_identifier(properties.get("terminal_id")),
        "salesperson_id": _as_identifier(properties.get("salesperson_id")),
        "attributes": _attributes(properties, context) or None,
    }
    payload.update((key, value) for key, value in optional.items() if value is not None)
    return payload


def _attributes(properties: Mapping[str, Any], context: MappingContext) -> dict[str, str]:
    """`affiliation` and the order's custom properties that fit the contract's attributes, keyed
    in snake case (`loyaltyTier` -> `loyalty_tier`), at most MAX_ATTRIBUTES in the order sent.

    Segment's properties are free-form: a property that is no attribute (an object, a list, a
    boolean, a text longer than an attribute holds, a name that is no key) is not stored, and
    the order is, rather than refusing a shop's sale for a note field it cannot change."""
    attributes: dict[str, str] = {}
    for name, value in properties.items():
        if name in SPEC_PROPERTIES - {"affiliation"} or name == context.store_id_property:
            continue
        key = attribute_key(name)
        if key is None or len(attributes) == MAX_ATTRIBUTES:
            continue
        with contextlib.suppress(ValueError):
            attributes[key] = attribute_value(value)
    return attributes


def attribute_key(name: str) -> str | None:
    """A Segment property name as an attribute key (`loyaltyTier`, `Loyalty Tier` ->
    `loyalty_tier`), or None when none can be made (too long, a leading digit)."""
    snake = _CAMEL_BOUNDARY.sub("_", name.strip()).lower()
    key = _NOT_KEY.sub("_", snake).strip("_")
    return key if _ATTRIBUTE_KEY.match(key) else None


def _item(
    product: Any, index: int, errors: list[FieldError], order_coupon: Any = None
) -> dict[str, Any]:
    path = f"properties.products[{index}]"
    if not isinstance(product, dict):
        errors.append(_error(path, "each product must be a JSON object"))
        return {}
    item: dict[str, Any] = {"quantity": _or_default(product.get("quantity"), DEFAULT_QUANTITY)}
    sku = next(
        (product[k] for k in ("sku", "product_id") if product.get(k) not in (None, "")), None
    )
    if sku is None:
        errors.append(_error(f"{path}.sku", "a product needs a sku or a product_id"))
    else:
        item["sku"] = _as_identifier(sku)
    if "price" in product:
        item["unit_price"] = product["price"]
    else:
        errors.append(_error(f"{path}.price", "a product needs its unit price in `price`"))
    if product.get("discount") is not None:
        item["discount"] = product["discount"]
    coupon = _or_default(product.get("coupon"), order_coupon)
    if coupon not in (None, ""):
        item["coupon_code"] = coupon
    if product.get("promotion_id") not in (None, ""):
        item["promotion_id"] = _as_identifier(product["promotion_id"])
    return item


def _order_amounts(
    properties: Mapping[str, Any], errors: list[FieldError]
) -> dict[str, Decimal | None]:
    """The order-level amounts the spec carries next to the products, parsed as money."""
    return {key: _money(properties, key, errors) for key in ORDER_AMOUNTS}


def _with_order_amounts(
    event: SaleEvent, amounts: Mapping[str, Decimal | None]
) -> SaleEvent | list[FieldError]:
    """Spread an order-level `discount` over the lines; check the order's sums against them.

    Runs on the validated event, so every line's price, quantity and discount are already exact
    decimals. Segment's own example counts `subtotal` as the products after discounts, `total`
    as that plus `shipping` and `tax`, and `revenue` before the order's discount; shops differ
    on `revenue`, so either reading of it is accepted, anything else is an inconsistent order.
    """
    gross = sum((item.gross_amount for item in event.items), ZERO)
    line_discounts = sum((item.discount for item in event.items), ZERO)
    order_discount = amounts["discount"]
    if order_discount is not None and line_discounts:
        if order_discount != line_discounts:
            return [
                _error(
                    "properties.discount",
                    f"discount {order_discount} does not equal the sum of the products' "
                    f"discounts ({line_discounts}); send one or make them agree",
                )
            ]
        order_discount = None
    if order_discount:
        if order_discount > gross:
            return [
                _error(
                    "properties.discount",
                    f"discount {order_discount} exceeds the products' price * quantity ({gross})",
                )
            ]
        event = _discounted(event, order_discount)
    net = gross - line_discounts - (order_discount or ZERO)
    extras = (amounts["shipping"] or ZERO) + (amounts["tax"] or ZERO)
    subtotal, revenue, total = amounts["subtotal"], amounts["revenue"], amounts["total"]
    errors = []
    if subtotal is not None and subtotal != net:
        errors.append(
            _error(
                "properties.subtotal",
                f"subtotal {subtotal} does not equal the products after discounts ({net})",
            )
        )
    if revenue is not None and revenue not in (gross - line_discounts, net):
        errors.append(
            _error(
                "properties.revenue",
                f"revenue {revenue} does not match the products: price * quantity - discount is "
                f"{gross - line_discounts} before the order discount and {net} after it",
            )
        )
    if total is not None and total != net + extras:
        errors.append(
            _error(
                "properties.total",
                f"total {total} does not equal the products after discounts ({net}) plus "
                f"shipping and tax ({extras})",
            )
        )
    return errors or event


def _discounted(event: SaleEvent, order_discount: Decimal) -> SaleEvent:
    """`event` with `order_discount` spread over its lines.

    The lines are built, not validated again: each share is a whole number of cents, at most
    its line's value (the order's discount is at most the order's value) and at most
    `order_discount`, which `parse_money` bounded like any amount, so every line stays within
    the contract (the tests check the copies against `LineItem` validation).
    """
    shares = _allocate(order_discount, [item.gross_amount for item in event.items])
    items = [
        LineItem.model_construct(**{**dict(item), "discount": share})
        for item, share in zip(event.items, shares, strict=True)
    ]
    return event.model_copy(update={"items": items})


def _allocate(amount: Decimal, values: Sequence[Decimal]) -> list[Decimal]:
    """Split `amount` over lines in proportion to their value, to the cent, summing exactly.

    In whole cents, largest remainder: each line gets its share rounded down, and the leftover
    cents go to the lines with the largest remainders (the first ones on a tie), so the result
    is exact and deterministic.
    """
    cents = int(amount / CENT)
    weights = [int(value / CENT) for value in values]
    total = sum(weights)
    shares = [cents * weight // total for weight in weights]
    remainders = [cents * weight % total for weight in weights]
    leftover = cents - sum(shares)
    for index in sorted(range(len(values)), key=lambda i: (-remainders[i], i))[:leftover]:
        shares[index] += 1
    return [Decimal(share) * CENT for share in shares]


def _money(properties: Mapping[str, Any], key: str, errors: list[FieldError]) -> Decimal | None:
    value = properties.get(key)
    if value is None:
        return None
    try:
        return parse_money(value)
    except ValueError as error:
        errors.append(_error(f"properties.{key}", str(error)))
        return None


def _event_id(message_id: Any) -> str | None:
    if not isinstance(message_id, str) or not message_id:
        return None
    if _EVENT_ID.match(message_id):
        return message_id
    return DERIVED_EVENT_ID_PREFIX + hashlib.sha256(message_id.encode()).hexdigest()[:48]


def _or_default(value: Any, default: Any) -> Any:
    return default if value is None else value


def _as_identifier(value: Any) -> Any:
    """Order ids and SKUs sent as JSON integers (common in shop systems) become strings."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _customer_id(user_id: Any) -> str | None:
    """`userId` when it is a valid identifier; an e-mail or other free text is left out."""
    candidate = _as_identifier(user_id)
    return candidate if isinstance(candidate, str) and _IDENTIFIER.match(candidate) else None


def _at_segment_path(detail: ErrorDetails, context: MappingContext) -> ErrorDetails:
    """A contract error located at the Segment field it came from."""
    location = list(detail["loc"])
    field = str(location[0]) if location else ""
    segment_location: list[int | str]
    if field == "items" and len(location) >= 2:
        rest = [_ITEM_FIELDS.get(str(part), part) for part in location[2:]]
        segment_location = ["properties", "products", location[1], *rest]
    elif field == "store_id":
        segment_location = ["properties", context.store_id_property]
    elif field == "attributes" and len(location) >= 2:
        segment_location = ["properties", location[1]]
    elif field in _MESSAGE_FIELDS:
        segment_location = [_MESSAGE_FIELDS[field]]
    else:
        segment_location = ["properties", field] if field else []
    translated = detail.copy()
    translated["loc"] = tuple(segment_location)
    return translated


_MESSAGE_FIELDS = {
    "event_id": "messageId",
    "event_type": "event",
    "occurred_at": "timestamp",
    "customer_id": "userId",
}


def _error(path: str, message: str) -> FieldError:
    return FieldError(path=path, message=message, type="value_error")
