"""How the DuckDB engine reads an `s3://` lake's files. A file handed to DuckDB keeps one position
per thread: DuckDB moves a shared handle with `seek` and then reads from it, and another
thread's `seek` between the two must not change what the first one reads (on S3 it did: footers
that did not parse). A file is opened and described once (on S3 a HEAD each) for its size, its
modification time and its reads while its handle is young, as DuckDB asks all three for every
query that binds a view of it."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.fs as pafs
import pytest
from pyarrow.fs import FSSpecHandler

from serving.engines import duckdb_lake
from serving.engines.duckdb_lake import S3LakeFileSystem, ThreadPositionedFile

DATA = bytes(range(256)) * 16


def opened(tmp_path: Path) -> ThreadPositionedFile:
    path = tmp_path / "file.bin"
    path.write_bytes(DATA)
    return ThreadPositionedFile(pafs.LocalFileSystem().open_input_file(str(path)))


def test_another_thread_s_seek_between_a_seek_and_its_read_does_not_move_the_read(
    tmp_path: Path,
) -> None:
    handle = opened(tmp_path)
    sought, moved = threading.Event(), threading.Event()
    read: list[bytes] = []

    def first() -> None:
        handle.seek(100)
        sought.set()
        moved.wait(5)
        read.append(handle.read(10))

    def second() -> None:
        sought.wait(5)
        handle.seek(3000)
        moved.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert read == [DATA[100:110]]
    assert handle.read(4) == DATA[0:4]


def test_reads_follow_seek_from_any_origin_and_stop_at_the_end(tmp_path: Path) -> None:
    handle = opened(tmp_path)
    assert handle.seek(-6, io.SEEK_END) == len(DATA) - 6
    assert handle.read(100) == DATA[-6:]
    assert handle.read(1) == b""
    handle.seek(10)
    handle.seek(5, io.SEEK_CUR)
    assert handle.tell() == 15
    assert handle.read() == DATA[15:]
    handle.close()
    assert handle.closed


class CountingHandler(FSSpecHandler):  # type: ignore[misc]  # pyarrow is untyped
    """A local filesystem that counts how often a file is opened or described (on S3 a HEAD
    each)."""

    def __init__(self) -> None:
        super().__init__(fsspec.filesystem("file"))
        self.opened = 0
        self.described = 0

    def open_input_file(self, path: str) -> pa.NativeFile:
        self.opened += 1
        return super().open_input_file(path)

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        self.described += len(paths)
        described: list[pafs.FileInfo] = super().get_file_info(paths)
        return described


def test_a_file_is_opened_and_described_once_for_its_size_time_and_reads_until_it_is_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "file.bin"
    path.write_bytes(DATA)
    handler = CountingHandler()
    lake = S3LakeFileSystem(pafs.PyFileSystem(handler))
    assert lake.size(str(path)) == len(DATA)
    first_modified = lake.modified(str(path))
    assert first_modified.timestamp() == pytest.approx(path.stat().st_mtime, abs=1)
    with lake.open(str(path), "rb") as first, lake.open(str(path), "rb") as second:
        first.seek(10)
        second.seek(20)
        assert (first.read(2), second.read(2)) == (DATA[10:12], DATA[20:22])
    assert lake.modified(str(path)) == first_modified
    assert (handler.opened, handler.described) == (1, 1)
    path.write_bytes(DATA[:100])
    os.utime(path, (first_modified.timestamp() + 10, first_modified.timestamp() + 10))
    monkeypatch.setattr(duckdb_lake, "HANDLE_MAX_AGE_SECONDS", 0.0)
    assert lake.size(str(path)) == 100
    assert lake.modified(str(path)) > first_modified
    assert handler.opened == 3


def test_the_lake_is_only_read(tmp_path: Path) -> None:
    lake = S3LakeFileSystem(pafs.PyFileSystem(CountingHandler()))
    with pytest.raises(ValueError, match="only reads the lake"):
        lake.open(str(tmp_path / "new.bin"), "wb")
