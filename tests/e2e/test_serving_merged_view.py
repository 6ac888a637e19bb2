"""The must-show correctness scenario with the REAL batch job (Spark local) behind the view.

Events before T (batch-processed, some through CSV uploads), events after T including late ones
for old days, duplicates across and within layers, returns, lines the quarantine rules drop and
lines of unknown skus or stores they keep: the merged metrics on DuckDB equal an independent
pandas computation from the raw events, for every day and store, to the cent. Then the batch
runs again with a later T and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from pyspark.sql import SparkSession

from batch_layer.job import run_batch
from contract.gold import METRIC_DEFINITIONS
from contract.quality import MAX_LINE_NET_AMOUNT
from contract.settings import Settings
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.sample_lake import PRODUCTS, STORES, Copy, write_inputs
from tests.unit.serving.scenario import CUTOFF, LATER_CUTOFF, scenario_copies

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

TZ = "America/Sao_Paulo"
BY_DAY_AND_STORE = (
    "SELECT CAST(sale_date AS varchar) AS sale_date, store_id, "
    + ", ".join(f"{sql} AS {name}" for name, sql in METRIC_DEFINITIONS.items())
    + " FROM sales_merged GROUP BY 1, 2"
)


def pandas_metrics(copies: list[Copy]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (sale_date, store_id) metrics from the raw copies with pandas alone."""
    events = pd.DataFrame(
        [
            {
                "event_id": c.event.event_id,
                "event_type": c.event.event_type.value,
                "occurred_at": c.event.occurred_at,
                "ingested_at": c.event.ingested_at,
                "source": c.event.source,
                "origin": "csv" if c.via_csv else "bronze",
                "store_id": c.event.store_id,
                "currency": c.event.currency,
                "items": [item.model_dump() for item in c.event.items],
                "sold": (
                    c.event.event_type,
                    c.event.store_id,
                    c.event.occurred_at.astimezone(UTC).replace(microsecond=0),
                    tuple(
                        sorted((i.sku, i.quantity, i.unit_price, i.discount) for i in c.event.items)
                    ),
                ),
            }
            for c in copies
        ]
    )
    ordered = events.sort_values(["ingested_at", "source", "origin"], kind="stable")
    winners = ordered.drop_duplicates("event_id").set_index("event_id")
    conflict = (ordered["source"] != ordered["event_id"].map(winners["source"])) & (
        ordered["sold"] != ordered["event_id"].map(winners["sold"])
    )
    ordered["event_id"] = ordered["event_id"].where(
        ~conflict, ordered["event_id"] + "~" + ordered["source"]
    )
    first = ordered.drop_duplicates("event_id").drop(columns="sold")
    lines = first.explode("items", ignore_index=True)
    lines = pd.concat([lines.drop(columns="items"), pd.json_normalize(lines["items"])], axis=1)
    stores = pd.DataFrame([s.model_dump() for s in STORES])[["store_id", "currency"]]
    lines = lines.merge(stores, on="store_id", how="left", suffixes=("", "_store"))
    lines["net"] = lines["quantity"] * lines["unit_price"] - lines["discount"]
    known_store_currency = lines["currency_store"].isna() | (
        lines["currency"] == lines["currency_store"]
    )
    lines = lines[known_store_currency & (lines["net"] <= MAX_LINE_NET_AMOUNT)].copy()
    sign = lines["event_type"].map({"sale": 1, "return": -1})
    lines["net_revenue"] = lines["net"] * sign
    lines["gross_revenue"] = lines["quantity"] * lines["unit_price"] * sign
    lines["discount_signed"] = lines["discount"] * sign
    lines["units"] = lines["quantity"] * sign
    zone = ZoneInfo(TZ)
    lines["sale_date"] = lines["occurred_at"].map(lambda t: t.astimezone(zone).date().isoformat())
    unit_cost = {p.sku: p.unit_cost for p in PRODUCTS if p.unit_cost is not None}
    costs = [
        unit_cost[sku] * int(quantity) * int(signed) if sku in unit_cost else None
        for sku, quantity, signed in zip(lines["sku"], lines["quantity"], sign, strict=True)
    ]
    margins = [
        None if cost is None else net * int(signed) - cost
        for cost, net, signed in zip(costs, lines["net"], sign, strict=True)
    ]
    costed_net = [
        Decimal("0.00") if cost is None else net * int(signed)
        for cost, net, signed in zip(costs, lines["net"], sign, strict=True)
    ]
    lines["cost"] = pd.Series(costs, index=lines.index, dtype=object)
    lines["margin"] = pd.Series(margins, index=lines.index, dtype=object)
    lines["costed_net"] = pd.Series(costed_net, index=lines.index, dtype=object)
    lines["sale_id"] = lines["event_id"].where(lines["event_type"] == "sale")
    lines["return_id"] = lines["event_id"].where(lines["event_type"] == "return")
    grouped = lines.groupby(["sale_date", "store_id"]).agg(
        net_revenue=("net_revenue", "sum"),
        gross_revenue=("gross_revenue", "sum"),
        discount=("discount_signed", "sum"),
        units=("units", "sum"),
        orders=("sale_id", "nunique"),
        returns=("return_id", "nunique"),
        cost=("cost", known_sum),
        margin=("margin", known_sum),
        costed_net_revenue=("costed_net", "sum"),
    )
    return {
        (str(row["sale_date"]), str(row["store_id"])): {
            "net_revenue": Decimal(row["net_revenue"]),
            "gross_revenue": Decimal(row["gross_revenue"]),
            "discount": Decimal(row["discount"]),
            "units": int(row["units"]),
            "orders": int(row["orders"]),
            "returns": int(row["returns"]),
            "cost": row["cost"],
            "margin": row["margin"],
            "costed_net_revenue": Decimal(row["costed_net_revenue"]),
        }
        for row in grouped.reset_index().to_dict("records")
    }


def known_sum(values: pd.Series) -> Decimal | None:
    """The sum of the known amounts, None when none is known (SQL's SUM over NULLs)."""
    known = [value for value in values if value is not None]
    return sum(known, Decimal("0.00")) if known else None


def merged_metrics(engine: DuckDBEngine) -> dict[tuple[str, str], dict[str, Any]]:
    engine.refresh()
    rows = engine.query(BY_DAY_AND_STORE).rows
    return {(r.pop("sale_date"), r.pop("store_id")): r for r in rows}


def test_merged_view_equals_pandas_and_survives_a_later_batch(
    spark: SparkSession, tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    copies = scenario_copies(make_event)
    lake = tmp_path / "lake"
    write_inputs(lake, copies)
    settings = Settings(state_dir=tmp_path / "state", lake_uri=str(lake), reporting_tz=TZ)
    expected = pandas_metrics(copies)
    assert len(expected) >= 5  # several days and stores, late day included

    first = run_batch(settings.lake_uri, CUTOFF, settings=settings, spark=spark)
    engine = DuckDBEngine(settings)
    try:
        assert engine.refresh().run_id == first.run_id
        assert merged_metrics(engine) == expected

        second = run_batch(settings.lake_uri, LATER_CUTOFF, settings=settings, spark=spark)
        assert engine.refresh().run_id == second.run_id != first.run_id
        assert merged_metrics(engine) == expected
        gold_only = engine.query("SELECT count(*) AS n FROM sales_batch").rows[0]["n"]
        assert gold_only > 0
    finally:
        engine.close()
