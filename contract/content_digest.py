"""An event's business content as one number, stamped on every copy where it enters the lake.

Two copies of one `event_id` from different sources are the same sale when their contents are
equal, and two sales when they differ (ADR 0021). Each reader compares the stamped digests, never
contents: Spark, Trino and DuckDB render decimals and timestamps into text differently, so a
digest each computed for itself would disagree.

The content is what every source carries: `event_type`, `store_id`, `occurred_at` to the second
(a CSV export may drop the milliseconds), and the lines as a multiset of (`sku`,
`quantity`, `unit_price`, `discount`). Optional fields an export lacks (terminal, salesperson,
attributes, promotions, coupons) are left out, so an export of sales sent live stays a duplicate.
"""

from __future__ import annotations

import hashlib

import orjson

from contract.event import SaleEvent

CONTENT_DIGEST = "content_digest"
"""The column holding it in bronze, CSV uploads, silver and `sales_wide`; NULL on copies landed
before it existed, which keep the rule of their time (the first copy wins whatever its content)."""

CONFLICT_SEPARATOR = "~"
"""Between an event id and the source of a conflicting copy in the id of the copy's own sale,
`<event_id>~<source>`: never in a client's id (`EventId`) nor in a source name."""


def content_digest(event: SaleEvent) -> int:
    """The first 8 bytes of the SHA-256 of the content's canonical JSON, as a signed 64-bit
    integer (a BIGINT in every engine). Finding different content with a given digest takes
    about 2**64 hashes: far more than sending the sale under a fresh id, which any client can.

    Canonical: `occurred_at` as whole seconds since the epoch, money as whole cents (amounts
    have at most two places, so `79.9` and `79.90` are one price), lines sorted. It runs for
    every landed event, so it stays with integers where text would cost a conversion each."""
    lines = sorted(
        (item.sku, item.quantity, int(item.unit_price * 100), int(item.discount * 100))
        for item in event.items
    )
    second = int(event.occurred_at.timestamp() // 1)
    content = (event.event_type.value, event.store_id, second, lines)
    return int.from_bytes(hashlib.sha256(orjson.dumps(content)).digest()[:8], "big", signed=True)
