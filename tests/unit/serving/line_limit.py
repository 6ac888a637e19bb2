"""Lines at the edge of the `line_net_out_of_range` quarantine rule, through bronze and CSV.

A line's net amount (quantity * unit price - discount) of exactly `MAX_LINE_NET_AMOUNT` is a
sale; one cent more is held back. The amounts only reach the edge after the discount, so a rule
that looked at the gross amount would quarantine the kept line too. Shared by the DuckDB test
(the real-time view) and the Spark test (the batch job).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from contract.quality import MAX_LINE_NET_AMOUNT
from tests.unit.serving.sample_lake import Copy, ingested

CUTOFF = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
QUANTITY = 2
DISCOUNT_AT_THE_LIMIT = "10.00"
DISCOUNT_A_CENT_OVER = "9.99"
UNIT_PRICE = str((MAX_LINE_NET_AMOUNT + 10) / QUANTITY)
"""250005.00: two of them, less a 10.00 discount, are exactly the maximum."""


def line_limit_copies(
    make_event: Callable[..., dict[str, Any]], *, ingested_at: datetime
) -> list[Copy]:
    def event(event_id: str, discount: str) -> dict[str, Any]:
        line = {"sku": "MON-LG-27", "quantity": QUANTITY, "unit_price": UNIT_PRICE}
        return make_event(
            event_id=event_id,
            occurred_at="2026-11-21T08:30:00-03:00",
            items=[{**line, "discount": discount}],
            total=None,
        )

    return [
        Copy(ingested(event("EV-AT-THE-LIMIT", DISCOUNT_AT_THE_LIMIT), ingested_at)),
        Copy(ingested(event("EV-CENT-OVER-LIMIT", DISCOUNT_A_CENT_OVER), ingested_at)),
        Copy(
            ingested(event("EV-AT-THE-LIMIT-CSV", DISCOUNT_AT_THE_LIMIT), ingested_at, "erp"),
            via_csv=True,
        ),
        Copy(
            ingested(event("EV-CENT-OVER-LIMIT-CSV", DISCOUNT_A_CENT_OVER), ingested_at, "erp"),
            via_csv=True,
        ),
    ]
