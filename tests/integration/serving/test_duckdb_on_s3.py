"""The DuckDB engine on an `s3://` lake of a real moto server, against the same oracle as on a
local lake: gold through its manifests (full URIs, as the batch job writes them in S3), bronze
and CSV uploads through the real-time views, and a bronze file landing after the views were
installed, merged in on the next refresh. DuckDB reads S3 through the lake's pyarrow filesystem
(`serving.engines.duckdb_lake`), never through an extension it would download.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from contract.aws import aws_client
from contract.bronze import bronze_table
from contract.lake import bronze_partition
from contract.lake_io import LakeFiles
from contract.settings import Settings
from devstack.trino_athena import upload_lake
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.sample_lake import Copy, expected_lines, ingested
from tests.unit.serving.scenario import CUTOFF, LATER_CUTOFF, scenario_copies
from tests.unit.serving.test_merged_view_duckdb import (
    TZ,
    build_lake,
    engine_metrics,
    oracle_metrics,
)


def test_the_duckdb_engine_serves_an_s3_lake_and_what_lands_in_it(
    moto_settings: Settings, tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    copies = scenario_copies(make_event)
    build_lake(tmp_path / "local", copies, CUTOFF, "run-1")
    aws_client(moto_settings, "s3").create_bucket(Bucket=moto_settings.lake_bucket)
    settings = moto_settings.model_copy(
        update={"lake_uri": f"s3://{moto_settings.lake_bucket}/lake", "reporting_tz": TZ}
    )
    upload_lake(settings, tmp_path / "local", "lake")
    lake = LakeFiles.open(settings.lake_uri, settings)

    engine = DuckDBEngine(settings)
    try:
        assert engine.refresh().run_id == "run-1"
        assert engine_metrics(engine) == oracle_metrics(expected_lines(copies, TZ))
        landed = Copy(
            ingested(
                make_event(store_id="WEB-01", occurred_at="2026-11-21T11:30:00-03:00"),
                LATER_CUTOFF,
            )
        )
        lake.write_parquet(
            f"{bronze_partition(LATER_CUTOFF)}/landed.parquet", bronze_table([landed.event])
        )
        assert engine_metrics(engine) == oracle_metrics(expected_lines([*copies, landed], TZ))
    finally:
        engine.close()
