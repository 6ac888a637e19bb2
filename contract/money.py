"""Money as exact decimals: the one parser every layer uses for prices, discounts and totals.

JSON numbers reach pydantic as floats. A float is only trusted when its shortest repr has at most
two decimals and no more significant digits than a double holds exactly, which the bounds below
guarantee, so `79.9` is read as exactly `79.90` and nothing is ever rounded silently.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, WithJsonSchema
from pydantic_core import core_schema

MONEY_PRECISION = 18
MONEY_SCALE = 2
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_UNIT_PRICE = Decimal("999999999.99")
"""Upper bound of a unit price or a discount: every line and every sum fits DECIMAL(18,2)."""

_DECIMAL_STRING = re.compile(r"^[0-9]{1,16}(\.[0-9]{1,2})?$")


def parse_money(value: Any) -> Decimal:
    """Turn a decimal string or a JSON number into an exact, non-negative two-decimal amount.

    Dispatches on the exact type: it runs for every price of every event in the API and again in
    the speed layer, and `type(True) is bool` keeps booleans out without an extra check.
    """
    kind = type(value)
    if kind is str:
        if _DECIMAL_STRING.match(value) is None:
            raise ValueError(
                "money must be >= 0"
                if value.startswith("-")
                else "money must be a plain decimal string with at most 2 decimal places, "
                "like '79.90'"
            )
        amount = Decimal(value)
    elif kind is float:
        if not math.isfinite(value):
            raise ValueError("money must be a finite number")
        amount = _checked_decimal(Decimal(repr(value)))
    elif kind is int:
        if value < 0:
            raise ValueError("money must be >= 0")
        amount = Decimal(value)
    elif kind is Decimal:
        amount = _checked_decimal(value)
    elif kind is bool:
        raise ValueError("money must be a decimal string or a number, not a boolean")
    else:
        raise ValueError("money must be a decimal string or a number")
    if amount > MAX_UNIT_PRICE:
        raise ValueError(f"money must be at most {MAX_UNIT_PRICE}")
    if kind is str and value[-3:-2] == ".":  # two places already, like every canonical amount
        return amount
    return amount.quantize(CENT)


def _checked_decimal(amount: Decimal) -> Decimal:
    if not amount.is_finite():
        raise ValueError("money must be a finite number")
    if amount < 0:
        raise ValueError("money must be >= 0")
    if amount > MAX_UNIT_PRICE:  # before quantize, which fails beyond the context's precision
        raise ValueError(f"money must be at most {MAX_UNIT_PRICE}")
    if amount != amount.quantize(CENT):
        raise ValueError("money has more than 2 decimal places")
    return amount + ZERO  # turns a negative zero (-0.0 is a valid float) into 0


class _ParsedMoney:
    """`parse_money` as the whole validation of a money field, serialized as a Decimal.

    A `BeforeValidator` would pass the Decimal it returns through pydantic's own Decimal
    validation once more, a Python method call per amount, five per event (profiled).
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            parse_money, serialization=core_schema.decimal_schema()
        )


Money = Annotated[
    Decimal,
    _ParsedMoney(),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^[0-9]{1,16}(\.[0-9]{1,2})?$"},
                {"type": "number", "minimum": 0, "maximum": float(MAX_UNIT_PRICE)},
            ],
            "description": "Non-negative amount with at most 2 decimal places, as a decimal string "
            "(preferred, exact) or a JSON number.",
            "examples": ["4599.90"],
        }
    ),
]
"""A non-negative DECIMAL(18,2) amount accepted as a decimal string or a JSON number."""


def format_money(amount: Decimal) -> str:
    """The canonical wire form of an amount: a decimal string with exactly two places."""
    return str(amount.quantize(CENT))
