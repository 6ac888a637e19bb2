"""AWS Lambda handler for S3 "object created" events on the CSV landing prefix.

Each new object goes through the same `load_csv` as `salesflow load-csv`. A file whose header
cannot be read stays where it landed and gets a `<sha256>.rejected.txt` note with the reason in
the CSV quarantine; any other error is raised so Lambda retries the event.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any
from urllib.parse import unquote_plus

from batch_layer import lake_files
from batch_layer.csv_format import CsvHeaderError
from batch_layer.csv_loader import CSV_QUARANTINE, load_csv
from contract.aws import aws_client
from contract.lake import LakeLocation
from contract.settings import Settings

logger = logging.getLogger(__name__)


def handler(
    event: dict[str, Any], context: object, settings: Settings | None = None
) -> dict[str, Any]:
    settings = settings or Settings()
    s3 = aws_client(settings, "s3")
    summary: dict[str, Any] = {"loaded": [], "rejected": []}
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        data: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        file_name = key.rsplit("/", 1)[-1]
        try:
            result = load_csv(file_name, data, settings=settings)
        except (CsvHeaderError, UnicodeDecodeError) as error:
            note = f"s3://{bucket}/{key} was not loaded: {error}\n".encode()
            digest = hashlib.sha256(data).hexdigest()
            lake = LakeLocation.parse(settings.lake_uri)
            lake_files.write_atomically(
                lake, f"{CSV_QUARANTINE}/{digest}.rejected.txt", note, settings
            )
            logger.warning("csv object rejected", extra={"key": key, "reason": str(error)})
            summary["rejected"].append({"key": key, "reason": str(error)})
            continue
        summary["loaded"].append(
            {
                "key": key,
                "upload_path": result.upload_path,
                "accepted": result.accepted,
                "rejected": result.rejected,
                "already_loaded": result.already_loaded,
            }
        )
    return summary
