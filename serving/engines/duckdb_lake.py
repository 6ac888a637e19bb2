"""An `s3://` lake for the DuckDB engine, through the S3 client the rest of the platform uses.

DuckDB reads S3 with its httpfs extension, which it downloads when first needed; a machine
without that download (or a DuckDB release without a published build) could not serve an S3
lake. Instead the engine hands DuckDB the lake's own pyarrow S3 filesystem
(`contract.lake_io.LakeFiles`: the endpoint, region and credentials every component takes from
the settings) wrapped as an fsspec filesystem of the `s3` protocol. DuckDB then globs, opens and
reads `s3://` URIs through it, so the views and queries are the same SQL over an S3 lake as over
a local one. Extension auto-loading is off on such a connection: a path DuckDB cannot serve
fails with an error instead of a download attempt.

DuckDB reads a file from several threads through one handle, asking for each read `seek(at)`
then `read(n)`, each under the GIL but not the pair; pyarrow releases the GIL while it reads, so
another thread's `seek` could move the handle between them and a read returned another range's
bytes (a footer that does not parse, seen as "Invalid data" from DuckDB). Each thread therefore
keeps its own position, and a read is pyarrow's positional `read_at`, which is thread-safe.
"""

from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.fs
from fsspec.implementations.arrow import ArrowFSWrapper

from contract.lake_io import LakeFiles

GLOB_CHARACTERS = frozenset("*?[")


class ThreadPositionedFile(io.RawIOBase):
    """A read-only view of a lake file whose position belongs to the thread that moved it.
    Closing the view leaves the file open: the lake filesystem keeps it (`S3LakeFileSystem`)."""

    def __init__(self, source: pa.NativeFile) -> None:
        super().__init__()
        self._source = source
        self._size = source.size()
        self._position = threading.local()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return int(getattr(self._position, "at", 0))

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.tell(), io.SEEK_END: self._size}[whence]
        position = int(base + offset)
        self._position.at = position
        return position

    def read(self, size: int = -1) -> bytes:
        at = self.tell()
        wanted = self._size - at if size is None or size < 0 else min(size, self._size - at)
        data = self._source.read_at(max(wanted, 0), at) if wanted > 0 else b""
        self._position.at = at + len(data)
        return bytes(data)


HANDLE_MAX_AGE_SECONDS = 60.0
"""How long a kept file handle serves reads, and its size and modification time answer DuckDB,
before the file is opened (and asked for both) again: a file rewritten in place (the erasure tool
rewrites lake files) is read whole again within this long."""


@dataclass(frozen=True)
class KeptFile:
    """A lake file opened for reading, with what DuckDB asks of it on every query."""

    handle: pa.NativeFile
    modified: datetime
    opened_at: float
    """`time.monotonic()` when it was opened."""


class S3LakeFileSystem(ArrowFSWrapper):  # type: ignore[misc]  # fsspec is untyped
    protocol = ("s3",)
    cachable = False
    """One per engine: fsspec would otherwise hand every engine the same instance."""

    def __init__(self, filesystem: pa.fs.FileSystem) -> None:
        super().__init__(filesystem)
        self._opened: dict[str, KeptFile] = {}
        self._opened_lock = threading.Lock()

    def _open(self, path: str, mode: str = "rb", **kwargs: object) -> io.RawIOBase:
        """Lake files are only read here, through a handle safe to share between DuckDB's
        threads (see `_kept`)."""
        if mode != "rb":
            raise ValueError(f"the serving engine only reads the lake, not {mode!r}")
        return ThreadPositionedFile(self._kept(path).handle)

    def size(self, path: str) -> int:
        """DuckDB asks every file's size whenever a query binds a view of it: the kept handle
        knows it."""
        return int(self._kept(path).handle.size())

    def modified(self, path: str) -> datetime:
        """DuckDB asks every file's modification time whenever a query binds a view of it (its
        cache of file contents is keyed by it): asked of S3 (a HEAD) when the file is opened."""
        return self._kept(path).modified

    def _kept(self, path: str) -> KeptFile:
        """The file opened for reading. Opening an S3 file asks its size (a HEAD), and DuckDB
        opens every file of a view's list, and asks its size and modification time, for every
        query that binds the view (it reads each file's schema): the handle and the time are
        kept for HANDLE_MAX_AGE_SECONDS. Handles are dropped, never closed: a query may still be
        reading one."""
        key = self._strip_protocol(path)
        now = time.monotonic()
        with self._opened_lock:
            kept = self._opened.get(key)
        if kept is not None and now - kept.opened_at < HANDLE_MAX_AGE_SECONDS:
            return kept
        modified = self.fs.get_file_info(key).mtime
        opened = KeptFile(self.fs.open_input_file(key), modified, now)
        with self._opened_lock:
            self._opened = {
                k: v for k, v in self._opened.items() if now - v.opened_at < HANDLE_MAX_AGE_SECONDS
            }
            self._opened[key] = opened
        return opened

    def glob(self, path: str, **kwargs: object) -> list[str]:
        """A path without wildcards is itself. DuckDB globs every path of a view's file list
        each time a query binds the view, and asking S3 whether each file exists (a HEAD each)
        made most of a dashboard refresh's requests (`bench.serving_s3`); a file that is gone
        still fails the query, when DuckDB opens it."""
        if GLOB_CHARACTERS.isdisjoint(path):
            return [self._strip_protocol(path)]
        return list(super().glob(path, **kwargs))


def attach_lake(connection: duckdb.DuckDBPyConnection, lake: LakeFiles) -> None:
    """Let `connection` read the lake's URIs; nothing to do for a local lake."""
    if lake.is_local:
        return
    connection.execute("SET autoinstall_known_extensions = false")
    connection.execute("SET autoload_known_extensions = false")
    connection.register_filesystem(S3LakeFileSystem(lake.filesystem))
