"""The nightly job end to end on a generated lake, checked against an independent computation."""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from batch_layer.job import run_batch
from contract.gold import (
    DAILY_SALES_BY_STORE,
    MART_DIMENSIONS,
    QUALITY_QUARANTINE,
    SALES_WIDE,
    SALES_WIDE_SCHEMA,
    mart_schema,
)
from contract.lake import CSV_UPLOADS
from contract.lake_io import LakeFiles
from contract.publication import read_publication
from contract.quality import QUARANTINE_RULES
from contract.settings import Settings
from tests.integration.batch_layer.conftest import PublishedLake
from tests.integration.batch_layer.gold_reader import read_table, sorted_rows
from tests.integration.batch_layer.scenario import expected_gold

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

ZERO = Decimal("0.00")


def test_gold_equals_an_independent_computation_per_day_and_store(published_lake: PublishedLake):
    expected = expected_gold(published_lake.scenario)
    lake = Path(published_lake.settings.lake_uri)
    wide = read_table(lake, published_lake.publication, SALES_WIDE).to_pylist()

    actual: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {
            "net_revenue": ZERO,
            "gross_revenue": ZERO,
            "discount": ZERO,
            "units": 0,
            "cost": ZERO,
            "orders": set(),
            "returns": set(),
        }
    )
    for row in wide:
        bucket = actual[(row["sale_date"], row["store_id"])]
        bucket["net_revenue"] += row["net_amount"]
        bucket["gross_revenue"] += row["gross_amount"]
        bucket["discount"] += row["discount_amount"]
        bucket["units"] += row["net_units"]
        if row["cost_amount"] is None:
            assert row["margin_amount"] is None
        else:
            bucket["cost"] += row["cost_amount"]
            assert row["margin_amount"] == row["net_amount"] - row["cost_amount"]
        bucket["orders" if row["event_type"] == "sale" else "returns"].add(row["event_id"])
    flattened = {
        key: {**values, "orders": len(values["orders"]), "returns": len(values["returns"])}
        for key, values in actual.items()
    }
    assert flattened == expected.by_day_store
    assert len(wide) == expected.passed_lines

    mart = read_table(lake, published_lake.publication, DAILY_SALES_BY_STORE).to_pylist()
    from_mart = {
        (row["sale_date"], row["store_id"]): {
            name: row[name]
            for name in ("net_revenue", "gross_revenue", "discount", "units", "orders", "returns")
        }
        for row in mart
    }
    assert from_mart == {
        key: {name: value for name, value in values.items() if name != "cost"}
        for key, values in expected.by_day_store.items()
    }


def test_run_report_counts_add_up(published_lake: PublishedLake):
    publication = published_lake.publication
    expected = expected_gold(published_lake.scenario)
    assert publication.quality_counts == expected.quality_counts
    assert publication.duplicates == expected.duplicate_lines
    assert publication.input_counts["lines"] == expected.lines_in
    held = {rule: expected.quality_counts[rule] for rule in QUARANTINE_RULES}
    assert publication.input_counts["lines"] == (
        publication.output_counts[SALES_WIDE]
        + publication.output_counts[QUALITY_QUARANTINE]
        + publication.duplicates
    )
    assert publication.input_counts["csv_lines"] > 0
    assert publication.output_counts[QUALITY_QUARANTINE] == sum(held.values())
    lake = Path(published_lake.settings.lake_uri)
    quarantined = read_table(lake, publication, QUALITY_QUARANTINE).to_pylist()
    by_rule: dict[str, int] = defaultdict(int)
    for row in quarantined:
        by_rule[row["quality_rule"]] += 1
    assert dict(by_rule) == {k: v for k, v in held.items() if v}
    assert expected.quality_counts["unknown_sku"] >= 2
    assert expected.quality_counts["unknown_store"] >= 2
    assert expected.quality_counts["event_id_conflicts"] >= 5


def test_lines_of_unknown_skus_and_stores_are_kept_with_unknown_attributes(
    published_lake: PublishedLake,
):
    lake = Path(published_lake.settings.lake_uri)
    rows = read_table(lake, published_lake.publication, SALES_WIDE).to_pylist()
    (both,) = [row for row in rows if (row["event_id"], row["sku"]) == ("EV-BADBOTH01", "NOPE")]
    assert (both["sku"], both["store_id"]) == ("NOPE", "XX-NOWHERE-02")
    assert both["net_amount"] > 0
    assert (both["product_name"], both["category"], both["store_name"]) == (None, None, None)
    assert (both["cost_amount"], both["margin_amount"]) == (None, None)
    unknown_store = [row for row in rows if row["event_id"] == "EV-BADSTORE1"]
    assert unknown_store
    assert all(r["category"] is not None and r["store_region"] is None for r in unknown_store)


def test_cutoff_late_events_and_local_calendar(published_lake: PublishedLake):
    lake = Path(published_lake.settings.lake_uri)
    rows = read_table(lake, published_lake.publication, SALES_WIDE).to_pylist()
    cutoff = published_lake.scenario.cutoff
    assert all(row["ingested_at"] < cutoff for row in rows)
    assert not any(row["event_id"].startswith(("EV-AFTER", "CSVLATE-")) for row in rows)
    late = [row for row in rows if (row["ingested_at"] - row["occurred_at"]).days >= 14]
    assert late, "the scenario has events weeks old"
    assert all(
        row["sale_date"]
        == row["occurred_at"].astimezone(published_lake.settings.reporting_zone).date()
        for row in late
    )
    (midnight, *_) = [row for row in rows if row["event_id"] == "EV-MIDNIGHT1"]
    assert str(midnight["sale_date"]) == "2026-11-19"
    assert (midnight["sale_hour"], midnight["sale_weekday"], midnight["sale_iso_week"]) == (
        23,
        4,
        47,
    )
    csv_first = {row["source"] for row in rows if row["event_id"] == "EV-CSVFIRST1"}
    assert csv_first == {"csv:export_2026-11.csv"}


def test_gold_tables_have_the_contract_schemas(published_lake: PublishedLake):
    lake = Path(published_lake.settings.lake_uri)
    wide = read_table(lake, published_lake.publication, SALES_WIDE)
    assert [(f.name, f.type) for f in wide.schema] == [(f.name, f.type) for f in SALES_WIDE_SCHEMA]
    for mart in MART_DIMENSIONS:
        table = read_table(lake, published_lake.publication, mart)
        assert [(f.name, f.type) for f in table.schema] == [
            (f.name, f.type) for f in mart_schema(mart)
        ]
    assert "" not in set(wide.column("customer_id").to_pylist()), (
        "a missing customer is null, never an empty string"
    )
    returns = [row for row in wide.to_pylist() if row["event_type"] == "return"]
    assert returns
    assert all(row["net_amount"] <= 0 and row["net_units"] < 0 for row in returns)


def test_a_rerun_at_the_same_t_finds_nothing_new_and_publishes_nothing(
    published_lake: PublishedLake, spark: SparkSession
) -> None:
    settings = published_lake.settings
    first = published_lake.publication
    again = run_batch(settings.lake_uri, first.cutoff, settings=settings, spark=spark)
    assert again == first
    assert read_publication(LakeFiles.open(settings.lake_uri, settings)) == first


def test_a_full_rerun_gives_the_same_gold_row_for_row(
    published_lake: PublishedLake, spark: SparkSession
) -> None:
    settings = published_lake.settings
    first = published_lake.publication
    second = run_batch(settings.lake_uri, first.cutoff, settings=settings, spark=spark, full=True)
    assert second.run_id != first.run_id
    lake = Path(settings.lake_uri)
    for table, keys in [
        (SALES_WIDE, ["event_id", "line_number"]),
        (QUALITY_QUARANTINE, ["event_id", "line_number"]),
        *[(mart, list(dims)) for mart, dims in MART_DIMENSIONS.items()],
    ]:
        before = sorted_rows(read_table(lake, first, table), keys)
        after = sorted_rows(read_table(lake, second, table), keys)
        assert before == after, table
    assert read_publication(LakeFiles.open(settings.lake_uri, settings)) == second
    assert (second.input_counts, second.output_counts, second.quality_counts) == (
        first.input_counts,
        first.output_counts,
        first.quality_counts,
    )


def test_a_failing_run_leaves_the_previous_publication(
    published_lake: PublishedLake, spark: SparkSession, tmp_path: Path
):
    lake = tmp_path / "lake"
    shutil.copytree(published_lake.settings.lake_uri, lake)
    settings = Settings(lake_uri=str(lake), state_dir=tmp_path / "state")
    pointer = lake / "gold" / "_published.json"
    before = pointer.read_bytes()
    bad_upload = lake / CSV_UPLOADS / f"{'0' * 64}.csv"
    bad_upload.write_text("not,the,upload,header\n1,2,3,4\n")
    later = published_lake.publication.cutoff + timedelta(hours=1)
    with pytest.raises(Exception, match=r"(?i)header"):
        run_batch(str(lake), later, settings=settings, spark=spark)
    assert pointer.read_bytes() == before


def test_empty_lake_publishes_empty_gold(spark: SparkSession, tmp_path: Path, published_lake):
    lake = tmp_path / "lake"
    shutil.copytree(Path(published_lake.settings.lake_uri) / "reference", lake / "reference")
    settings = Settings(lake_uri=str(lake), state_dir=tmp_path / "state")
    publication = run_batch(
        str(lake), published_lake.publication.cutoff, settings=settings, spark=spark
    )
    assert publication.input_counts["lines"] == 0
    assert publication.output_counts[SALES_WIDE] == 0
    assert read_table(lake, publication, DAILY_SALES_BY_STORE).num_rows == 0
    assert publication.sales_wide_days == {}
    wide_folder = lake / "gold" / "runs" / publication.run_id / SALES_WIDE
    assert not list(wide_folder.rglob("*.parquet")), "an empty gold has no data files"
