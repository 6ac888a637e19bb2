"""Load one legacy CSV export into the lake: valid rows to `bronze/csv_uploads/`, the rest to
`bronze/_quarantine/csv/` with the reason.

The one core behind `salesflow load-csv`, the S3 object-created Lambda handler and the local
landing-folder watcher. Object names derive from the file's SHA-256, so loading the same file
twice finds its upload already there and changes nothing: the first upload time stands. The
upload is written after the quarantine file, so its presence means the whole load finished.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from batch_layer import lake_files
from batch_layer.csv_format import (
    QUARANTINE_COLUMNS,
    UPLOAD_COLUMNS,
    quarantine_rows,
    render_csv,
    source_name,
    validate_csv,
)
from contract.lake import CSV_UPLOADS, QUARANTINE, LakeLocation
from contract.settings import Settings

CSV_QUARANTINE = f"{QUARANTINE}/csv"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadResult:
    file_name: str
    upload_path: str
    """Where the accepted rows are, relative to the lake root."""
    accepted: int
    rejected: int
    already_loaded: bool


def load_csv(
    file_name: str,
    data: bytes,
    *,
    settings: Settings,
    lake_uri: str | None = None,
    uploaded_at: datetime | None = None,
) -> LoadResult:
    """Validate `data` (a CSV export called `file_name`) and write it to the lake.

    Raises `CsvHeaderError` when the header is wrong and `UnicodeDecodeError` when the file is
    not UTF-8; nothing is written then, so the caller keeps the file and reports the error.
    """
    lake = LakeLocation.parse(lake_uri or settings.lake_uri)
    digest = hashlib.sha256(data).hexdigest()
    upload_path = f"{CSV_UPLOADS}/{digest}.csv"
    quarantine_path = f"{CSV_QUARANTINE}/{digest}.csv"
    text = data.decode("utf-8-sig")
    if lake_files.exists(lake, upload_path, settings):
        logger.info("csv file already loaded", extra={"file": file_name, "sha256": digest})
        return LoadResult(file_name, upload_path, 0, 0, already_loaded=True)
    moment = (uploaded_at or datetime.now(UTC)).astimezone(UTC)
    source = source_name(file_name)
    validation = validate_csv(text, source=source, uploaded_at=moment)
    if validation.rejected:
        rows = quarantine_rows(validation.rejected, source=source, uploaded_at=moment)
        lake_files.write_atomically(
            lake, quarantine_path, render_csv(QUARANTINE_COLUMNS, rows), settings
        )
    lake_files.write_atomically(
        lake, upload_path, render_csv(UPLOAD_COLUMNS, validation.accepted), settings
    )
    logger.info(
        "csv file loaded",
        extra={
            "file": file_name,
            "sha256": digest,
            "accepted": len(validation.accepted),
            "rejected": len(validation.rejected),
        },
    )
    return LoadResult(
        file_name,
        upload_path,
        len(validation.accepted),
        len(validation.rejected),
        already_loaded=False,
    )
