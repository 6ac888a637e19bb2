"""Hostile or careless query parameters get 422 naming the field, never 500; engine failures are
logged whole and answered with a fixed message and an error id, never the engine's words."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from contract.settings import Settings
from serving.app import create_app
from serving.engines.base import QueryFailedError, QueryResult, QueryTimeoutError
from serving.engines.duckdb_engine import DuckDBEngine
from serving.published_run import PublishedRun

ABSURD = [
    "0001-01-01",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59-12:00",
    "10000-01-01",
    "2026-11-21T00:00:00+99:00",
    "1999-12-31T23:00:00",
    "2101-01-01T00:00:01",
    "-2026-11-21",
]
"""Values at and past the ends of Python's calendar (a UTC conversion overflows), offsets no
clock has, years the API does not answer."""
METRICS = ["/v1/metrics/sales", "/v1/metrics/top-products"]


@pytest.fixture
def client(scenario_settings: Settings) -> Iterator[TestClient]:
    engine = DuckDBEngine(scenario_settings)
    app = create_app(scenario_settings, engine)
    try:
        with TestClient(app, raise_server_exceptions=False) as test:
            yield test
    finally:
        engine.close()


def _refused_at(response: object, field: str) -> None:
    assert getattr(response, "status_code", None) == 422, getattr(response, "text", "")
    errors = response.json()["detail"]  # type: ignore[attr-defined]
    assert [error["loc"] for error in errors] == [["query", field]]


@pytest.mark.parametrize("value", ABSURD)
@pytest.mark.parametrize("path", METRICS)
def test_metrics_refuse_an_absurd_from_or_to_with_422(
    client: TestClient, path: str, value: str
) -> None:
    _refused_at(client.get(path, params={"from": value, "to": "2026-11-22"}), "from")
    _refused_at(client.get(path, params={"from": "2026-11-01", "to": value}), "to")


@pytest.mark.parametrize("value", [v for v in ABSURD if "T" not in v])
def test_reconciliations_refuse_business_days_outside_the_years_answered(
    client: TestClient, value: str
) -> None:
    _refused_at(client.get("/v1/reconciliations", params={"date": value}), "date")
    _refused_at(
        client.get("/v1/reconciliations", params={"from": value, "to": "2026-11-22"}), "from"
    )
    _refused_at(client.get("/v1/reconciliations", params={"from": "2026-11-01", "to": value}), "to")
    store_day = client.get("/v1/reconciliations/store-day", params={"date": value, "store_id": "S"})
    _refused_at(store_day, "date")


class FailingEngine:
    """An engine whose queries fail the way a real one reports it: with internals in the text."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.version = 0

    def refresh(self) -> PublishedRun:
        raise self.error

    def query(self, sql: str) -> QueryResult:
        raise self.error

    def close(self) -> None:
        pass


SECRET = "s3://acme-prod-lake-8842/gold/run-7/sales_wide: Access Denied (RequestId 9F2A)"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (QueryFailedError(f"Athena query q-1 FAILED: {SECRET}"), 503),
        (QueryTimeoutError(f"Athena query q-2 ran past 60s reading {SECRET}"), 504),
        (RuntimeError(f"unexpected: {SECRET}"), 500),
    ],
)
def test_engine_errors_are_logged_and_answered_without_their_text(
    scenario_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    status: int,
) -> None:
    app = create_app(scenario_settings, FailingEngine(error))
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.INFO):
        response = client.get(
            "/v1/metrics/sales", params={"from": "2026-11-01", "to": "2026-11-22"}
        )
    assert response.status_code == status
    body = response.json()
    assert "acme-prod-lake" not in response.text
    assert "RequestId" not in response.text
    assert body["error_id"] in body["detail"]
    (logged,) = [r for r in caplog.records if getattr(r, "error_id", None) == body["error_id"]]
    assert SECRET in logged.__dict__["error"]
    assert logged.__dict__["error_type"] == type(error).__name__
    assert logged.__dict__["path"] == "/v1/metrics/sales"
