"""Whole-object reads and writes in the lake, the same for a local folder and for S3.

A write is atomic for readers: a local file is written beside its target under a name no reader
globs for (`.<name>.<random>.tmp`) and renamed over it; an S3 object becomes visible all at once
when its upload completes. Readers therefore see the old object or the new one, never a part.
"""

from __future__ import annotations

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

    def write_parquet(self, relative: str, table: pa.Table) -> None:
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        self.write_bytes(relative, buffer.getvalue())

    def read_parquet(self, relative: str) -> pa.Table:
        return pq.read_table(self.location.path(relative), filesystem=self.filesystem)

    def uri_of(self, relative: str) -> str:
        return self.location.uri_of(relative)
