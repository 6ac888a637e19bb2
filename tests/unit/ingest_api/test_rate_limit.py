"""Per-key rate limits: 429 with `Retry-After` on single events, batches (their events count)
and the Segment route; nothing refused is stored; other keys are untouched; off by default."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from contract.settings import Settings, hash_api_key
from ingest_api.app import create_app
from ingest_api.rate_limit import RateLimiter, TokenBucket
from ingest_api.sinks import MemorySink
from tests.unit.ingest_api.conftest import API_KEY, SOURCE
from tests.unit.ingest_api.segment_messages import WRITE_KEY, basic_auth, segment_message

OTHER_KEY = "test-key-web"


class Clock:
    """A monotonic clock the test moves by hand, so refills do not depend on the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited_app(memory_sink: MemorySink, clock: Clock, tmp_path: Path) -> FastAPI:
    """Three keys at 0.5 events/s with bursts of 2, on a clock the test moves."""
    settings = Settings(
        lake_uri=str(tmp_path / "lake"),
        sink="memory",
        api_keys=f"{SOURCE}:{hash_api_key(API_KEY)},web:{hash_api_key(OTHER_KEY)},"
        f"segment:{hash_api_key(WRITE_KEY)}",
        rate_limit_events_per_second=0.5,
        rate_limit_burst=2,
    )
    app = create_app(settings, memory_sink)
    assert isinstance(app.state.limiter, RateLimiter)
    app.state.limiter = RateLimiter(0.5, 2, clock=clock)
    return app


@pytest.fixture
def limited(limited_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(limited_app, headers={"X-API-Key": API_KEY}) as test:
        yield test


def _refused_count(client: TestClient, source: str) -> float:
    text = client.get("/metrics").text
    line = f'salesflow_ingest_rate_limited_events_total{{source="{source}"}} '
    return sum(float(row.removeprefix(line)) for row in text.splitlines() if row.startswith(line))


def test_single_events_over_the_rate_are_refused_429_with_retry_after_and_not_stored(
    limited: TestClient, memory_sink: MemorySink, clock: Clock, event: Callable[..., Any]
) -> None:
    assert [limited.post("/v1/sales", json=event()).status_code for _ in range(2)] == [202, 202]
    refused = limited.post("/v1/sales", json=event())
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    body = refused.json()
    assert body["error"] == "rate_limited"
    assert f"{SOURCE!r} may send 0.5 events per second" in body["message"]
    assert len(memory_sink.records) == 2
    assert _refused_count(limited, SOURCE) == 1
    assert 'salesflow_ingest_requests_refused_total{reason="rate_limited"} 1.0' in (
        limited.get("/metrics").text
    )

    clock.now += 2
    assert limited.post("/v1/sales", json=event()).status_code == 202
    assert len(memory_sink.records) == 3


def test_the_limit_is_per_key(
    limited: TestClient, memory_sink: MemorySink, event: Callable[..., Any]
) -> None:
    for _ in range(2):
        limited.post("/v1/sales", json=event())
    assert limited.post("/v1/sales", json=event()).status_code == 429
    other = limited.post("/v1/sales", json=event(), headers={"X-API-Key": OTHER_KEY})
    assert other.status_code == 202


def test_a_batch_costs_its_number_of_events(
    limited: TestClient, memory_sink: MemorySink, clock: Clock, event: Callable[..., Any]
) -> None:
    """A batch larger than the burst passes on a full bucket and leaves the key in debt: the
    average stays at the rate. Invalid events of the batch count too."""
    batch = {"events": [event(), event(), {"event_id": "broken"}]}
    assert limited.post("/v1/sales/batch", json=batch).status_code == 207
    assert len(memory_sink.records) == 2

    clock.now += 1
    refused = limited.post("/v1/sales/batch", json={"events": [event()]})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3"
    assert _refused_count(limited, SOURCE) == 1
    assert len(memory_sink.records) == 2

    clock.now += 3
    assert limited.post("/v1/sales/batch", json={"events": [event()]}).status_code == 202


def test_segment_batches_are_limited_by_their_messages(
    limited: TestClient, memory_sink: MemorySink
) -> None:
    headers = {**basic_auth(WRITE_KEY), "Content-Type": "application/json"}
    first = {"batch": [segment_message(), segment_message()]}
    assert limited.post("/v1/batch", content=json.dumps(first), headers=headers).status_code == 200
    again = {"batch": [segment_message()]}
    refused = limited.post("/v1/batch", content=json.dumps(again), headers=headers)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["success"] is False
    assert len(memory_sink.records) == 2
    assert _refused_count(limited, "segment") == 1


def test_an_end_of_day_report_costs_one_event(
    limited: TestClient, event: Callable[..., Any], tmp_path: Path
) -> None:
    """Each report is a write to the lake: a flood of them is limited like a flood of sales."""
    for _ in range(2):
        limited.post("/v1/sales", json=event())
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    report = {
        "store_id": "SP-PAULISTA-01",
        "business_date": yesterday,
        "totals": {"sale": {"count": 1, "net_amount": "10.00"}},
    }
    refused = limited.post("/v1/reconciliations", json=report)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    assert not list(tmp_path.rglob("reconciliation/reports/**/*.json"))


def test_the_limit_is_off_by_default_locally_and_on_in_aws() -> None:
    local = Settings()
    assert local.rate_limit_events_per_second == 0
    assert RateLimiter.from_settings(local) is None
    aws = Settings(env="aws", api_keys=f"pos:{'a' * 64}")
    limiter = RateLimiter.from_settings(aws)
    assert limiter is not None
    assert (limiter.rate, limiter.burst) == (1000.0, 1000)
    assert Settings(rate_limit_events_per_second=2).rate_limit_burst == 500


def test_without_a_limit_a_flood_is_accepted(client: TestClient, event: Callable[..., Any]) -> None:
    assert {client.post("/v1/sales", json=event()).status_code for _ in range(20)} == {202}


def test_a_refused_request_takes_no_tokens() -> None:
    bucket = TokenBucket(rate=1.0, burst=2, tokens=2, refilled_at=0.0)
    assert bucket.charge(2, now=0.0) == 0
    assert bucket.charge(1, now=0.5) == pytest.approx(0.5)
    assert bucket.charge(1, now=1.0) == 0
    assert bucket.charge(5, now=1.0) == pytest.approx(2.0)
    assert bucket.charge(5, now=3.0) == 0
    assert bucket.tokens == pytest.approx(-3.0)


def test_the_openapi_schema_documents_429_with_retry_after(client: TestClient) -> None:
    paths: dict[str, Any] = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/sales", "/v1/sales/batch", "/v1/batch", "/v1/track", "/v1/reconciliations"):
        documented = paths[path]["post"]["responses"]["429"]
        assert "Retry-After" in documented["headers"], path
