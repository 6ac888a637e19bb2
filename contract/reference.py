"""Reference data the batch and serving layers join sale lines to (DESIGN section 6).

They live in the lake under `reference/<table>/` as Parquet with the Arrow schemas derived here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from contract.arrow_schema import arrow_schema
from contract.event import Channel


class Product(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str
    name: str
    category: str
    subcategory: str
    brand: str
    unit_cost: Decimal
    list_price: Decimal


class Store(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    store_id: str
    name: str
    channel: Channel
    city: str
    state: str
    region: str
    currency: str
    opened_on: date


class Customer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: str
    segment: str
    city: str
    state: str
    first_purchase_on: date


REFERENCE_MODELS: dict[str, type[BaseModel]] = {
    "products": Product,
    "stores": Store,
    "customers": Customer,
}


def reference_schema(table: str) -> pa.Schema:
    return arrow_schema(REFERENCE_MODELS[table])
