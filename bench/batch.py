"""Batch layer benchmark: the Spark job against the same transform in DuckDB, 1M and 10M lines.

DuckDB stands for the single-node limit. Each engine runs in its own process on the same
generated lake (so peak memory is that engine's alone): time of the whole transform (read,
dedupe, quality, sales_wide, quarantine, marts written as Parquet) and peak driver RSS (for
Spark the JVM, which holds the local-mode executors, plus the Python driver). Data is generated
with numpy/pyarrow in seconds, never event by event. Usage:

    .venv/bin/python -m bench.batch [--sizes 1000000,10000000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from batch_layer import gold_state
from bench.gold_history import ulids
from bench.harness import worker_result
from bench.results_file import figure, write_results
from contract.bronze import BRONZE_SCHEMA
from contract.content_digest import CONTENT_DIGEST
from contract.gold import METRIC_DEFINITIONS, SALES_WIDE_SCHEMA
from contract.lake_io import LakeFiles
from contract.quality import MAX_LINE_NET_AMOUNT
from contract.settings import Settings
from devstack.catalog import build_catalog, write_reference
from devstack.simulator.shopping import list_price

CUTOFF = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
DAYS = 90
MICROS = 1_000_000
REPORTING_TZ = "America/Sao_Paulo"


def _decimals(cents: np.ndarray) -> pa.Array:
    """decimal128(18,2) straight from integer cents: the 16-byte little-endian layout Arrow uses."""
    words = np.zeros((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words)])


def _strings(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pa.array(numbers).cast(pa.string()), "")


def generate_lake(
    lake: Path,
    lines: int,
    seed: int = 7,
    *,
    days: int = DAYS,
    cutoff: datetime = CUTOFF,
    tag: str = "EV-",
    late_days: int = 20,
    late_share: float = 0.005,
) -> int:
    """Bronze events with ~`lines` sale lines over the `days` before `cutoff` (plus 1% re-sent
    duplicates, `late_share` of events `late_days` late, a few lines failing each quality rule,
    some ingested after the cutoff). Returns input lines.

    Event ids are ULIDs of the sale's time, as the contract's example, so a late
    event's id sorts among its sale day's; each event's content digest is random, as the real
    one is (the same on its re-sent copy). `tag` names the files and order ids, so a second
    generation lands beside the first."""
    rng = np.random.default_rng(seed)
    catalog = build_catalog(7, customer_count=20_000)
    write_reference(str(lake), catalog, settings=Settings(lake_uri=str(lake)))
    per_event = rng.choice([1, 2, 3, 4], size=lines // 2 + 1000, p=[0.4, 0.3, 0.2, 0.1])
    n_events = int(np.searchsorted(np.cumsum(per_event), lines) + 1)
    per_event = per_event[:n_events]
    duplicated = rng.choice(n_events, size=n_events // 100, replace=False)
    source_index = np.concatenate([np.arange(n_events), duplicated])
    events = len(source_index)
    counts = per_event[source_index]

    start = int((cutoff - timedelta(days=days)).timestamp() * MICROS)
    occurred = start + rng.integers(0, days * 86400 * MICROS, n_events)
    ingested = occurred + rng.integers(MICROS, 120 * MICROS, n_events)
    late = rng.random(n_events) < late_share
    occurred[late] -= rng.integers(1, late_days * 86400 * MICROS, int(late.sum()))
    event_ids = ulids(rng, occurred // 1000)
    ingested = ingested[source_index]
    ingested[n_events:] += 300 * MICROS
    occurred = occurred[source_index]

    stores = catalog.stores
    store_pick = rng.integers(0, len(stores), n_events)[source_index]
    store_ids = pa.array([s.store_id for s in stores] + ["XX-UNKNOWN-01"])
    unknown_store = rng.random(events) < 0.001
    store_pick = np.where(unknown_store, len(stores), store_pick)
    channels = pa.array([s.channel.value for s in stores] + ["pos"])
    currency = np.where(rng.random(n_events) < 0.001, 1, 0)[source_index]
    payments = pa.array(["credit_card", "debit_card", "pix", "cash", "boleto", "voucher", "other"])
    customers = pa.array([None, *[c.customer_id for c in catalog.customers]])
    customer_pick = np.where(
        rng.random(n_events) < 0.3, 0, rng.integers(1, len(customers), n_events)
    )[source_index]

    offsets = np.zeros(events + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    total_lines = int(offsets[-1])
    products = catalog.products
    sku_pick = rng.integers(0, len(products), total_lines)
    skus = pa.array([p.sku for p in products] + ["NO-SUCH-SKU"])
    sku_pick = np.where(rng.random(total_lines) < 0.001, len(products), sku_pick)
    prices = np.array([int(list_price(p) * 100) for p in products] + [9990], dtype=np.int64)
    quantity = rng.integers(1, 4, total_lines).astype(np.int32)
    quantity[rng.random(total_lines) < 0.0005] = 5000
    price = prices[sku_pick]
    discount = np.where(rng.random(total_lines) < 0.15, price * quantity * 5 // 100, 0)
    item_type = BRONZE_SCHEMA.field("items").type
    items = pa.ListArray.from_arrays(
        pa.array(offsets),
        pa.StructArray.from_arrays(
            [
                skus.take(sku_pick),
                pa.array(quantity),
                _decimals(price),
                _decimals(discount),
                *[pa.nulls(total_lines, f.type) for f in list(item_type.value_type)[4:]],
            ],
            fields=list(item_type.value_type),
        ),
        type=item_type,
    )
    timestamp = BRONZE_SCHEMA.field("occurred_at").type
    columns = {
        "event_id": event_ids.take(pa.array(source_index)),
        "event_type": pa.array(["sale", "return"]).take(
            (rng.random(n_events) < 0.08).astype(np.int8)[source_index]
        ),
        "occurred_at": pa.array(occurred, timestamp),
        "channel": channels.take(store_pick),
        "store_id": store_ids.take(store_pick),
        "order_id": _strings(f"O{tag}", np.arange(n_events)).take(pa.array(source_index)),
        "customer_id": customers.take(customer_pick),
        "currency": pa.array(["BRL", "USD"]).take(currency),
        "payment_method": payments.take(rng.integers(0, len(payments), n_events)[source_index]),
        "items": items,
        "total": pa.nulls(events, BRONZE_SCHEMA.field("total").type),
        "ingested_at": pa.array(ingested, timestamp),
        "source": pa.array(["pos", "web"]).take((ingested % 2).astype(np.int8)),
        CONTENT_DIGEST: pa.array(
            rng.integers(-(2**63), 2**63 - 1, n_events, dtype=np.int64)[source_index]
        ),
    }
    for name in BRONZE_SCHEMA.names:
        columns.setdefault(name, pa.nulls(events, BRONZE_SCHEMA.field(name).type))
    order = np.argsort(ingested, kind="stable")
    table = pa.Table.from_arrays(
        [columns[name] for name in BRONZE_SCHEMA.names], schema=BRONZE_SCHEMA
    ).take(order)
    day_index = ingested[order] // (86400 * MICROS)
    boundaries = np.flatnonzero(np.diff(day_index)) + 1
    for begin, end in zip(np.r_[0, boundaries], np.r_[boundaries, events], strict=True):
        day = datetime.fromtimestamp(int(day_index[begin]) * 86400, UTC).date()
        folder = lake / f"bronze/sales_events/ingest_date={day}/ingest_hour=00"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(begin, end - begin), folder / f"part-{tag}0.parquet")
    return total_lines


def peak_rss_bytes() -> int:
    """This process's peak RSS plus the peak of every descendant JVM (the Spark driver).

    Both are VmHWM, not `getrusage`'s ru_maxrss: that survives exec, so a worker would report
    the parent's RSS at fork time (the generated lake, GiBs at 10M lines) as its own."""
    own = _hwm_bytes(_status_fields(Path("/proc/self/status")) or {})
    jvm = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        fields = _status_fields(status)
        if (
            fields is not None
            and fields.get("Name", "").strip() == "java"
            and _descends_from(int(fields["PPid"]), os.getpid())
        ):
            jvm = max(jvm, _hwm_bytes(fields))
    return own + jvm


def _status_fields(status: Path) -> dict[str, str] | None:
    try:
        text = status.read_text()
    except OSError:
        return None
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _hwm_bytes(fields: dict[str, str]) -> int:
    return int(fields.get("VmHWM", "0 kB").split()[0]) * 1024


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False


def run_spark(lake: Path, out: Path) -> dict[str, float | str]:
    from batch_layer.job import run_batch
    from batch_layer.spark_session import build_session

    started = time.perf_counter()
    spark = build_session(master="local[2]", shuffle_partitions=32, driver_memory="5g")
    session_seconds = time.perf_counter() - started
    settings = Settings(lake_uri=str(lake), reporting_tz=REPORTING_TZ)
    started = time.perf_counter()
    publication = run_batch(str(lake), CUTOFF, settings=settings, spark=spark)
    seconds = time.perf_counter() - started
    rss = peak_rss_bytes()
    files = gold_state.published_files(
        LakeFiles.open(str(lake), settings), publication.tables["sales_wide"]
    )
    net = pq.read_table(files, columns=["net_amount"])["net_amount"]
    return {
        "seconds": seconds,
        "session_seconds": session_seconds,
        "peak_rss": rss,
        "rows": publication.output_counts["sales_wide"],
        "net": str(pc.sum(net).as_py()),
    }


def run_duckdb(lake: Path, out: Path) -> dict[str, float | str]:
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    connection.execute("SET TimeZone = 'UTC'")
    started = time.perf_counter()
    for table in ("products", "stores", "customers"):
        connection.execute(
            f"CREATE TABLE {table} AS "
            f"SELECT * FROM read_parquet('{lake}/reference/{table}/*.parquet')"
        )
    connection.execute(
        _CLASSIFY.format(lake=lake, cutoff=CUTOFF.isoformat(), max_net=MAX_LINE_NET_AMOUNT)
    )
    connection.execute("SELECT outcome, count(*) FROM classified GROUP BY ALL").fetchall()
    wide_columns = ", ".join(f.name for f in SALES_WIDE_SCHEMA)
    connection.execute(
        f"COPY (SELECT {wide_columns} FROM ({_SALES_WIDE.format(tz=REPORTING_TZ)}) "
        f"ORDER BY sale_date, event_id, line_number) TO '{out}/sales_wide' "
        "(FORMAT parquet, PARTITION_BY (sale_date))"
    )
    connection.execute(
        "COPY (SELECT * EXCLUDE (outcome), outcome AS quality_rule FROM classified WHERE outcome "
        f"NOT IN ('passed', 'duplicate')) TO '{out}/quality_quarantine.parquet' (FORMAT parquet)"
    )
    metrics = ", ".join(f"{sql} AS {name}" for name, sql in METRIC_DEFINITIONS.items())
    for mart, dims in {
        "daily_sales_by_store": "sale_date, store_id",
        "daily_sales_by_category": "sale_date, category",
        "daily_sales_by_channel_payment": "sale_date, channel, payment_method",
    }.items():
        connection.execute(
            f"COPY (SELECT {dims}, {metrics} FROM read_parquet('{out}/sales_wide/**/*.parquet', "
            f"hive_partitioning = true) GROUP BY {dims} ORDER BY {dims}) "
            f"TO '{out}/{mart}.parquet' (FORMAT parquet)"
        )
    seconds = time.perf_counter() - started
    summary = connection.execute(
        f"SELECT count(*), sum(net_amount) FROM read_parquet('{out}/sales_wide/**/*.parquet')"
    ).fetchone()
    if summary is None:
        raise RuntimeError("DuckDB returned no summary row")
    rows, net = summary
    return {"seconds": seconds, "peak_rss": peak_rss_bytes(), "rows": rows, "net": str(net)}


_CLASSIFY = """
CREATE TABLE classified AS
WITH bronze AS (
    SELECT * FROM read_parquet('{lake}/bronze/sales_events/**/*.parquet', hive_partitioning = false)
    WHERE ingested_at < TIMESTAMPTZ '{cutoff}'
), ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY event_id ORDER BY ingested_at, source) > 1 AS duplicate
    FROM bronze
), exploded AS (
    SELECT * EXCLUDE (items, total), unnest(items) AS item,
           generate_subscripts(items, 1) AS line_number
    FROM ranked
)
SELECT e.event_id, CAST(e.line_number AS INTEGER) AS line_number, e.event_type, e.occurred_at,
       e.ingested_at, e.channel, e.store_id, e.order_id, e.customer_id, e.payment_method,
       e.currency, e.item.sku AS sku, e.item.quantity AS quantity,
       e.item.unit_price AS unit_price, e.item.discount AS discount, e.source,
       p.unit_cost, p.name AS product_name, p.category, p.subcategory, p.brand,
       s.name AS store_name, s.city AS store_city, s.state AS store_state, s.region AS store_region,
       CASE WHEN e.duplicate THEN 'duplicate'
            WHEN p.sku IS NULL THEN 'unknown_sku'
            WHEN s.store_id IS NULL THEN 'unknown_store'
            WHEN e.currency <> s.currency THEN 'currency_mismatch'
            WHEN e.item.quantity * e.item.unit_price - e.item.discount > {max_net}
                THEN 'line_net_out_of_range'
            ELSE 'passed' END AS outcome
FROM exploded e
LEFT JOIN products p ON p.sku = e.item.sku
LEFT JOIN stores s ON s.store_id = e.store_id
"""

_SALES_WIDE = """
SELECT c.*, cu.segment AS customer_segment, cu.city AS customer_city, cu.state AS customer_state,
       CASE WHEN c.event_type = 'return' THEN -1 ELSE 1 END AS sign,
       c.occurred_at AT TIME ZONE '{tz}' AS local_time,
       CAST(local_time AS DATE) AS sale_date,
       CAST(c.quantity * sign AS INTEGER) AS net_units,
       CAST(c.quantity * c.unit_price * sign AS DECIMAL(18, 2)) AS gross_amount,
       CAST(c.discount * sign AS DECIMAL(18, 2)) AS discount_amount,
       CAST(gross_amount - discount_amount AS DECIMAL(18, 2)) AS net_amount,
       CAST(c.quantity * c.unit_cost * sign AS DECIMAL(18, 2)) AS cost_amount,
       CAST(net_amount - cost_amount AS DECIMAL(18, 2)) AS margin_amount,
       CAST(year(local_time) AS INTEGER) AS sale_year,
       CAST(month(local_time) AS INTEGER) AS sale_month,
       CAST(weekofyear(local_time) AS INTEGER) AS sale_iso_week,
       CAST(isodow(local_time) AS INTEGER) AS sale_weekday,
       CAST(hour(local_time) AS INTEGER) AS sale_hour
FROM classified c LEFT JOIN customers cu ON cu.customer_id = c.customer_id
WHERE c.outcome = 'passed'
"""


def _worker(engine: str, lake: Path, out: Path) -> dict[str, Any]:
    return worker_result("bench.batch", engine, "--lake", str(lake), "--out", str(out))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--worker", choices=["spark", "duckdb"])
    parser.add_argument("--lake", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.worker:
        run = run_spark if args.worker == "spark" else run_duckdb
        print(json.dumps(run(args.lake, args.out)))
        return

    figures = []
    spark_seconds: dict[int, float] = {}
    duck_seconds: dict[int, float] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        root = Path(tempfile.mkdtemp(prefix="bench-batch-"))
        try:
            started = time.perf_counter()
            lines = generate_lake(root / "lake", size)
            generated = time.perf_counter() - started
            label = f"{size // 1_000_000}M" if size >= 1_000_000 else str(size)
            print(f"generated {lines:,} lines in {generated:.1f}s", flush=True)
            duck = _worker("duckdb", root / "lake", root / "duck")
            print(f"duckdb {label}: {duck}", flush=True)
            spark = _worker("spark", root / "lake", root / "spark")
            print(f"spark {label}: {spark}", flush=True)
            if (spark["rows"], spark["net"]) != (duck["rows"], duck["net"]):
                raise RuntimeError(f"engines disagree: spark {spark} vs duckdb {duck}")
        finally:
            shutil.rmtree(root, ignore_errors=True)
        spark_seconds[size], duck_seconds[size] = spark["seconds"], duck["seconds"]
        figures += [
            figure(f"generate_{label}_lines_per_second", lines / generated, "lines/s"),
            figure(f"duckdb_job_{label}_seconds", duck["seconds"], "s"),
            figure(
                f"spark_job_{label}_seconds_vs_duckdb",
                spark["seconds"],
                "s",
                baseline=duck["seconds"],
                target="<= 3" if size >= 10_000_000 else None,
            ),
            figure(f"spark_session_start_{label}_seconds", spark["session_seconds"], "s"),
            figure(
                f"spark_driver_peak_rss_{label}_gib",
                spark["peak_rss"] / 2**30,
                "GiB",
                target="<= 8",
            ),
            figure(f"duckdb_peak_rss_{label}_gib", duck["peak_rss"] / 2**30, "GiB"),
        ]
    sizes = sorted(spark_seconds)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        figures.append(
            figure(
                f"spark_time_growth_{small // 10**6}M_to_{large // 10**6}M",
                spark_seconds[large],
                "s",
                baseline=spark_seconds[small],
                target=f"<= {large / small:g}",
            )
        )
        figures.append(
            figure(
                f"duckdb_time_growth_{small // 10**6}M_to_{large // 10**6}M",
                duck_seconds[large],
                "s",
                baseline=duck_seconds[small],
            )
        )
    write_results("batch", figures)


if __name__ == "__main__":
    main()
