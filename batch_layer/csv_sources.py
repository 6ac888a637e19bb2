"""Where an export is read from: a local file, an object in a bucket, or bytes in memory.

The loader reads an export twice (first its SHA-256, then its rows), so a source is something
that can be opened again, as a buffered binary stream read line by line.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from contract.lake_io import LakeFiles

READ_BUFFER_BYTES = 1024 * 1024


class ExportFile(Protocol):
    @property
    def name(self) -> str:
        """The file's name (no folder): it goes into the rows' `source` stamp and messages."""
        ...

    def open(self) -> BinaryIO: ...


@dataclass(frozen=True)
class LocalExport:
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    def open(self) -> BinaryIO:
        return self.path.open("rb", buffering=READ_BUFFER_BYTES)


@dataclass(frozen=True)
class InMemoryExport:
    """An export already in memory (tests, small generated files)."""

    name: str
    data: bytes

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data)


@dataclass(frozen=True)
class LakeObjectExport:
    """An object under a lake root, e.g. `landing/csv/erp/nov.csv` under `s3://bucket`, streamed."""

    files: LakeFiles
    relative: str

    @property
    def name(self) -> str:
        return self.relative.rsplit("/", 1)[-1]

    def open(self) -> BinaryIO:
        return io.BufferedReader(self.files.open_input(self.relative), READ_BUFFER_BYTES)


def file_sha256(export: ExportFile) -> str:
    digest = hashlib.sha256()
    with export.open() as stream:
        while chunk := stream.read(READ_BUFFER_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
