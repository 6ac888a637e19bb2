"""AthenaEngine's protocol against the moto server: Glue tables, views, polling, results."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from contract.aws import aws_client
from contract.lake import PUBLISHED_POINTER
from contract.settings import Settings
from serving.app import create_app
from serving.engines import QueryCancelledError, QueryFailedError, QueryTimeoutError
from serving.engines.athena_engine import AthenaEngine
from serving.engines.athena_statements import raise_for_state
from serving.sql_files import VIEWS
from tests.integration.athena import create_athena_resources, moto_api, queries_held

LAKE_PREFIX = "lake"


@pytest.fixture
def settings(moto_settings: Settings) -> Settings:
    create_athena_resources(moto_settings)
    return moto_settings.model_copy(
        update={
            "lake_uri": f"s3://{moto_settings.lake_bucket}/{LAKE_PREFIX}",
            "serving_query_timeout_seconds": 5.0,
        }
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[AthenaEngine]:
    engine = AthenaEngine(settings)
    yield engine
    engine.close()


@pytest.fixture
def slow_queries(moto_endpoint: str) -> Iterator[None]:
    """Athena executions stay QUEUED, then RUNNING, for several polls each."""
    with queries_held(moto_endpoint, 3):
        yield


@pytest.fixture
def stuck_queries(moto_endpoint: str) -> Iterator[None]:
    with queries_held(moto_endpoint, 10**9):
        yield


def publish(settings: Settings, run_id: str, cutoff: datetime) -> None:
    pointer = {
        "run_id": run_id,
        "cutoff": cutoff.isoformat(),
        "published_at": datetime.now(UTC).isoformat(),
        "tables": {"sales_wide": f"gold/runs/{run_id}/sales_wide"},
        "input_counts": {},
        "output_counts": {"sales_wide": 10},
        "quality_counts": {},
        "duplicates": 0,
        "duration_seconds": 2.0,
    }
    aws_client(settings, "s3").put_object(
        Bucket=settings.lake_bucket,
        Key=f"{LAKE_PREFIX}/{PUBLISHED_POINTER}",
        Body=json.dumps(pointer).encode(),
    )


def executed_statements(settings: Settings) -> list[str]:
    athena = aws_client(settings, "athena")
    ids = athena.list_query_executions(WorkGroup=settings.athena_workgroup)["QueryExecutionIds"]
    return [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids]


def seed_results(
    endpoint: str, columns: list[tuple[str, str]], rows: list[list[str | None]]
) -> None:
    """Queue one canned result, shaped like Athena's: the header row first, NULL as no value."""
    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    data = [
        {"Data": [{} if value is None else {"VarCharValue": value} for value in row]}
        for row in rows
    ]
    moto_api(
        endpoint,
        "static/athena/query-results",
        {
            "results": [
                {
                    "rows": [header, *data],
                    "column_info": [
                        {"Name": name, "Label": name, "Type": type_, "Nullable": "UNKNOWN"}
                        for name, type_ in columns
                    ],
                }
            ]
        },
    )


def test_refresh_creates_glue_tables_with_projection_and_the_views(
    settings: Settings, engine: AthenaEngine
) -> None:
    cutoff = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    publish(settings, "run-1", cutoff)
    assert engine.refresh().run_id == "run-1"

    glue = aws_client(settings, "glue")
    lake = f"s3://{settings.lake_bucket}/{LAKE_PREFIX}"
    bronze = glue.get_table(DatabaseName=settings.glue_database, Name="bronze_sales_events")[
        "Table"
    ]
    assert [k["Name"] for k in bronze["PartitionKeys"]] == ["ingest_date", "ingest_hour"]
    assert bronze["Parameters"]["projection.ingest_date.type"] == "date"
    assert bronze["Parameters"]["storage.location.template"] == (
        f"{lake}/bronze/sales_events/ingest_date=${{ingest_date}}/ingest_hour=${{ingest_hour}}"
    )
    items = next(c for c in bronze["StorageDescriptor"]["Columns"] if c["Name"] == "items")
    assert items["Type"] == (
        "array<struct<sku:string,quantity:int,unit_price:decimal(18,2),discount:decimal(18,2),"
        "promotion_id:string,coupon_code:string>>"
    )
    gold = glue.get_table(DatabaseName=settings.glue_database, Name="sales_wide")["Table"]
    assert gold["StorageDescriptor"]["Location"] == f"{lake}/gold/runs/run-1/sales_wide/"
    names = {t["Name"] for t in glue.get_tables(DatabaseName=settings.glue_database)["TableList"]}
    assert {"products", "stores", "customers", "csv_uploads", "daily_sales_by_store"} <= names

    statements = executed_statements(settings)
    assert [s.split(" AS", 1)[0].split()[-1] for s in statements] == list(VIEWS)
    assert "TIMESTAMP '2026-11-21 03:00:00.000000'" in statements[VIEWS.index("sales_realtime")]


def test_a_new_publication_repoints_gold_and_recreates_the_views(
    settings: Settings, engine: AthenaEngine
) -> None:
    publish(settings, "run-1", datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    engine.refresh()
    engine.refresh()
    assert len(executed_statements(settings)) == len(VIEWS)

    publish(settings, "run-2", datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    assert engine.refresh().run_id == "run-2"
    gold = aws_client(settings, "glue").get_table(
        DatabaseName=settings.glue_database, Name="sales_wide"
    )["Table"]
    assert gold["Parameters"]["storage.location.template"].endswith(
        "/gold/runs/run-2/sales_wide/sale_date=${sale_date}"
    )
    statements = executed_statements(settings)
    assert len(statements) == 2 * len(VIEWS)
    realtime = statements[len(VIEWS) + VIEWS.index("sales_realtime")]
    assert "TIMESTAMP '2026-11-22 03:00:00.000000'" in realtime


def test_query_results_are_typed_from_the_column_metadata(
    settings: Settings, engine: AthenaEngine, moto_endpoint: str, slow_queries: None
) -> None:
    columns = [
        ("bucket", "date"),
        ("store_id", "varchar"),
        ("net_revenue", "decimal"),
        ("units", "bigint"),
        ("newest", "timestamp"),
        ("zoned", "timestamp with time zone"),
        ("category", "varchar"),
    ]
    publish(settings, "run-1", datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    engine.refresh()  # moto hands queued results to the next executions started: views first
    seed_results(
        moto_endpoint,
        columns,
        [
            [
                "2026-11-21",
                "SP-01",
                "1234.50",
                "12",
                "2026-11-21 10:00:00.123",
                "2026-11-21 07:00:00.000 America/Sao_Paulo",
                None,
            ],
            [
                "2026-11-22",
                "RJ-01",
                "-79.90",
                "-1",
                "2026-11-22 00:00:00.000",
                "2026-11-22 00:00:00.000 UTC",
                "x",
            ],
        ],
    )
    result = engine.query("SELECT 1")
    assert result.columns == tuple(name for name, _ in columns)
    first, second = result.rows
    assert first == {
        "bucket": date(2026, 11, 21),
        "store_id": "SP-01",
        "net_revenue": Decimal("1234.50"),
        "units": 12,
        "newest": datetime(2026, 11, 21, 10, 0, 0, 123000),
        "zoned": datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
        "category": None,
    }
    assert second["net_revenue"] == Decimal("-79.90")
    assert second["units"] == -1


def test_a_query_past_its_timeout_is_cancelled(
    settings: Settings, engine: AthenaEngine, stuck_queries: None
) -> None:
    publish(settings, "run-1", datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    stuck = AthenaEngine(settings.model_copy(update={"serving_query_timeout_seconds": 0.5}))
    stuck._served = engine._served  # the views exist already: only the query is under test
    try:
        with pytest.raises(QueryTimeoutError, match="was cancelled") as raised:
            stuck.query("SELECT 1")
    finally:
        stuck.close()
    execution_id = str(raised.value).split()[2]
    status = aws_client(settings, "athena").get_query_execution(QueryExecutionId=execution_id)
    assert status["QueryExecution"]["Status"]["State"] == "CANCELLED"


def test_a_query_cancelled_by_someone_else_raises_cancelled(
    settings: Settings, stuck_queries: None
) -> None:
    engine = AthenaEngine(settings)
    athena = aws_client(settings, "athena")
    publish(settings, "run-1", datetime(2026, 11, 21, 3, 0, tzinfo=UTC))

    def cancel_the_running_query() -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            ids = athena.list_query_executions(WorkGroup=settings.athena_workgroup)[
                "QueryExecutionIds"
            ]
            if ids:
                athena.stop_query_execution(QueryExecutionId=ids[0])
                return
            time.sleep(0.05)

    canceller = threading.Thread(target=cancel_the_running_query)
    canceller.start()
    try:
        with pytest.raises(QueryCancelledError, match="cancelled"):
            engine.execute("CREATE OR REPLACE VIEW v AS SELECT 1 AS a")
    finally:
        canceller.join()
        engine.close()


def test_failed_states_raise_with_athenas_reason() -> None:
    with pytest.raises(QueryFailedError, match="TABLE_NOT_FOUND: line 1:15: Table"):
        raise_for_state(
            "q-1",
            {
                "State": "FAILED",
                "StateChangeReason": "TABLE_NOT_FOUND: line 1:15: Table awsdatacatalog.x.y "
                "does not exist",
                "AthenaError": {"ErrorCategory": 2, "ErrorType": 1006},
            },
        )
    raise_for_state("q-2", {"State": "SUCCEEDED"})


def test_the_api_answers_from_athena_with_money_as_strings(
    settings: Settings, engine: AthenaEngine, moto_endpoint: str
) -> None:
    publish(settings, "run-1", datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    engine.refresh()
    metrics = ["4739.60", "4839.60", "100.00", "3", "1", "0", "3800.00", "699.90", "4499.90"]
    seed_results(
        moto_endpoint,
        [
            ("side", "varchar"),
            ("bucket", "date"),
            ("net_revenue", "decimal"),
            ("gross_revenue", "decimal"),
            ("discount", "decimal"),
            ("units", "bigint"),
            ("orders", "bigint"),
            ("returns", "bigint"),
            ("cost", "decimal"),
            ("margin", "decimal"),
            ("costed_net_revenue", "decimal"),
        ],
        [["current", "2026-11-21", *metrics], ["current", None, *metrics]],
    )
    with TestClient(create_app(settings, engine)) as client:
        response = client.get(
            "/v1/metrics/sales", params={"from": "2026-11-21", "to": "2026-11-22"}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["run_id"] == "run-1"
    expected = {
        "net_revenue": "4739.60",
        "gross_revenue": "4839.60",
        "discount": "100.00",
        "cost": "3800.00",
        "margin": "699.90",
        "costed_net_revenue": "4499.90",
        "margin_pct": "15.55",
        "units": 3,
        "orders": 1,
        "returns": 0,
        "average_ticket": "4739.60",
        "units_per_order": "3.00",
        "return_rate": "0.00",
    }
    assert body["rows"] == [{"bucket": "2026-11-21", **expected, "comparison": None}]
    assert body["totals"] == {**expected, "comparison": None}
    query = executed_statements(settings)[-1]
    assert "FROM sales_merged" in query
    assert "sale_date BETWEEN DATE '2026-11-21' AND DATE '2026-11-21'" in query
