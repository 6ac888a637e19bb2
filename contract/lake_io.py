"""Every read, write and listing of the lake, the same for a local folder and for S3.

A write is atomic for readers, who glob for finished files (`*.parquet`, `*.json`): a local file
is written beside its target under a name no reader globs for (`.<name>.<random>.tmp`), flushed
to disk and renamed over it; an S3 object is one upload of the finished content, which S3 makes
visible all at once. Readers therefore see the old object or the new one, never a part, and a
crash leaves at most a hidden staging file behind. `replace_local_file` gives files outside the
lake (a poller's checkpoints, the simulator's ledger) the same guarantee.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from contract.aws import aws_client
from contract.lake import LakeLocation
from contract.settings import Settings

PARQUET_COMPRESSION = "zstd"
WRITE_ERRORS = (OSError, pa.ArrowException)
"""What a lake write raises when storage misbehaves (a full disk, S3 errors, which pyarrow
surfaces as OSError): a caller retries, or refuses what it was asked to store."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LOCAL_WRITE_BUFFER_BYTES = 1024 * 1024
"""A local file is written through a buffer of this size: the Parquet writer makes many small
writes per file, each a system call when unbuffered."""


@dataclass(frozen=True)
class LakeFiles:
    """One lake root and the filesystem that reaches it, opened once per process or request."""

    location: LakeLocation
    filesystem: pafs.FileSystem
    settings: Settings = field(compare=False, repr=False)
    """Where the S3 client of `file_versions_after` and `file_version` connects."""

    @classmethod
    def open(cls, lake_uri: str, settings: Settings) -> LakeFiles:
        location = LakeLocation.parse(lake_uri)
        filesystem = location.filesystem(
            s3_endpoint_url=settings.endpoint_url("s3"), region=settings.aws_region
        )
        return cls(location, filesystem, settings)

    @property
    def is_local(self) -> bool:
        return self.location.scheme == "file"

    @contextmanager
    def open_atomic(self, relative: str) -> Iterator[pa.NativeFile]:
        """An output stream whose content appears at `relative` only if the block succeeds.

        Local: a hidden staging file, flushed to disk and renamed into place. S3: the content is
        buffered in memory and uploaded in one go after the block, because closing an S3 stream
        after an error would still publish the partial object.
        """
        target = self.location.path(relative)
        if self.is_local:
            with _staged_local_file(target) as stream:
                yield stream
            return
        buffer = pa.BufferOutputStream()
        yield buffer
        with self.filesystem.open_output_stream(target) as stream:
            stream.write(buffer.getvalue())

    def write_bytes(self, relative: str, data: bytes) -> None:
        with self.open_atomic(relative) as sink:
            sink.write(data)

    def write_parquet(self, relative: str, table: pa.Table) -> None:
        with self.open_atomic(relative) as sink:
            pq.write_table(table, sink, compression=PARQUET_COMPRESSION)

    def read_bytes(self, relative: str) -> bytes | None:
        """The object's bytes, or None when it does not exist."""
        try:
            with self.filesystem.open_input_stream(self.location.path(relative)) as stream:
                data: bytes = stream.read()
        except FileNotFoundError:
            return None
        return data

    def read_parquet(self, relative: str) -> pa.Table:
        return pq.read_table(self.location.path(relative), filesystem=self.filesystem)

    def parquet_row_count(self, relative: str) -> int:
        """The rows of a Parquet file, from its footer alone."""
        with self.filesystem.open_input_file(self.location.path(relative)) as handle:
            count: int = pq.ParquetFile(handle).metadata.num_rows
            return count

    def parquet_key_values(self, relative: str) -> dict[bytes, bytes]:
        """The key-value metadata of a Parquet file, from its footer alone."""
        with self.filesystem.open_input_file(self.location.path(relative)) as handle:
            return dict(pq.ParquetFile(handle).metadata.metadata or {})

    def exists(self, relative: str) -> bool:
        info = self.filesystem.get_file_info(self.location.path(relative))
        return bool(info.type == pafs.FileType.File)

    def open_output(self, relative: str) -> pa.NativeFile:
        """A stream writing `relative` from its start, for large files. Not atomic for readers (a
        local file is visible while it grows): write where no reader looks, then `move` it."""
        target = self.location.path(relative)
        if self.is_local:
            os.makedirs(target.rpartition("/")[0], exist_ok=True)
        return self.filesystem.open_output_stream(target)

    def open_input(self, relative: str) -> pa.NativeFile:
        """A stream reading `relative` from its start; FileNotFoundError when it does not exist."""
        return self.filesystem.open_input_stream(self.location.path(relative))

    def move(self, source: str, target: str) -> None:
        """A local rename (atomic); on S3 a server-side copy (visible at once), then a delete."""
        target_path = self.location.path(target)
        if self.is_local:
            os.makedirs(target_path.rpartition("/")[0], exist_ok=True)
        self.filesystem.move(self.location.path(source), target_path)

    def list_files(self, folder: str) -> list[str]:
        """Every file under `folder`, as paths relative to the root, sorted; [] when none."""
        return [path for path, _ in self.file_sizes(folder)]

    def file_sizes(self, folder: str, *, recursive: bool = True) -> list[tuple[str, int]]:
        """(path relative to the root, size in bytes) of the files under `folder`, sorted."""
        return [(path, size) for path, size, _ in self.file_versions(folder, recursive=recursive)]

    def file_versions(self, folder: str, *, recursive: bool = True) -> list[tuple[str, int, int]]:
        """(path relative to the root, size in bytes, modification time in ns) of the files
        under `folder`, sorted: a file rewritten in place shows as another version."""
        selector = pafs.FileSelector(
            self.location.path(folder), recursive=recursive, allow_not_found=True
        )
        return sorted(
            (self._relative(info.path), info.size or 0, info.mtime_ns or 0)
            for info in self.filesystem.get_file_info(selector)
            if info.type == pafs.FileType.File
        )

    def file_versions_after(self, folder: str, after: str) -> list[tuple[str, int, int]]:
        """`file_versions(folder)` of the paths that sort after `after` (a path relative to the
        root, like the results): on S3 one listing from there on (`StartAfter`, which pyarrow's
        listing lacks), where listing the folder would read all of its history and listing each
        later subfolder would take a request each; S3 bills every listing page as a PUT does.
        Locally the subfolders a later path can be under."""
        if self.is_local:
            later = [
                path for path in self.list_folders(folder) if path > after or after.startswith(path)
            ]
            files = self.file_versions(folder, recursive=False)
            files += [version for path in later for version in self.file_versions(path)]
            return sorted(version for version in files if version[0] > after)
        bucket, _, prefix = self.location.path(folder).partition("/")
        _, _, start = self.location.path(after).partition("/")
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}/", StartAfter=start
        )
        return sorted(
            (self._relative(f"{bucket}/{item['Key']}"), item["Size"], _nanoseconds(item))
            for page in pages
            for item in page.get("Contents", ())
            if not item["Key"].endswith("/")
        )

    def file_version(self, relative: str) -> tuple[str, int, int] | None:
        """(`relative`, size, modification time in ns) of one file, None when there is none: on
        S3 one HEAD (pyarrow lists the path as a folder too when the file is missing)."""
        if self.is_local:
            info = self.filesystem.get_file_info(self.location.path(relative))
            if info.type != pafs.FileType.File:
                return None
            return relative, info.size or 0, info.mtime_ns or 0
        bucket, _, key = self.location.path(relative).partition("/")
        try:
            head = self._s3.head_object(Bucket=bucket, Key=key)
        except self._s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return relative, head["ContentLength"], _nanoseconds(head)

    @cached_property
    def _s3(self) -> Any:
        return aws_client(self.settings, "s3")

    def list_folders(self, folder: str) -> list[str]:
        """The folders directly under `folder`, as paths relative to the root, sorted."""
        selector = pafs.FileSelector(self.location.path(folder), allow_not_found=True)
        return sorted(
            self._relative(info.path)
            for info in self.filesystem.get_file_info(selector)
            if info.type == pafs.FileType.Directory
        )

    def delete(self, relative: str) -> None:
        """Remove a file; nothing happens when it is already gone (reruns)."""
        with contextlib.suppress(FileNotFoundError):
            self.filesystem.delete_file(self.location.path(relative))

    def delete_folder(self, relative: str) -> None:
        """Remove a folder and everything under it; nothing happens when it does not exist."""
        with contextlib.suppress(FileNotFoundError):
            self.filesystem.delete_dir(self.location.path(relative))

    def uri_of(self, relative: str) -> str:
        return self.location.uri_of(relative)

    def relative_of(self, uri: str) -> str:
        return self.location.relative_of(uri)

    def _relative(self, path: str) -> str:
        return path.removeprefix(self.location.path("") + "/")


def _nanoseconds(s3_object: dict[str, Any]) -> int:
    """An S3 object's `LastModified` (a listing's or a HEAD's) in ns since the epoch."""
    modified: datetime = s3_object["LastModified"]
    return (modified - EPOCH) // timedelta(microseconds=1) * 1000


def replace_local_file(path: Path, data: bytes) -> None:
    """Replace a local file outside the lake as atomically as a lake object (see above)."""
    with _staged_local_file(str(path)) as stream:
        stream.write(data)


@contextmanager
def _staged_local_file(target: str) -> Iterator[pa.NativeFile]:
    """Write a hidden sibling of `target`, flush it to disk, rename it over `target`; on any
    error remove it and leave `target` as it was."""
    folder, _, name = target.rpartition("/")
    os.makedirs(folder, exist_ok=True)
    staging = f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"
    try:
        with pafs.LocalFileSystem().open_output_stream(
            staging, buffer_size=LOCAL_WRITE_BUFFER_BYTES
        ) as stream:
            yield stream
        descriptor = os.open(staging, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(staging, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staging)
