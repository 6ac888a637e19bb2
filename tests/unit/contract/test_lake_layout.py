"""Bronze partitions are UTC hours, whatever the machine's own zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from contract.lake import bronze_partition


@pytest.mark.usefixtures("machine_in_sao_paulo")
def test_a_partition_is_the_utc_date_and_hour_of_ingestion() -> None:
    ingested = datetime(2026, 11, 21, 22, 30, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert bronze_partition(ingested) == "bronze/sales_events/ingest_date=2026-11-22/ingest_hour=01"
