"""The job as separate processes: killed halfway through, and submitted as the EMR package."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch_layer.emr.package import build
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


def test_the_emr_package_runs_under_spark_submit(published_lake: PublishedLake, tmp_path: Path):
    lake = _copy_lake(published_lake, tmp_path)
    archive, entrypoint = build(tmp_path / "dist")
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(archive)!r}); "
            "import batch_layer.job, contract.gold; print(batch_layer.job.__file__)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip().startswith(str(archive))

    spark_submit = Path(sys.executable).parent / "spark-submit"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    result = subprocess.run(
        [
            str(spark_submit),
            "--master",
            "local[1]",
            "--driver-memory",
            "1g",
            "--conf",
            "spark.ui.enabled=false",
            "--py-files",
            str(archive),
            str(entrypoint),
            "run",
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
