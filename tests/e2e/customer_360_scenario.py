"""Customer 360 as data: months of purchases before T and after it, and the oracle.

The oracle is a plain-Python reading of docs/serving.md ("Customer 360") over the events the test
sends: gold lines are `expected_lines` (first copy of each event, quarantine rules applied), a
profile is computed from a customer's lines, the RFM scores by the rank definition (1 + floor(5 *
customers with a smaller value / customers)), the segments by the documented rule table written
here as conditions, the cohorts by counting buyers per month. It shares no code with the Spark
build, the API or `contract.customers`: the rules are typed again from the documentation.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from contract.reference import Customer
from tests.unit.serving.sample_lake import (
    PRODUCTS,
    STORES,
    Copy,
    ReferenceCatalog,
    expected_lines,
    ingested,
)

TZ = "America/Sao_Paulo"
ZONE = ZoneInfo(TZ)
CUTOFF = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LATER_CUTOFF = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
HISTORY_STARTS = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
SEED = 360

CATALOG_CUSTOMERS = [
    Customer(
        customer_id=f"C-{number:02d}",
        segment=("consumer", "small_business", "gamer")[number % 3],
        city=("Sao Paulo", "Recife", "Curitiba")[number % 3],
        state=("SP", "PE", "PR")[number % 3],
    )
    for number in range(1, 17)
] + [Customer(customer_id="C-NEW-1", segment="consumer", city="Natal", state="RN")]
CATALOG = ReferenceCatalog(PRODUCTS, STORES, CATALOG_CUSTOMERS)
REGULARS = [f"C-{number:02d}" for number in range(1, 25)]
"""C-01 to C-16 are in the catalog, C-17 to C-24 are not (their attributes are NULL)."""
ONLY_RETURNS = "C-RETURNS"
ONLY_QUARANTINED = "C-HELD"
NEW_IN_CATALOG = "C-NEW-1"
NEW_UNKNOWN = "C-NEW-2"


@dataclass(frozen=True)
class Scenario:
    copies: list[Copy]

    def before(self, cutoff: datetime) -> list[Copy]:
        return [c for c in self.copies if c.event.ingested_at < cutoff]


def build_scenario() -> Scenario:
    rng = random.Random(SEED)
    copies: list[Copy] = []
    weights = [rng.choice((1, 1, 2, 4, 8)) for _ in REGULARS]
    history_seconds = int((CUTOFF - HISTORY_STARTS).total_seconds()) - 3600
    for number in range(170):
        occurred = HISTORY_STARTS + timedelta(seconds=rng.randint(0, history_seconds))
        late = timedelta(days=rng.randint(1, 9)) if number % 11 == 0 else timedelta(0)
        arrived = min(occurred + timedelta(seconds=rng.randint(1, 90)) + late, CUTOFF - _ms(1))
        customer = rng.choices([*REGULARS, None], weights=[*weights, 3])[0]
        event = _event(rng, f"EV-BEFORE-{number:04d}", occurred, customer)
        copies.append(Copy(ingested(event, arrived)))
        if number % 13 == 0:
            copies.append(Copy(ingested(event, arrived + timedelta(minutes=3), source="web")))
    for customer in ("C-03", "C-05", "C-20"):
        fixed = _event(rng, f"EV-FIXED-{customer}", _day(50), customer, kind="sale")
        copies.append(Copy(ingested(fixed, _day(50))))
    unknown_sku = _event(rng, "EV-NOSKU", _day(40), "C-03", sku="NOT-A-SKU")
    copies.append(Copy(ingested(unknown_sku, _day(40))))
    for number, days in enumerate((30, 12)):
        returned = _event(rng, f"EV-RET-ONLY-{number}", _day(days), ONLY_RETURNS, kind="return")
        copies.append(Copy(ingested(returned, _day(days))))
    held = _event(rng, "EV-HELD-01", _day(20), ONLY_QUARANTINED, currency="USD")
    copies.append(Copy(ingested(held, _day(20))))

    in_gold = copies[5].event
    after = CUTOFF + timedelta(minutes=1)
    for number in range(36):
        arrived = after + timedelta(minutes=rng.randint(0, 2 * 24 * 60))
        occurred = arrived - timedelta(seconds=rng.randint(1, 60))
        customer = rng.choice([*REGULARS[:12], NEW_IN_CATALOG, NEW_UNKNOWN, None])
        event = _event(rng, f"EV-AFTER-{number:03d}", occurred, customer)
        copies.append(Copy(ingested(event, arrived)))
    for hours, customer in enumerate((NEW_IN_CATALOG, NEW_UNKNOWN), start=4):
        first_purchase = _event(
            rng, f"EV-AFTER-{customer}", after + timedelta(hours=hours), customer, kind="sale"
        )
        copies.append(Copy(ingested(first_purchase, after + timedelta(hours=hours))))
    late_first = _event(
        rng, "EV-AFTER-LATE", HISTORY_STARTS - timedelta(days=20), "C-05", kind="sale"
    )
    copies.append(Copy(ingested(late_first, after + timedelta(hours=2))))
    only_a_return = _event(rng, "EV-AFTER-RET", after + timedelta(hours=3), "C-20", kind="return")
    copies.append(Copy(ingested(only_a_return, after + timedelta(hours=3))))
    resent = in_gold.model_dump(mode="json", exclude={"ingested_at", "source"})
    copies.append(Copy(ingested(resent, after + timedelta(hours=1), source="retry")))
    return Scenario(copies)


def _ms(count: int) -> timedelta:
    return timedelta(milliseconds=count)


def _day(days_before_cutoff: int) -> datetime:
    return CUTOFF - timedelta(days=days_before_cutoff, hours=5)


def _event(
    rng: random.Random,
    event_id: str,
    occurred: datetime,
    customer_id: str | None,
    *,
    kind: str | None = None,
    sku: str | None = None,
    currency: str = "BRL",
) -> dict[str, Any]:
    store = rng.choice(STORES)
    items = []
    for position in range(rng.randint(1, 3)):
        product = rng.choice(PRODUCTS)
        assert product.list_price is not None
        quantity = rng.randint(1, 3)
        discount = (
            product.list_price * quantity * Decimal(rng.choice(("0", "0", "0.05")))
        ).quantize(Decimal("0.01"))
        items.append(
            {
                "sku": sku if sku and position == 0 else product.sku,
                "quantity": quantity,
                "unit_price": str(product.list_price),
                "discount": str(discount),
            }
        )
    return {
        "event_id": event_id,
        "event_type": kind or ("return" if rng.random() < 0.1 else "sale"),
        "occurred_at": occurred.isoformat(),
        "channel": store.channel.value,
        "store_id": store.store_id,
        "order_id": f"O-{event_id}",
        "customer_id": customer_id,
        "currency": currency,
        "payment_method": rng.choice(("pix", "credit_card", "cash")),
        "items": items,
    }


# --- the oracle -----------------------------------------------------------------------------


def gold_lines(copies: list[Copy]) -> list[dict[str, Any]]:
    return expected_lines(copies, TZ, CATALOG)


def money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def base_profiles(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every profile field but the scores, segment and day counts, per customer with a sale."""
    by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        if line["customer_id"] is not None:
            by_customer[line["customer_id"]].append(line)
    current = {c.customer_id: c for c in CATALOG.customers}
    profiles = {}
    for customer_id, own in by_customer.items():
        sales = {line["event_id"]: line for line in own if line["event_type"] == "sale"}
        if not sales:
            continue
        returns = {line["event_id"] for line in own if line["event_type"] == "return"}
        first = min(sales.values(), key=lambda line: line["occurred_at"])
        last = max(sales.values(), key=lambda line: line["occurred_at"])
        channel_orders: dict[str, int] = defaultdict(int)
        for line in sales.values():
            channel_orders[line["channel"]] += 1
        category_net: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
        for line in own:
            if line["category"] is not None:
                category_net[line["category"]] += line["net_amount"]
        net = sum((line["net_amount"] for line in own), Decimal("0.00"))
        latest = max(own, key=lambda line: (line["occurred_at"], line["event_id"]))
        catalog = current.get(customer_id)
        profiles[customer_id] = {
            "customer_id": customer_id,
            "customer_segment": catalog.segment if catalog else latest["customer_segment"],
            "customer_city": catalog.city if catalog else latest["customer_city"],
            "customer_state": catalog.state if catalog else latest["customer_state"],
            "first_purchase_at": first["occurred_at"],
            "last_purchase_at": last["occurred_at"],
            "first_purchase_date": first["occurred_at"].astimezone(ZONE).date(),
            "last_purchase_date": last["occurred_at"].astimezone(ZONE).date(),
            "orders": len(sales),
            "returns": len(returns),
            "units": sum(line["net_units"] for line in own),
            "net_revenue": net,
            "average_ticket": (net / len(sales)).quantize(Decimal("0.01"), ROUND_HALF_UP),
            "preferred_channel": sorted(channel_orders.items(), key=lambda kv: (-kv[1], kv[0]))[0][
                0
            ],
            "preferred_category": (
                sorted(category_net.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                if category_net
                else None
            ),
            "channel_orders": dict(channel_orders),
            "category_net_revenue": dict(category_net),
        }
    return profiles


MEASURES = {
    "recency_score": "last_purchase_date",
    "frequency_score": "orders",
    "monetary_score": "net_revenue",
}


def quintile(value: Any, population: list[Any]) -> int:
    """1 + floor(5 * (customers with a smaller value) / customers), at most 5."""
    smaller = sum(1 for other in population if other < value)
    return min(5, 1 + 5 * smaller // len(population))


def segment(r: int, f: int, m: int) -> str:
    """docs/serving.md's rule table, first match wins."""
    if r >= 4 and f >= 4 and m >= 4:
        return "Champions"
    if r >= 3 and f >= 4:
        return "Loyal"
    if r >= 4 and f in (2, 3):
        return "Potential loyalists"
    if r >= 4 and f == 1:
        return "New"
    if r == 3:
        return "Need attention"
    if f >= 3:
        return "At risk"
    return "Hibernating" if r == 2 else "Lost"


def scored(
    profile: dict[str, Any], population: dict[str, dict[str, Any]], as_of: date
) -> dict[str, Any]:
    """`profile` scored among `population` (a run's customers), its days counted to `as_of`."""
    result = dict(profile)
    for name, measure in MEASURES.items():
        result[name] = quintile(profile[measure], [p[measure] for p in population.values()])
    result["rfm_segment"] = segment(
        result["recency_score"], result["frequency_score"], result["monetary_score"]
    )
    result["tenure_days"] = (as_of - profile["first_purchase_date"]).days
    result["recency_days"] = (as_of - profile["last_purchase_date"]).days
    result["as_of_date"] = as_of
    return result


def cut_points(population: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Row k: each measure's value at position ceil(k * n / 5) in ascending order."""
    n = len(population)
    rows = []
    for boundary in range(1, 5):
        position = math.ceil(boundary * n / 5) - 1
        rows.append(
            {
                "boundary": boundary,
                **{
                    measure: sorted(p[measure] for p in population.values())[position]
                    for measure in MEASURES.values()
                },
            }
        )
    return rows


def cohorts(lines: list[dict[str, Any]], as_of: date) -> list[dict[str, Any]]:
    buyers_by_month: dict[str, set[date]] = defaultdict(set)
    for line in lines:
        if line["customer_id"] is not None and line["event_type"] == "sale":
            buyers_by_month[line["customer_id"]].add(line["sale_date"].replace(day=1))
    cohort_of = {customer: min(months) for customer, months in buyers_by_month.items()}
    rows = []
    for cohort in sorted(set(cohort_of.values())):
        members = [c for c, first in cohort_of.items() if first == cohort]
        span = (as_of.year - cohort.year) * 12 + as_of.month - cohort.month
        for months in range(span + 1):
            index = cohort.year * 12 + cohort.month - 1 + months
            month = date(index // 12, index % 12 + 1, 1)
            active = sum(1 for c in members if month in buyers_by_month[c])
            rows.append(
                {
                    "cohort_month": cohort,
                    "months_since_first": months,
                    "customers": len(members),
                    "active_customers": active,
                    "retention_rate": active / len(members),
                }
            )
    return rows


def as_json(profile: dict[str, Any]) -> dict[str, Any]:
    """A scored oracle profile in the API's JSON shape."""
    return {
        **profile,
        "first_purchase_at": profile["first_purchase_at"].isoformat(),
        "last_purchase_at": profile["last_purchase_at"].isoformat(),
        "first_purchase_date": profile["first_purchase_date"].isoformat(),
        "last_purchase_date": profile["last_purchase_date"].isoformat(),
        "as_of_date": profile["as_of_date"].isoformat(),
        "net_revenue": money(profile["net_revenue"]),
        "average_ticket": money(profile["average_ticket"]),
        "category_net_revenue": {k: money(v) for k, v in profile["category_net_revenue"].items()},
    }
