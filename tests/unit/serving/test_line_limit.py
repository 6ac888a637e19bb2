"""The quarantine rule on a line's net amount, at its edge, in the real-time view on DuckDB."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from contract.settings import Settings
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.line_limit import CUTOFF, line_limit_copies
from tests.unit.serving.sample_lake import write_gold, write_inputs


def test_a_line_of_exactly_the_maximum_counts_and_a_cent_more_does_not(
    tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    lake = tmp_path / "lake"
    write_inputs(lake, line_limit_copies(make_event, ingested_at=CUTOFF + timedelta(minutes=5)))
    write_gold(lake, [], CUTOFF, "run-1")
    engine = DuckDBEngine(Settings(lake_uri=str(lake)))
    try:
        engine.refresh()
        rows = engine.query("SELECT event_id, net_amount FROM sales_merged").rows
    finally:
        engine.close()
    assert sorted((row["event_id"], str(row["net_amount"])) for row in rows) == [
        ("EV-AT-THE-LIMIT", "500000.00"),
        ("EV-AT-THE-LIMIT-CSV", "500000.00"),
    ]
