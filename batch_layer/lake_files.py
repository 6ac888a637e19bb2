"""Small whole-object reads and writes in the lake, the same for a local folder and for S3.

Used for the few objects the batch layer writes outside Spark: the publication pointer and CSV
uploads. A write is atomic for readers: a local file is written beside its target and renamed
over it; an S3 object is one PutObject, which S3 makes visible all at once.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from contract.aws import aws_client
from contract.lake import LakeLocation
from contract.settings import Settings


def write_atomically(lake: LakeLocation, relative: str, data: bytes, settings: Settings) -> None:
    if lake.scheme == "s3":
        bucket, key = _bucket_and_key(lake, relative)
        aws_client(settings, "s3").put_object(Bucket=bucket, Key=key, Body=data)
        return
    target = Path(lake.path(relative))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def read(lake: LakeLocation, relative: str, settings: Settings) -> bytes | None:
    """The object's bytes, or None when it does not exist."""
    if lake.scheme == "s3":
        bucket, key = _bucket_and_key(lake, relative)
        client = aws_client(settings, "s3")
        try:
            body: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except client.exceptions.NoSuchKey:
            return None
        return body
    path = Path(lake.path(relative))
    return path.read_bytes() if path.is_file() else None


def exists(lake: LakeLocation, relative: str, settings: Settings) -> bool:
    if lake.scheme == "s3":
        bucket, key = _bucket_and_key(lake, relative)
        listing = aws_client(settings, "s3").list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        return any(item["Key"] == key for item in listing.get("Contents", []))
    return Path(lake.path(relative)).is_file()


def _bucket_and_key(lake: LakeLocation, relative: str) -> tuple[str, str]:
    bucket, _, key = lake.path(relative).partition("/")
    return bucket, key
