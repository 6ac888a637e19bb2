"""Customer 360: the gold tables the nightly job builds per customer, and the rules behind them.

Every reader shares these definitions: the Spark build (`batch_layer.customers`), the DynamoDB
profile store (`contract.profile_store`), the API that merges today's real-time purchases into a
profile (`serving.customers`) and the tests' oracles. docs/serving.md ("Customer 360") is the
analyst's version of this module.

What counts: the gold `sales_wide` lines that carry a `customer_id`. A *purchase* is a sale event
(`event_type = 'sale'`): it counts as an order, and its day as an active day. Returns count in
units and money (negative, as everywhere in gold) but are no purchase. A customer enters the
profiles with their first purchase; one whose only events are returns has no profile.

RFM scores are quintiles of the scored population, 1 (worst) to 5 (best), with ties sharing a
score: for a measure whose values sorted ascending are v_1 <= ... <= v_n, the four *cut points*
are c_k = v_ceil(k*n/5), k = 1..4, and a value x scores 1 + #{k : x > c_k}. That equals
min(5, 1 + floor(5 * (number of customers with a smaller value) / n)), the rank-based quintile,
but needs only the four cut points, so the API can score a profile merged with today's purchases
against the published run's population exactly as the batch scored it. The measures, each
"larger is better": recency by the date of the last purchase, frequency by orders, monetary by
net revenue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

from contract.arrow_schema import MONEY_TYPE, TIMESTAMP_TYPE

CUSTOMER_PROFILES = "customer_profiles"
CUSTOMER_COHORTS = "customer_cohorts"
CUSTOMER_RFM_QUINTILES = "customer_rfm_quintiles"
CUSTOMER_TABLES = (CUSTOMER_PROFILES, CUSTOMER_COHORTS, CUSTOMER_RFM_QUINTILES)
"""Gold tables of a run folder, published with `sales_wide` through the pointer."""

CUSTOMER_PROFILES_SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("customer_segment", pa.string()),
        pa.field("customer_city", pa.string()),
        pa.field("customer_state", pa.string()),
        pa.field("first_purchase_at", TIMESTAMP_TYPE, nullable=False),
        pa.field("last_purchase_at", TIMESTAMP_TYPE, nullable=False),
        pa.field("first_purchase_date", pa.date32(), nullable=False),
        pa.field("last_purchase_date", pa.date32(), nullable=False),
        pa.field("tenure_days", pa.int32(), nullable=False),
        pa.field("recency_days", pa.int32(), nullable=False),
        pa.field("orders", pa.int64(), nullable=False),
        pa.field("returns", pa.int64(), nullable=False),
        pa.field("units", pa.int64(), nullable=False),
        pa.field("net_revenue", MONEY_TYPE, nullable=False),
        pa.field("average_ticket", MONEY_TYPE, nullable=False),
        pa.field("preferred_channel", pa.string(), nullable=False),
        pa.field("preferred_category", pa.string()),
        pa.field("channel_orders", pa.map_(pa.string(), pa.int64())),
        pa.field("category_net_revenue", pa.map_(pa.string(), MONEY_TYPE)),
        pa.field("recency_score", pa.int32(), nullable=False),
        pa.field("frequency_score", pa.int32(), nullable=False),
        pa.field("monetary_score", pa.int32(), nullable=False),
        pa.field("rfm_segment", pa.string(), nullable=False),
        pa.field("as_of_date", pa.date32(), nullable=False),
    ]
)
"""One row per customer with a purchase before T.

- `customer_segment`, `customer_city`, `customer_state`: the customer catalog's current row
  (NULL for a customer not in the catalog).
- `*_purchase_at`: first and last purchase instants (UTC); `*_purchase_date` their days in the
  reporting time zone.
- `tenure_days`, `recency_days`: days from the first and the last purchase to `as_of_date`, the
  reporting-zone day of T (the API recomputes both for today).
- `orders`, `returns`: distinct sale and return events; `units`, `net_revenue`: signed sums over
  every line, returns included; `average_ticket = net_revenue / orders`, rounded half up.
- `channel_orders`: orders per channel; `preferred_channel` the channel with the most.
  `category_net_revenue`: net revenue per category (lines of unknown products have none);
  `preferred_category` the category with the most. Ties go to the name first in sort order.
- Scores and `rfm_segment`: see the module docstring and RFM_SEGMENTS.
"""

CUSTOMER_COHORTS_SCHEMA = pa.schema(
    [
        pa.field("cohort_month", pa.date32(), nullable=False),
        pa.field("months_since_first", pa.int32(), nullable=False),
        pa.field("customers", pa.int64(), nullable=False),
        pa.field("active_customers", pa.int64(), nullable=False),
        pa.field("retention_rate", pa.float64(), nullable=False),
    ]
)
"""Monthly cohort retention. A customer's cohort is the month (first day, reporting zone) of their
first purchase; `customers` is the cohort's size. For every month from the cohort's to T's month
there is a row, `months_since_first` 0, 1, ...: `active_customers` is how many of the cohort
made a purchase in that month, `retention_rate = active_customers / customers` (1.0 at month 0)."""

CUSTOMER_RFM_QUINTILES_SCHEMA = pa.schema(
    [
        pa.field("boundary", pa.int32(), nullable=False),
        pa.field("last_purchase_date", pa.date32(), nullable=False),
        pa.field("orders", pa.int64(), nullable=False),
        pa.field("net_revenue", MONEY_TYPE, nullable=False),
        pa.field("customers", pa.int64(), nullable=False),
        pa.field("as_of_date", pa.date32(), nullable=False),
    ]
)
"""The run's cut points: row `boundary` k (1..4) holds c_k of each measure. A score is above k
when the value is greater than the row's cut point. No rows when no customer has a purchase."""

CUSTOMER_SCHEMAS = {
    CUSTOMER_PROFILES: CUSTOMER_PROFILES_SCHEMA,
    CUSTOMER_COHORTS: CUSTOMER_COHORTS_SCHEMA,
    CUSTOMER_RFM_QUINTILES: CUSTOMER_RFM_QUINTILES_SCHEMA,
}

QUINTILES = 5
SCORED_MEASURES = {
    "recency_score": "last_purchase_date",
    "frequency_score": "orders",
    "monetary_score": "net_revenue",
}
"""Each score and the profile column it ranks (larger is better for all three)."""


def cut_positions(customers: int) -> list[int]:
    """1-based positions, in the ascending order of a measure, of its four cut points."""
    return [(k * customers + QUINTILES - 1) // QUINTILES for k in range(1, QUINTILES)]


def score(value: Any, cuts: Sequence[Any]) -> int:
    """1 + how many cut points `value` exceeds: 1..5 against a run's four cut points."""
    return 1 + sum(1 for cut in cuts if value > cut)


@dataclass(frozen=True)
class SegmentRule:
    """A named RFM segment: the score ranges (inclusive) a customer must fall in."""

    segment: str
    recency: tuple[int, int]
    frequency: tuple[int, int]
    monetary: tuple[int, int]
    meaning: str

    def matches(self, recency: int, frequency: int, monetary: int) -> bool:
        return (
            self.recency[0] <= recency <= self.recency[1]
            and self.frequency[0] <= frequency <= self.frequency[1]
            and self.monetary[0] <= monetary <= self.monetary[1]
        )


ANY_SCORE = (1, QUINTILES)

RFM_SEGMENTS = (
    SegmentRule("Champions", (4, 5), (4, 5), (4, 5), "bought lately, buy often, spend the most"),
    SegmentRule("Loyal", (3, 5), (4, 5), ANY_SCORE, "buy often and not long ago"),
    SegmentRule("Potential loyalists", (4, 5), (2, 3), ANY_SCORE, "recent, a few orders so far"),
    SegmentRule("New", (4, 5), (1, 1), ANY_SCORE, "bought lately, once"),
    SegmentRule("Need attention", (3, 3), (1, 3), ANY_SCORE, "middling recency and frequency"),
    SegmentRule("At risk", (1, 2), (3, 5), ANY_SCORE, "used to buy often, not lately"),
    SegmentRule("Hibernating", (2, 2), (1, 2), ANY_SCORE, "few orders, a while ago"),
    SegmentRule("Lost", (1, 1), (1, 2), ANY_SCORE, "few orders, the longest ago"),
)
"""The first matching rule names a customer's segment; every (R, F, M) matches one (tested)."""


def rfm_segment(recency: int, frequency: int, monetary: int) -> str:
    for rule in RFM_SEGMENTS:
        if rule.matches(recency, frequency, monetary):
            return rule.segment
    raise ValueError(f"no RFM segment for scores R={recency} F={frequency} M={monetary}")


def preferred(amounts: Mapping[str, Decimal | int]) -> str | None:
    """The key with the largest amount, the first in sort order on a tie; None when empty."""
    if not amounts:
        return None
    return min(amounts, key=lambda key: (-amounts[key], key))
