"""The analyst's questions with the REAL batch job (Spark local) behind the API.

The analytics scenario (a year of sales, late events, copies across T, a product without a cost,
an unknown sku) is landed in bronze, the nightly job publishes gold up to T, and the query API
on DuckDB answers months against the previous year, ISO weeks by category, two dimensions with
filters and hours of today: every metric of every row, total and comparison equals the
plain-Python oracle over the events the test sent. The unit tests ask the same questions of an
oracle-written gold; this one proves the Spark job's gold answers them alike.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyspark.sql import SparkSession

from batch_layer.job import run_batch
from contract.settings import Settings
from serving.app import create_app
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.analytics import CATALOG, CUTOFF, TZ, analytics_copies, expected_lines_of
from tests.unit.serving.analytics_questions import CASES, analytics_event, assert_answers
from tests.unit.serving.sample_lake import write_inputs

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


def test_the_analysts_questions_across_a_real_batch_run(
    spark: SparkSession, tmp_path: Path
) -> None:
    copies = analytics_copies(analytics_event)
    lake = tmp_path / "lake"
    write_inputs(lake, copies, CATALOG)
    settings = Settings(
        state_dir=tmp_path / "state", lake_uri=str(lake), reporting_tz=TZ, serving_cache_seconds=0
    )
    run = run_batch(settings.lake_uri, CUTOFF, settings=settings, spark=spark)
    lines = expected_lines_of(copies)
    engine = DuckDBEngine(settings)
    try:
        assert engine.refresh().run_id == run.run_id
        assert engine.query("SELECT count(*) AS n FROM sales_batch").rows[0]["n"] > 0
        with TestClient(create_app(settings, engine)) as client:
            for case in CASES.values():
                assert_answers(client, lines, case)
    finally:
        engine.close()
