"""The must-show scenario as data: events before and after T, late, duplicated, returned, bad,
and ids another till sends again with other content (a sale of its own, ADR 0021), one of them
an id gold holds.

Shared by the DuckDB unit test (gold written by the oracle) and the e2e test (gold written by the
real batch job).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.unit.serving.sample_lake import Copy, ingested

CUTOFF = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LATER_CUTOFF = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


def scenario_copies(make_event: Callable[..., dict[str, Any]]) -> list[Copy]:
    """Every delivered copy, in arrival order; the oracle and the engines see the same list."""
    at = CUTOFF

    def sale(**overrides: Any) -> dict[str, Any]:
        return make_event(**overrides)

    before_sale = sale(occurred_at="2026-11-21T06:59:00-03:00")
    before_return = make_event(kind="return", occurred_at="2026-11-21T07:30:00-03:00")
    partly_unknown = sale(
        store_id="RJ-CENTRO-01",
        occurred_at="2026-11-20T22:10:00-03:00",
        items=[
            {"sku": "MON-LG-27", "quantity": 2, "unit_price": "1299.00"},
            {"sku": "NOT-A-SKU", "quantity": 1, "unit_price": "10.00"},
        ],
        total=None,
    )
    csv_before = sale(
        store_id="WEB-01", channel="ecommerce", occurred_at="2026-11-21T05:00:00-03:00"
    )
    after_sale = sale(occurred_at="2026-11-21T10:05:00-03:00")
    late = sale(store_id="RJ-CENTRO-01", occurred_at="2026-11-16T15:00:00-03:00", customer_id=None)
    within_dup = sale(
        store_id="WEB-01", channel="ecommerce", occurred_at="2026-11-21T10:20:00-03:00"
    )
    within_dup_changed = {**copy.deepcopy(within_dup), "payment_method": "cash"}
    after_return = make_event(kind="return", occurred_at="2026-11-21T10:40:00-03:00")
    csv_dup = sale(occurred_at="2026-11-21T10:50:00-03:00", payment_method="boleto")
    wrong_currency = sale(currency="USD", occurred_at="2026-11-21T10:55:00-03:00")
    unknown_store = sale(store_id="NOWHERE-99", occurred_at="2026-11-21T10:56:00-03:00")
    midnight = sale(occurred_at="2026-11-21T02:30:00+00:00")
    huge = sale(
        occurred_at="2026-11-21T11:00:00-03:00",
        items=[
            {"sku": "NB-DELL-I5-16", "quantity": 200, "unit_price": "4599.90"},
            {"sku": "MOUSE-LOGI-M170", "quantity": 1, "unit_price": "79.90", "discount": "9.90"},
        ],
        total=None,
    )
    other_till = {**copy.deepcopy(after_sale), "items": [dict(after_sale["items"][0], quantity=5)]}
    other_till["total"] = None
    guessed = {**copy.deepcopy(before_sale), "store_id": "RJ-CENTRO-01"}
    return [
        Copy(ingested(before_sale, at - timedelta(hours=2))),
        Copy(ingested(before_return, at - timedelta(hours=1))),
        Copy(ingested(partly_unknown, at - timedelta(minutes=50))),
        Copy(ingested(csv_before, at - timedelta(hours=3), source="legacy-csv"), via_csv=True),
        Copy(ingested(midnight, at - timedelta(hours=9, minutes=29))),
        Copy(ingested(after_sale, at + timedelta(hours=1))),
        Copy(ingested(late, at + timedelta(hours=1, minutes=5))),
        Copy(ingested(before_sale, at + timedelta(hours=1, minutes=10), source="retry")),
        Copy(ingested(within_dup, at + timedelta(hours=1, minutes=20), source="web")),
        Copy(ingested(within_dup_changed, at + timedelta(hours=1, minutes=25), source="web")),
        Copy(ingested(within_dup, at + timedelta(hours=1, minutes=20), source="web")),
        Copy(ingested(after_return, at + timedelta(hours=1, minutes=40))),
        Copy(ingested(csv_dup, at + timedelta(hours=2))),
        Copy(ingested(csv_dup, at + timedelta(hours=2, minutes=30), "legacy-csv"), via_csv=True),
        Copy(ingested(wrong_currency, at + timedelta(hours=2, minutes=40))),
        Copy(ingested(unknown_store, at + timedelta(hours=2, minutes=41))),
        Copy(ingested(huge, at + timedelta(hours=2, minutes=45))),
        Copy(ingested(late, at + timedelta(hours=4), source="retry")),
        Copy(ingested(other_till, at + timedelta(hours=3), source="other-till")),
        Copy(ingested(guessed, at + timedelta(hours=3, minutes=5), source="other-till")),
    ]
