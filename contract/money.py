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

from pydantic import BeforeValidator, WithJsonSchema

MONEY_PRECISION = 18
MONEY_SCALE = 2
CENT = Decimal("0.01")
MAX_UNIT_PRICE = Decimal("999999999.99")
"""Upper bound of a unit price or a discount: every line and every sum fits DECIMAL(18,2)."""

_DECIMAL_STRING = re.compile(r"^[0-9]{1,16}(\.[0-9]{1,2})?$")


def parse_money(value: Any) -> Decimal:
    """Turn a decimal string or a JSON number into an exact, non-negative two-decimal amount."""
    if isinstance(value, bool):
        raise ValueError("money must be a decimal string or a number, not a boolean")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = _decimal_from_float(value)
    elif isinstance(value, str):
        if value.startswith("-"):
            raise ValueError("money must be >= 0")
        if not _DECIMAL_STRING.match(value):
            raise ValueError(
                "money must be a plain decimal string with at most 2 decimal places, like '79.90'"
            )
        amount = Decimal(value)
    else:
        raise ValueError("money must be a decimal string or a number")
    return _checked(amount)


def _decimal_from_float(value: float) -> Decimal:
    if not math.isfinite(value):
        raise ValueError("money must be a finite number")
    return Decimal(repr(value))


def _checked(amount: Decimal) -> Decimal:
    if not amount.is_finite():
        raise ValueError("money must be a finite number")
    if amount < 0:
        raise ValueError("money must be >= 0")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MONEY_SCALE and amount != amount.quantize(CENT):
        raise ValueError("money has more than 2 decimal places")
    if amount > MAX_UNIT_PRICE:
        raise ValueError(f"money must be at most {MAX_UNIT_PRICE}")
    return amount.quantize(CENT)


Money = Annotated[
    Decimal,
    BeforeValidator(parse_money),
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
