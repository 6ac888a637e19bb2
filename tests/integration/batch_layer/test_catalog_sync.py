"""The batch job moves the Glue tables and Athena views to the run it published (ADR 0008),
against an S3 lake, Glue and Athena on the moto server.

moto's Athena runs no SQL: it records each statement and marks it SUCCEEDED (or keeps it queued
when its state manager says so), so the tests read back what was submitted, in order.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from batch_layer.catalog import CATALOG_STALE_EXIT_CODE, sync_published_catalog
from batch_layer.publish import publish
from contract.aws import aws_client
from contract.customers import CUSTOMER_TABLES
from contract.gold import MART_DIMENSIONS, QUALITY_QUARANTINE, SALES_WIDE
from contract.lake import LakeLocation, gold_run
from contract.lake_io import LakeFiles
from contract.publication import Publication, read_publication
from contract.settings import Settings
from serving.sql_files import PUBLISHED_TABLES, VIEWS
from tests.integration.athena import create_athena_resources, moto_api, queries_held
from tests.integration.batch_layer.scenario import build_scenario

REPO = Path(__file__).resolve().parents[3]
T1 = datetime(2026, 11, 21, 5, 30, tzinfo=UTC)
T2 = datetime(2026, 11, 22, 5, 30, tzinfo=UTC)


@pytest.fixture
def settings(moto_settings: Settings) -> Settings:
    """An S3 lake, the results bucket and the workgroup, as Terraform makes them."""
    create_athena_resources(moto_settings)
    return moto_settings.model_copy(
        update={
            "lake_uri": f"s3://{moto_settings.lake_bucket}/lake",
            "publish_catalog": "athena",
            "serving_query_timeout_seconds": 5.0,
        }
    )


@pytest.fixture
def stuck_queries(moto_endpoint: str) -> Iterator[None]:
    """Athena executions stay queued until the test lets them go (or the fixture ends)."""
    with queries_held(moto_endpoint, 10**9):
        yield


def publication(run_id: str, cutoff: datetime) -> Publication:
    """A run report shaped like the job's: every table in the run's folder."""
    return Publication(
        run_id=run_id,
        cutoff=cutoff,
        published_at=datetime.now(UTC),
        tables={
            table: f"{gold_run(run_id)}/{table}"
            for table in (SALES_WIDE, QUALITY_QUARANTINE, *MART_DIMENSIONS, *CUSTOMER_TABLES)
        },
        input_counts={"lines": 3},
        output_counts={SALES_WIDE: 3, QUALITY_QUARANTINE: 0},
        quality_counts={},
        duplicates=0,
        duration_seconds=1.0,
    )


def table_locations(settings: Settings) -> dict[str, str]:
    glue = aws_client(settings, "glue")
    return {
        table: glue.get_table(DatabaseName=settings.glue_database, Name=table)["Table"][
            "StorageDescriptor"
        ]["Location"]
        for table in PUBLISHED_TABLES
    }


def succeeded_statements(settings: Settings) -> list[str]:
    athena = aws_client(settings, "athena")
    ids = athena.list_query_executions(WorkGroup=settings.athena_workgroup)["QueryExecutionIds"]
    executions = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    return [e["Query"] for e in executions if e["Status"]["State"] == "SUCCEEDED"]


def recreated_views(statements: list[str]) -> list[str]:
    """The view each statement re-creates; a statement of any other kind fails the test."""
    views = []
    for statement in statements:
        found = re.search(r"^CREATE OR REPLACE VIEW (\w+) AS$", statement, re.MULTILINE)
        assert found, statement
        views.append(found[1])
    return views


def assert_views_recreated_with(statements: list[str], cutoff: datetime) -> None:
    """Four CREATE OR REPLACE VIEW statements in dependency order, the real-time one at `cutoff`."""
    assert recreated_views(statements) == list(VIEWS)
    realtime = statements[VIEWS.index("sales_realtime")]
    assert f"TIMESTAMP '{cutoff:%Y-%m-%d %H:%M:%S}" in realtime
    for other in {T1, T2} - {cutoff}:
        assert f"{other:%Y-%m-%d %H:%M:%S}" not in realtime


def test_each_publication_moves_the_tables_to_its_run_folder_then_recreates_the_views(
    settings: Settings,
) -> None:
    lake = LakeLocation.parse(settings.lake_uri)
    publish(lake, publication("run-1", T1), settings)
    assert sync_published_catalog(settings, "run-1") == 0
    assert table_locations(settings) == {
        table: f"{settings.lake_uri}/gold/runs/run-1/{table}/" for table in PUBLISHED_TABLES
    }
    assert_views_recreated_with(succeeded_statements(settings), T1)

    publish(lake, publication("run-2", T2), settings)
    assert sync_published_catalog(settings, "run-2") == 0
    assert table_locations(settings) == {
        table: f"{settings.lake_uri}/gold/runs/run-2/{table}/" for table in PUBLISHED_TABLES
    }
    sales_wide = aws_client(settings, "glue").get_table(
        DatabaseName=settings.glue_database, Name=SALES_WIDE
    )["Table"]
    assert sales_wide["Parameters"]["storage.location.template"] == (
        f"{settings.lake_uri}/gold/runs/run-2/{SALES_WIDE}/sale_date=${{sale_date}}"
    )
    statements = succeeded_statements(settings)
    assert len(statements) == 2 * len(VIEWS)
    assert_views_recreated_with(statements[len(VIEWS) :], T2)


def test_a_table_created_before_the_contract_grew_gets_the_new_columns(
    settings: Settings,
) -> None:
    """A deployment whose bronze table predates contract v1.1 (ADR 0012) is evolved by the
    sync itself; the other tables are left alone."""
    glue = aws_client(settings, "glue")
    lake = LakeLocation.parse(settings.lake_uri)
    publish(lake, publication("run-1", T1), settings)
    assert sync_published_catalog(settings, "run-1") == 0
    bronze = glue.get_table(DatabaseName=settings.glue_database, Name="bronze_sales_events")
    current = bronze["Table"]["StorageDescriptor"]["Columns"]
    v1_columns = [
        c for c in current if c["Name"] not in ("terminal_id", "salesperson_id", "attributes")
    ]
    table_input = {
        "Name": "bronze_sales_events",
        "StorageDescriptor": {**bronze["Table"]["StorageDescriptor"], "Columns": v1_columns},
        "PartitionKeys": bronze["Table"]["PartitionKeys"],
        "TableType": bronze["Table"]["TableType"],
        "Parameters": bronze["Table"]["Parameters"],
    }
    glue.update_table(DatabaseName=settings.glue_database, TableInput=table_input)
    versions_before = glue.get_table_versions(
        DatabaseName=settings.glue_database, TableName="products"
    )["TableVersions"]

    assert sync_published_catalog(settings, "run-1") == 0

    evolved = glue.get_table(DatabaseName=settings.glue_database, Name="bronze_sales_events")
    assert evolved["Table"]["StorageDescriptor"]["Columns"] == current
    versions_after = glue.get_table_versions(
        DatabaseName=settings.glue_database, TableName="products"
    )["TableVersions"]
    assert len(versions_after) == len(versions_before)


def test_a_failed_sync_leaves_the_run_published_says_which_and_a_sync_alone_repairs_it(
    settings: Settings,
    moto_endpoint: str,
    stuck_queries: None,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    lake = LakeLocation.parse(settings.lake_uri)
    publish(lake, publication("run-1", T1), settings)
    impatient = settings.model_copy(update={"serving_query_timeout_seconds": 0.3})
    with caplog.at_level(logging.ERROR, logger="batch_layer.catalog"):
        assert sync_published_catalog(impatient, "run-1") == CATALOG_STALE_EXIT_CODE
    (record,) = caplog.records
    assert record.run_id == "run-1"  # type: ignore[attr-defined]
    assert "sync-catalog" in record.getMessage()
    assert "cancelled" in record.error  # type: ignore[attr-defined]
    publication_now = read_publication(LakeFiles.open(lake.uri, settings))
    assert publication_now is not None
    assert publication_now.run_id == "run-1"
    assert table_locations(settings)[SALES_WIDE].endswith("/gold/runs/run-1/sales_wide/"), (
        "the tables move first; the views failed after them"
    )
    assert succeeded_statements(settings) == []

    moto_api(moto_endpoint, "state-manager/unset-transition", {"model_name": "athena::execution"})
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SALESFLOW_")} | {
        "PYTHONPATH": str(REPO),
        "SALESFLOW_AWS_ENDPOINT_URL": moto_endpoint,
        "SALESFLOW_NAME_PREFIX": settings.name_prefix,
        "SALESFLOW_LAKE_URI": settings.lake_uri,
    }
    result = subprocess.run(
        [sys.executable, "-m", "salesflow", "batch", "sync-catalog"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (
        table_locations(settings)[SALES_WIDE]
        == f"{settings.lake_uri}/gold/runs/run-1/{SALES_WIDE}/"
    )
    assert_views_recreated_with(succeeded_statements(settings), T1)


def test_the_emr_entry_point_takes_every_setting_from_its_driver_environment(
    settings: Settings, moto_endpoint: str, tmp_path: Path
) -> None:
    """`entrypoint.py sync-catalog` with only SALESFLOW_* variables, as driverEnv sets them."""
    publish(LakeLocation.parse(settings.lake_uri), publication("run-1", T1), settings)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SALESFLOW_")} | {
        "PYTHONPATH": str(REPO),
        "SALESFLOW_AWS_ENDPOINT_URL": moto_endpoint,
        "SALESFLOW_NAME_PREFIX": settings.name_prefix,
        "SALESFLOW_LAKE_URI": settings.lake_uri,
        "SALESFLOW_REPORTING_TZ": "Asia/Tokyo",
    }
    result = subprocess.run(
        [sys.executable, str(REPO / "batch_layer" / "emr" / "entrypoint.py"), "sync-catalog"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert table_locations(settings)[SALES_WIDE].endswith("/gold/runs/run-1/sales_wide/")
    statements = succeeded_statements(settings)
    assert_views_recreated_with(statements, T1)
    assert "THEN s.time_zone END, 'Asia/Tokyo')" in statements[VIEWS.index("sales_realtime")]


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_the_nightly_job_moves_the_catalog_to_the_run_it_published(
    moto_settings: Settings, moto_endpoint: str, tmp_path: Path
) -> None:
    """`salesflow batch run` as the EMR entry point runs it: settings from the environment only."""
    create_athena_resources(moto_settings, lake_bucket=False)
    lake = Path(moto_settings.lake_uri)
    scenario = build_scenario(lake, moto_settings)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SALESFLOW_")} | {
        "PYTHONPATH": str(REPO),
        "SALESFLOW_AWS_ENDPOINT_URL": moto_endpoint,
        "SALESFLOW_NAME_PREFIX": moto_settings.name_prefix,
        "SALESFLOW_LAKE_URI": str(lake),
        "SALESFLOW_PUBLISH_CATALOG": "athena",
    }
    command = ["batch", "run", "--cutoff", scenario.cutoff.isoformat()]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "salesflow",
            *command,
            "--master",
            "local[1]",
            "--driver-memory",
            "1g",
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    published = Publication.model_validate_json((lake / "gold" / "_published.json").read_bytes())
    assert table_locations(moto_settings) == {
        table: f"{lake}/{published.tables[table]}/" for table in PUBLISHED_TABLES
    }
    assert published.tables[SALES_WIDE] == f"gold/runs/{published.run_id}/sales_wide_manifest"
    assert_views_recreated_with(succeeded_statements(moto_settings), scenario.cutoff)
