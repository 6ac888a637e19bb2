"""The batch keeps another source's copy with other content as a sale of its own (ADR 0021), in
a full run and across incremental runs, counts it, and agrees with the serving layer's oracle;
the digest-less copies of files written before the digest existed keep the first-copy rule."""

from __future__ import annotations

import copy as copying
import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from batch_layer.csv_format import UPLOAD_COLUMNS
from batch_layer.job import run_batch
from contract.content_digest import CONTENT_DIGEST
from contract.event import IngestedSaleEvent
from contract.gold import SALES_WIDE
from contract.publication import Publication
from contract.quality import EVENT_ID_CONFLICTS
from contract.settings import Settings
from tests.conftest import load_event
from tests.integration.batch_layer.gold_reader import read_table
from tests.unit.serving.sample_lake import (
    Copy,
    expected_lines,
    ingested,
    sale_totals,
    write_bronze,
    write_csv_upload,
    write_reference,
)

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

TZ = "America/Sao_Paulo"
FIRST_T = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
SECOND_T = FIRST_T + timedelta(days=1)
SOLD = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def sale(event_id: str, source: str, at: datetime, unit_price: str) -> IngestedSaleEvent:
    payload = copying.deepcopy(load_event("sale"))
    payload.update(event_id=event_id, occurred_at=SOLD.isoformat(), total=None)
    payload["items"] = [{"sku": "MOUSE-LOGI-M170", "quantity": 1, "unit_price": unit_price}]
    return ingested(payload, at, source=source)


def totals(lake: Path, publication: Publication) -> dict[str, tuple[str, Decimal]]:
    return sale_totals(read_table(lake, publication, SALES_WIDE).to_pylist())


def oracle(copies: list[Copy]) -> dict[str, tuple[str, Decimal]]:
    return sale_totals(expected_lines(copies, TZ))


def test_conflicting_copies_are_sales_of_their_own_in_full_and_incremental_runs(
    spark: SparkSession, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    write_reference(lake)
    config = Settings(lake_uri=str(lake), state_dir=tmp_path / "state", reporting_tz=TZ)
    at = FIRST_T - timedelta(hours=5)
    first_window = [
        Copy(sale("SP01-000001", "leaked-key", at, "10.00")),
        Copy(sale("SP01-000001", "store-b-till", at + timedelta(minutes=1), "20.00")),
        Copy(sale("SP01-000001", "store-b-till", at + timedelta(minutes=2), "21.00")),
        Copy(sale("SP01-000002", "pos", at, "30.00")),
        Copy(sale("SP01-000002", "legacy-erp", at + timedelta(minutes=1), "30.00"), via_csv=True),
    ]
    write_bronze(lake, [c.event for c in first_window if not c.via_csv])
    write_csv_upload(lake, [c.event for c in first_window if c.via_csv])

    full = run_batch(str(lake), FIRST_T, settings=config, spark=spark)

    assert totals(lake, full) == oracle(first_window)
    assert totals(lake, full) == {
        "SP01-000001": ("leaked-key", Decimal("10.00")),
        "SP01-000001~store-b-till": ("store-b-till", Decimal("20.00")),
        "SP01-000002": ("pos", Decimal("30.00")),
    }
    assert full.quality_counts[EVENT_ID_CONFLICTS] == 1

    # The victim resends with other content (a duplicate of its own sale), a third till sends other
    # content through CSV (a sale of its own, judged against the index's winner), another till
    # the second id's content (a duplicate) and the winner's key other content (a duplicate).
    later = SECOND_T - timedelta(hours=5)
    second_window = [
        Copy(sale("SP01-000001", "store-b-till", later, "22.00")),
        Copy(sale("SP01-000001", "store-c-till", later + timedelta(minutes=1), "40.00"), True),
        Copy(sale("SP01-000002", "store-c-till", later + timedelta(minutes=2), "30.00")),
        Copy(sale("SP01-000001", "leaked-key", later + timedelta(minutes=3), "11.00")),
    ]
    write_bronze(lake, [c.event for c in second_window if not c.via_csv])
    write_csv_upload(lake, [c.event for c in second_window if c.via_csv])

    incremental = run_batch(str(lake), SECOND_T, settings=config, spark=spark)

    assert incremental.kind == "incremental"
    assert incremental.quality_counts[EVENT_ID_CONFLICTS] == 1
    assert totals(lake, incremental) == oracle([*first_window, *second_window])
    assert set(totals(lake, incremental)) == {
        "SP01-000001",
        "SP01-000001~store-b-till",
        "SP01-000001~store-c-till",
        "SP01-000002",
    }
    rebuilt = run_batch(str(lake), SECOND_T, settings=config, spark=spark, full=True)
    assert totals(lake, rebuilt) == totals(lake, incremental)
    assert rebuilt.quality_counts[EVENT_ID_CONFLICTS] == 2


def test_copies_landed_before_the_digest_keep_the_first_copy_rule(
    spark: SparkSession, tmp_path: Path
) -> None:
    """A bronze file and a CSV part written without the digest column (as before it existed):
    neither can be told apart from the winner's content, so both are duplicates."""
    lake = tmp_path / "lake"
    write_reference(lake)
    at = FIRST_T - timedelta(hours=5)
    winner = sale("SP01-000003", "pos", at, "10.00")
    write_bronze(lake, [winner])
    write_bronze(lake, [sale("SP01-000003", "web", at + timedelta(minutes=1), "99.00")])
    bronze_files = sorted((lake / "bronze" / "sales_events").rglob("*.parquet"))
    for path in bronze_files:
        if pq.read_table(path).column("source")[0].as_py() == "web":
            pq.write_table(pq.read_table(path).drop_columns([CONTENT_DIGEST]), path)
    part = write_csv_upload(lake, [sale("SP01-000003", "erp", at + timedelta(minutes=2), "5.00")])
    rows = list(csv.reader(part.read_text().splitlines()))
    assert rows[0] == list(UPLOAD_COLUMNS)
    with part.open("w", newline="") as handle:
        csv.writer(handle).writerows(row[:-1] for row in rows)
    config = Settings(lake_uri=str(lake), state_dir=tmp_path / "state", reporting_tz=TZ)

    published = run_batch(str(lake), FIRST_T, settings=config, spark=spark)

    assert totals(lake, published) == {"SP01-000003": ("pos", Decimal("10.00"))}
    assert published.quality_counts[EVENT_ID_CONFLICTS] == 0
    assert published.duplicates == 2
