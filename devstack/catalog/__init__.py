"""The demo's reference catalog (a Brazilian computers-and-electronics retailer) and its writer.

Products and stores are data: `products.csv` and `stores.csv` beside this module, in the columns
`salesflow reference load` takes, and read by the same reader (`read_reference_file`), so the demo
exercises the path a shop's own files take (`salesflow reference load products
devstack/catalog/products.csv` loads them by hand). `store_traffic.csv` says how much each store
sells, for the simulator only. Customers are generated from `customer_cities.csv` and
`customer_segments.csv` with a seeded random generator, so the same seed and count always give the
same customers: the simulator, the tests and the reference tables in the lake all agree without
sharing files, and a benchmark can ask for as many as it needs.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from batch_layer.reference.files import read_reference_file
from batch_layer.reference.versions import load_version
from contract.lake import reference_effective_file
from contract.lake_io import LakeFiles
from contract.reference import (
    REFERENCE_TABLES,
    VALID_FROM_MIN,
    Customer,
    Product,
    Store,
    reference_table,
)
from contract.settings import Settings

CATALOG_DIR = Path(__file__).resolve().parent
DEFAULT_SEED = 42
DEFAULT_CUSTOMER_COUNT = 3_000
FIRST_PURCHASE_RANGE = (date(2015, 1, 1), date(2025, 12, 31))

Row = TypeVar("Row", bound=BaseModel)


@dataclass(frozen=True)
class Catalog:
    products: list[Product]
    stores: list[Store]
    customers: list[Customer]
    traffic_weights: dict[str, float] = field(default_factory=dict)
    """Each store's relative share of the chain's sales (`store_traffic.csv`); 1.0 when absent."""

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

    def traffic_weight(self, store_id: str) -> float:
        return self.traffic_weights.get(store_id, 1.0)


def build_catalog(
    seed: int = DEFAULT_SEED, customer_count: int = DEFAULT_CUSTOMER_COUNT
) -> Catalog:
    """The whole catalog: the CSV files' products and stores, and `customer_count` customers
    generated from `seed` (deterministic, so every process can rebuild it on its own)."""
    if customer_count < 1:
        raise ValueError(f"customer_count must be at least 1, got {customer_count}")
    return Catalog(
        products=_reference_rows("products", Product),
        stores=_reference_rows("stores", Store),
        customers=_customers(random.Random(seed), customer_count),
        traffic_weights={
            row["store_id"]: float(row["traffic_weight"]) for row in _csv("store_traffic")
        },
    )


def _reference_rows(table: str, model: type[Row]) -> list[Row]:
    """A table's CSV file read and validated exactly as `salesflow reference load` reads it."""
    rows = read_reference_file(CATALOG_DIR / f"{table}.csv", reference_table(table))
    return [model.model_validate(row) for row in rows.to_pylist()]


def _csv(name: str) -> list[dict[str, str]]:
    with (CATALOG_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _customers(rng: random.Random, count: int) -> list[Customer]:
    cities = [(row["city"], row["state"]) for row in _csv("customer_cities")]
    city_weights = [float(row["weight"]) for row in _csv("customer_cities")]
    segments = [row["segment"] for row in _csv("customer_segments")]
    segment_weights = [float(row["weight"]) for row in _csv("customer_segments")]
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
            table.arrow(catalog.rows(name)),
            effective_from=VALID_FROM_MIN,
            file_name="demo catalog",
        )
        written.append(lake.uri_of(reference_effective_file(table.name)))
    return written


def reference_present(lake_uri: str, *, settings: Settings) -> bool:
    """Whether every reference table has a version (`salesflow up` loads the demo's only if not)."""
    lake = LakeFiles.open(lake_uri, settings)
    return all(lake.exists(reference_effective_file(name)) for name in REFERENCE_TABLES)
