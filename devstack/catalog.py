"""The reference catalog of a Brazilian computers-and-electronics retailer, and its lake writer.

The catalog is generated from the hand-written facts in `devstack.catalog_data` with a seeded
random generator, so the same seed always gives the same products, stores and customers: the
simulator, the tests and the reference tables in the lake all agree without sharing files.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pyarrow as pa
from pydantic import BaseModel

from batch_layer.reference.versions import effective_file, load_version
from contract.lake_io import LakeFiles
from contract.money import CENT
from contract.reference import (
    REFERENCE_TABLES,
    VALID_FROM_MIN,
    Customer,
    Product,
    Store,
    reference_table,
)
from contract.settings import Settings
from devstack.catalog_data import (
    CATEGORY_ECONOMICS,
    CUSTOMER_CITIES,
    CUSTOMER_SEGMENTS,
    PRODUCT_LINES,
    STORES,
)

logger = logging.getLogger(__name__)

DEFAULT_SEED = 42
DEFAULT_CUSTOMER_COUNT = 3_000
CURRENCY = "BRL"
PRICE_JITTER = Decimal("0.06")
"""List prices vary by up to this fraction per seed, so different seeds give different shops."""
FIRST_PURCHASE_RANGE = (date(2015, 1, 1), date(2025, 12, 31))


@dataclass(frozen=True)
class Catalog:
    products: list[Product]
    stores: list[Store]
    customers: list[Customer]

    def rows(self, table: str) -> list[BaseModel]:
        """The models of one reference table by its lake name (`products`, `stores`, ...)."""
        tables: dict[str, list[BaseModel]] = {
            "products": list(self.products),
            "stores": list(self.stores),
            "customers": list(self.customers),
        }
        if table not in tables:
            raise ValueError(f"unknown reference table {table!r}; use one of {sorted(tables)}")
        return tables[table]


def build_catalog(
    seed: int = DEFAULT_SEED, customer_count: int = DEFAULT_CUSTOMER_COUNT
) -> Catalog:
    """The whole catalog for `seed`: deterministic, so every process can rebuild it on its own."""
    if customer_count < 1:
        raise ValueError(f"customer_count must be at least 1, got {customer_count}")
    rng = random.Random(seed)
    return Catalog(
        products=_products(rng),
        stores=_stores(),
        customers=_customers(rng, customer_count),
    )


def shelf_price(amount: Decimal) -> Decimal:
    """Round to a price a Brazilian shop would print: 4599.90, 79.90, never 4587.13."""
    if amount >= 100:
        tens = (amount / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return max(tens * 10 - Decimal("0.10"), Decimal("9.90"))
    units = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(units - Decimal("0.10"), Decimal("9.90"))


def _products(rng: random.Random) -> list[Product]:
    products = []
    for line in PRODUCT_LINES:
        economics = CATEGORY_ECONOMICS[line.category]
        for variant in line.variants:
            jitter = Decimal(str(round(rng.uniform(-1, 1), 4))) * PRICE_JITTER
            list_price = shelf_price(Decimal(variant.base_price) * (1 + jitter))
            margin = Decimal(
                str(round(rng.uniform(float(economics.min_margin), float(economics.max_margin)), 4))
            )
            products.append(
                Product(
                    sku=f"{line.sku_stem}-{variant.sku_suffix}",
                    name=f"{line.name_stem} {variant.name_suffix}",
                    category=line.category,
                    subcategory=line.subcategory,
                    brand=line.brand,
                    unit_cost=(list_price * (1 - margin)).quantize(CENT, rounding=ROUND_HALF_UP),
                    list_price=list_price,
                )
            )
    return products


def _stores() -> list[Store]:
    return [
        Store(
            store_id=fact.store_id,
            name=fact.name,
            channel=fact.channel,
            city=fact.city,
            state=fact.state,
            region=fact.region,
            currency=CURRENCY,
            opened_on=fact.opened_on,
        )
        for fact in STORES
    ]


def _customers(rng: random.Random, count: int) -> list[Customer]:
    cities = [(city, state) for city, state, _ in CUSTOMER_CITIES]
    city_weights = [weight for _, _, weight in CUSTOMER_CITIES]
    segments = [segment for segment, _ in CUSTOMER_SEGMENTS]
    segment_weights = [weight for _, weight in CUSTOMER_SEGMENTS]
    first, last = FIRST_PURCHASE_RANGE
    span_days = (last - first).days
    customers = []
    for number in range(1, count + 1):
        city, state = rng.choices(cities, city_weights)[0]
        customers.append(
            Customer(
                customer_id=f"C-{number:06d}",
                segment=rng.choices(segments, segment_weights)[0],
                city=city,
                state=state,
                first_purchase_on=first + timedelta(days=rng.randint(0, span_days)),
            )
        )
    return customers


def reference_table_arrow(catalog: Catalog, table: str) -> pa.Table:
    """One reference table as Arrow, in the contract's schema (enums as their values)."""
    return reference_table(table).arrow(catalog.rows(table))


def write_reference(lake_uri: str, catalog: Catalog, *, settings: Settings) -> list[str]:
    """Load every table of the demo catalog as a version of the lake's reference data, through
    the same versioned loader `salesflow reference load` uses. Returns the effective tables' URIs.
    """
    lake = LakeFiles.open(lake_uri, settings)
    written = []
    for name in REFERENCE_TABLES:
        table = reference_table(name)
        load_version(
            lake,
            table,
            reference_table_arrow(catalog, name),
            effective_from=VALID_FROM_MIN,
            file_name="demo catalog",
        )
        written.append(lake.uri_of(effective_file(table)))
    return written


def reference_present(lake_uri: str, *, settings: Settings) -> bool:
    """Whether every reference table has a version (`salesflow up` loads the demo's only if not)."""
    lake = LakeFiles.open(lake_uri, settings)
    return all(lake.exists(effective_file(reference_table(name))) for name in REFERENCE_TABLES)
