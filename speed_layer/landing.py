"""`land()`: the one core every adapter calls. Records in, Parquet files and quarantine lines out.

Each record is decoded and fully re-validated against the contract (`contract.wire.decode`).
Valid events are written as one Parquet file per ingest hour the batch touches, named after the
batch key, so a redelivered batch overwrites its own files. Invalid records are written to the
quarantine with the reason and the raw payload. Nothing is dropped: a record is either in a
landed file, in the quarantine, or reported back as failed so the adapter retries it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import compress

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import ValidationError

from contract.bronze import BronzeTableBuilder, bronze_table
from contract.lake import bronze_partition
from contract.lake_io import WRITE_ERRORS, LakeFiles
from contract.wire import decode
from speed_layer.quarantine import QuarantinedRecord, quarantine_lines, quarantine_path
from speed_layer.records import Batch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LandingReport:
    files: tuple[str, ...]
    """Lake-relative paths written (Parquet files and the quarantine file, if any)."""
    landed: int
    quarantined: int
    failed: tuple[int, ...]
    """Positions in the batch whose write failed: the adapter must redeliver or dead-letter them."""

    @property
    def ok(self) -> bool:
        return not self.failed


def land(batch: Batch, lake: LakeFiles) -> LandingReport:
    valid = BronzeTableBuilder()
    positions: list[int] = []
    rejected: list[tuple[int, QuarantinedRecord]] = []
    for position, record in enumerate(batch.records):
        try:
            valid.append(decode(record.data))
        except ValidationError as error:
            rejected.append((position, QuarantinedRecord.of(record, error)))
        else:
            positions.append(position)

    files: list[str] = []
    failed: list[int] = []
    landed = 0
    for hour, table, members in _by_ingest_hour(valid.table(), positions):
        path = f"{bronze_partition(hour)}/{batch.key}.parquet"
        try:
            lake.write_parquet(path, table)
        except WRITE_ERRORS:
            logger.exception(
                "could not write %s (%s records); they will be retried", path, len(members)
            )
            failed.extend(members)
            continue
        files.append(path)
        landed += len(members)

    quarantined = 0
    if rejected:
        now = datetime.now(UTC)
        path = quarantine_path(batch.key, now)
        try:
            lake.write_bytes(path, quarantine_lines([entry for _, entry in rejected], now))
        except WRITE_ERRORS:
            logger.exception(
                "could not write quarantine file %s; its records will be retried", path
            )
            failed.extend(position for position, _ in rejected)
        else:
            files.append(path)
            quarantined = len(rejected)
            logger.warning("quarantined %s invalid records of batch %s", len(rejected), batch.key)

    report = LandingReport(
        files=tuple(files),
        landed=landed,
        quarantined=quarantined,
        failed=tuple(sorted(failed)),
    )
    logger.info(
        "landed batch %s",
        batch.key,
        extra={"landed": report.landed, "quarantined": report.quarantined, "failed": len(failed)},
    )
    return report


def _by_ingest_hour(
    table: pa.Table, positions: list[int]
) -> Iterator[tuple[datetime, pa.Table, list[int]]]:
    """The table's rows per UTC hour of `ingested_at`, in hour order, with their batch positions.

    Computed on the Arrow column, not per event in Python, since it runs for every record
    landed; a batch almost always falls in one hour and is then passed on without a copy.
    """
    hours = pc.floor_temporal(table["ingested_at"], unit="hour")
    distinct = sorted(pc.unique(hours).to_pylist())
    if len(distinct) == 1:
        yield distinct[0], table, positions
        return
    for hour in distinct:
        mask = pc.equal(hours, pa.scalar(hour, type=hours.type))
        yield hour, table.filter(mask), list(compress(positions, mask.to_pylist()))


def warm_up() -> None:
    """Pay pyarrow's lazy imports (it loads pandas on the first conversion) and the Parquet
    writer's set-up at start, not while the first batch waits: seconds on a busy machine."""
    pq.write_table(bronze_table([]), pa.BufferOutputStream())
