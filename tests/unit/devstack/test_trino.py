"""Unpacking the `trino` bundle: the core server and only the plugins it loads, once; the client
protocol's rows, statistics and errors."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from devstack import trino
from devstack.trino import StatementStats, TrinoError, TrinoServer, run_statement, server_home


def _bundle(folder: Path) -> Path:
    """Archives shaped like Maven Central's: one top folder in each."""
    folder.mkdir()
    with tarfile.open(folder / "trino-server-core-476.tar.gz", "w:gz") as archive:
        for name, body in (("lib/trino-main.jar", b"main"), ("plugin/geospatial/g.jar", b"g")):
            info = tarfile.TarInfo(f"trino-server-core-476/{name}")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    with zipfile.ZipFile(folder / "trino-hive-476.zip", "w") as archive:
        archive.writestr("trino-hive-476/trino-hive.jar", b"hive")
    return folder


def test_the_server_is_unpacked_with_the_hive_plugin_alone_and_only_once(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "bundle")

    home = server_home(bundle)

    assert (home / "lib" / "trino-main.jar").read_bytes() == b"main"
    assert [p.name for p in (home / "plugins").iterdir()] == ["hive"]
    assert (home / "plugins" / "hive" / "trino-hive.jar").read_bytes() == b"hive"
    for archive in bundle.glob("trino-*"):
        archive.unlink()
    assert server_home(bundle) == home


def test_a_cut_short_unpack_is_redone(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "bundle")
    (bundle / "server.partial" / "lib").mkdir(parents=True)

    home = server_home(bundle)

    assert not (bundle / "server.partial").exists()
    assert (home / "lib" / "trino-main.jar").exists()


def test_a_missing_archive_says_to_fetch_it_again(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "bundle")
    (bundle / "trino-hive-476.zip").unlink()

    with pytest.raises(TrinoError, match=r"trino-hive-\*\.zip.*re-fetch"):
        server_home(bundle)


def test_a_statement_returns_its_rows_and_the_last_responses_statistics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rows gather over the pages; the statistics are the last page's (the query finished)."""
    columns = [{"name": "n", "type": "bigint", "typeSignature": {"rawType": "bigint"}}]
    pages = iter(
        [
            {"id": "q1", "nextUri": "http://x/2", "stats": {"state": "QUEUED"}},
            {"id": "q1", "nextUri": "http://x/3", "columns": columns, "data": [[1]]},
            {
                "id": "q1",
                "columns": columns,
                "data": [[2]],
                "stats": {
                    "state": "FINISHED",
                    "physicalInputBytes": 1234,
                    "processedBytes": 5678,
                    "processedRows": 2,
                    "wallTimeMillis": 40,
                    "cpuTimeMillis": 30,
                },
            },
        ]
    )
    monkeypatch.setattr(trino, "_json", lambda *args, **kwargs: next(pages))
    server = TrinoServer(endpoint="http://x", log=Path("server.log"))

    statement = run_statement(server, "SELECT 1", catalog="c", schema="s")

    assert statement.columns == columns
    assert statement.rows == [[1], [2]]
    assert statement.stats == StatementStats(
        query_id="q1",
        state="FINISHED",
        physical_input_bytes=1234,
        processed_bytes=5678,
        processed_rows=2,
        wall_time_ms=40,
        cpu_time_ms=30,
    )


def test_a_failed_statement_raises_its_error_and_root_cause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    error = {
        "errorName": "HIVE_CANNOT_OPEN_SPLIT",
        "message": "cannot open",
        "failureInfo": {"cause": {"type": "S3Exception", "message": "no such key"}},
    }
    monkeypatch.setattr(trino, "_json", lambda *args, **kwargs: {"id": "q2", "error": error})
    server = TrinoServer(endpoint="http://x", log=Path("server.log"))

    with pytest.raises(TrinoError, match=r"HIVE_CANNOT_OPEN_SPLIT.*S3Exception: no such key"):
        run_statement(server, "SELECT 1", catalog="c", schema="s")
