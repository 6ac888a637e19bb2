"""Incremental nightly batch benchmark: one new day on top of 180 and 365 days of history.

For each history length, in a worker process of its own: a full rebuild of the history (the
baseline, measured in the same run), then one new day lands (1% of the history's lines, 5% of its
events late, spread over the last 30 days) and the incremental run absorbs it. Reported: both
wall times and their ratio (target <= 0.10, goal 0.05), the growth of the incremental run from 180
to 365 days of history (target < 1.2x), the days it rewrote, how much of the event-id index its
new ids' ranges read (ids are ULIDs, so that is about the days the late events reach; as days of
history it is the cost model's `event_id_index_days_read`), the index's bytes per entry (its
`event_id_index_bytes_per_event`), the bytes the full run keeps per event of history in silver (its
lines and index) and in gold (`sales_wide` and every other table of its run folder: the cost
model's `silver_bytes_per_event` and `gold_bytes_per_event`), the worker's peak RSS and the
machine's 1-minute load average around each timed run (the machine may be shared, and a ratio
measured under load is read with it). The incremental state is checked against a full rebuild of
the same inputs (`sales_wide`'s rows and net amount, the customer tables row for row).

    .venv/bin/python -m bench.batch_incremental [--lines 10000000]

`--lines` is the 365-day history; the 180-day one is scaled to the same lines per day.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pyspark.sql import SparkSession

from batch_layer import gold_state, index_ranges, inputs, silver_store
from bench.batch import CUTOFF, REPORTING_TZ, generate_lake, peak_rss_bytes
from bench.harness import worker_result
from bench.results_file import figure, write_results
from bench.spark_scans import rows_read_by_scans
from contract.customers import CUSTOMER_TABLES
from contract.lake import gold_run, silver_run
from contract.lake_io import LakeFiles
from contract.publication import Publication
from contract.settings import Settings

NEW_DAY_SHARE = 0.01
LATE_SHARE = 0.05
LATE_DAYS = 30


def _net(lake: Path, settings: Settings, publication: Publication) -> str:
    files = gold_state.published_files(
        LakeFiles.open(str(lake), settings), publication.tables["sales_wide"]
    )
    return str(pc.sum(pq.read_table(files, columns=["net_amount"])["net_amount"]).as_py())


def _customer_tables(lake: Path, publication: Publication) -> list[pa.Table]:
    """The state's customer tables, each sorted by all its columns but the maps."""
    tables = []
    for name in CUSTOMER_TABLES:
        table = ds.dataset(lake / publication.tables[name], format="parquet").to_table()
        keys = [f.name for f in table.schema if not pa.types.is_map(f.type)]
        tables.append(table.sort_by([(key, "ascending") for key in keys]))
    return tables


def run_worker(lake: Path, history_lines: int, days: int) -> dict[str, Any]:
    """Full rebuild of the history, a new day, the incremental run, a full run to check it."""
    from batch_layer.job import run_batch
    from batch_layer.spark_session import build_session

    settings = Settings(lake_uri=str(lake), reporting_tz=REPORTING_TZ, batch_full_every_days=0)
    spark = build_session(master="local[2]", driver_memory="5g")
    load = [os.getloadavg()[0]]
    started = time.perf_counter()
    full = run_batch(str(lake), CUTOFF, settings=settings, spark=spark)
    full_seconds = time.perf_counter() - started
    load.append(os.getloadavg()[0])
    files = LakeFiles.open(str(lake), settings)
    stored = _stored_bytes(files, full)

    new_day_end = CUTOFF + timedelta(days=1)
    new_lines = generate_lake(
        lake,
        int(history_lines * NEW_DAY_SHARE),
        seed=11,
        days=1,
        cutoff=new_day_end,
        tag="NEW-",
        late_days=LATE_DAYS,
        late_share=LATE_SHARE,
    )
    load.append(os.getloadavg()[0])
    started = time.perf_counter()
    incremental = run_batch(str(lake), new_day_end, settings=settings, spark=spark)
    incremental_seconds = time.perf_counter() - started
    load.append(os.getloadavg()[0])
    rss = peak_rss_bytes()
    index = _index_read(spark, files, full, new_day_end)
    reuse = _publication_alternatives(lake, settings, incremental)
    check = run_batch(str(lake), new_day_end, settings=settings, spark=spark, full=True)
    spark.stop()
    if (incremental.output_counts, _net(lake, settings, incremental)) != (
        check.output_counts,
        _net(lake, settings, check),
    ):
        raise RuntimeError(f"incremental state differs from a full rebuild: {incremental}")
    if _customer_tables(lake, incremental) != _customer_tables(lake, check):
        raise RuntimeError("incremental customer tables differ from a full rebuild's")
    return {
        "days": days,
        "history_rows": full.output_counts["sales_wide"],
        "new_lines": new_lines,
        "full_seconds": full_seconds,
        "incremental_seconds": incremental_seconds,
        "days_rewritten": sum(
            1 for p in incremental.sales_wide_days.values() if p.run_id == incremental.run_id
        ),
        "kind": incremental.kind,
        "peak_rss": rss,
        **index,
        **stored,
        "load_average": sum(load) / len(load),
        **reuse,
    }


def _index_read(
    spark: SparkSession, files: LakeFiles, base: Publication, cutoff: datetime
) -> dict[str, int]:
    """Index entries the incremental run's read of `base`'s event-id index returns (the rows of
    the pages its new ids' ranges reach, `batch_layer.index_ranges`), all the entries, and the
    bytes of the index's files."""
    new_ids = inputs.read_bronze_events(spark, files.location, cutoff, base.cutoff)
    index = silver_store.read_event_ids(spark, files.location, base.silver_runs)
    return {
        "index_entries_read": rows_read_by_scans(
            index_ranges.within(index, index_ranges.new_id_ranges(new_ids))
        ),
        "index_entries": index.count(),
        "index_bytes": sum(
            _kept_bytes(files, f"{silver_run(run)}/{silver_store.EVENT_IDS}")
            for run in base.silver_runs
        ),
    }


def _stored_bytes(files: LakeFiles, state: Publication) -> dict[str, int]:
    """What a full run keeps for all of history: the bytes of its silver part and of its gold run
    folder (`sales_wide`'s among them), and the events it read (every copy ingested)."""
    return {
        "events_ingested": state.input_counts["bronze_events"] + state.input_counts["csv_events"],
        "silver_bytes": _kept_bytes(files, silver_run(state.run_id)),
        "gold_bytes": _kept_bytes(files, gold_run(state.run_id)),
        "sales_wide_bytes": _kept_bytes(files, f"{gold_run(state.run_id)}/sales_wide"),
    }


def _kept_bytes(files: LakeFiles, folder: str) -> int:
    """The bytes of the files under `folder` that a lake on S3 keeps too: the checksum files
    (`.crc`) Hadoop writes beside each file on a local disk are left out."""
    return sum(size for path, size in files.file_sizes(folder) if not path.endswith(".crc"))


def _publication_alternatives(
    lake: Path, settings: Settings, state: Publication
) -> dict[str, float]:
    """What publishing the state costs by manifests (what the job does) against copying the
    unchanged days into the new run's folder (the alternative ADR 0018 rejects): both timed on
    the same state, into a scratch folder."""
    files = LakeFiles.open(str(lake), settings)
    listed = gold_state.day_files(files, state.sales_wide_days)
    started = time.perf_counter()
    gold_state.write_manifests(files, "bench-scratch-manifests", listed)
    manifest_seconds = time.perf_counter() - started
    scratch = lake / "gold" / "runs" / "bench-scratch-copy"
    started = time.perf_counter()
    copied = 0
    for day, paths in listed.items():
        if state.sales_wide_days[day].run_id == state.run_id:
            continue
        for path in paths:
            target = scratch / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lake / path, target)
            copied += (lake / path).stat().st_size
    copy_seconds = time.perf_counter() - started
    shutil.rmtree(scratch, ignore_errors=True)
    files.delete_folder("gold/runs/bench-scratch-manifests")
    return {
        "manifest_seconds": manifest_seconds,
        "copy_seconds": copy_seconds,
        "copied_gib": copied / 2**30,
    }


def _worker(lake: Path, lines: int, days: int) -> dict[str, Any]:
    return worker_result(
        "bench.batch_incremental", "--lake", str(lake), "--lines", str(lines), "--days", str(days)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--lake", type=Path)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(args.lake, args.lines, args.days)))
        return
    measured = {}
    for days in (180, 365):
        lines = args.lines * days // 365
        root = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
        try:
            generate_lake(root / "lake", lines, days=days)
            measured[days] = _worker(root / "lake", lines, days)
            print(f"{days} days: {measured[days]}", flush=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    figures = []
    for days, result in measured.items():
        figures += [
            figure(f"full_rebuild_{days}_days_seconds", result["full_seconds"], "s"),
            figure(
                f"incremental_run_{days}_days_vs_full",
                result["incremental_seconds"],
                "s",
                baseline=result["full_seconds"],
                target="<= 0.10",
            ),
            figure(f"days_rewritten_{days}_days", result["days_rewritten"], "days"),
            figure(f"history_rows_{days}_days", result["history_rows"], "rows"),
            figure(f"peak_rss_{days}_days_gib", result["peak_rss"] / 2**30, "GiB"),
            figure(
                f"event_id_index_read_{days}_days_vs_whole",
                result["index_entries_read"],
                "entries",
                baseline=result["index_entries"],
            ),
            figure(
                f"event_id_index_bytes_per_entry_{days}_days",
                result["index_bytes"] / result["index_entries"],
                "bytes",
            ),
            figure(
                f"event_id_index_days_read_{days}_days",
                result["index_entries_read"] / result["index_entries"] * days,
                "days",
            ),
            figure(
                f"silver_bytes_per_event_{days}_days",
                result["silver_bytes"] / result["events_ingested"],
                "bytes",
            ),
            figure(
                f"gold_bytes_per_event_{days}_days",
                result["gold_bytes"] / result["events_ingested"],
                "bytes",
            ),
            figure(
                f"sales_wide_bytes_per_line_{days}_days",
                result["sales_wide_bytes"] / result["history_rows"],
                "bytes",
            ),
            figure(f"load_average_{days}_days", result["load_average"], "load (2 cores)"),
            figure(
                f"publish_by_manifests_{days}_days_vs_copying_unchanged_days",
                result["manifest_seconds"],
                "s",
                baseline=result["copy_seconds"],
            ),
            figure(f"unchanged_days_copy_would_write_{days}_days_gib", result["copied_gib"], "GiB"),
        ]
    figures.append(
        figure(
            "incremental_growth_180_to_365_days",
            measured[365]["incremental_seconds"],
            "s",
            baseline=measured[180]["incremental_seconds"],
            target="< 1.2",
        )
    )
    write_results("batch_incremental", figures)


if __name__ == "__main__":
    main()
