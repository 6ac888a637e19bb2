"""Bronze partitions are UTC hours, whatever the machine's own zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from contract.lake import bronze_partition, manifest_lines


@pytest.mark.usefixtures("machine_in_sao_paulo")
def test_a_partition_is_the_utc_date_and_hour_of_ingestion() -> None:
    ingested = datetime(2026, 11, 21, 22, 30, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert bronze_partition(ingested) == "bronze/sales_events/ingest_date=2026-11-22/ingest_hour=01"


def test_manifest_lines_resolve_relative_lines_against_the_manifest_folder() -> None:
    """A local lake's manifests hold relative paths (the lake can move); S3's hold URIs."""
    folder = "/lake/gold/runs/r2/sales_wide_manifest/sale_date=2026-01-01"
    content = (
        "../../../r1/sales_wide/sale_date=2026-01-01/a.parquet\n\n"
        "/abs/b.parquet\ns3://lake/c.parquet\n"
    )
    assert manifest_lines(content, folder) == [
        "/lake/gold/runs/r1/sales_wide/sale_date=2026-01-01/a.parquet",
        "/abs/b.parquet",
        "s3://lake/c.parquet",
    ]
