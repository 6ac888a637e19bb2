"""A lake with two years of sales up to now, for the dashboard: every preset, granularity
and comparison has numbers to show.

Gold (written by the oracle, `expected_lines`) holds what was ingested before an hour ago; bronze
holds the rest, so today's figures come from both layers. The catalog is the analytics
scenario's: three regions, several brands, a product without a cost and one that never sells.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.unit.serving.analytics import CATALOG, PRICES, SOLD_SKUS, TZ
from tests.unit.serving.sample_lake import (
    Copy,
    expected_lines,
    ingested,
    write_bronze,
    write_gold,
    write_reference,
)

RUN_ID = "run-history"
PAYMENTS = ["pix", "pix", "credit_card", "credit_card", "debit_card", "cash", "boleto"]
STORE_WEIGHTS = [5, 3, 4, 2, 2]
"""Paulista, Centro RJ, Web shop, Moinhos, Boa Viagem."""


def write_history_lake(lake: Path, make_event: Callable[..., dict[str, Any]]) -> datetime:
    """Writes the lake; returns its cutoff T."""
    now = datetime.now(UTC).replace(microsecond=0)
    cutoff = now - timedelta(hours=1)
    rng = random.Random(2026)
    instants = [now - timedelta(days=rng.uniform(0, 760)) for _ in range(3200)]
    instants += [now - timedelta(minutes=rng.uniform(1, 12 * 60)) for _ in range(30)]
    copies = []
    for number, occurred in enumerate(sorted(instants)):
        store = rng.choices(CATALOG.stores, STORE_WEIGHTS)[0]
        items = []
        for sku in rng.sample(SOLD_SKUS, rng.choice([1, 1, 1, 2, 2, 3])):
            item: dict[str, Any] = {
                "sku": sku,
                "quantity": rng.choice([1, 1, 1, 2, 3]),
                "unit_price": str(PRICES.get(sku, "25.00")),
            }
            if rng.random() < 0.2:
                item["discount"] = "10.00"
            items.append(item)
        payload = make_event(
            kind="return" if rng.random() < 0.06 else "sale",
            occurred_at=occurred.isoformat(),
            store_id=store.store_id,
            channel=store.channel.value,
            order_id=f"ORD-{number:06d}",
            customer_id=rng.choice(["C-000042", "C-000077", None]),
            payment_method=rng.choice(PAYMENTS),
            items=items,
            total=None,
        )
        copies.append(Copy(ingested(payload, occurred + timedelta(seconds=3))))
    write_reference(lake, CATALOG)
    write_bronze(lake, [c.event for c in copies if c.event.ingested_at >= cutoff])
    before = [c for c in copies if c.event.ingested_at < cutoff]
    write_gold(lake, expected_lines(before, TZ, CATALOG), cutoff, RUN_ID)
    return cutoff
