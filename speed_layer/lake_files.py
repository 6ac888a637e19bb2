"""Atomic writes, listings and deletes in the lake, the same on a local folder and on S3.

Readers glob `*.parquet`, so a file must never be visible half-written: on local disk it is
written under a hidden temporary name (`.name.tmp-<uuid>`, which no reader globs) and renamed;
on S3 it is one PUT (or completed multipart upload) of the finished content.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import PurePosixPath

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from contract.lake import LakeLocation
from contract.settings import Settings

logger = logging.getLogger(__name__)

PARQUET_COMPRESSION = "zstd"
LOCAL_WRITE_BUFFER_BYTES = 1024 * 1024
"""A local file is written through a buffer of this size: the Parquet writer makes about 70
small writes per file, each a system call when unbuffered (a seventh of the write's CPU time)."""


@dataclass(frozen=True)
class LakeFiles:
    location: LakeLocation
    filesystem: pafs.FileSystem

    @classmethod
    def open(cls, uri: str, settings: Settings) -> LakeFiles:
        location = LakeLocation.parse(uri)
        return cls(
            location,
            location.filesystem(
                s3_endpoint_url=settings.endpoint_url("s3"), region=settings.aws_region
            ),
        )

    @property
    def is_local(self) -> bool:
        return self.location.scheme == "file"

    def write_parquet(self, relative: str, table: pa.Table) -> None:
        with self.open_atomic(relative) as sink:
            pq.write_table(table, sink, compression=PARQUET_COMPRESSION)

    def write_bytes(self, relative: str, data: bytes) -> None:
        with self.open_atomic(relative) as sink:
            sink.write(data)

    @contextmanager
    def open_atomic(self, relative: str) -> Iterator[pa.NativeFile]:
        """An output stream whose content appears at `relative` only if the block succeeds.

        Local: a hidden staging file renamed into place. S3: the content is buffered in memory
        and PUT in one go after the block, because closing an S3 stream after an error would
        still publish the partial object.
        """
        target = self.location.path(relative)
        if not self.is_local:
            buffer = pa.BufferOutputStream()
            yield buffer
            with self.filesystem.open_output_stream(target) as stream:
                stream.write(buffer.getvalue())
            return
        self.filesystem.create_dir(str(PurePosixPath(target).parent), recursive=True)
        path = PurePosixPath(target)
        staging = str(path.parent / f".{path.name}.tmp-{uuid.uuid4().hex}")
        try:
            with self.filesystem.open_output_stream(
                staging, buffer_size=LOCAL_WRITE_BUFFER_BYTES
            ) as stream:
                yield stream
        except BaseException:
            with suppress(FileNotFoundError):
                self.filesystem.delete_file(staging)
            raise
        self.filesystem.move(staging, target)

    def read_bytes(self, relative: str) -> bytes:
        with self.filesystem.open_input_stream(self.location.path(relative)) as stream:
            data: bytes = stream.read()
            return data

    def read_parquet(self, relative: str) -> pa.Table:
        return pq.read_table(self.location.path(relative), filesystem=self.filesystem)

    def parquet_row_count(self, relative: str) -> int:
        with self.filesystem.open_input_file(self.location.path(relative)) as handle:
            count: int = pq.ParquetFile(handle).metadata.num_rows
            return count

    def exists(self, relative: str) -> bool:
        info = self.filesystem.get_file_info(self.location.path(relative))
        return bool(info.type == pafs.FileType.File)

    def list_files(self, relative: str, *, recursive: bool = False) -> list[tuple[str, int]]:
        """(path relative to the lake root, size in bytes) of the files under a folder, sorted."""
        selector = pafs.FileSelector(
            self.location.path(relative), allow_not_found=True, recursive=recursive
        )
        root = self.location.path("") + "/"
        return sorted(
            (info.path.removeprefix(root), info.size or 0)
            for info in self.filesystem.get_file_info(selector)
            if info.type == pafs.FileType.File
        )

    def list_folders(self, relative: str) -> list[str]:
        selector = pafs.FileSelector(self.location.path(relative), allow_not_found=True)
        root = self.location.path("") + "/"
        return sorted(
            info.path.removeprefix(root)
            for info in self.filesystem.get_file_info(selector)
            if info.type == pafs.FileType.Directory
        )

    def delete(self, relative: str) -> None:
        """Delete a file; deleting one that is already gone is not an error (reruns)."""
        try:
            self.filesystem.delete_file(self.location.path(relative))
        except FileNotFoundError:
            logger.debug("already deleted: %s", relative)
