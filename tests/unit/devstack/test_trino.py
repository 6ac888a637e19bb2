"""Unpacking the `trino` bundle: the core server and only the plugins it loads, once."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from devstack.trino import TrinoError, server_home


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
