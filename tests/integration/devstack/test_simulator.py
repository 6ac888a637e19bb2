"""The simulator against the real ingest API under uvicorn (memory sink), over real HTTP."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from contract.event import IngestedSaleEvent
from contract.settings import ApiKey, Settings, hash_api_key
from contract.wire import decode
from devstack.simulator.client import ApiKeyRefusedError, Delivery, IngestClient, RetryPolicy
from devstack.simulator.runner import Simulation, SimulationConfig
from ingest_api.app import create_app
from ingest_api.sinks.memory import MemorySink
from tests.processes import uvicorn_in_thread

API_KEY = "simulator-test-key"
FAST_RETRY = RetryPolicy(max_attempts=10, base_delay=0.05, max_delay=0.3)


@pytest.fixture
def ingest(tmp_path):
    settings = Settings(
        sink="memory",
        api_keys=[ApiKey(source="sim", sha256=hash_api_key(API_KEY))],
        state_dir=tmp_path,
    )
    sink = MemorySink()
    return create_app(settings, sink=sink), sink


def _stored_events(sink: MemorySink) -> list[IngestedSaleEvent]:
    return [decode(record.data) for record in sink.records]


def _net_by_day_and_store(
    events: list[IngestedSaleEvent], zone: ZoneInfo
) -> dict[tuple[str, str], Decimal]:
    """Independent of the ledger's code: signed net revenue per (day, store), each id once."""
    seen: set[str] = set()
    totals: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for event in events:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        day = event.occurred_at.astimezone(zone).date().isoformat()
        totals[(day, event.store_id)] += event.sign * event.net_amount
    return dict(totals)


class FlakyGateway:
    """Sits in front of the real app: answers every 3rd request 503 without forwarding it, and
    holds the answer of every 4th forwarded one past the client's timeout, so the client
    never learns that the event was stored and must resend it."""

    def __init__(self, app: Any, hold_seconds: float) -> None:
        self.app = app
        self.hold_seconds = hold_seconds
        self.requests = 0
        self.forwarded = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] not in ("/v1/sales", "/v1/sales/batch"):
            await self.app(scope, receive, send)
            return
        self.requests += 1
        if self.requests % 3 == 0:
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"retry-after", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"error": "busy"}'})
            return
        self.forwarded += 1
        if self.forwarded % 4 != 0:
            await self.app(scope, receive, send)
            return
        held = []

        async def hold(message):
            held.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(self.hold_seconds)
        for message in held:
            await send(message)


def test_ledger_equals_what_the_api_stored(ingest, tmp_path):
    app, sink = ingest
    ledger_path = tmp_path / "ledger.json"
    with uvicorn_in_thread(app) as url:
        config = SimulationConfig(
            api_url=url,
            api_key=API_KEY,
            rate=150,
            duration=4,
            flat=True,
            seed=11,
            batch_size=20,
            ledger_path=ledger_path,
        )
        ledger = asyncio.run(Simulation(config).run())

    stored = _stored_events(sink)
    stored_ids = {event.event_id for event in stored}
    assert ledger.acknowledged_ids == stored_ids
    assert not ledger.rejected
    assert not ledger.unconfirmed_ids
    assert ledger.stats.single_posts > 0
    assert ledger.stats.batch_posts > 0
    assert ledger.stats.duplicates_sent > 0
    assert len(stored) == len(stored_ids) + ledger.stats.duplicates_sent

    zone = ZoneInfo("America/Sao_Paulo")
    expected = _net_by_day_and_store(stored, zone)
    recorded = {
        key: metrics.net_revenue for key, metrics in ledger.by_day_group["store_id"].items()
    }
    assert recorded == expected
    assert ledger.totals.net_revenue == sum(expected.values())

    written = json.loads(ledger_path.read_text())
    assert set(written["acknowledged_event_ids"]) == stored_ids
    assert written["stats"]["acknowledged"] == len(stored_ids)


def test_retries_resend_the_same_event_and_count_it_once(ingest):
    app, sink = ingest
    gateway = FlakyGateway(app, hold_seconds=1.5)
    with uvicorn_in_thread(gateway) as url:
        config = SimulationConfig(
            api_url=url,
            api_key=API_KEY,
            rate=25,
            duration=3,
            flat=True,
            seed=12,
            retry=FAST_RETRY,
            request_timeout=0.75,
        )
        ledger = asyncio.run(Simulation(config).run())

    stored = _stored_events(sink)
    stored_ids = {event.event_id for event in stored}
    assert gateway.requests > ledger.stats.single_posts + ledger.stats.batch_posts
    assert ledger.stats.retries > 0
    assert not ledger.unconfirmed_ids
    assert ledger.acknowledged_ids == stored_ids
    resent_after_timeout = len(stored) - len(stored_ids) - ledger.stats.duplicates_sent
    assert resent_after_timeout > 0
    assert ledger.totals.net_revenue == sum(
        _net_by_day_and_store(stored, ledger.reporting_zone).values()
    )


def test_a_refused_key_stops_the_run_with_a_clear_error(ingest):
    app, _ = ingest
    with uvicorn_in_thread(app) as url:
        config = SimulationConfig(api_url=url, api_key="wrong", rate=20, duration=5, flat=True)
        with pytest.raises(ApiKeyRefusedError, match="--api-key"):
            asyncio.run(Simulation(config).run())


def test_batch_with_an_invalid_event_acknowledges_the_valid_ones(ingest, make_event):
    app, sink = ingest
    now = datetime.now(UTC).isoformat()
    good, bad, other = (make_event(occurred_at=now) for _ in range(3))
    bad["items"][0]["quantity"] = 0

    async def send() -> Delivery:
        async with IngestClient(url, API_KEY, retry=FAST_RETRY) as client:
            return await client.send_batch([good, bad, other])

    with uvicorn_in_thread(app) as url:
        delivery = asyncio.run(send())

    assert sorted(delivery.acknowledged) == [0, 2]
    assert list(delivery.rejected) == [1]
    assert "quantity" in json.dumps(delivery.rejected[1])
    assert {event.event_id for event in _stored_events(sink)} == {
        good["event_id"],
        other["event_id"],
    }


def test_backfill_sends_days_of_history_before_going_live(ingest):
    app, sink = ingest
    with uvicorn_in_thread(app) as url:
        config = SimulationConfig(
            api_url=url,
            api_key=API_KEY,
            rate=5,
            duration=1,
            seed=13,
            backfill_days=2,
            backfill_rate=0.01,
        )
        ledger = asyncio.run(Simulation(config).run())

    stored = _stored_events(sink)
    assert ledger.acknowledged_ids == {event.event_id for event in stored}
    assert not ledger.rejected
    assert not ledger.unconfirmed_ids
    assert ledger.stats.backfilled > 1000
    assert len(ledger.by_day) >= 3
    now = max(event.ingested_at for event in stored)
    ages = [now - event.occurred_at for event in stored]
    assert max(ages) > timedelta(days=1, hours=12)
    assert all(event.occurred_at <= event.ingested_at for event in stored)
