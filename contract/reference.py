"""Reference data the batch and serving layers join sale lines to: products, stores, customers.

A shop loads its own tables with `salesflow reference load`; each load is a version with an
`effective_from` instant. Readers never see the versions themselves: they read one *effective*
table per kind, a type-2 slowly changing dimension with one row per key and validity interval
`[valid_from, valid_to)`, so a sale line joins to the attributes in force when it happened (its
`occurred_at`). How versions become that table is `batch_layer.reference.effective`; where both
live in the lake is `contract.lake`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Annotated

import pyarrow as pa
from pydantic import AfterValidator, BaseModel, ConfigDict

from contract.arrow_schema import TIMESTAMP_TYPE, arrow_schema
from contract.business_day import known_time_zone
from contract.event import Channel, CurrencyCode, Identifier
from contract.money import Money

UNKNOWN_ATTRIBUTE = "(unknown)"
"""How a report labels a product, store or customer attribute of a key not (yet) in the catalog."""

VALID_FROM_MIN = datetime(1970, 1, 1, tzinfo=UTC)
"""`valid_from` of a key's first version: it also covers every sale before its effective date,
so a catalog loaded late fills in the past."""
VALID_TO_MAX = datetime(9999, 12, 31, tzinfo=UTC)
"""`valid_to` of a key's newest version: open-ended, without a NULL every join must special-case."""


TimeZoneName = Annotated[str, AfterValidator(known_time_zone)]


class _ReferenceRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Product(_ReferenceRow):
    sku: Identifier
    name: str
    category: str
    subcategory: str | None = None
    brand: str | None = None
    unit_cost: Money | None = None
    """What one unit costs the shop; without it a line's cost and margin are unknown (NULL)."""
    list_price: Money | None = None


class Store(_ReferenceRow):
    store_id: Identifier
    name: str
    channel: Channel
    currency: CurrencyCode
    city: str | None = None
    state: str | None = None
    region: str | None = None
    opened_on: date | None = None
    time_zone: TimeZoneName | None = None
    """The store's IANA time zone (America/Manaus): its business day under
    `SALESFLOW_BUSINESS_DAY=store`; none means the reporting zone (`contract.business_day`)."""


class Customer(_ReferenceRow):
    customer_id: Identifier
    segment: str | None = None
    city: str | None = None
    state: str | None = None
    first_purchase_on: date | None = None


@dataclass(frozen=True)
class ReferenceTable:
    """One kind of reference data: its lake name, row model and key column."""

    name: str
    model: type[_ReferenceRow]
    key: str
    example: dict[str, str]
    """One row as a shop would write it in a CSV file, for `salesflow reference schema`."""

    def schema(self) -> pa.Schema:
        """The columns of a loaded version, as the model declares them."""
        return arrow_schema(self.model)

    def arrow(self, rows: Sequence[BaseModel]) -> pa.Table:
        """Validated rows of this table as Arrow in `schema()`, enums as their values."""
        dumped = [row.model_dump() for row in rows]
        plain = [{k: v.value if isinstance(v, Enum) else v for k, v in d.items()} for d in dumped]
        return pa.Table.from_pylist(plain, schema=self.schema())

    def conform(self, rows: pa.Table) -> pa.Table:
        """A stored version in `schema()`: a column the model gained after the version was
        loaded (a store's `time_zone`) is NULL there, as if the file had left it empty."""
        schema = self.schema()
        missing = [f for f in schema if f.name not in rows.column_names and f.nullable]
        for field in missing:
            rows = rows.append_column(field, pa.nulls(rows.num_rows, field.type))
        return rows.select(schema.names).cast(schema)

    def effective_schema(self) -> pa.Schema:
        """The effective table: the model's columns, then the SCD type-2 bookkeeping."""
        return pa.schema(
            [
                *self.schema(),
                pa.field("version", pa.int32(), nullable=False),
                pa.field("valid_from", TIMESTAMP_TYPE, nullable=False),
                pa.field("valid_to", TIMESTAMP_TYPE, nullable=False),
                pa.field("is_current", pa.bool_(), nullable=False),
            ]
        )


REFERENCE_TABLES: dict[str, ReferenceTable] = {
    table.name: table
    for table in (
        ReferenceTable(
            "products",
            Product,
            "sku",
            {
                "sku": "NB-ACER-A515",
                "name": "Acer Aspire 5 15.6in i5 8GB 512GB",
                "category": "Notebooks",
                "subcategory": "Everyday notebooks",
                "brand": "Acer",
                "unit_cost": "2890.00",
                "list_price": "3799.90",
            },
        ),
        ReferenceTable(
            "stores",
            Store,
            "store_id",
            {
                "store_id": "SP-PAULISTA",
                "name": "Paulista",
                "channel": "pos",
                "currency": "BRL",
                "city": "Sao Paulo",
                "state": "SP",
                "region": "Southeast",
                "opened_on": "2012-03-15",
                "time_zone": "America/Sao_Paulo",
            },
        ),
        ReferenceTable(
            "customers",
            Customer,
            "customer_id",
            {
                "customer_id": "C-000001",
                "segment": "gamer",
                "city": "Campinas",
                "state": "SP",
                "first_purchase_on": "2019-07-02",
            },
        ),
    )
}


def reference_table(name: str) -> ReferenceTable:
    """The table called `name`; the error lists the valid names."""
    try:
        return REFERENCE_TABLES[name]
    except KeyError:
        raise ValueError(
            f"unknown reference table {name!r}; use one of {', '.join(REFERENCE_TABLES)}"
        ) from None
