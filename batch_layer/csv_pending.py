"""Landed CSV exports too large for the Lambda, handed over to the batch side.

Instead of loading an object above `csv_lambda_max_bytes`, the Lambda writes a small request,
`bronze/csv_pending/<id>.json`, naming the object and its mapping. The nightly job loads every
pending request before it reads its inputs (`run_batch` calls `load_pending`), as does
`salesflow load-csv --pending`, with the same streaming loader, and then deletes the request. The
id hashes the object's bucket, key and ETag, so a retried Lambda writes the same request again.

The rows are stamped with the time the object landed, not the time the job got to it: that is
when the platform received them, and it is what the contract's "not in the future" check is
measured against. A nightly run loads its pending files before it reads anything, so a file that
landed before the run's cutoff is in that run's gold; one that landed after it is in the
real-time view until the next run. (A manual `--pending` while a nightly run is reading its
inputs could land rows behind that run's cutoff after it read them; they would show from the
following run. Run it between runs.)
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from pydantic import AwareDatetime, BaseModel

from batch_layer.csv_loader import CSV_QUARANTINE, load_csv
from batch_layer.csv_mapping import CONTRACT_FORMAT, mapping_from_lake
from batch_layer.csv_sources import LakeObjectExport
from batch_layer.errors import BatchLayerError
from contract.lake import CSV_PENDING
from contract.lake_io import LakeFiles
from contract.settings import Settings

logger = logging.getLogger(__name__)


class PendingUpload(BaseModel):
    """`bronze/csv_pending/<id>.json`: a landed export waiting for the batch side."""

    bucket: str
    key: str
    size: int
    etag: str
    mapping: str | None
    """The lake mapping to read it with; None for the contract's own CSV format."""
    landed_at: AwareDatetime


@dataclass(frozen=True)
class PendingOutcome:
    request: str
    key: str
    loaded: bool
    detail: str
    """What was loaded where, or why the file was refused."""


def landed_object_id(bucket: str, key: str, etag: str) -> str:
    """Names what concerns one landed object (its request, its refusal note)."""
    return hashlib.sha256(f"s3://{bucket}/{key}\n{etag}".encode()).hexdigest()[:40]


def hand_off(lake: LakeFiles, upload: PendingUpload) -> str:
    """Write the request (again, if it exists: same object, same request); returns its path."""
    path = f"{CSV_PENDING}/{landed_object_id(upload.bucket, upload.key, upload.etag)}.json"
    lake.write_bytes(path, upload.model_dump_json(indent=2).encode())
    logger.info(
        "csv object handed to the batch side",
        extra={"key": upload.key, "bytes": upload.size, "request": path},
    )
    return path


def write_refusal_note(lake: LakeFiles, upload_id: str, text: str) -> str:
    """`bronze/_quarantine/csv/<id>.rejected.txt`: why a landed object was not loaded at all."""
    path = f"{CSV_QUARANTINE}/{upload_id}.rejected.txt"
    lake.write_bytes(path, f"{text}\n".encode())
    return path


def load_pending(lake_uri: str, *, settings: Settings) -> list[PendingOutcome]:
    """Load every pending request, oldest landing first, and delete each one handled.

    A file refused whole (no header, not text, a scattered event, a missing mapping) gets a
    refusal note and its request is dropped: retrying cannot help, and it must not stop the
    nightly run. Any other error (the object store failing) is raised, and the request stays
    for the next attempt."""
    lake = LakeFiles.open(lake_uri, settings)
    requests = []
    for path in lake.list_files(CSV_PENDING):
        document = lake.read_bytes(path) if path.endswith(".json") else None
        if document is not None:
            requests.append((PendingUpload.model_validate_json(document), path))
    outcomes = []
    for upload, path in sorted(requests, key=lambda item: (item[0].landed_at, item[1])):
        outcomes.append(_load_one(lake, lake_uri, upload, path, settings))
        lake.delete(path)
    return outcomes


def _load_one(
    lake: LakeFiles, lake_uri: str, upload: PendingUpload, path: str, settings: Settings
) -> PendingOutcome:
    location = f"s3://{upload.bucket}/{upload.key}"
    try:
        mapping = mapping_from_lake(lake, upload.mapping) if upload.mapping else CONTRACT_FORMAT
        export = LakeObjectExport(LakeFiles.open(f"s3://{upload.bucket}", settings), upload.key)
        result = load_csv(
            export,
            settings=settings,
            mapping=mapping,
            lake_uri=lake_uri,
            uploaded_at=upload.landed_at,
        )
    except BatchLayerError as error:
        upload_id = landed_object_id(upload.bucket, upload.key, upload.etag)
        write_refusal_note(lake, upload_id, f"{location} was not loaded: {error}")
        logger.warning("pending csv refused", extra={"key": upload.key, "reason": str(error)})
        return PendingOutcome(path, upload.key, loaded=False, detail=str(error))
    parts = len(result.upload_parts)
    detail = (
        f"already loaded ({result.record_path})"
        if result.already_loaded
        else f"{result.accepted} rows loaded in {parts} part{'s' * (parts != 1)}, "
        f"{result.rejected} quarantined"
    )
    return PendingOutcome(path, upload.key, loaded=True, detail=detail)
