"""`LakeFiles` on a local lake: what every layer's reads, writes, listings and moves rely on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contract.lake_io import LakeFiles
from contract.settings import Settings


@pytest.fixture
def files(tmp_path: Path) -> LakeFiles:
    return LakeFiles.open(str(tmp_path / "lake"), Settings(lake_uri=str(tmp_path / "lake")))


def test_a_listing_holds_every_file_below_the_folder_relative_to_the_root(files: LakeFiles) -> None:
    for relative in ("gold/runs/r1/a.parquet", "gold/runs/r1/day=1/b.parquet", "gold/_p.json"):
        files.write_bytes(relative, b"x")
    assert files.list_files("gold/runs") == [
        "gold/runs/r1/a.parquet",
        "gold/runs/r1/day=1/b.parquet",
    ]
    assert files.list_files("gold") == [
        "gold/_p.json",
        "gold/runs/r1/a.parquet",
        "gold/runs/r1/day=1/b.parquet",
    ]
    assert files.list_files("nothing/here") == []


def test_streams_write_into_new_folders_and_moves_create_their_target_folder(
    files: LakeFiles,
) -> None:
    with files.open_output("staging/part-0.csv") as stream:
        stream.write(b"a,b\n")
    files.move("staging/part-0.csv", "bronze/uploads/part-0.csv")
    with files.open_input("bronze/uploads/part-0.csv") as stream:
        assert stream.read() == b"a,b\n"
    assert not files.exists("staging/part-0.csv")
    with pytest.raises(FileNotFoundError):
        files.open_input("staging/part-0.csv")


def test_deleting_removes_a_file_and_a_missing_one_is_no_error(
    files: LakeFiles, tmp_path: Path
) -> None:
    files.write_bytes("bronze/_pending/request.json", b"{}")
    assert files.uri_of("bronze/_pending/request.json") == str(
        tmp_path / "lake" / "bronze/_pending/request.json"
    )
    files.delete("bronze/_pending/request.json")
    files.delete("bronze/_pending/request.json")
    assert files.read_bytes("bronze/_pending/request.json") is None


def test_deleting_a_folder_removes_everything_below_and_a_missing_one_is_no_error(
    files: LakeFiles,
) -> None:
    files.write_bytes("gold/runs/r1/sales_wide/day=1/part-0.parquet", b"x")
    files.delete_folder("gold/runs/r1")
    files.delete_folder("gold/runs/r1")
    assert files.list_files("gold") == []


def test_a_file_version_is_its_size_and_modification_time_and_changes_when_rewritten(
    files: LakeFiles, tmp_path: Path
) -> None:
    files.write_bytes("bronze/a.parquet", b"abc")
    files.write_bytes("bronze/hour/b.parquet", b"de")
    stat = (tmp_path / "lake" / "bronze" / "a.parquet").stat()
    before = files.file_versions("bronze")
    assert before[0] == ("bronze/a.parquet", 3, stat.st_mtime_ns)
    assert [(path, size) for path, size, _ in before] == files.file_sizes("bronze")
    assert [path for path, _, _ in files.file_versions("bronze", recursive=False)] == [
        "bronze/a.parquet"
    ]
    files.write_bytes("bronze/a.parquet", b"xyz")
    os.utime(tmp_path / "lake" / "bronze" / "a.parquet", ns=(1, stat.st_mtime_ns + 1))
    assert files.file_versions("bronze")[0] == ("bronze/a.parquet", 3, stat.st_mtime_ns + 1)
