"""The merged view on DuckDB against the oracle: every day and store, to the cent."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from contract.gold import METRIC_DEFINITIONS
from contract.settings import Settings
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.sample_lake import (
    Copy,
    expected_lines,
    ingested,
    write_bronze,
    write_gold,
    write_inputs,
)
from tests.unit.serving.scenario import CUTOFF, LATER_CUTOFF, scenario_copies

TZ = "America/Sao_Paulo"
METRICS_BY_DAY_AND_STORE = (
    "SELECT sale_date, store_id, "
    + ", ".join(f"{sql} AS {name}" for name, sql in METRIC_DEFINITIONS.items())
    + " FROM sales_merged GROUP BY sale_date, store_id"
)


def oracle_metrics(lines: list[dict[str, Any]]) -> dict[tuple[Any, str], dict[str, Any]]:
    metrics: dict[tuple[Any, str], dict[str, Any]] = {}
    for line in lines:
        m = metrics.setdefault(
            (line["sale_date"], line["store_id"]),
            {
                "net_revenue": Decimal("0.00"),
                "gross_revenue": Decimal("0.00"),
                "discount": Decimal("0.00"),
                "units": 0,
                "orders": set(),
                "returns": set(),
                "cost": None,
                "margin": None,
                "costed_net_revenue": Decimal("0.00"),
            },
        )
        m["net_revenue"] += line["net_amount"]
        m["gross_revenue"] += line["gross_amount"]
        m["discount"] += line["discount_amount"]
        m["units"] += line["net_units"]
        m["orders" if line["event_type"] == "sale" else "returns"].add(line["event_id"])
        if line["cost_amount"] is not None:
            m["cost"] = (m["cost"] or 0) + line["cost_amount"]
            m["margin"] = (m["margin"] or 0) + line["margin_amount"]
            m["costed_net_revenue"] += line["net_amount"]
    for m in metrics.values():
        m["orders"], m["returns"] = len(m["orders"]), len(m["returns"])
    return metrics


def engine_metrics(engine: DuckDBEngine) -> dict[tuple[Any, str], dict[str, Any]]:
    engine.refresh()
    rows = engine.query(METRICS_BY_DAY_AND_STORE).rows
    return {(r.pop("sale_date"), r.pop("store_id")): r for r in rows}


def build_lake(lake: Path, copies: list[Copy], cutoff, run_id: str) -> None:
    write_inputs(lake, copies)
    before = [c for c in copies if c.event.ingested_at < cutoff]
    write_gold(lake, expected_lines(before, TZ), cutoff, run_id)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(lake_uri=str(tmp_path / "lake"), reporting_tz=TZ)


def test_merged_metrics_equal_the_oracle_and_survive_a_later_batch(
    settings: Settings, tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    copies = scenario_copies(make_event)
    lake = tmp_path / "lake"
    build_lake(lake, copies, CUTOFF, "run-1")
    expected = oracle_metrics(expected_lines(copies, TZ))
    engine = DuckDBEngine(settings)
    try:
        assert engine_metrics(engine) == expected
        later = [c for c in copies if c.event.ingested_at < LATER_CUTOFF]
        write_gold(lake, expected_lines(later, TZ), LATER_CUTOFF, "run-2")
        assert engine.refresh().run_id == "run-2"
        assert engine_metrics(engine) == expected
    finally:
        engine.close()


def test_realtime_lines_have_the_gold_shape_and_values(
    settings: Settings, tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    copies = scenario_copies(make_event)
    lake = tmp_path / "lake"
    write_inputs(lake, copies)
    engine = DuckDBEngine(settings)
    try:
        engine.refresh()
        rows = engine.query("SELECT * FROM sales_merged").rows
    finally:
        engine.close()
    assert as_sorted_lines(rows) == as_sorted_lines(expected_lines(copies, TZ))


def as_sorted_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines without line_number (a CSV upload carries no line order), in a stable order."""
    stripped = [{k: v for k, v in line.items() if k != "line_number"} for line in lines]
    return sorted(stripped, key=lambda line: (line["event_id"], line["sku"], line["quantity"]))


def test_files_landing_after_the_install_are_served_after_a_refresh(
    settings: Settings, tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    copies = scenario_copies(make_event)
    lake = tmp_path / "lake"
    build_lake(lake, copies, CUTOFF, "run-1")
    engine = DuckDBEngine(settings)
    try:
        assert engine_metrics(engine) == oracle_metrics(expected_lines(copies, TZ))
        landed = Copy(
            ingested(
                make_event(store_id="WEB-01", occurred_at="2026-11-21T11:30:00-03:00"),
                LATER_CUTOFF,
            )
        )
        write_bronze(lake, [landed.event])
        assert engine_metrics(engine) == oracle_metrics(expected_lines([*copies, landed], TZ))
    finally:
        engine.close()


def test_an_empty_lake_serves_nothing_until_files_and_a_first_run_arrive(
    settings: Settings, tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    lake = tmp_path / "lake"
    engine = DuckDBEngine(settings)
    try:
        run = engine.refresh()
        assert run.publication is None
        assert engine_metrics(engine) == {}
        copies = scenario_copies(make_event)
        write_inputs(lake, copies)
        assert engine_metrics(engine) == oracle_metrics(expected_lines(copies, TZ))
        write_gold(
            lake,
            expected_lines([c for c in copies if c.event.ingested_at < CUTOFF], TZ),
            CUTOFF,
            "run-1",
        )
        assert engine.refresh().run_id == "run-1"
        assert engine_metrics(engine) == oracle_metrics(expected_lines(copies, TZ))
    finally:
        engine.close()
