"""The sale event, contract v1.1: what clients send and what the stream carries.

v1.1 adds only optional fields to v1 (`terminal_id`, `salesperson_id`, `attributes` on the event;
`promotion_id`, `coupon_code` on a line), so every v1 event is a valid v1.1 event and is stored
and reported exactly as before (docs/adr/0012-contract-evolution.md, docs/contract.md).

`SaleEvent` is what a shop POSTs. `IngestedSaleEvent` is the same event after the ingest API
accepted it, with `ingested_at` and `source` added: that is the record in Kinesis or SQS and the
row in bronze. Every rule of the contract is enforced here, so the API, the speed layer and the
CSV loader reject exactly the same inputs.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from contract.money import ZERO, Money

CONTRACT_VERSION = "1.1"
"""Major.minor: minors only add optional fields; a major would get its own `/v2/` endpoint."""
MAX_FUTURE_SKEW = timedelta(minutes=5)
"""How far `occurred_at` may lie ahead of the moment the API receives it (clock skew).

Checked as `occurred_at - other > MAX_FUTURE_SKEW`: for times in different zones a subtraction
asks each for its UTC offset once, a comparison twice (profiled in the speed layer)."""
MAX_ITEMS = 500
MAX_QUANTITY = 10_000
"""Upper bound of a line's quantity: with MAX_UNIT_PRICE every order fits DECIMAL(18,2)."""

RECEIVED_AT_CONTEXT_KEY = "received_at"
"""Validation context key: when given, `occurred_at` may be at most MAX_FUTURE_SKEW after it."""
MAX_AGE_CONTEXT_KEY = "max_age"
"""Validation context key: a `timedelta`; with RECEIVED_AT_CONTEXT_KEY, `occurred_at` may lie
at most that long before it. The ingest API passes `SALESFLOW_MAX_EVENT_AGE_DAYS` (a years-old
sale sent live is a broken clock or a replay); the CSV history loader passes none, as history is
old by nature."""

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:/-]+$")]
EventId = Annotated[
    str,
    Field(
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Client-made idempotency key, unique per event (a ULID or UUID is ideal).",
        examples=["01JDA8Z9X3K2M7Q4R5S6T7V8W9"],
    ),
]
CurrencyCode = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code", examples=["BRL"])
]
CouponCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[^\x00-\x1f]+$",
        description="The code the customer typed or scanned, as printed (v1.1).",
        examples=["BLACKFRIDAY10"],
    ),
]

MAX_ATTRIBUTES = 20
MAX_ATTRIBUTE_VALUE_LENGTH = 256
ATTRIBUTE_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
AttributeKey = Annotated[str, Field(pattern=ATTRIBUTE_KEY_PATTERN)]
"""Lower-case snake case, at most 40 characters: safe as a column-like name in every engine."""


def attribute_value(value: Any) -> str:
    """Strings as sent; numbers as their shortest decimal text, so every engine stores one type."""
    kind = type(value)
    if kind is str:
        text: str = value
    elif kind is int:
        text = str(value)
    elif kind is float:
        if not math.isfinite(value):
            raise ValueError("a number attribute must be finite")
        text = repr(value)
    else:
        raise ValueError("an attribute value must be a string or a number")
    if len(text) > MAX_ATTRIBUTE_VALUE_LENGTH:
        raise ValueError(f"an attribute value has at most {MAX_ATTRIBUTE_VALUE_LENGTH} characters")
    return text


AttributeValue = Annotated[
    str,
    BeforeValidator(attribute_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": MAX_ATTRIBUTE_VALUE_LENGTH},
                {"type": "number"},
            ]
        }
    ),
]
Attributes = Annotated[
    dict[AttributeKey, AttributeValue],
    Field(
        max_length=MAX_ATTRIBUTES,
        description=(
            "The shop's own properties of the sale (loyalty tier, campaign, marketplace), "
            f"strings or numbers, at most {MAX_ATTRIBUTES}; stored as text (v1.1)."
        ),
        examples=[{"loyalty_tier": "gold", "marketplace": "mercadolivre"}],
    ),
]


class EventType(StrEnum):
    SALE = "sale"
    RETURN = "return"


class Channel(StrEnum):
    POS = "pos"
    ECOMMERCE = "ecommerce"


class PaymentMethod(StrEnum):
    CREDIT_CARD = "credit_card"
    DEBIT_CARD = "debit_card"
    PIX = "pix"
    CASH = "cash"
    BOLETO = "boleto"
    VOUCHER = "voucher"
    OTHER = "other"


_STRICT = ConfigDict(strict=True, extra="forbid", frozen=True, str_strip_whitespace=False)


class LineItem(BaseModel):
    """One line of a sale or return. Quantities are positive even for returns."""

    model_config = _STRICT

    sku: Identifier
    quantity: Annotated[int, Field(gt=0, le=MAX_QUANTITY)]
    unit_price: Money
    discount: Money = ZERO
    promotion_id: Annotated[
        Identifier | None,
        Field(description="The promotion behind the line's discount, if any (v1.1)."),
    ] = None
    coupon_code: CouponCode | None = None

    @property
    def gross_amount(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def net_amount(self) -> Decimal:
        """`quantity * unit_price - discount`, before the sign a return gives it."""
        return self.gross_amount - self.discount

    @model_validator(mode="after")
    def _discount_within_line_value(self) -> Self:
        # Most lines have no discount, and a zero one never exceeds the line: skip the product.
        if self.discount and self.discount > self.gross_amount:
            raise ValueError(
                f"discount {self.discount} exceeds the line value quantity * unit_price = "
                f"{self.gross_amount}"
            )
        return self


class SaleEvent(BaseModel):
    """A sale or a return as a POS terminal or web shop sends it."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        json_schema_extra={"$id": "https://salesflow.dev/schemas/sale-event/v1.1.json"},
    )

    event_id: EventId
    event_type: EventType
    occurred_at: Annotated[
        AwareDatetime,
        Field(description="RFC 3339 timestamp with offset; at most 5 minutes in the future."),
    ]
    channel: Channel
    store_id: Identifier
    order_id: Identifier
    customer_id: Identifier | None = None
    currency: CurrencyCode
    payment_method: PaymentMethod
    items: Annotated[list[LineItem], Field(min_length=1, max_length=MAX_ITEMS)]
    total: Annotated[
        Money | None,
        Field(description="Optional; when present must equal the sum of the lines' net amounts."),
    ] = None
    terminal_id: Annotated[
        Identifier | None, Field(description="The till or terminal that rang it up (v1.1).")
    ] = None
    salesperson_id: Annotated[
        Identifier | None, Field(description="Who sold it, as the shop identifies staff (v1.1).")
    ] = None
    attributes: Attributes | None = None

    @property
    def net_amount(self) -> Decimal:
        """Sum of the lines' net amounts, before the sign a return gives it."""
        return sum([item.net_amount for item in self.items], ZERO)

    @property
    def sign(self) -> int:
        """+1 for a sale, -1 for a return: multiply amounts by it to get signed money."""
        return -1 if self.event_type is EventType.RETURN else 1

    @model_validator(mode="after")
    def _total_matches_lines(self) -> Self:
        if self.total is not None and self.total != self.net_amount:
            raise ValueError(
                f"total {self.total} does not equal the sum of quantity * unit_price - discount "
                f"over the items ({self.net_amount})"
            )
        return self

    @field_validator("occurred_at")
    @classmethod
    def _within_the_accepted_window(cls, occurred_at: datetime, info: ValidationInfo) -> datetime:
        received_at = _received_at(info.context)
        if received_at is None:
            return occurred_at
        if occurred_at - received_at > MAX_FUTURE_SKEW:
            raise ValueError(
                f"occurred_at is more than {int(MAX_FUTURE_SKEW.total_seconds() // 60)} minutes "
                f"in the future (received at {received_at.isoformat()})"
            )
        max_age = info.context.get(MAX_AGE_CONTEXT_KEY) if info.context else None
        if isinstance(max_age, timedelta) and received_at - occurred_at > max_age:
            raise PydanticCustomError(
                "occurred_at_too_old",
                "occurred_at is more than {days} days before the event was received ({received}): "
                "the API takes no sale this old (SALESFLOW_MAX_EVENT_AGE_DAYS); fix the clock "
                "that stamped it, or load old history with `salesflow load-csv`",
                {"days": max_age.days, "received": received_at.isoformat()},
            )
        return occurred_at


class IngestedSaleEvent(SaleEvent):
    """A sale event as the ingest API accepted it: the record on the stream and the bronze row."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, json_schema_extra=None)

    ingested_at: Annotated[AwareDatetime, Field(description="UTC time the API accepted the event.")]
    source: Annotated[
        Identifier, Field(description="Name of the API key (or loader) that sent the event.")
    ]

    @model_validator(mode="after")
    def _not_in_the_future_of_ingestion(self) -> Self:
        if self.occurred_at - self.ingested_at > MAX_FUTURE_SKEW:
            raise ValueError("occurred_at is more than 5 minutes after ingested_at")
        return self

    @classmethod
    def accept(cls, event: SaleEvent, *, ingested_at: datetime, source: str) -> IngestedSaleEvent:
        """Stamp an already validated event with the server's fields without validating again."""
        return cls.model_construct(
            **dict(event), ingested_at=ingested_at.astimezone(UTC), source=source
        )


def _received_at(context: Any) -> datetime | None:
    if isinstance(context, dict):
        value = context.get(RECEIVED_AT_CONTEXT_KEY)
        if isinstance(value, datetime):
            return value
    return None
