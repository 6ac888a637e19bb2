"""A year of sales across regions, brands, promotions and returns, split by a boundary T, and the
plain-Python oracle for the analyst's questions about it.

The lake: gold written by `expected_lines` for everything ingested before CUTOFF, bronze for
every delivered copy (the real-time view keeps those ingested since T): late events (occurred
months ago, ingested after T), copies re-sent across the boundary, a product without a cost, an
unknown sku, sales just before and after local midnight at week and month ends. The oracle reads
the events the test sent, never the SQL: buckets from each line's local time, filters and groups
by the attribute labels the API documents, ratios rounded half up from the group's sums.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from contract.reference import Customer, Product, Store
from tests.unit.serving.sample_lake import (
    CUSTOMERS,
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
FIRST_SALE = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
LAST_SALE = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)

CATALOG = ReferenceCatalog(
    products=[
        *PRODUCTS,
        Product(
            sku="CABLE-HDMI-2M",
            name="HDMI cable 2 m",
            category="peripherals",
            subcategory="cables",
            brand="Generic",
            list_price=Decimal("39.90"),
        ),
        Product(
            sku="TAB-SAMS-A9",
            name="Galaxy Tab A9",
            category="tablets",
            subcategory="tablets",
            brand="Samsung",
            unit_cost=Decimal("850.00"),
            list_price=Decimal("1199.00"),
        ),
        Product(
            sku="HEADSET-JBL-T520",
            name="JBL Tune 520",
            category="audio",
            subcategory="headphones",
            brand="JBL",
            unit_cost=Decimal("180.00"),
            list_price=Decimal("299.00"),
        ),
    ],
    stores=[
        *STORES,
        Store(
            store_id="POA-MOINHOS-01",
            name="Moinhos",
            channel="pos",
            city="Porto Alegre",
            state="RS",
            region="Sul",
            currency="BRL",
        ),
        Store(
            store_id="REC-BOAVIAGEM-01",
            name="Boa Viagem",
            channel="pos",
            city="Recife",
            state="PE",
            region="Nordeste",
            currency="BRL",
        ),
    ],
    customers=[
        *CUSTOMERS,
        Customer(customer_id="C-000077", segment="silver", city="Recife", state="PE"),
    ],
)
SOLD_SKUS = [p.sku for p in CATALOG.products if p.sku != "HEADSET-JBL-T520"] + ["NOT-A-SKU"]
"""What the events sell: every catalog product but the headset (a slow mover that never sold),
and a sku the catalog does not know."""
PRICES = {p.sku: p.list_price or Decimal("10.00") for p in CATALOG.products}
PAYMENTS = ["pix", "credit_card", "debit_card", "cash"]
PROMOTIONS = [None, None, None, "BF-2026", "NATAL"]


def analytics_copies(make_event: Callable[..., dict[str, Any]]) -> list[Copy]:
    """Every delivered copy, deterministic; gold holds those ingested before CUTOFF."""
    rng = random.Random(12)
    span = (LAST_SALE - FIRST_SALE).total_seconds()
    instants = [FIRST_SALE + timedelta(seconds=rng.uniform(0, span)) for _ in range(220)]
    instants += [
        datetime(2026, 11, 15, 23, 30, tzinfo=ZONE),  # Sunday night: ISO week of 9 November
        datetime(2026, 11, 16, 0, 10, tzinfo=ZONE),  # Monday: week of 16 November
        datetime(2026, 10, 31, 23, 30, tzinfo=ZONE),  # October locally, 1 November in UTC
        datetime(2025, 11, 30, 23, 50, tzinfo=ZONE),  # last year's November, locally
        *(datetime(2026, 11, 20, hour, 40, tzinfo=ZONE) for hour in (19, 21, 23)),
        *(datetime(2026, 11, 21, hour, 20, tzinfo=ZONE) for hour in (1, 4, 7, 8)),  # before T
        *(datetime(2026, 11, 21, hour, 30, tzinfo=ZONE) for hour in (10, 11, 14, 16)),  # after
    ]
    copies = []
    for number, occurred in enumerate(sorted(instants)):
        payload = _event(make_event, rng, occurred, number)
        copies.append(Copy(ingested(payload, occurred + timedelta(seconds=2))))
        if number % 37 == 5:  # a client retry after T of an event gold may already hold
            copies.append(Copy(ingested(payload, CUTOFF + timedelta(hours=3), source="retry")))
    for number in range(12):  # late: occurred months ago, ingested after T
        occurred = FIRST_SALE + timedelta(days=rng.uniform(0, 440))
        payload = _event(make_event, rng, occurred, 1000 + number)
        copies.append(Copy(ingested(payload, CUTOFF + timedelta(minutes=10 + number))))
    return copies


def expected_lines_of(copies: Iterable[Copy]) -> list[dict[str, Any]]:
    """The oracle's gold-shaped lines of these copies, with this scenario's catalog."""
    return expected_lines(copies, TZ, CATALOG)


def _event(
    make_event: Callable[..., dict[str, Any]],
    rng: random.Random,
    occurred: datetime,
    number: int,
) -> dict[str, Any]:
    store = rng.choice(CATALOG.stores)
    items = []
    for sku in rng.sample(SOLD_SKUS, rng.randint(1, 3)):
        price = PRICES.get(sku, Decimal("25.00"))
        quantity = rng.randint(1, 3)
        discount = (price * quantity / 10).quantize(Decimal("0.01")) if rng.random() < 0.3 else 0
        item: dict[str, Any] = {"sku": sku, "quantity": quantity, "unit_price": str(price)}
        if discount:
            item["discount"] = str(discount)
            if promotion := rng.choice(PROMOTIONS):
                item["promotion_id"] = promotion
        items.append(item)
    return make_event(
        kind="return" if number % 13 == 7 else "sale",
        occurred_at=occurred.isoformat(),
        store_id=store.store_id,
        channel=store.channel.value,
        order_id=f"ORD-{number:05d}",
        customer_id=rng.choice(["C-000042", "C-000077", None]),
        payment_method=rng.choice(PAYMENTS),
        items=items,
        total=None,
    )


# ---------------------------------------------------------------------------------------------
# The oracle


UNKNOWN = "(unknown)"
NONE = "(none)"
CATALOG_COLUMNS = {
    "category",
    "subcategory",
    "brand",
    "store_region",
    "store_state",
    "store_city",
    "customer_segment",
}


def label(line: dict[str, Any], dimension: str) -> str:
    """A line's value of a dimension as the API labels it."""
    value = line[dimension]
    if value is None:
        return UNKNOWN if dimension in CATALOG_COLUMNS else NONE
    return str(value)


def local(line: dict[str, Any]) -> datetime:
    occurred: datetime = line["occurred_at"]
    return occurred.astimezone(ZONE)


def day_bucket(moment: datetime) -> str:
    return moment.date().isoformat()


def week_bucket(moment: datetime) -> str:
    day = moment.date()
    return (day - timedelta(days=day.weekday())).isoformat()


def month_bucket(moment: datetime) -> str:
    return moment.date().replace(day=1).isoformat()


def hour_bucket(moment: datetime) -> str:
    return moment.replace(minute=0, second=0, microsecond=0).isoformat()


@dataclass
class Sums:
    net: Decimal = Decimal("0.00")
    gross: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")
    cost: Decimal | None = None
    margin: Decimal | None = None
    costed: Decimal = Decimal("0.00")
    units: int = 0
    orders: set[str] = field(default_factory=set)
    returns: set[str] = field(default_factory=set)

    def add(self, line: dict[str, Any]) -> None:
        self.net += line["net_amount"]
        self.gross += line["gross_amount"]
        self.discount += line["discount_amount"]
        self.units += line["net_units"]
        (self.orders if line["event_type"] == "sale" else self.returns).add(line["event_id"])
        if line["cost_amount"] is not None:
            self.cost = (self.cost or Decimal("0.00")) + line["cost_amount"]
            self.margin = (self.margin or Decimal("0.00")) + line["margin_amount"]
            self.costed += line["net_amount"]

    def as_api(self) -> dict[str, Any]:
        """The API's row for these sums: money and ratios as strings, counts as ints."""
        orders = len(self.orders)

        def ratio(numerator: Decimal | int | None, denominator: Decimal | int) -> str | None:
            if numerator is None or not denominator:
                return None
            value = Decimal(numerator) / Decimal(denominator)
            return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

        return {
            "net_revenue": f"{self.net:.2f}",
            "gross_revenue": f"{self.gross:.2f}",
            "discount": f"{self.discount:.2f}",
            "cost": None if self.cost is None else f"{self.cost:.2f}",
            "margin": None if self.margin is None else f"{self.margin:.2f}",
            "costed_net_revenue": f"{self.costed:.2f}",
            "margin_pct": ratio(None if self.margin is None else self.margin * 100, self.costed),
            "units": self.units,
            "orders": orders,
            "returns": len(self.returns),
            "average_ticket": ratio(self.net, orders),
            "units_per_order": ratio(self.units, orders),
            "return_rate": ratio(len(self.returns) * 100, orders),
        }


Bucketer = Callable[[datetime], str]


def oracle(
    lines: Iterable[dict[str, Any]],
    start: datetime,
    end: datetime,
    bucket: Bucketer,
    group_by: tuple[str, ...] = (),
    filters: dict[str, set[str]] | None = None,
    moved: Callable[[datetime], datetime] = lambda moment: moment,
) -> tuple[dict[tuple[str, ...], dict[str, Any]], dict[str, Any]]:
    """Rows (bucket, *groups) -> metrics and the total, over the lines that occurred in
    [start, end) and pass `filters`; each line bucketed at `moved(local time)` (a comparison
    line moved into the asked range)."""
    rows: dict[tuple[str, ...], Sums] = {}
    total = Sums()
    for line in lines:
        if not start <= line["occurred_at"] < end:
            continue
        if any(label(line, name) not in values for name, values in (filters or {}).items()):
            continue
        key = (bucket(moved(local(line))), *(label(line, name) for name in group_by))
        rows.setdefault(key, Sums()).add(line)
        total.add(line)
    return {key: sums.as_api() for key, sums in rows.items()}, total.as_api()


def years_later(moment: datetime, years: int = 1) -> datetime:
    """Forward by whole years on the wall clock (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZONE)
