"""Data-quality rules applied to sale lines after the contract's own validation.

The batch job quarantines lines failing any rule (and counts them per rule); the serving layer's
real-time view excludes the same lines, so numbers do not jump when a batch run publishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MAX_LINE_NET_AMOUNT = Decimal("500000.00")
"""A single line worth more than this is a typo or a test, not a sale of this retailer."""


@dataclass(frozen=True)
class QualityRule:
    name: str
    description: str


QUALITY_RULES = (
    QualityRule("unknown_sku", "the line's sku is not in reference/products"),
    QualityRule("unknown_store", "the event's store_id is not in reference/stores"),
    QualityRule("currency_mismatch", "the event's currency differs from its store's currency"),
    QualityRule(
        "line_net_out_of_range",
        f"the line's net amount (before sign) is above {MAX_LINE_NET_AMOUNT}",
    ),
)
"""Evaluated in this order; a line failing several rules is counted under the first only."""
