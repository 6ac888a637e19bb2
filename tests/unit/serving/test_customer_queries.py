"""Customer 360's queries are Athena SQL that DuckDB runs, and before any batch run the API says
so instead of failing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlglot
from fastapi.testclient import TestClient

from contract.customers import RFM_SEGMENTS
from contract.settings import Settings
from serving.app import create_app
from serving.customers import (
    CUT_POINTS_SQL,
    SEGMENTS_SQL,
    cohorts_sql,
    months_sql,
    profile_sql,
    realtime_lines_sql,
)
from serving.engines.duckdb_engine import DuckDBEngine
from serving.sql_files import ATHENA_DIALECT

QUERIES = {
    "profile": profile_sql("C-0001"),
    "realtime lines": realtime_lines_sql("it's/odd:C.1"),
    "cut points": CUT_POINTS_SQL,
    "segments": SEGMENTS_SQL,
    "cohorts": cohorts_sql(date(2026, 1, 1)),
    "months": months_sql(date(2026, 1, 1)),
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_query_is_athena_sql_that_duckdb_runs_on_an_empty_lake(
    name: str, tmp_path: Path
) -> None:
    sqlglot.parse_one(QUERIES[name], read=ATHENA_DIALECT)
    engine = DuckDBEngine(Settings(lake_uri=str(tmp_path / "lake")))
    try:
        assert engine.query(QUERIES[name]).rows == []
    finally:
        engine.close()


def test_a_customer_id_is_a_string_literal_whatever_it_holds() -> None:
    assert "customer_id = 'it''s/odd:C.1'" in QUERIES["realtime lines"]


def test_before_any_batch_run_lookups_say_so_and_the_tables_are_empty(tmp_path: Path) -> None:
    settings = Settings(lake_uri=str(tmp_path / "lake"), serving_cache_seconds=0)
    with TestClient(create_app(settings)) as client:
        missing = client.get("/v1/customers/C-0001")
        metrics = client.get("/v1/metrics/customers").json()
    assert missing.status_code == 404
    assert "no batch run published yet" in missing.json()["detail"]
    assert metrics["customers"] == 0
    assert metrics["run_id"] is None
    assert [row["segment"] for row in metrics["segments"]] == [r.segment for r in RFM_SEGMENTS]
    assert (metrics["cohorts"], metrics["rfm_quintiles"], metrics["months"]) == ([], [], [])
