"""The job as separate processes: killed halfway through, and submitted as EMR runs it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from contract.gold import SALES_WIDE
from contract.publication import Publication
from tests.integration.batch_layer.conftest import PublishedLake
from tests.integration.batch_layer.gold_reader import read_table, sorted_rows

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

REPO = Path(__file__).resolve().parents[3]


def _copy_lake(published_lake: PublishedLake, tmp_path: Path) -> Path:
    lake = tmp_path / "lake"
    shutil.copytree(published_lake.settings.lake_uri, lake)
    return lake


def test_a_run_killed_halfway_changes_nothing_readers_see(
    published_lake: PublishedLake, tmp_path: Path
):
    lake = _copy_lake(published_lake, tmp_path)
    pointer = lake / "gold" / "_published.json"
    before = pointer.read_bytes()
    runs = lake / "gold" / "runs"
    known_runs = set(runs.iterdir())
    command = [
        sys.executable,
        "-m",
        "salesflow",
        "batch",
        "run",
        "--full",
        "--cutoff",
        published_lake.publication.cutoff.isoformat(),
        "--lake",
        str(lake),
        "--master",
        "local[1]",
        "--driver-memory",
        "1g",
    ]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while not set(runs.iterdir()) - known_runs:
            assert process.poll() is None, "the job ended before it started writing"
            assert time.monotonic() < deadline, "the job never started writing its run folder"
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    (new_run,) = set(runs.iterdir()) - known_runs
    assert not (new_run / "_run.json").exists()
    assert pointer.read_bytes() == before
    served = Publication.model_validate_json(pointer.read_bytes())
    assert sorted_rows(read_table(lake, served, SALES_WIDE), ["event_id", "line_number"]) == (
        sorted_rows(
            read_table(
                Path(published_lake.settings.lake_uri), published_lake.publication, SALES_WIDE
            ),
            ["event_id", "line_number"],
        )
    )


def _build_wheel(tmp_path: Path) -> Path:
    """The salesflow wheel as the Dockerfile's `wheel` stage builds it (from a clean source
    distribution, not from whatever an earlier build left in the checkout), unpacked: the layout
    of the EMR environment's site-packages."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "uv"),
            *("build", "--quiet", "--out-dir", str(wheels), str(REPO)),
        ],
        cwd=tmp_path,
        capture_output=True,
        check=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("salesflow-*.whl")
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_the_emr_environment_runs_the_job_and_carries_the_catalog_sync(
    published_lake: PublishedLake, tmp_path: Path
):
    """What EMR runs: `entrypoint.py` with the salesflow wheel installed in the job's Python
    environment (Dockerfile target `emr-artifacts`), not the source tree."""
    lake = _copy_lake(published_lake, tmp_path)
    site = _build_wheel(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import batch_layer.job, batch_layer.catalog, serving.catalog_sync, serving.sql_files;"
            "print(batch_layer.job.__file__); print(serving.catalog_sync.__file__);"
            "print(len(serving.sql_files.VIEWS)); print(serving.sql_files.SQL_DIR)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    job_module, sync_module, views, sql_dir = probe.stdout.split()
    assert not (site / "devstack").exists(), "the local stack stays out of production artefacts"
    assert job_module.startswith(str(site))
    assert sync_module.startswith(str(site))
    assert int(views) >= 5
    assert Path(sql_dir).is_relative_to(site)
    assert sorted(p.name for p in Path(sql_dir).rglob("*.sql")) == sorted(
        p.name for p in (REPO / "serving" / "sql").rglob("*.sql")
    )

    spark_submit = Path(sys.executable).parent / "spark-submit"
    env |= {"PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    result = subprocess.run(
        [
            str(spark_submit),
            "--master",
            "local[1]",
            "--driver-memory",
            "1g",
            "--conf",
            "spark.ui.enabled=false",
            str(REPO / "batch_layer" / "emr" / "entrypoint.py"),
            "run",
            "--full",
            "--cutoff",
            published_lake.publication.cutoff.isoformat().replace("+00:00", "Z"),
            "--lake",
            str(lake),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    published = Publication.model_validate_json((lake / "gold" / "_published.json").read_bytes())
    assert published.run_id != published_lake.publication.run_id
    assert published.output_counts == published_lake.publication.output_counts
    keys = ["event_id", "line_number"]
    assert sorted_rows(read_table(lake, published, SALES_WIDE), keys) == sorted_rows(
        read_table(Path(published_lake.settings.lake_uri), published_lake.publication, SALES_WIDE),
        keys,
    )
