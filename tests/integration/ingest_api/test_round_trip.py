"""Through a real uvicorn server into moto Kinesis and moto SQS: what the API acknowledged is
exactly what a reader finds in the stream or queue (count and content, plus ingested_at and
source), and nothing it refused."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import httpx

from contract.event import IngestedSaleEvent, SaleEvent
from contract.settings import Settings
from ingest_api.app import create_app
from tests.integration.ingest_api.conftest import API_KEY, SOURCE
from tests.integration.ingest_api.helpers import (
    create_queue,
    create_stream,
    drain_queue,
    read_stream,
)
from tests.processes import uvicorn_in_thread


async def _send(base_url: str, singles: list[dict[str, Any]], batch: list[Any]) -> dict[str, Any]:
    """POST the singles concurrently and the batch once; return what was acknowledged."""
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": API_KEY}) as client:
        responses = await asyncio.gather(
            *(client.post("/v1/sales", json=payload) for payload in singles),
            client.post("/v1/sales/batch", json={"events": batch}),
        )
    *single_responses, batch_response = responses
    assert [r.status_code for r in single_responses] == [202] * len(singles)
    assert batch_response.status_code == 207, batch_response.text
    acknowledged = {r.json()["event_id"]: r.json()["ingested_at"] for r in single_responses}
    rejected = {entry["index"] for entry in batch_response.json()["rejected"]}
    for index, payload in enumerate(batch):
        if index not in rejected:
            acknowledged[payload["event_id"]] = batch_response.json()["ingested_at"]
    return acknowledged


def _payloads(event: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    singles = [event(store_id=f"STORE-{n % 4}") for n in range(12)]
    batch = [event(store_id=f"STORE-{n % 3}") for n in range(20)]
    batch[3] = event(currency="real")
    batch[11] = event(items=[{"sku": "X-1", "quantity": 0, "unit_price": "1.00"}], total=None)
    return singles, batch


def _assert_same_events(
    found: list[IngestedSaleEvent], acknowledged: dict[str, Any], sent: list[Any]
) -> None:
    by_id = {payload["event_id"]: payload for payload in sent}
    assert sorted(event.event_id for event in found) == sorted(acknowledged)
    for stored in found:
        original = SaleEvent.model_validate(by_id[stored.event_id], strict=False)
        assert (
            SaleEvent.model_validate(stored.model_dump(exclude={"ingested_at", "source"}))
            == original
        )
        assert stored.source == SOURCE
        assert stored.ingested_at == datetime.fromisoformat(acknowledged[stored.event_id])


def test_round_trip_into_kinesis(api_settings: Settings, event):
    settings = api_settings.model_copy(update={"sink": "kinesis"})
    kinesis = create_stream(settings)
    singles, batch = _payloads(event)
    with uvicorn_in_thread(create_app(settings)) as base_url:
        acknowledged = asyncio.run(_send(base_url, singles, batch))
        assert httpx.get(f"{base_url}/readyz").status_code == 200
        metrics = httpx.get(f"{base_url}/metrics").text
    records = read_stream(kinesis, settings.stream_name)
    assert len(records) == 12 + 18
    assert all(key == stored.store_id for key, stored in records)
    _assert_same_events([stored for _, stored in records], acknowledged, singles + batch)
    assert "salesflow_sink_records_per_call_count" in metrics


def test_round_trip_into_sqs(api_settings: Settings, event):
    settings = api_settings.model_copy(update={"sink": "sqs"})
    sqs, queue_url = create_queue(settings)
    singles, batch = _payloads(event)
    with uvicorn_in_thread(create_app(settings)) as base_url:
        acknowledged = asyncio.run(_send(base_url, singles, batch))
        assert httpx.get(f"{base_url}/readyz").status_code == 200
    found = drain_queue(sqs, queue_url)
    assert len(found) == 12 + 18
    _assert_same_events(found, acknowledged, singles + batch)


def test_readyz_is_503_while_the_stream_does_not_exist(api_settings: Settings):
    """The answer comes from the background check, so it follows the stream within one
    SALESFLOW_READINESS_CHECK_SECONDS."""
    settings = api_settings.model_copy(update={"sink": "kinesis", "readiness_check_seconds": 0.2})
    with uvicorn_in_thread(create_app(settings)) as base_url:
        missing = httpx.get(f"{base_url}/readyz")
        create_stream(settings, shards=1)
        deadline = time.monotonic() + 10
        while (present := httpx.get(f"{base_url}/readyz")).status_code != 200:
            assert time.monotonic() < deadline, present.text
            time.sleep(0.1)
    assert missing.status_code == 503
    assert "ResourceNotFoundException" in missing.json()["detail"]
