"""The nightly job on an `s3://` lake, as `salesflow batch run` runs it on a laptop: a local Spark
whose `s3://` is the S3A connector, against a real moto server over HTTP.

The generated scenario lake (bronze with redeliveries and a compaction manifest, CSV uploads
with quarantined rows, reference tables) is copied to a bucket, the command runs on it, and
what it published is read back from S3 with pyarrow and checked against the scenario's
independent computation (an incremental run on S3 is the second run of `tests/e2e/
test_up_s3.py`). The S3A jars come from the set-up's `s3a` bundle (`devstack/jars.py`); without
them the test skips with the command that fetches them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest

from batch_layer.gold_state import published_files
from batch_layer.publish import RUN_REPORT
from batch_layer.s3a import S3AUnavailableError, classpath
from contract.aws import aws_client
from contract.gold import (
    DAILY_SALES_BY_STORE,
    QUALITY_QUARANTINE,
    SALES_WIDE,
    SALES_WIDE_PARTITION_COLUMN,
    SALES_WIDE_SCHEMA,
)
from contract.lake import PUBLISHED_POINTER, gold_run
from contract.lake_io import LakeFiles
from contract.publication import Publication, read_publication
from contract.settings import Settings
from devstack.local_servers import FAKE_CREDENTIALS
from tests.integration.batch_layer.scenario import build_scenario, expected_gold

pytestmark = [pytest.mark.spark, pytest.mark.timeout(1200)]

MONEY = ("net_revenue", "gross_revenue", "discount", "cost")


@pytest.fixture(scope="module")
def s3a_jars() -> None:
    try:
        classpath()
    except S3AUnavailableError as missing:
        pytest.skip(str(missing))


def test_batch_run_on_an_s3_lake_reads_bronze_and_csv_and_publishes_gold(
    s3a_jars: None, moto_settings: Settings, tmp_path: Path
):
    local = moto_settings.model_copy(update={"lake_uri": str(tmp_path / "local-lake")})
    scenario = build_scenario(Path(local.lake_uri), local)
    bucket = moto_settings.lake_bucket
    aws_client(moto_settings, "s3").create_bucket(Bucket=bucket)
    settings = moto_settings.model_copy(update={"lake_uri": f"s3://{bucket}/lake"})
    lake = LakeFiles.open(settings.lake_uri, settings)
    pafs.copy_files(local.lake_uri, lake.location.path(""), destination_filesystem=lake.filesystem)

    run = _batch_run(settings, scenario.cutoff.isoformat(), tmp_path)
    expected = expected_gold(scenario)
    assert run.kind == "full"
    assert run.quality_counts == expected.quality_counts
    assert run.duplicates == expected.duplicate_lines
    assert run.input_counts["lines"] == expected.lines_in
    assert run.input_counts["csv_lines"] > 0
    assert _figures(_sales_wide(lake, run)) == expected.by_day_store
    mart = _table(lake, run, DAILY_SALES_BY_STORE).to_pylist()
    assert {(row["sale_date"], row["store_id"]): row["units"] for row in mart} == {
        key: figures["units"] for key, figures in expected.by_day_store.items()
    }
    quarantined = _table(lake, run, QUALITY_QUARANTINE).num_rows
    assert quarantined == run.output_counts[QUALITY_QUARANTINE]
    _assert_published_through_the_magic_committer(lake, run)


def _batch_run(settings: Settings, cutoff: str, tmp_path: Path) -> Publication:
    """`salesflow batch run` in a process of its own, configured only by its environment."""
    environment = {
        **os.environ,
        **FAKE_CREDENTIALS,
        "SALESFLOW_LAKE_URI": settings.lake_uri,
        "SALESFLOW_AWS_ENDPOINT_URL": str(settings.aws_endpoint_url),
        "SALESFLOW_NAME_PREFIX": settings.name_prefix,
        "SALESFLOW_STATE_DIR": str(tmp_path / "state"),
    }
    command = [sys.executable, "-m", "salesflow", "batch", "run", "--cutoff", cutoff]
    command += ["--master", "local[2]", "--shuffle-partitions", "2", "--driver-memory", "1g"]
    result = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return Publication.model_validate_json(result.stdout)


def _assert_published_through_the_magic_committer(lake: LakeFiles, run: Publication) -> None:
    """The pointer is the run's report, and each table of the run was committed by S3A's magic
    committer (its `_SUCCESS` is a JSON summary), which left no staging object behind."""
    assert read_publication(lake) == run
    assert lake.read_bytes(PUBLISHED_POINTER) == lake.read_bytes(
        f"{gold_run(run.run_id)}/{RUN_REPORT}"
    )
    for table in (SALES_WIDE, QUALITY_QUARANTINE, DAILY_SALES_BY_STORE):
        success = lake.read_bytes(f"{gold_run(run.run_id)}/{table}/_SUCCESS")
        assert success is not None, table
        assert json.loads(success)["committer"] == "magic"
    assert not [path for path in lake.list_files("") if "__magic" in path]


def _sales_wide(lake: LakeFiles, run: Publication) -> list[dict[str, Any]]:
    """`sales_wide` as Athena reads it: the files the published manifests list."""
    listed = [uri.removeprefix("s3://") for uri in published_files(lake, run.tables[SALES_WIDE])]
    partitioning = ds.partitioning(
        pa.schema([SALES_WIDE_SCHEMA.field(SALES_WIDE_PARTITION_COLUMN)]), flavor="hive"
    )
    dataset = ds.dataset(
        listed, format="parquet", partitioning=partitioning, filesystem=lake.filesystem
    )
    rows: list[dict[str, Any]] = dataset.to_table().to_pylist()
    return rows


def _table(lake: LakeFiles, run: Publication, table: str) -> pa.Table:
    folder = lake.location.path(run.tables[table])
    return ds.dataset(folder, format="parquet", filesystem=lake.filesystem).to_table()


def _figures(rows: list[dict[str, Any]]) -> dict[tuple[Any, str], dict[str, Decimal | int]]:
    """Per (day, store) sums of `sales_wide` rows, shaped as `expected_gold` computes them."""
    sums: dict[tuple[Any, str], dict[str, Any]] = defaultdict(
        lambda: {
            **dict.fromkeys(MONEY, Decimal("0.00")),
            "units": 0,
            "orders": set(),
            "returns": set(),
        }
    )
    for row in rows:
        bucket = sums[(row["sale_date"], row["store_id"])]
        bucket["net_revenue"] += row["net_amount"]
        bucket["gross_revenue"] += row["gross_amount"]
        bucket["discount"] += row["discount_amount"]
        bucket["units"] += row["net_units"]
        bucket["cost"] += row["cost_amount"] or Decimal("0.00")
        bucket["orders" if row["event_type"] == "sale" else "returns"].add(row["event_id"])
    return {
        key: {**bucket, "orders": len(bucket["orders"]), "returns": len(bucket["returns"])}
        for key, bucket in sums.items()
    }
