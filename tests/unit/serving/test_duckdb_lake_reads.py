"""A lake file handed to DuckDB keeps one position per thread: DuckDB moves a shared handle with
`seek` and then reads from it, and another thread's `seek` between the two must not change what
the first one reads (on S3 it did: footers that did not parse)."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pyarrow.fs as pafs

from serving.engines.duckdb_lake import ThreadPositionedFile

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
