"""Benchmark: refreshing the local engine's real-time side when one bronze file lands.

The lake of `bench.serving` (10M gold lines, and here 1M real-time events, 2M lines, by default:
a chain of a few hundred stores by late afternoon). Measured in the same run:

- baseline: re-materializing the whole real-time side (what a rewritten file, a compaction, a
  reference load or a publication costs, and what every landing cost before);
- merging one new file of a landing batch's size (`--batch-events`) into it.

Target: the merge at most 0.05 of the re-materialization.

It also measures what the engine holds, which sizes a serving task that answers with DuckDB
(`salesflow cost`, docs/adr/0024), once the side is installed with gold's sales of every day kept
for the lookup (the window 0) and of one day before T's date (the window 1): the difference is
the gold sales' share, the rest the real-time events'. Held two ways: in memory (the local
default, DuckDB's table memory) and in a database file (`SALESFLOW_SERVING_DATABASE`, as the
serving task keeps it: the file and its write-ahead log, compressed). Ids are 26 characters, as
clients' ULIDs. Results: `bench/results/realtime.json`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench import serving as serving_bench
from bench.results_file import figure, write_results
from contract.settings import Settings
from serving.engines.duckdb_engine import DuckDBEngine
from serving.engines.duckdb_realtime import GOLD_SALES_TABLE


def generate(lake: Path, events: int) -> None:
    """The serving benchmark's lake, with `events` real-time events after its cutoff."""
    serving_bench.REALTIME_EVENTS = events
    rng = np.random.default_rng(11)
    cutoff = serving_bench.local_day_start(datetime.now(serving_bench.TZ).date())
    catalog = serving_bench.Catalog(rng)
    catalog.write(lake)
    gold_lines = serving_bench.write_gold(lake, rng, catalog, cutoff)
    serving_bench.write_realtime(
        lake, rng, catalog, cutoff, gold_lines // serving_bench.LINES_PER_EVENT
    )
    serving_bench.publish(lake, cutoff, gold_lines)


def land_one_file(lake: Path, batch_events: int) -> None:
    """A landing batch: `batch_events` new events in the newest hour, as the speed layer writes."""
    newest = max((lake / "bronze").rglob("batch-*.parquet"), key=str)
    template = pq.read_table(newest).slice(0, batch_events)
    ids = pa.array([f"N{uuid.uuid4().hex}" for _ in range(template.num_rows)])
    stamped = template.set_column(template.schema.get_field_index("event_id"), "event_id", ids)
    latest = pc.max(template["ingested_at"]).as_py()
    moment = pa.array([latest] * template.num_rows, template.schema.field("ingested_at").type)
    stamped = stamped.set_column(
        stamped.schema.get_field_index("ingested_at"), "ingested_at", moment
    )
    pq.write_table(stamped, newest.parent / f"landed-{uuid.uuid4().hex}.parquet")


def rewrite_one_file(lake: Path) -> None:
    """A compaction-like change: one file rewritten, so the side is rebuilt in full."""
    newest = max((lake / "bronze").rglob("batch-*.parquet"), key=str)
    newest.write_bytes(newest.read_bytes())


TABLE_MEMORY_SQL = (
    "SELECT sum(memory_usage_bytes) AS bytes FROM duckdb_memory() "
    "WHERE tag IN ('IN_MEMORY_TABLE', 'BASE_TABLE')"
)


@dataclass(frozen=True)
class Held:
    """What an engine holds once it has installed the run: bytes, and gold's sales among them."""

    held_bytes: int
    gold_sales: int


def held(lake: Path, dedup_days: int, database: Path | None) -> Held:
    """DuckDB's table memory (`database` None) or the database file's bytes once an engine with
    the window `dedup_days` has installed the run."""
    engine = DuckDBEngine(
        Settings(
            lake_uri=str(lake),
            reporting_tz=serving_bench.TZ.key,
            realtime_dedup_days=dedup_days,
            serving_database=str(database or ""),
        )
    )
    try:
        engine.refresh()
        sales = engine.query(f"SELECT count(*) AS n FROM {GOLD_SALES_TABLE}").rows[0]["n"]
        if database is None:
            held_bytes = engine.query(TABLE_MEMORY_SQL).rows[0]["bytes"]
        else:
            files = (database, database.with_name(f"{database.name}.wal"))
            held_bytes = sum(file.stat().st_size for file in files if file.exists())
    finally:
        engine.close()
    return Held(int(held_bytes), int(sales))


def per_event_and_gold_sale(every_day: Held, one_day: Held, events: int) -> tuple[float, float]:
    """(bytes per real-time event, bytes per gold sale): gold's share is what the window adds."""
    per_gold_sale = (every_day.held_bytes - one_day.held_bytes) / (
        every_day.gold_sales - one_day.gold_sales
    )
    return (one_day.held_bytes - one_day.gold_sales * per_gold_sale) / events, per_gold_sale


def timed_refresh_ms(engine: DuckDBEngine) -> float:
    started = time.perf_counter()
    engine.refresh()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="real-time events")
    parser.add_argument("--batch-events", type=int, default=200, help="events per landed file")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-realtime-") as scratch:
        lake = Path(scratch) / "lake"
        started = time.perf_counter()
        generate(lake, args.events)
        print(f"generated the lake in {time.perf_counter() - started:.1f} s")
        engine = DuckDBEngine(Settings(lake_uri=str(lake), reporting_tz=serving_bench.TZ.key))
        try:
            install_ms = timed_refresh_ms(engine)
            lines = engine.query("SELECT count(*) AS n FROM sales_realtime_unbatched").rows[0]["n"]
            rebuild, merge = [], []
            for _ in range(args.repeats):
                rewrite_one_file(lake)
                rebuild.append(timed_refresh_ms(engine))
                land_one_file(lake, args.batch_events)
                merge.append(timed_refresh_ms(engine))
        finally:
            engine.close()
        every_day = held(lake, 0, None)
        in_memory = per_event_and_gold_sale(every_day, held(lake, 1, None), args.events)
        database = Path(scratch) / "serving.duckdb"
        on_file = per_event_and_gold_sale(
            held(lake, 0, database), held(lake, 1, database), args.events
        )
    rebuild_ms, merge_ms = statistics.median(rebuild), statistics.median(merge)
    print(f"{lines:,} real-time lines materialized; {datetime.now(UTC):%H:%M:%S}")
    write_results(
        "realtime",
        [
            figure("real-time lines materialized", float(lines), "lines"),
            figure("install views + materialize the side", install_ms, "ms"),
            figure("re-materialize the side (baseline)", rebuild_ms, "ms"),
            figure(
                f"merge one new file of {args.batch_events} events",
                merge_ms,
                "ms",
                rebuild_ms,
                "<= 0.05",
            ),
            figure("gold sales kept for the lookup, every day", every_day.gold_sales, "sales"),
            figure("serving memory per real-time event", in_memory[0], "bytes"),
            figure("serving memory per gold sale looked up", in_memory[1], "bytes"),
            figure("serving database bytes per real-time event", on_file[0], "bytes"),
            figure("serving database bytes per gold sale looked up", on_file[1], "bytes"),
        ],
    )


if __name__ == "__main__":
    main()
