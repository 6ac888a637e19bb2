"""The Glue tables Terraform creates are the serving layer's DDL, never typed a second time."""

from __future__ import annotations

import json

from devstack.terraform_tables import LAKE_ROOT_PLACEHOLDER, TABLES_FILE, render
from serving.sql_files import PUBLISHED_TABLES, TABLES


def test_the_committed_tables_file_matches_the_serving_ddl() -> None:
    assert TABLES_FILE.read_text() == render(), (
        "serving/sql/tables changed: run `python -m devstack.terraform_tables` and commit "
        "infra/terraform/modules/catalog/tables.json"
    )


def test_every_serving_table_is_catalogued_and_every_location_is_inside_the_lake() -> None:
    document = json.loads(render())
    assert set(document["tables"]) == set(TABLES)
    assert set(document["published_tables"]) == set(PUBLISHED_TABLES)
    for name, table in document["tables"].items():
        assert table["StorageDescriptor"]["Location"].startswith(f"{LAKE_ROOT_PLACEHOLDER}/"), name


def test_bronze_is_partition_projected_on_the_ingest_hour() -> None:
    bronze = json.loads(render())["tables"]["bronze_sales_events"]
    assert [key["Name"] for key in bronze["PartitionKeys"]] == ["ingest_date", "ingest_hour"]
    assert bronze["Parameters"]["projection.enabled"] == "true"
    assert bronze["Parameters"]["storage.location.template"] == (
        f"{LAKE_ROOT_PLACEHOLDER}/bronze/sales_events/ingest_date=${{ingest_date}}"
        "/ingest_hour=${ingest_hour}"
    )
    money = {c["Name"]: c["Type"] for c in bronze["StorageDescriptor"]["Columns"]}["total"]
    assert money == "decimal(18,2)"
