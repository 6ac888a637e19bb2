"""Writes a small lake with the contract's schemas, and the independent oracle for its numbers.

Serving tests build their own bronze, CSV uploads, reference tables and gold with pyarrow, and
check the engines against `expected_lines`: a plain-Python reading of docs/contract.md and
docs/architecture.md (first copy of each event wins, quality rules drop lines, returns count
negative, calendar in the reporting time zone or the store's own) that shares no code with the SQL.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

from batch_layer.csv_format import UPLOAD_COLUMNS, upload_rows
from batch_layer.reference.versions import load_version
from contract.bronze import bronze_table
from contract.business_day import BusinessDay
from contract.content_digest import content_digest
from contract.event import IngestedSaleEvent
from contract.gold import SALES_WIDE, SALES_WIDE_SCHEMA
from contract.lake import (
    CSV_UPLOADS,
    MANIFEST_FILE,
    PUBLISHED_POINTER,
    bronze_partition,
    gold_run,
    sales_wide_manifest,
)
from contract.lake_io import LakeFiles
from contract.quality import MAX_LINE_NET_AMOUNT
from contract.reference import VALID_FROM_MIN, Customer, Product, Store, reference_table
from contract.settings import Settings

PRODUCTS = [
    Product(
        sku="NB-DELL-I5-16",
        name="Notebook Dell i5",
        category="computers",
        subcategory="notebooks",
        brand="Dell",
        unit_cost=Decimal("3800.00"),
        list_price=Decimal("4599.90"),
    ),
    Product(
        sku="MOUSE-LOGI-M170",
        name="Mouse Logitech M170",
        category="peripherals",
        subcategory="mice",
        brand="Logitech",
        unit_cost=Decimal("40.00"),
        list_price=Decimal("79.90"),
    ),
    Product(
        sku="MON-LG-27",
        name="Monitor LG 27",
        category="monitors",
        subcategory="monitors",
        brand="LG",
        unit_cost=Decimal("900.00"),
        list_price=Decimal("1299.00"),
    ),
]
STORES = [
    Store(
        store_id="SP-PAULISTA-01",
        name="Paulista",
        channel="pos",
        city="Sao Paulo",
        state="SP",
        region="Sudeste",
        currency="BRL",
        opened_on=date(2020, 1, 1),
    ),
    Store(
        store_id="RJ-CENTRO-01",
        name="Centro RJ",
        channel="pos",
        city="Rio de Janeiro",
        state="RJ",
        region="Sudeste",
        currency="BRL",
        opened_on=date(2021, 3, 1),
    ),
    Store(
        store_id="WEB-01",
        name="Web shop",
        channel="ecommerce",
        city="Sao Paulo",
        state="SP",
        region="Sudeste",
        currency="BRL",
        opened_on=date(2019, 6, 1),
    ),
]
CUSTOMERS = [
    Customer(
        customer_id="C-000042",
        segment="gold",
        city="Sao Paulo",
        state="SP",
        first_purchase_on=date(2022, 5, 1),
    ),
]


@dataclass(frozen=True)
class ReferenceCatalog:
    """The reference data of a test lake, read by both the loader and the oracle."""

    products: list[Product]
    stores: list[Store]
    customers: list[Customer]


TEST_CATALOG = ReferenceCatalog(PRODUCTS, STORES, CUSTOMERS)


def ingested(
    payload: dict[str, Any], ingested_at: datetime, source: str = "pos"
) -> IngestedSaleEvent:
    return IngestedSaleEvent.model_validate(
        {**payload, "ingested_at": ingested_at, "source": source}, strict=False
    )


def write_reference(lake: Path, catalog: ReferenceCatalog = TEST_CATALOG) -> None:
    """The test catalog as version 1 of each reference table, through the real loader."""
    files = LakeFiles.open(str(lake), Settings(lake_uri=str(lake)))
    tables: tuple[tuple[str, list[Any]], ...] = (
        ("products", catalog.products),
        ("stores", catalog.stores),
        ("customers", catalog.customers),
    )
    for table, rows in tables:
        kind = reference_table(table)
        load_version(
            files,
            kind,
            kind.arrow(rows),
            effective_from=VALID_FROM_MIN,
            file_name="test catalog",
        )


def write_bronze(lake: Path, events: Iterable[IngestedSaleEvent]) -> None:
    """One Parquet file per ingest hour, like a speed-layer batch."""
    by_partition: dict[str, list[IngestedSaleEvent]] = {}
    for event in events:
        by_partition.setdefault(bronze_partition(event.ingested_at), []).append(event)
    for partition, group in by_partition.items():
        folder = lake / partition
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(bronze_table(group), folder / f"{uuid.uuid4().hex}.parquet")


def write_csv_upload(lake: Path, events: Iterable[IngestedSaleEvent]) -> Path:
    folder = lake / CSV_UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(UPLOAD_COLUMNS)
        for event in events:
            writer.writerows(upload_rows(event, (event.ingested_at.isoformat(), event.source)))
    return path


def write_inputs(
    lake: Path, copies: Iterable[Copy], catalog: ReferenceCatalog = TEST_CATALOG
) -> None:
    """Reference data, then every copy where it arrived: bronze, or a CSV upload."""
    delivered = list(copies)
    write_reference(lake, catalog)
    write_bronze(lake, [c.event for c in delivered if not c.via_csv])
    write_csv_upload(lake, [c.event for c in delivered if c.via_csv])


@dataclass(frozen=True)
class Copy:
    """One delivered copy of an event and whether it arrived through bronze or a CSV upload."""

    event: IngestedSaleEvent
    via_csv: bool = False


def sales(copies: Iterable[Copy]) -> dict[str, Copy]:
    """Sale id -> the copy counted for it: per event id the first copy (ingested first, then the
    smaller source, then bronze before CSV), and per other source whose first copy sold
    something else, that copy as `<event_id>~<source>` (ADR 0021)."""
    by_id: dict[str, list[Copy]] = {}
    for copy in copies:
        by_id.setdefault(copy.event.event_id, []).append(copy)
    counted: dict[str, Copy] = {}
    for event_id, group in by_id.items():
        ordered = sorted(group, key=_arrival)
        winner = ordered[0]
        counted[event_id] = winner
        for copy in ordered[1:]:
            if copy.event.source != winner.event.source and sold(copy.event) != sold(winner.event):
                counted.setdefault(f"{event_id}~{copy.event.source}", copy)
    return counted


def _arrival(copy: Copy) -> tuple[Any, ...]:
    """The order copies win in: ingested first, the smaller source, bronze before CSV, and of
    copies sent in one request the smaller content digest."""
    event = copy.event
    return (event.ingested_at, event.source, copy.via_csv, content_digest(event))


def sale_totals(lines: Iterable[dict[str, Any]]) -> dict[str, tuple[str, Decimal]]:
    """Sale id -> (its source, its net amount) of gold-shaped lines: the oracle's or a table's."""
    totals: dict[str, tuple[str, Decimal]] = {}
    for line in lines:
        source, net = totals.get(line["event_id"], (line["source"], Decimal("0.00")))
        totals[line["event_id"]] = (source, net + line["net_amount"])
    return totals


def sold(event: IngestedSaleEvent) -> tuple[Any, ...]:
    """What a copy sold, compared as values (the engines compare the stamped digests): another
    source's copy of an id is another sale when this differs (ADR 0021)."""
    return (
        event.event_type,
        event.store_id,
        event.occurred_at.astimezone(UTC).replace(microsecond=0),
        sorted((i.sku, i.quantity, i.unit_price, i.discount) for i in event.items),
    )


def expected_lines(
    copies: Iterable[Copy],
    tz: str,
    catalog: ReferenceCatalog = TEST_CATALOG,
    business_day: BusinessDay = BusinessDay.REPORTING,
) -> list[dict[str, Any]]:
    """Gold-shaped lines of the first copy of every event that pass the quarantine rules; lines
    of unknown skus or stores are kept with NULL attributes (and NULL cost for unknown skus).
    The calendar is `tz`'s, or under `BusinessDay.STORE` the store's own `time_zone` when it
    has one."""
    first = sales(copies)
    products = {p.sku: p for p in catalog.products}
    stores = {s.store_id: s for s in catalog.stores}
    customers = {c.customer_id: c for c in catalog.customers}
    zone = ZoneInfo(tz)
    lines = []
    for sale_id, copy in first.items():
        event = copy.event
        store = stores.get(event.store_id)
        store_zone = store.time_zone if store else None
        own_day = store_zone if business_day is BusinessDay.STORE else None
        local = event.occurred_at.astimezone(ZoneInfo(own_day) if own_day else zone)
        for number, item in enumerate(event.items, start=1):
            product = products.get(item.sku)
            if store is not None and event.currency != store.currency:
                continue
            if item.net_amount > MAX_LINE_NET_AMOUNT:
                continue
            sign = event.sign
            unit_cost = product.unit_cost if product else None
            cost = None if unit_cost is None else unit_cost * item.quantity
            customer = customers.get(event.customer_id or "")
            lines.append(
                {
                    "event_id": sale_id,
                    "line_number": number,
                    "event_type": event.event_type.value,
                    "sale_date": local.date(),
                    "occurred_at": event.occurred_at.astimezone(UTC),
                    "ingested_at": event.ingested_at.astimezone(UTC),
                    "channel": event.channel.value,
                    "store_id": event.store_id,
                    "order_id": event.order_id,
                    "customer_id": event.customer_id,
                    "payment_method": event.payment_method.value,
                    "currency": event.currency,
                    "sku": item.sku,
                    "quantity": item.quantity,
                    "net_units": sign * item.quantity,
                    "unit_price": item.unit_price,
                    "gross_amount": sign * item.gross_amount,
                    "discount_amount": sign * item.discount,
                    "net_amount": sign * item.net_amount,
                    "cost_amount": None if cost is None else sign * cost,
                    "margin_amount": None if cost is None else sign * (item.net_amount - cost),
                    "source": event.source,
                    "terminal_id": event.terminal_id,
                    "salesperson_id": event.salesperson_id,
                    "promotion_id": item.promotion_id,
                    "coupon_code": item.coupon_code,
                    "attributes": event.attributes,
                    "product_name": product.name if product else None,
                    "category": product.category if product else None,
                    "subcategory": product.subcategory if product else None,
                    "brand": product.brand if product else None,
                    "store_name": store.name if store else None,
                    "store_city": store.city if store else None,
                    "store_state": store.state if store else None,
                    "store_region": store.region if store else None,
                    "customer_segment": customer.segment if customer else None,
                    "customer_city": customer.city if customer else None,
                    "customer_state": customer.state if customer else None,
                    "sale_year": local.year,
                    "sale_month": local.month,
                    "sale_iso_week": local.isocalendar()[1],
                    "sale_weekday": local.isoweekday(),
                    "sale_hour": local.hour,
                    "content_digest": content_digest(event),
                }
            )
    return lines


def write_gold(lake: Path, lines: list[dict[str, Any]], cutoff: datetime, run_id: str) -> None:
    """Gold files of one run, hive-partitioned by sale_date, each day's manifest listing them
    (as the batch job writes its state), then the pointer, last."""
    table_folder = lake / gold_run(run_id) / SALES_WIDE
    table_folder.mkdir(parents=True, exist_ok=True)
    by_date: dict[date, list[dict[str, Any]]] = {}
    for line in lines:
        by_date.setdefault(line["sale_date"], []).append(line)
    file_schema = SALES_WIDE_SCHEMA.remove(SALES_WIDE_SCHEMA.get_field_index("sale_date"))
    for sale_date, group in by_date.items():
        folder = table_folder / f"sale_date={sale_date:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        rows = [{k: v for k, v in line.items() if k != "sale_date"} for line in group]
        pq.write_table(pa.Table.from_pylist(rows, schema=file_schema), folder / "part-0.parquet")
        manifest = lake / sales_wide_manifest(run_id) / folder.name / MANIFEST_FILE
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(f"../../{SALES_WIDE}/{folder.name}/part-0.parquet\n")
    publish(lake, run_id, cutoff, len(lines))


def publish(lake: Path, run_id: str, cutoff: datetime, rows: int) -> None:
    pointer = {
        "run_id": run_id,
        "cutoff": cutoff.isoformat(),
        "published_at": datetime.now(UTC).isoformat(),
        "tables": {SALES_WIDE: sales_wide_manifest(run_id)},
        "input_counts": {},
        "output_counts": {SALES_WIDE: rows},
        "quality_counts": {},
        "duplicates": 0,
        "duration_seconds": 1.5,
    }
    (lake / PUBLISHED_POINTER).parent.mkdir(parents=True, exist_ok=True)
    (lake / PUBLISHED_POINTER).write_text(json.dumps(pointer))
