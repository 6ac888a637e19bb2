"""The nightly job with a shop's own, changing catalog: past margins keep the cost in force when
each sale happened, and a SKU sold before it was catalogued is filled in by the next run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pyspark.sql import SparkSession

from batch_layer.job import run_batch
from batch_layer.reference.versions import load_version
from contract.gold import SALES_WIDE
from contract.lake_io import LakeFiles
from contract.reference import reference_table
from contract.settings import Settings
from tests.integration.batch_layer.gold_reader import read_table
from tests.unit.serving.sample_lake import ingested, write_bronze

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

PRICE_CHANGE = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
"""Midnight of 2026-03-01 in Sao Paulo."""
COST_CHANGE = PRICE_CHANGE.replace(day=10)
"""When KIT-1 moves to Outdoor at a new cost; a version holds until, not including, this instant."""


def _load(settings: Settings, table: str, rows: list[dict[str, Any]], at: datetime) -> None:
    kind = reference_table(table)
    load_version(
        LakeFiles.open(settings.lake_uri, settings),
        kind,
        pa.Table.from_pylist(rows, schema=kind.schema()),
        effective_from=at,
        file_name=f"{table}.csv",
    )


def _sale(
    make_event: Callable[..., dict[str, Any]], sku: str, day: str, at: str = "T15:00:00-03:00"
) -> Any:
    payload = make_event(
        event_id=f"EV-{sku}-{day}",
        store_id="CWB-BATEL",
        customer_id=None,
        occurred_at=f"{day}{at}",
        items=[{"sku": sku, "quantity": 3, "unit_price": "100.00"}],
        total=None,
    )
    return ingested(payload, datetime(2026, 3, 20, 12, 0, tzinfo=UTC))


def test_a_cost_change_keeps_past_margins_and_a_late_sku_is_filled_in(
    spark: SparkSession, tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    settings = Settings(state_dir=tmp_path / "state", lake_uri=str(tmp_path / "lake"))
    product = {"sku": "KIT-1", "name": "Garden kit", "category": "Garden"}
    _load(settings, "products", [{**product, "unit_cost": Decimal("60.00")}], PRICE_CHANGE)
    _load(
        settings,
        "products",
        [{**product, "category": "Outdoor", "unit_cost": Decimal("90.00")}],
        COST_CHANGE,
    )
    _load(
        settings,
        "stores",
        [
            {
                "store_id": "CWB-BATEL",
                "name": "Batel",
                "channel": "pos",
                "currency": "BRL",
                "region": "South",
            }
        ],
        PRICE_CHANGE,
    )
    write_bronze(
        Path(settings.lake_uri),
        [
            _sale(make_event, "KIT-1", "2026-02-14"),
            _sale(make_event, "KIT-1", "2026-03-10", at="T00:00:00-03:00"),
            _sale(make_event, "KIT-1", "2026-03-15"),
            _sale(make_event, "DRONE-X", "2026-03-15"),
        ],
    )
    cutoff = datetime(2026, 3, 21, tzinfo=UTC)

    first = run_batch(settings.lake_uri, cutoff, settings=settings, spark=spark)
    _load(
        settings,
        "products",
        [
            {
                "sku": "DRONE-X",
                "name": "Drone X",
                "category": "Drones",
                "unit_cost": Decimal("250.00"),
            }
        ],
        cutoff,
    )
    second = run_batch(settings.lake_uri, cutoff, settings=settings, spark=spark)

    def lines(publication: Any) -> dict[str, tuple[Any, ...]]:
        rows = read_table(Path(settings.lake_uri), publication, SALES_WIDE).to_pylist()
        return {
            row["event_id"]: (
                row["category"],
                row["cost_amount"],
                row["margin_amount"],
                row["store_region"],
            )
            for row in rows
        }

    assert lines(first) == {
        "EV-KIT-1-2026-02-14": ("Garden", Decimal("180.00"), Decimal("120.00"), "South"),
        "EV-KIT-1-2026-03-10": ("Outdoor", Decimal("270.00"), Decimal("30.00"), "South"),
        "EV-KIT-1-2026-03-15": ("Outdoor", Decimal("270.00"), Decimal("30.00"), "South"),
        "EV-DRONE-X-2026-03-15": (None, None, None, "South"),
    }
    # A sale at the very instant of the change takes the new version, and only it.
    assert read_table(Path(settings.lake_uri), first, SALES_WIDE).num_rows == 4
    assert first.quality_counts["unknown_sku"] == 1
    assert lines(second) == {
        **lines(first),
        "EV-DRONE-X-2026-03-15": ("Drones", Decimal("750.00"), Decimal("-450.00"), "South"),
    }
    assert second.quality_counts["unknown_sku"] == 0
