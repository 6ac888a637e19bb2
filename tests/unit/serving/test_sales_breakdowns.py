"""`/v1/metrics/sales/breakdowns`: several groupings answered by one query, each exactly as
`/v1/metrics/sales` answers it (whose answers `test_api_analytics` checks against the oracle).

The engine is the real DuckDB engine, recording the SQL it is sent: the point of the route is
that a dashboard's panels read the lines once (on Athena, one billed scan instead of five).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contract.settings import Settings
from serving.app import create_app
from serving.engines.base import QueryResult
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.analytics import CATALOG, CUTOFF, TZ, analytics_copies, expected_lines_of
from tests.unit.serving.analytics_questions import CASES, analytics_event
from tests.unit.serving.sample_lake import write_gold, write_inputs

PANELS = ["category", "brand", "store_region,store_state", "payment_method", "channel"]
"""The dashboard's panels, plus below groupings sharing a dimension with them."""
OVERLAPPING = ["store_region", "sku"]


class RecordingEngine(DuckDBEngine):
    """The DuckDB engine, keeping every SQL text it is sent."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.sent: list[str] = []

    def query(self, sql: str) -> QueryResult:
        self.sent.append(sql)
        return super().query(sql)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    copies = analytics_copies(analytics_event)
    lake: Path = tmp_path_factory.mktemp("breakdowns") / "lake"
    write_inputs(lake, copies, CATALOG)
    before = [c for c in copies if c.event.ingested_at < CUTOFF]
    write_gold(lake, expected_lines_of(before), CUTOFF, "run-breakdowns")
    return Settings(lake_uri=str(lake), reporting_tz=TZ)


@pytest.fixture(scope="module")
def engine(settings: Settings) -> Iterator[RecordingEngine]:
    engine = RecordingEngine(settings)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def client(settings: Settings, engine: RecordingEngine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine)) as client:
        yield client


def _without_as_of(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "as_of"}


@pytest.mark.parametrize("name", list(CASES))
def test_each_breakdown_is_the_sales_answer_for_its_grouping(
    client: TestClient, engine: RecordingEngine, name: str
) -> None:
    params = {key: value for key, value in CASES[name].params.items() if key != "group_by"}
    groupings = list(dict.fromkeys([CASES[name].params.get("group_by", "brand"), *PANELS]))
    groupings += [g for g in OVERLAPPING if g not in groupings]
    sent = len(engine.sent)
    response = client.get("/v1/metrics/sales/breakdowns", params={**params, "group_by": groupings})
    assert response.status_code == 200, response.text
    breakdowns = response.json()["breakdowns"]
    assert len(engine.sent) == sent + 1, "every grouping must come from one query"
    assert [b["group_by"] for b in breakdowns] == [g.split(",") for g in groupings]
    for grouping, breakdown in zip(groupings, breakdowns, strict=True):
        alone = client.get("/v1/metrics/sales", params={**params, "group_by": grouping})
        assert alone.status_code == 200, alone.text
        assert _without_as_of(breakdown) == _without_as_of(alone.json()), grouping
        assert len(breakdown["rows"]) >= 2, grouping


def test_granularity_defaults_to_total(client: TestClient) -> None:
    response = client.get(
        "/v1/metrics/sales/breakdowns",
        params={"from": "2026-11-01", "to": "2026-11-22", "group_by": "channel"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["breakdowns"][0]["granularity"] == "total"


@pytest.mark.parametrize(
    ("group_by", "fragment"),
    [
        ([], "Field required"),
        (["brand", "category,brand", "brand,category"], "asked twice"),
        (["brand", "brand"], "asked twice"),
        (["brand", "region"], "unknown dimension 'region'"),
        (["brand,category,sku"], "one dimension or two"),
        ([*PANELS, *OVERLAPPING, "sku,brand", "terminal_id"], "at most 8 groupings"),
    ],
)
def test_bad_breakdowns_get_422_naming_group_by(
    client: TestClient, group_by: list[str], fragment: str
) -> None:
    response = client.get(
        "/v1/metrics/sales/breakdowns",
        params={"from": "2026-11-01", "to": "2026-11-22", "group_by": group_by},
    )
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [["query", "group_by"]]
    assert fragment in errors[0]["msg"]
