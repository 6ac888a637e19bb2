"""Compaction: merge the small Parquet files of an ingest hour, 64 MB of them per output.

Athena and Spark pay per file, and the speed layer writes one file per batch: with a 1 s batching
window, 3,600 files an hour, each read by every dashboard query until it is merged. Once an hour is
closed (its end plus a grace period has passed), its small files are merged. A run may also merge
the hours still open (`open_hours`, every few minutes on AWS): what has landed so far becomes one
file, and the next run merges it again with what landed since, so a query reads a few files per
hour instead of thousands. The protocol is crash-safe and idempotent; every step can be repeated:

1. write the plan `_compaction-<digest>.json` (inputs, outputs, expected row counts) into the
   hour's folder; `_` files are invisible to readers;
2. write each output `compacted-<digest>-<n>.parquet` atomically;
3. delete the inputs, then the plan.

A rerun first finishes or undoes any plan it finds that is older than `PLAN_STALE_AFTER`: if
every output exists with its expected row count, the remaining inputs are deleted (roll
forward); otherwise the outputs written so far are deleted and the inputs, untouched until step
3, stay live (roll back). A younger plan belongs to a run still at work (runs every few minutes
can overlap), so the hour is left to it: undoing its outputs while it goes on to delete its
inputs would lose the records. Records are copied, never deduplicated, so the multiset of
event_ids is unchanged.

Readers: between step 2 and the end of step 3 (a few seconds) a glob sees a merged file and
some of its inputs. Every reader of bronze removes duplicates by event_id (first `ingested_at`
wins, as for SQS redeliveries), so that window changes no result; a reader that cannot dedupe
must skip files listed as inputs by a plan in the same folder. The other order (inputs gone
before the output is visible) would hide records instead, which dedupe cannot repair.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

import pyarrow as pa
import pyarrow.parquet as pq

from contract.bronze import BRONZE_SCHEMA, conformed
from contract.compaction_lineage import COMPACTED_PREFIX, with_lineage
from contract.lake import BRONZE_EVENTS, bronze_partition
from contract.lake_io import PARQUET_COMPRESSION, LakeFiles

logger = logging.getLogger(__name__)

TARGET_FILE_BYTES = 64 * 1024 * 1024
DEFAULT_GRACE = timedelta(minutes=15)
"""How long after an hour ends before it is compacted: late redeliveries land first."""
DEFAULT_LOOKBACK = timedelta(days=2)
ROW_GROUP_ROWS = 128 * 1024
"""Rows per row group of an output: at about 100 bytes an event in memory, 13 MB to hold."""
OPEN_HOUR_SETTLE = timedelta(minutes=1)
"""An open hour's files younger than this wait for the next run (`compact_hour`'s `settle`)."""
PLAN_STALE_AFTER = timedelta(minutes=30)
"""A plan this old is a crashed run's: no run takes this long over one hour's files."""
PLAN_PREFIX = "_compaction-"
_HOUR_FOLDER = re.compile(r"ingest_date=(\d{4}-\d{2}-\d{2})/ingest_hour=(\d{2})$")


@dataclass(frozen=True)
class CompactionPlan:
    partition: str
    inputs: tuple[tuple[str, ...], ...]
    """One group of input files (lake-relative paths) per output."""
    outputs: tuple[str, ...]
    rows: tuple[int, ...]
    created_at: str = ""
    """ISO instant the plan was written; empty in plans written before it was recorded (stale)."""

    def is_stale(self, now: datetime) -> bool:
        if not self.created_at:
            return True
        return now - datetime.fromisoformat(self.created_at) >= PLAN_STALE_AFTER

    @property
    def path(self) -> str:
        digest = PurePosixPath(self.outputs[0]).stem.split("-")[1]
        return f"{self.partition}/{PLAN_PREFIX}{digest}.json"

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> CompactionPlan:
        raw = json.loads(data)
        return cls(
            partition=raw["partition"],
            inputs=tuple(tuple(group) for group in raw["inputs"]),
            outputs=tuple(raw["outputs"]),
            rows=tuple(raw["rows"]),
            created_at=raw.get("created_at", ""),
        )


@dataclass(frozen=True)
class CompactionResult:
    partition: str
    inputs: int
    outputs: int
    rows: int


def closed_hours(
    lake: LakeFiles,
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> list[str]:
    """Bronze hour folders that ended more than `grace` before `now`, within `lookback`.

    Only days inside the lookback are listed, so an hourly run costs a few listings, not one
    per day of history; older hours were compacted by earlier runs.
    """
    utc_now = now.astimezone(UTC)
    first_day = f"ingest_date={(utc_now - lookback):%Y-%m-%d}"
    hours = []
    for day in lake.list_folders(BRONZE_EVENTS):
        if PurePosixPath(day).name < first_day:
            continue
        for hour in lake.list_folders(day):
            match = _HOUR_FOLDER.search(hour)
            if match is None:
                continue
            start = datetime.fromisoformat(f"{match[1]}T{match[2]}:00:00+00:00")
            if start + timedelta(hours=1) + grace <= utc_now:
                hours.append(hour)
    return hours


def open_hours(now: datetime, grace: timedelta = DEFAULT_GRACE) -> list[str]:
    """The bronze hour folders not closed yet at `now`: the current hour, and the one before
    while its grace runs. Their files so far can be merged; landing goes on beside them."""
    utc_now = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = [utc_now]
    if utc_now + grace > now.astimezone(UTC):
        hours.insert(0, utc_now - timedelta(hours=1))
    return [bronze_partition(hour) for hour in hours]


def compact_hour(
    lake: LakeFiles,
    partition: str,
    target_bytes: int = TARGET_FILE_BYTES,
    *,
    now: datetime | None = None,
    settle: timedelta = timedelta(0),
) -> CompactionResult | None:
    """Finish any interrupted plan, then merge the hour's small files written at least `settle`
    before `now`; None if nothing to do (or another run is at work on the hour).

    `settle` is for open hours (`OPEN_HOUR_SETTLE`): a reader that merges new files as they
    appear (the local engine's real-time side) has then seen every input, so it takes the
    output as records it holds; an input it never saw would make it merge the whole output."""
    now = now or datetime.now(UTC)
    for plan_path in _plans(lake, partition):
        document = lake.read_bytes(plan_path)
        if document is None:
            continue
        found = CompactionPlan.from_json(document)
        if not found.is_stale(now):
            logger.info("another compaction run is at work on %s; leaving it", partition)
            return None
        _recover(lake, found)
    written_before = (now - settle).timestamp() * 1e9
    small = [
        (path, size)
        for path, size, modified in _live_files(lake, partition)
        if size < target_bytes and modified <= written_before
    ]
    if len(small) < 2:
        return None
    plan = _plan(lake, partition, _groups(small, target_bytes), now)
    lake.write_bytes(plan.path, plan.to_json())
    for group, output in zip(plan.inputs, plan.outputs, strict=True):
        _merge(lake, group, output)
    _finish(lake, plan)
    result = CompactionResult(partition, len(small), len(plan.outputs), sum(plan.rows))
    logger.info(
        "compacted %s", partition, extra={"inputs": result.inputs, "outputs": result.outputs}
    )
    return result


def _live_files(lake: LakeFiles, partition: str) -> list[tuple[str, int, int]]:
    return [
        (path, size, modified)
        for path, size, modified in lake.file_versions(partition, recursive=False)
        if path.endswith(".parquet") and not PurePosixPath(path).name.startswith((".", "_"))
    ]


def _plans(lake: LakeFiles, partition: str) -> Iterator[str]:
    return (
        path
        for path, _ in lake.file_sizes(partition, recursive=False)
        if PurePosixPath(path).name.startswith(PLAN_PREFIX)
    )


def _groups(files: list[tuple[str, int]], target_bytes: int) -> list[list[str]]:
    """Consecutive groups of at least `target_bytes`; a smaller remainder joins the last group."""
    groups: list[list[str]] = [[]]
    size = 0
    for path, file_size in files:
        if size >= target_bytes:
            groups.append([])
            size = 0
        groups[-1].append(path)
        size += file_size
    if len(groups) > 1 and size < target_bytes:
        groups[-2].extend(groups.pop())
    return groups


def _plan(
    lake: LakeFiles, partition: str, groups: list[list[str]], now: datetime
) -> CompactionPlan:
    digest = hashlib.sha256("\n".join(p for g in groups for p in g).encode()).hexdigest()[:16]
    return CompactionPlan(
        partition=partition,
        inputs=tuple(tuple(group) for group in groups),
        outputs=tuple(
            f"{partition}/{COMPACTED_PREFIX}{digest}-{n}.parquet" for n in range(len(groups))
        ),
        rows=tuple(sum(lake.parquet_row_count(p) for p in group) for group in groups),
        created_at=now.astimezone(UTC).isoformat(),
    )


def _merge(lake: LakeFiles, inputs: tuple[str, ...], output: str) -> None:
    """Stream the inputs into one output, a row group's worth in memory at a time. Inputs are
    gathered into row groups of `ROW_GROUP_ROWS`: a row group per landed batch (a few hundred
    rows) would compress each column chunk on its own and leave readers thousands of chunks.
    The output's footer names its inputs, so a reader holding their records need not read it
    again."""
    schema = with_lineage(BRONZE_SCHEMA, inputs)
    pending: list[pa.Table] = []
    with (
        lake.open_atomic(output) as sink,
        pq.ParquetWriter(sink, schema, compression=PARQUET_COMPRESSION) as writer,
    ):
        for path in inputs:
            pending.append(conformed(lake.read_parquet(path)))
            if sum(table.num_rows for table in pending) >= ROW_GROUP_ROWS:
                _write_row_group(writer, pending)
                pending = []
        if pending:
            _write_row_group(writer, pending)


def _write_row_group(writer: pq.ParquetWriter, tables: list[pa.Table]) -> None:
    group = pa.concat_tables(tables)
    writer.write_table(group, row_group_size=max(group.num_rows, 1))


def _recover(lake: LakeFiles, plan: CompactionPlan) -> None:
    complete = all(
        lake.exists(output) and lake.parquet_row_count(output) == rows
        for output, rows in zip(plan.outputs, plan.rows, strict=True)
    )
    if complete:
        logger.warning("finishing an interrupted compaction of %s", plan.partition)
        _finish(lake, plan)
        return
    logger.warning("undoing an interrupted compaction of %s", plan.partition)
    for output in plan.outputs:
        lake.delete(output)
    lake.delete(plan.path)


def _finish(lake: LakeFiles, plan: CompactionPlan) -> None:
    for group in plan.inputs:
        for path in group:
            lake.delete(path)
    lake.delete(plan.path)
