"""The listings the serving engine's refresh makes on every lake: files after a path (S3's
`StartAfter` on a moto server, a folder walk locally) and one file's version (a HEAD), each the
same on a local folder and on S3."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from contract.aws import aws_client
from contract.lake_io import LakeFiles
from contract.settings import Settings

DAYS = "bronze/sales_events"
WRITTEN = (
    f"{DAYS}/ingest_date=2026-12-05/ingest_hour=23/a.parquet",
    f"{DAYS}/ingest_date=2026-12-06/ingest_hour=00/b.parquet",
    f"{DAYS}/ingest_date=2026-12-06/ingest_hour=17/c.parquet",
    f"{DAYS}/ingest_date=2026-12-07/ingest_hour=01/d.parquet",
    f"{DAYS}/stray.parquet",
    "bronze/csv_uploads/e.csv",
)


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> LakeFiles:
    if request.param == "local":
        return LakeFiles.open(str(tmp_path / "lake"), Settings(lake_uri=str(tmp_path / "lake")))
    settings: Settings = request.getfixturevalue("moto_settings")
    aws_client(settings, "s3").create_bucket(Bucket=settings.lake_bucket)
    uri = f"s3://{settings.lake_bucket}/lake"
    return LakeFiles.open(uri, settings.model_copy(update={"lake_uri": uri}))


def test_files_after_a_day_are_those_of_that_day_and_later_with_their_versions(
    lake: LakeFiles,
) -> None:
    for number, path in enumerate(WRITTEN):
        lake.write_bytes(path, b"x" * (number + 1))
    after = lake.file_versions_after(DAYS, f"{DAYS}/ingest_date=2026-12-06")
    assert [path for path, _, _ in after] == [
        f"{DAYS}/ingest_date=2026-12-06/ingest_hour=00/b.parquet",
        f"{DAYS}/ingest_date=2026-12-06/ingest_hour=17/c.parquet",
        f"{DAYS}/ingest_date=2026-12-07/ingest_hour=01/d.parquet",
        f"{DAYS}/stray.parquet",
    ]
    assert [size for _, size, _ in after] == [2, 3, 4, 5]
    assert all(modified > 0 for _, _, modified in after)
    assert lake.file_versions_after(DAYS, f"{DAYS}/ingest_date=2026-12-06/ingest_hour=17") == [
        version for version in after if version[0] > f"{DAYS}/ingest_date=2026-12-06/ingest_hour=17"
    ]
    assert lake.file_versions_after("nothing/here", "nothing/here/a") == []


def test_one_file_s_version_changes_when_it_is_rewritten_and_a_missing_file_has_none(
    lake: LakeFiles,
) -> None:
    path = "reference/stores/effective/stores.parquet"
    assert lake.file_version(path) is None
    lake.write_bytes(path, b"first")
    first = lake.file_version(path)
    assert first is not None
    assert first[:2] == (path, 5)
    time.sleep(1.1)
    lake.write_bytes(path, b"second")
    second = lake.file_version(path)
    assert second is not None
    assert second[1] == 6
    assert second[2] > first[2]
    assert lake.file_version("reference/stores/effective") is None
