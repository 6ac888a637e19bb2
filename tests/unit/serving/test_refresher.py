"""The serving process merges landed files between requests, and the cache stops serving answers
computed before them: a sale that lands is counted within a second or two, even when answers are
cached for a minute, and an unchanged lake keeps being served from the cache."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from contract.settings import Settings
from serving.app import create_app
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.sample_lake import ingested, write_bronze
from tests.unit.serving.scenario import CUTOFF

TODAY = {"from": "2026-11-21", "to": "2026-11-22", "granularity": "total"}
PATIENCE_SECONDS = 20.0
"""Far below the cache's 60 s TTL, far above a refresh and a query on a loaded machine."""


def orders_today(client: TestClient) -> int:
    response = client.get("/v1/metrics/sales", params=TODAY)
    assert response.status_code == 200, response.text
    orders: int = response.json()["totals"]["orders"]
    return orders


def test_a_landed_sale_is_counted_long_before_the_cached_answer_expires(
    scenario_settings: Settings, make_event: Callable[..., dict[str, Any]]
) -> None:
    settings = scenario_settings.model_copy(update={"serving_refresh_seconds": 0.1})
    assert settings.serving_cache_seconds >= 60
    engine = DuckDBEngine(settings)
    try:
        with TestClient(create_app(settings, engine)) as client:
            before = orders_today(client)
            assert [orders_today(client) for _ in range(3)] == [before] * 3
            computed = client.app.state.service.cache.computations  # type: ignore[attr-defined]

            landed_at = CUTOFF + timedelta(minutes=30)
            sale = make_event(occurred_at=landed_at.isoformat())
            write_bronze(Path(settings.lake_uri), [ingested(sale, landed_at)])
            deadline = time.monotonic() + PATIENCE_SECONDS
            while orders_today(client) == before and time.monotonic() < deadline:
                time.sleep(0.1)

            assert orders_today(client) == before + 1
            assert engine.version == 1
            assert client.app.state.service.cache.computations > computed  # type: ignore[attr-defined]
    finally:
        engine.close()
