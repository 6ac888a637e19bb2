"""An independent scan for a customer's identifier in every stored byte, written apart from the
erasure so that it checks it rather than repeats it: Parquet decoded value by value (compression
hides the bytes), everything else searched as bytes, every version of every S3 object."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq


def _occurs(identifier: str) -> re.Pattern[bytes]:
    edge = rb"A-Za-z0-9_.:/-"
    return re.compile(
        rb"(?<![" + edge + rb"])" + re.escape(identifier.encode()) + rb"(?![" + edge + rb"])"
    )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def found_in(name: str, data: bytes, identifier: str) -> bool:
    pattern = _occurs(identifier)
    if name.endswith(".parquet"):
        rows = pq.ParquetFile(io.BytesIO(data)).read().to_pylist()
        return any(pattern.search(text.encode()) for row in rows for text in _strings(row))
    return bool(pattern.search(data))


def local_files_naming(root: Path, identifier: str) -> list[str]:
    """Every file under `root` (hidden ones too) in which `identifier` occurs."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and found_in(path.name, path.read_bytes(), identifier)
    )


def s3_versions_naming(s3: Any, bucket: str, identifier: str) -> list[str]:
    """Every version of every object of `bucket` in which `identifier` occurs."""
    hits = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
            if found_in(version["Key"], body["Body"].read(), identifier):
                hits.append(f"{version['Key']}@{version['VersionId']}")
    return hits
