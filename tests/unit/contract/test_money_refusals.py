"""Money given as a Decimal (the CSV loader and reference files pass them) is refused with the
same reasons as money in JSON."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contract.money import MAX_UNIT_PRICE, parse_money


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (Decimal("NaN"), "money must be a finite number"),
        (Decimal("Infinity"), "money must be a finite number"),
        (Decimal("-0.01"), "money must be >= 0"),
        (-0.5, "money must be >= 0"),
    ],
)
def test_a_decimal_that_is_no_amount_is_refused_with_its_reason(
    amount: Decimal | float, reason: str
) -> None:
    with pytest.raises(ValueError, match=f"^{reason}$"):
        parse_money(amount)


def test_the_largest_amount_is_accepted_and_a_cent_more_refused() -> None:
    assert parse_money(MAX_UNIT_PRICE) == MAX_UNIT_PRICE
    with pytest.raises(ValueError, match=f"^money must be at most {MAX_UNIT_PRICE}$"):
        parse_money(MAX_UNIT_PRICE + Decimal("0.01"))
