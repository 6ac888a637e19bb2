"""AWS Lambda handler for S3 "object created" events on the CSV landing prefix.

The landing key chooses how the file is read: `landing/csv/<file>.csv` is in the contract's own
CSV format; `landing/csv/<mapping>/<any/folders/><file>.csv` is read with the mapping the lake
holds as `config/mappings/<mapping>.toml` (the prefix is `SALESFLOW_CSV_LANDING_PREFIX`). Each
object is streamed through the same `load_csv` as `salesflow load-csv`, unless it is larger than
`SALESFLOW_CSV_LAMBDA_MAX_BYTES`: then a request for the nightly job is written instead
(`csv_pending`), so no file can run the function out of time.

A file that cannot be loaded at all (a header without the mapped columns, bytes that are not
text, a missing or invalid mapping) stays where it landed and gets a `<id>.rejected.txt` note with
the reason in the CSV quarantine; any other error is raised so Lambda retries the event.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_plus

from batch_layer.csv_loader import load_csv
from batch_layer.csv_mapping import CONTRACT_FORMAT, mapping_from_lake
from batch_layer.csv_pending import (
    PendingUpload,
    hand_off,
    landed_object_id,
    write_refusal_note,
)
from batch_layer.csv_sources import LakeObjectExport
from batch_layer.errors import BatchLayerError
from contract.aws import aws_client
from contract.lake_io import LakeFiles
from contract.settings import Settings

logger = logging.getLogger(__name__)


def mapping_name(key: str, landing_prefix: str) -> str | None:
    """`landing/csv/erp_pdv/2026/nov.csv` -> `erp_pdv`; None for a file right under the prefix."""
    if not key.startswith(landing_prefix):
        return None
    folder, separator, _ = key[len(landing_prefix) :].partition("/")
    return folder if separator else None


def handler(
    event: dict[str, Any], context: object, settings: Settings | None = None
) -> dict[str, Any]:
    settings = settings or Settings()
    s3 = aws_client(settings, "s3")
    lake = LakeFiles.open(settings.lake_uri, settings)
    summary: dict[str, Any] = {"loaded": [], "pending": [], "rejected": []}
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        head = s3.head_object(Bucket=bucket, Key=key)
        upload = PendingUpload(
            bucket=bucket,
            key=key,
            size=head["ContentLength"],
            etag=head["ETag"].strip('"'),
            mapping=mapping_name(key, settings.csv_landing_prefix),
            landed_at=head["LastModified"],
        )
        if upload.size > settings.csv_lambda_max_bytes:
            request = hand_off(lake, upload)
            summary["pending"].append({"key": key, "bytes": upload.size, "request": request})
            continue
        try:
            mapping = mapping_from_lake(lake, upload.mapping) if upload.mapping else CONTRACT_FORMAT
            export = LakeObjectExport(LakeFiles.open(f"s3://{bucket}", settings), key)
            result = load_csv(export, settings=settings, mapping=mapping)
        except BatchLayerError as error:
            upload_id = landed_object_id(bucket, key, upload.etag)
            write_refusal_note(lake, upload_id, f"s3://{bucket}/{key} was not loaded: {error}")
            logger.warning("csv object rejected", extra={"key": key, "reason": str(error)})
            summary["rejected"].append({"key": key, "reason": str(error)})
            continue
        summary["loaded"].append(
            {
                "key": key,
                "mapping": mapping.name,
                "upload_parts": list(result.upload_parts),
                "accepted": result.accepted,
                "rejected": result.rejected,
                "already_loaded": result.already_loaded,
            }
        )
    return summary
