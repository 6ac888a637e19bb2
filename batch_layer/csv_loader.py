"""Load one CSV export into the lake, streaming: accepted rows to `bronze/csv_uploads/`, the rest
to `bronze/_quarantine/csv/` with the reason.

The one core behind `salesflow load-csv`, the S3 object-created Lambda, the local landing-folder
watcher and the nightly job's pending large uploads. The file is read twice, a line at a time,
never whole: once for its SHA-256, once to convert (`csv_rows`), group (`csv_events`) and
validate (`csv_format`) its rows. Memory depends on the mapping's window of open events, not on
the file's size.

What it writes, and why in this order:
1. `bronze/_staging/csv/<sha256>/_load.json`: the upload time, source name, mapping and part size
   of this load. Rows carry that upload time as `ingested_at`.
2. The parts, staged in that folder: `upload-00001.csv`, ... (`csv_format.UPLOAD_COLUMNS`, at most
   `part_rows` rows each, an event never split) and `quarantine-00001.csv`, ... (`file_line,
   reason`, the source row as read, `ingested_at, source`). No reader looks there.
3. Once the whole file was read and every event checked whole, each part moves into place:
   `bronze/csv_uploads/<sha256>-00001.csv`, `bronze/_quarantine/csv/<sha256>-00001.csv`. A move is
   a rename locally and a server-side copy on S3, one part at a time: readers see a file's parts
   appear over a moment (milliseconds locally, about a second a part on S3), never a part half
   written, and never any part of a file that turns out not to load (a scattered event, a line
   that is not text).
4. `bronze/csv_loads/<sha256>.json`, the load record, last: its presence means the load finished.
   A file whose record exists is not loaded again (loading the same bytes twice changes nothing,
   and the first upload time stands), under whatever name it comes back.

Parts instead of one object keep memory bounded on S3 (each part is a streamed multipart upload)
and let Spark read a large load in parallel. A load that stopped half-way (a crash, a timeout,
possibly in the middle of step 3) is finished by loading the same file again: step 1's record is
reused, so the rerun writes the same bytes under the same names, and moving a part twice changes
nothing. A rerun with another mapping or part size starts over if no part was published yet and
is refused (UnfinishedLoadError) if some was, since its parts would not line up with those.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel

from batch_layer.csv_events import ClosedEvent, EventWindow
from batch_layer.csv_format import (
    UPLOAD_COLUMNS,
    MappedRow,
    row_problems,
    source_name,
    upload_rows,
    validate_event,
)
from batch_layer.csv_mapping import CONTRACT_FORMAT, ExportMapping
from batch_layer.csv_parts import PartWriter
from batch_layer.csv_reading import SourceRow, read_export
from batch_layer.csv_rows import RowConverter
from batch_layer.csv_scratch import scratch_folder
from batch_layer.csv_sources import ExportFile, file_sha256
from batch_layer.errors import CsvFileError, UnfinishedLoadError
from contract.lake import CSV_LOADS, CSV_STAGING, CSV_UPLOADS, QUARANTINE
from contract.lake_io import LakeFiles
from contract.settings import Settings

CSV_QUARANTINE = f"{QUARANTINE}/csv"
PART_ROWS = 500_000
"""Rows per part: about 80-100 MB of upload CSV, under Spark's 128 MB split."""

logger = logging.getLogger(__name__)


class _LoadStart(BaseModel):
    """`bronze/_staging/csv/<sha256>/_load.json`: what a resumed load must reuse."""

    file_name: str
    source: str
    uploaded_at: AwareDatetime
    mapping: str
    mapping_sha256: str
    part_rows: int


class LoadRecord(BaseModel):
    """`bronze/csv_loads/<sha256>.json`, written when a load finished."""

    sha256: str
    file_name: str
    source: str
    mapping: str
    mapping_sha256: str
    uploaded_at: AwareDatetime
    finished_at: AwareDatetime
    accepted: int
    rejected: int
    upload_parts: list[str]
    quarantine_parts: list[str]


@dataclass(frozen=True)
class LoadResult:
    file_name: str
    sha256: str
    record_path: str
    """The load's record, relative to the lake root (written last)."""
    upload_parts: tuple[str, ...]
    """Where the accepted rows are, relative to the lake root (empty when already loaded)."""
    accepted: int
    rejected: int
    already_loaded: bool


@dataclass(frozen=True)
class _Staged:
    uploads: list[str]
    quarantine: list[str]
    accepted: int
    rejected: int


def load_csv(
    export: ExportFile,
    *,
    settings: Settings,
    mapping: ExportMapping = CONTRACT_FORMAT,
    lake_uri: str | None = None,
    uploaded_at: datetime | None = None,
    part_rows: int = PART_ROWS,
) -> LoadResult:
    """Validate `export` with `mapping` and write it to the lake (see the module's docstring).

    Raises a CsvFileError (CsvHeaderError, CsvEncodingError, ScatteredEventError) when no row of
    the file can be loaded; nothing is published then, so the caller keeps the file and reports
    the error. `uploaded_at` (default now) is the rows' `ingested_at` unless a stopped load of
    the same file is being finished, which keeps its own.
    """
    lake = LakeFiles.open(lake_uri or settings.lake_uri, settings)
    digest = file_sha256(export)
    record_path = f"{CSV_LOADS}/{digest}.json"
    if lake.exists(record_path) or lake.exists(f"{CSV_UPLOADS}/{digest}.csv"):
        logger.info("csv file already loaded", extra={"file": export.name, "sha256": digest})
        return LoadResult(export.name, digest, record_path, (), 0, 0, already_loaded=True)
    staging = f"{CSV_STAGING}/{digest}"
    with export.open() as stream:
        rows = read_export(stream, encoding=mapping.encoding, delimiter=mapping.delimiter)
        converter = RowConverter(mapping, rows.header)
        start = _start(
            lake,
            digest=digest,
            file_name=export.name,
            mapping=mapping,
            uploaded_at=uploaded_at,
            part_rows=part_rows,
        )
        logger.info(
            "csv file loading",
            extra={"file": export.name, "sha256": digest, "mapping": mapping.name},
        )
        try:
            staged = _stage(
                lake,
                staging,
                start,
                mapping=mapping,
                converter=converter,
                header=rows.header,
                rows=rows.rows,
            )
        except CsvFileError:
            lake.delete_folder(staging)
            raise
    published = [_publish(lake, path, CSV_UPLOADS, digest) for path in staged.uploads]
    quarantined = [_publish(lake, path, CSV_QUARANTINE, digest) for path in staged.quarantine]
    record = LoadRecord(
        sha256=digest,
        file_name=export.name,
        source=start.source,
        mapping=start.mapping,
        mapping_sha256=start.mapping_sha256,
        uploaded_at=start.uploaded_at,
        finished_at=datetime.now(UTC),
        accepted=staged.accepted,
        rejected=staged.rejected,
        upload_parts=published,
        quarantine_parts=quarantined,
    )
    lake.write_bytes(record_path, record.model_dump_json(indent=2).encode())
    lake.delete_folder(staging)
    logger.info(
        "csv file loaded",
        extra={
            "file": export.name,
            "sha256": digest,
            "accepted": staged.accepted,
            "rejected": staged.rejected,
            "parts": len(published),
        },
    )
    return LoadResult(
        export.name,
        digest,
        record_path,
        tuple(published),
        staged.accepted,
        staged.rejected,
        already_loaded=False,
    )


def _start(
    lake: LakeFiles,
    *,
    digest: str,
    file_name: str,
    mapping: ExportMapping,
    uploaded_at: datetime | None,
    part_rows: int,
) -> _LoadStart:
    """This load's settings, or those of a stopped load of the same file (to finish it)."""
    path = f"{CSV_STAGING}/{digest}/_load.json"
    fresh = _LoadStart(
        file_name=file_name,
        source=source_name(
            file_name if mapping.contract_format else f"{mapping.source_system}/{file_name}"
        ),
        uploaded_at=(uploaded_at or datetime.now(UTC)).astimezone(UTC),
        mapping=mapping.name,
        mapping_sha256=mapping.sha256,
        part_rows=part_rows,
    )
    earlier_json = lake.read_bytes(path)
    if earlier_json is not None:
        earlier = _LoadStart.model_validate_json(earlier_json)
        if (earlier.mapping_sha256, earlier.part_rows) == (mapping.sha256, part_rows):
            logger.info("finishing a stopped csv load", extra={"sha256": digest})
            return earlier
        if any(f"/{digest}-" in name for name in lake.list_files(CSV_UPLOADS)):
            raise UnfinishedLoadError(
                f"a load of this file (sha256 {digest}) with mapping {earlier.mapping!r} and "
                f"{earlier.part_rows} rows a part stopped after publishing some of its parts; "
                "load it again with that mapping to finish it"
            )
        lake.delete_folder(f"{CSV_STAGING}/{digest}")
    lake.write_bytes(path, fresh.model_dump_json().encode())
    return fresh


def _stage(
    lake: LakeFiles,
    staging: str,
    start: _LoadStart,
    *,
    mapping: ExportMapping,
    converter: RowConverter,
    header: Sequence[str],
    rows: Iterator[SourceRow],
) -> _Staged:
    stamp = (start.uploaded_at.isoformat(), start.source)
    width = len(header)
    uploads = PartWriter(lake, staging, "upload", UPLOAD_COLUMNS, start.part_rows)
    quarantine = PartWriter(
        lake,
        staging,
        "quarantine",
        ("file_line", "reason", *header, "ingested_at", "source"),
        start.part_rows,
    )

    def reject(group: Sequence[MappedRow], reason: str) -> None:
        quarantine.write_rows(
            [
                str(row.file_line),
                reason,
                *(row.fields[:width] + [""] * (width - len(row.fields))),
                *stamp,
            ]
            for row in group
        )
        quarantine.end_event()

    def settle(closed: ClosedEvent) -> None:
        if closed.rejection is not None:
            reject(closed.rows, closed.rejection)
            return
        event = validate_event(closed.rows, start.uploaded_at, mapping.label)
        if isinstance(event, str):
            reject(closed.rows, event)
            return
        uploads.write_rows(upload_rows(event, stamp))
        uploads.end_event()

    with scratch_folder() as folder:
        window = EventWindow(mapping.max_open_events, folder)
        try:
            for source_row in rows:
                row = converter.convert(source_row)
                if row.event_id is None:
                    reject([row], row_problems(row))
                    continue
                for closed in window.add(row):
                    settle(closed)
            for closed in window.close_all():
                settle(closed)
            window.verify()
        except BaseException:
            uploads.abandon()
            quarantine.abandon()
            raise
        finally:
            window.close_files()
    return _Staged(uploads.close(), quarantine.close(), uploads.rows, quarantine.rows)


def _publish(lake: LakeFiles, staged: str, folder: str, digest: str) -> str:
    number = staged.rsplit("-", 1)[1]
    target = f"{folder}/{digest}-{number}"
    lake.move(staged, target)
    return target
