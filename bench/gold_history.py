"""A published gold history for the benchmarks: `sales_wide` days written as the nightly batch
writes them, without running Spark.

The scan benchmark (`bench.athena_scan`) needs gold days before T so the real-time view's
lookup of gold's sales has something to read; what it reads of them is gold's `event_id`,
`source` and `content_digest` columns, so they are written as the batch writes them and shaped
as clients send them (the digest one random 64-bit value per event, on each of its lines), and
the other columns are there so each day's file has its real size (Trino reads a file under 3 MB
whole).

As the batch writes it (`batch_layer/job.py`, `_write_sales_wide`): the schema of
`contract.gold.SALES_WIDE_SCHEMA` with `sale_date` as the partition folder, one file per day
(`part-00000-<uuid>.c000.zstd.parquet`), rows sorted by `event_id` then `line_number`, Zstandard,
dictionary encoding off for the five columns with about one value per event, on for the others,
decimals as INT64 and timestamps in microseconds (Spark's settings), one row group per file (a
day is well under Spark's 128 MB block); then one manifest per day and a publication listing
the days (`batch_layer.gold_state`, `contract.publication`). What differs from Spark's
parquet-mr: pyarrow's page layout and footer (its own encoder, statistics and page index), so a
file's footer and page headers are not byte-for-byte Spark's; the column data is the same
encoding and codec.

The lines: each event of 2 or 3 lines (2.5 on average), 3% of them returns, from
the demo catalog's stores (by traffic weight), products and customers, occurring evenly over
each business day of the reporting zone, ingested seconds later. Event ids are ULIDs, as the
contract recommends to clients (`contract.event.EventId`) and POS systems send: a 48-bit
millisecond time and 80 random bits in Crockford base32, 26 characters, so sorting by id is
sorting by time and the random part does not compress. `simulator_id_bytes_per_event` measures,
for comparison, the same column with the simulator's sequential ids (`SIM-<tag>-<n>`).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel

from batch_layer import gold_state
from batch_layer.spark_session import PARQUET_COMPRESSION
from bench.publication import gold_only_publication
from bench.serving import money
from contract.gold import (
    SALES_WIDE_PARTITION_COLUMN,
    SALES_WIDE_PLAIN_COLUMNS,
    SALES_WIDE_SCHEMA,
)
from contract.lake_io import LakeFiles
from contract.publication import DayPartition, Publication
from contract.settings import Settings
from devstack.catalog import Catalog

FILE_SCHEMA = pa.schema([f for f in SALES_WIDE_SCHEMA if f.name != SALES_WIDE_PARTITION_COLUMN])
"""A day file's columns: the partition column lives in the folder name, as Spark writes it."""
CROCKFORD = np.frombuffer(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", dtype=np.uint8)
RETURN_SHARE = 0.03
DISCOUNTED_SHARE = 0.2


@dataclass(frozen=True)
class GoldHistory:
    publication: Publication
    events_by_day: dict[date, int]
    lines: int
    bytes: int
    """The day files' whole size."""
    event_id_bytes: int
    """The `event_id` column chunks' compressed size, summed over the day files."""
    simulator_id_bytes_per_event: float
    """The same column per event with the simulator's ids instead (the first day's events)."""

    @property
    def events(self) -> int:
        return sum(self.events_by_day.values())

    def events_between(self, first: date, last: date) -> int:
        """Events on the days from `first` to `last`, both included."""
        return sum(n for day, n in self.events_by_day.items() if first <= day <= last)

    def events_since(self, first: date) -> int:
        """Events of the days from `first` on: what an anti-join bounded there reads."""
        return sum(n for day, n in self.events_by_day.items() if day >= first)


@dataclass(frozen=True)
class _Pools:
    """The demo catalog as columns, so a day's lines are drawn without Python loops."""

    stores: dict[str, pa.Array]
    store_weights: np.ndarray
    products: dict[str, pa.Array]
    price_cents: np.ndarray
    cost_cents: np.ndarray
    customers: dict[str, pa.Array]

    @classmethod
    def of(cls, catalog: Catalog) -> _Pools:
        weights = np.array([catalog.traffic_weight(s.store_id) for s in catalog.stores])
        return cls(
            stores=_columns(catalog.stores),
            store_weights=weights / weights.sum(),
            products=_columns(catalog.products),
            price_cents=np.array([_cents(p.list_price or p.unit_cost) for p in catalog.products]),
            cost_cents=np.array([_cents(p.unit_cost) for p in catalog.products]),
            customers=_columns(catalog.customers),
        )


def _columns(rows: Sequence[BaseModel]) -> dict[str, pa.Array]:
    """A reference table's fields as string columns (None stays null)."""
    dumped = [row.model_dump(mode="json") for row in rows]
    return {
        key: pa.array([None if r[key] is None else str(r[key]) for r in dumped], pa.string())
        for key in dumped[0]
    }


def _cents(amount: Decimal | None) -> int:
    return int((amount or Decimal(0)) * 100)


def write_gold_history(
    lake: Path,
    catalog: Catalog,
    *,
    run_id: str,
    cutoff: datetime,
    last_day: date,
    days: int,
    events_per_day: int,
    reporting_tz: str,
    seed: int,
) -> GoldHistory:
    """`days` business days of `sales_wide` ending with `last_day` (only their lines before T),
    written into `run_id`'s folder with their manifests; returns the publication that would
    publish them (the caller decides when to write the pointer)."""
    zone = ZoneInfo(reporting_tz)
    rng = np.random.default_rng(seed)
    pools = _Pools.of(catalog)
    files = LakeFiles.open(str(lake), Settings(lake_uri=str(lake)))
    events_by_day: dict[date, int] = {}
    partitions: dict[str, DayPartition] = {}
    lines = size = id_bytes = 0
    simulator_bytes = 0.0
    for offset in range(days - 1, -1, -1):
        day = last_day - timedelta(days=offset)
        table = gold_day(rng, pools, day, events_per_day, cutoff, zone)
        path = _write_day(lake, run_id, day, table)
        metadata = pq.read_metadata(path)
        events_by_day[day] = pc.count_distinct(table["event_id"]).as_py()
        if not simulator_bytes:
            simulator_bytes = simulator_id_bytes_per_event(table["event_id"])
        partitions[day.isoformat()] = DayPartition(run_id=run_id, rows=table.num_rows)
        lines += table.num_rows
        size += path.stat().st_size
        id_bytes += _column_bytes(metadata, "event_id")
    gold_state.write_manifests(files, run_id, gold_state.day_files(files, partitions))
    publication = gold_only_publication(run_id, cutoff, lines, partitions)
    return GoldHistory(publication, events_by_day, lines, size, id_bytes, simulator_bytes)


def gold_day(
    rng: np.random.Generator,
    pools: _Pools,
    day: date,
    events_per_day: int,
    cutoff: datetime,
    zone: ZoneInfo,
) -> pa.Table:
    """One business day's lines (only those occurring before T on T's own day), in file order."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    span = min((cutoff - start).total_seconds() - 60, 86_400.0)
    events = int(events_per_day * span / 86_400)
    occurred_us = int(start.timestamp() * 1e6) + (rng.uniform(0, span, events) * 1e6).astype(
        np.int64
    )
    ids = ulids(rng, occurred_us // 1000)
    lines_per_event = rng.integers(2, 4, events)
    event_of_line = pa.array(np.repeat(np.arange(events), lines_per_event))
    first_line = np.repeat(np.cumsum(lines_per_event) - lines_per_event, lines_per_event)
    event_columns = _event_columns(rng, pools, ids, occurred_us, zone)
    table = pa.table({name: column.take(event_of_line) for name, column in event_columns.items()})
    table = table.append_column(
        "line_number", pa.array(np.arange(len(event_of_line)) - first_line + 1, pa.int32())
    )
    table = _with_line_columns(rng, pools, table)
    order = pc.sort_indices(table, [("event_id", "ascending"), ("line_number", "ascending")])
    return table.take(order).select(FILE_SCHEMA.names).cast(FILE_SCHEMA)


def _event_columns(
    rng: np.random.Generator,
    pools: _Pools,
    ids: pa.Array,
    occurred_us: np.ndarray,
    zone: ZoneInfo,
) -> dict[str, pa.Array]:
    """The columns one event's lines share."""
    events = len(ids)
    store = rng.choice(len(pools.store_weights), events, p=pools.store_weights)
    customer = rng.integers(0, len(pools.customers["customer_id"]), events)
    occurred = pa.array(occurred_us, pa.timestamp("us", tz="UTC"))
    local = pc.local_timestamp(occurred.cast(pa.timestamp("us", tz=zone.key)))
    is_return = rng.random(events) < RETURN_SHARE
    order_numbers = pc.utf8_lpad(pa.array(rng.integers(0, 10**8, events)).cast(pa.string()), 8, "0")

    def of_store(key: str) -> pa.Array:
        return pools.stores[key].take(pa.array(store))

    def of_customer(key: str) -> pa.Array:
        return pools.customers[key].take(pa.array(customer))

    store_ids = of_store("store_id")
    return {
        "event_id": ids,
        "event_type": pa.array(np.where(is_return, "return", "sale")),
        "occurred_at": occurred,
        "ingested_at": pa.array(
            occurred_us + rng.integers(1_000_000, 30_000_000, events), pa.timestamp("us", tz="UTC")
        ),
        "channel": of_store("channel"),
        "store_id": store_ids,
        "order_id": pc.binary_join_element_wise(store_ids, order_numbers, "-"),
        "customer_id": of_customer("customer_id"),
        "payment_method": pa.array(
            rng.choice(["credit_card", "debit_card", "pix", "cash"], events)
        ),
        "currency": of_store("currency"),
        "source": pa.array(["api"] * events),
        "content_digest": pa.array(rng.integers(-(2**63), 2**63 - 1, events, dtype=np.int64)),
        "terminal_id": pc.binary_join_element_wise(
            store_ids, pa.array(rng.integers(1, 9, events)).cast(pa.string()), "-T"
        ),
        "store_name": of_store("name"),
        "store_city": of_store("city"),
        "store_state": of_store("state"),
        "store_region": of_store("region"),
        "customer_segment": of_customer("segment"),
        "customer_city": of_customer("city"),
        "customer_state": of_customer("state"),
        "sale_year": pc.cast(pc.year(local), pa.int32()),
        "sale_month": pc.cast(pc.month(local), pa.int32()),
        "sale_iso_week": pc.cast(pc.iso_week(local), pa.int32()),
        "sale_weekday": pc.cast(pc.day_of_week(local, count_from_zero=False), pa.int32()),
        "sale_hour": pc.cast(pc.hour(local), pa.int32()),
        "sign": pa.array(np.where(is_return, -1, 1)),
    }


def _with_line_columns(rng: np.random.Generator, pools: _Pools, table: pa.Table) -> pa.Table:
    """The product, quantity and amounts of each line (returns negated, as gold signs them)."""
    lines = table.num_rows
    product = rng.integers(0, len(pools.price_cents), lines)
    quantity = rng.integers(1, 4, lines)
    sign = table["sign"].to_numpy()
    gross = pools.price_cents[product] * quantity
    discount = np.where(rng.random(lines) < DISCOUNTED_SHARE, gross // 10, 0)
    cost = pools.cost_cents[product] * quantity

    def of_product(key: str) -> pa.Array:
        return pools.products[key].take(pa.array(product))

    line_columns = {
        "sku": of_product("sku"),
        "quantity": pa.array(quantity, pa.int32()),
        "net_units": pa.array(quantity * sign, pa.int32()),
        "unit_price": money(pools.price_cents[product]),
        "gross_amount": money(gross * sign),
        "discount_amount": money(discount * sign),
        "net_amount": money((gross - discount) * sign),
        "cost_amount": money(cost * sign),
        "margin_amount": money((gross - discount - cost) * sign),
        "salesperson_id": pa.nulls(lines, pa.string()),
        "promotion_id": pa.nulls(lines, pa.string()),
        "coupon_code": pa.nulls(lines, pa.string()),
        "attributes": pa.nulls(lines, FILE_SCHEMA.field("attributes").type),
        "product_name": of_product("name"),
        "category": of_product("category"),
        "subcategory": of_product("subcategory"),
        "brand": of_product("brand"),
    }
    for name, column in line_columns.items():
        table = table.append_column(name, column)
    return table


def ulids(rng: np.random.Generator, milliseconds: np.ndarray) -> pa.Array:
    """ULIDs for events created at `milliseconds` (Unix time): 10 characters of time, 16 of
    randomness, Crockford base32."""
    count = len(milliseconds)
    digits = np.empty((count, 26), dtype=np.int64)
    for position in range(10):
        digits[:, position] = (milliseconds >> (5 * (9 - position))) & 31
    digits[:, 10:] = rng.integers(0, 32, (count, 16))
    return _fixed_width_strings(CROCKFORD[digits], 26)


def simulator_ids(first: int, count: int, tag: str = "scan") -> pa.Array:
    """The simulator's event ids (`devstack.simulator.events`): `SIM-<tag>-<nine digits>`."""
    numbers = pa.array(np.arange(first, first + count)).cast(pa.string())
    return pc.binary_join_element_wise(f"SIM-{tag}", pc.utf8_lpad(numbers, 9, "0"), "-")


def simulator_id_bytes_per_event(ids: pa.ChunkedArray) -> float:
    """The `event_id` column chunk per event of a day file's sorted ids with each event's id
    replaced by the simulator's (one per event, in the same order), written as the batch
    writes it: how much the id's shape moves what the anti-join reads."""
    values = ids.to_numpy()
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    lines_per_event = np.diff(np.r_[starts, len(values)])
    replaced = simulator_ids(1, len(starts)).take(
        pa.array(np.repeat(np.arange(len(starts)), lines_per_event))
    )
    buffer = io.BytesIO()
    pq.write_table(pa.table({"event_id": replaced}), buffer, **_writer_options(["event_id"]))
    metadata = pq.read_metadata(io.BytesIO(buffer.getvalue()))
    return _column_bytes(metadata, "event_id") / len(starts)


def _fixed_width_strings(characters: np.ndarray, width: int) -> pa.Array:
    count = characters.shape[0]
    offsets = pa.py_buffer(np.arange(0, (count + 1) * width, width, dtype=np.int32).tobytes())
    data = pa.py_buffer(characters.astype(np.uint8).tobytes())
    return pa.Array.from_buffers(pa.string(), count, [None, offsets, data])


def _write_day(lake: Path, run_id: str, day: date, table: pa.Table) -> Path:
    folder = lake / gold_state.day_folder(run_id, day.isoformat())
    folder.mkdir(parents=True)
    path = folder / f"part-00000-{uuid.uuid4()}.c000.zstd.parquet"
    pq.write_table(table, path, row_group_size=table.num_rows, **_writer_options(FILE_SCHEMA.names))
    return path


def _writer_options(columns: list[str]) -> dict[str, object]:
    """Spark's Parquet settings for `sales_wide` (see the module's docstring)."""
    return {
        "compression": PARQUET_COMPRESSION,
        "use_dictionary": [c for c in columns if c not in SALES_WIDE_PLAIN_COLUMNS],
        "store_decimal_as_integer": True,
        "write_page_index": True,
        "data_page_version": "1.0",
    }


def _column_bytes(metadata: pq.FileMetaData, name: str) -> int:
    total = 0
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for index in range(row_group.num_columns):
            column = row_group.column(index)
            if column.path_in_schema == name:
                total += column.total_compressed_size
    return total
