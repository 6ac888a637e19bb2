"""Whole-object reads and writes in the lake, the same for a local folder and for S3.

A write is atomic for readers: a local file is written beside its target under a name no reader
globs for (`.<name>.<random>.tmp`) and renamed over it; an S3 object becomes visible all at once
when its upload completes. Readers therefore see the old object or the new one, never a part.
"""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from contract.lake import LakeLocation
from contract.settings import Settings


@dataclass(frozen=True)
class LakeFiles:
    """One lake root and the filesystem that reaches it."""

    location: LakeLocation
    filesystem: pafs.FileSystem

    @classmethod
    def open(cls, lake_uri: str, settings: Settings) -> LakeFiles:
        location = LakeLocation.parse(lake_uri)
        filesystem = location.filesystem(
            s3_endpoint_url=settings.endpoint_url("s3"), region=settings.aws_region
        )
        return cls(location, filesystem)

    def write_bytes(self, relative: str, data: bytes) -> None:
        target = self.location.path(relative)
        if self.location.scheme == "s3":
            with self.filesystem.open_output_stream(target) as stream:
                stream.write(data)
            return
        folder, _, name = target.rpartition("/")
        os.makedirs(folder, exist_ok=True)
        temporary = f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def read_bytes(self, relative: str) -> bytes | None:
        """The object's bytes, or None when it does not exist."""
        try:
            with self.filesystem.open_input_stream(self.location.path(relative)) as stream:
                data: bytes = stream.read()
        except FileNotFoundError:
            return None
        return data

    def exists(self, relative: str) -> bool:
        info = self.filesystem.get_file_info(self.location.path(relative))
        return bool(info.type == pafs.FileType.File)

    def open_output(self, relative: str) -> pa.NativeFile:
        """A stream writing `relative` from its start, for large files. Not atomic for readers (a
        local file is visible while it grows): write where no reader looks, then `move` it."""
        target = self.location.path(relative)
        if self.location.scheme != "s3":
            os.makedirs(target.rpartition("/")[0], exist_ok=True)
        return self.filesystem.open_output_stream(target)

    def open_input(self, relative: str) -> pa.NativeFile:
        """A stream reading `relative` from its start; FileNotFoundError when it does not exist."""
        return self.filesystem.open_input_stream(self.location.path(relative))

    def move(self, source: str, target: str) -> None:
        """A local rename (atomic); on S3 a server-side copy (visible at once), then a delete."""
        target_path = self.location.path(target)
        if self.location.scheme != "s3":
            os.makedirs(target_path.rpartition("/")[0], exist_ok=True)
        self.filesystem.move(self.location.path(source), target_path)

    def list_files(self, folder: str) -> list[str]:
        """Every file under `folder`, as paths relative to the root, sorted; [] when none."""
        selector = pafs.FileSelector(
            self.location.path(folder), recursive=True, allow_not_found=True
        )
        root = self.location.path("") + "/"
        return sorted(
            info.path.removeprefix(root)
            for info in self.filesystem.get_file_info(selector)
            if info.type == pafs.FileType.File
        )

    def delete(self, relative: str) -> None:
        """Remove a file; nothing happens when it does not exist."""
        with contextlib.suppress(FileNotFoundError):
            self.filesystem.delete_file(self.location.path(relative))

    def delete_folder(self, relative: str) -> None:
        """Remove a folder and everything under it; nothing happens when it does not exist."""
        with contextlib.suppress(FileNotFoundError):
            self.filesystem.delete_dir(self.location.path(relative))

    def write_parquet(self, relative: str, table: pa.Table) -> None:
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        self.write_bytes(relative, buffer.getvalue())

    def read_parquet(self, relative: str) -> pa.Table:
        return pq.read_table(self.location.path(relative), filesystem=self.filesystem)

    def uri_of(self, relative: str) -> str:
        return self.location.uri_of(relative)
