"""Data-quality rules applied to sale lines after the contract's own validation.

Two kinds of rule. A *flag* keeps the line in every total and counts it: a SKU or store not (yet)
in the catalog is still money the tills took, so its attributes show as `(unknown)` until the
catalog has them and the next batch run fills them in. A *quarantine* rule holds the line back:
it is wrong in itself (another currency than its known store's, an amount no sale reaches).
The batch job counts every rule per run; the serving layer's real-time view applies the same
rules, so numbers do not jump when a batch run publishes.
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
    quarantines: bool
    """True: the line is held back from gold; False: the line is kept and counted."""


QUALITY_RULES = (
    QualityRule(
        "unknown_sku",
        "the line's sku is not in reference/products: kept, product attributes unknown",
        quarantines=False,
    ),
    QualityRule(
        "unknown_store",
        "the event's store_id is not in reference/stores: kept, store attributes unknown",
        quarantines=False,
    ),
    QualityRule(
        "currency_mismatch",
        "the event's currency differs from its (known) store's currency: quarantined",
        quarantines=True,
    ),
    QualityRule(
        "line_net_out_of_range",
        f"the line's net amount (before sign) is above {MAX_LINE_NET_AMOUNT}: quarantined",
        quarantines=True,
    ),
)
"""Quarantine rules are evaluated in this order and a line is counted under the first it fails;
flags are counted independently (a line can have an unknown sku and an unknown store)."""

FLAG_RULES = tuple(rule.name for rule in QUALITY_RULES if not rule.quarantines)
QUARANTINE_RULES = tuple(rule.name for rule in QUALITY_RULES if rule.quarantines)

EVENT_ID_CONFLICTS = "event_id_conflicts"
"""The quality count of sales made of a copy whose event id another source had sent with other
content (`<event_id>~<source>`, ADR 0021): counted, never dropped, for someone to look into."""
