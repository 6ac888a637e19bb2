"""The simulator's tills report their days and lose some events on the way; the reconciliation
finds exactly those events, by id and amount, and the day matches once they are resent.

The ingest API runs under uvicorn (memory sink, reports into a test lake); bronze is written
from what the sink holds, and the merged view is read by DuckDB. The oracle is the simulator's
own list of lost payloads, grouped with zoneinfo and summed with Decimal, sharing nothing with
the comparison.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from contract.settings import ApiKey, Settings, hash_api_key
from contract.wire import decode
from devstack.simulator.client import IngestClient, RetryPolicy
from devstack.simulator.runner import Simulation, SimulationConfig
from ingest_api.app import create_app
from ingest_api.sinks.memory import MemorySink
from serving.engines.duckdb_engine import DuckDBEngine
from serving.reconciliation.compare import Status
from serving.reconciliation.service import ReconciliationService
from tests.processes import uvicorn_in_thread
from tests.unit.serving.sample_lake import write_bronze

API_KEY = "till-test-key"
TZ = "America/Sao_Paulo"
ZONE = ZoneInfo(TZ)
FAST_RETRY = RetryPolicy(max_attempts=10, base_delay=0.05, max_delay=0.3)


def net(payload: dict[str, Any]) -> Decimal:
    return sum(
        (
            Decimal(str(i["unit_price"])) * i["quantity"] - Decimal(str(i.get("discount", "0")))
            for i in payload["items"]
        ),
        Decimal("0.00"),
    )


def land(sink: MemorySink, lake: Path, already: int) -> int:
    """Bronze files of the records the sink got since `already`, as the speed layer lands them."""
    records = sink.records[already:]
    write_bronze(lake, [decode(record.data) for record in records])
    return len(sink.records)


def reconcile(lake: Path, day: date) -> dict[str, Any]:
    settings = Settings(lake_uri=str(lake), reporting_tz=TZ)
    engine = DuckDBEngine(settings)
    try:
        service = ReconciliationService(settings, engine)
        return {row.store_id: row for row in service.reconciliations(day, day, None).rows}
    finally:
        engine.close()


def test_lost_events_are_found_by_id_and_amount_then_matched_after_the_resend(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    settings = Settings(
        sink="memory",
        api_keys=[ApiKey(source="tills", sha256=hash_api_key(API_KEY))],
        state_dir=tmp_path,
        lake_uri=str(lake),
        reporting_tz=TZ,
    )
    sink = MemorySink()
    with uvicorn_in_thread(create_app(settings, sink=sink)) as url:
        config = SimulationConfig(
            api_url=url,
            api_key=API_KEY,
            duration=0,
            seed=22,
            backfill_days=2,
            backfill_rate=0.005,
            reporting_tz=TZ,
            retry=FAST_RETRY,
            end_of_day_reports=True,
            lose=0.03,
        )
        simulation = Simulation(config)
        ledger = asyncio.run(simulation.run())
        lost = simulation.lost_payloads
        landed = land(sink, lake, 0)

        yesterday = datetime.now(UTC).astimezone(ZONE).date() - timedelta(days=1)
        lost_yesterday = [
            p
            for p in lost
            if datetime.fromisoformat(p["occurred_at"]).astimezone(ZONE).date() == yesterday
        ]
        assert lost_yesterday, "the run should lose some of yesterday's events"
        assert ledger.stats.events_lost == len(lost)
        assert ledger.stats.reports_sent > 0
        assert ledger.stats.reports_refused == 0

        by_store: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for payload in lost_yesterday:
            by_store[payload["store_id"]].append(payload)
        rows = reconcile(lake, yesterday)
        assert rows, "yesterday's stores are reported"
        for store_id, row in rows.items():
            assert row.unreported_terminals == [], store_id
            missing = by_store.get(store_id, [])
            assert row.missing_event_ids == sorted(p["event_id"] for p in missing), store_id
            assert row.status is (Status.GAP if missing else Status.MATCHED), store_id
            assert row.extra_events == 0
            expected_gap = sum(
                (-net(p) if p["event_type"] == "return" else net(p) for p in missing),
                Decimal("0.00"),
            )
            assert Decimal(row.net_gap) == expected_gap, store_id
            for report in row.reports:
                lost_here = [p for p in missing if p.get("terminal_id") == report.terminal_id]
                for kind in ("sale", "return"):
                    of_kind = [p for p in lost_here if p["event_type"] == kind]
                    figures = report.totals[kind].missing
                    assert figures.count == len(of_kind)
                    assert Decimal(figures.net_amount) == sum(map(net, of_kind), Decimal("0.00"))

        async def resend() -> None:  # the stores are asked to resend, and do
            async with IngestClient(url, API_KEY, retry=FAST_RETRY) as client:
                delivery = await client.send_batch(lost)
                assert len(delivery.acknowledged) == len(lost)

        asyncio.run(resend())
        land(sink, lake, landed)

    after = reconcile(lake, yesterday)
    assert {row.status for row in after.values()} == {Status.MATCHED}
    assert set(after) == set(rows)


def test_the_simulator_resends_its_lost_events_itself(tmp_path: Path) -> None:
    settings = Settings(
        sink="memory",
        api_keys=[ApiKey(source="tills", sha256=hash_api_key(API_KEY))],
        lake_uri=str(tmp_path / "lake"),
    )
    sink = MemorySink()
    with uvicorn_in_thread(create_app(settings, sink=sink)) as url:
        config = SimulationConfig(
            api_url=url,
            api_key=API_KEY,
            rate=20,
            duration=1.5,
            seed=5,
            flat=True,
            retry=FAST_RETRY,
            lose=0.2,
            resend_lost_after=0.5,
        )
        simulation = Simulation(config)
        ledger = asyncio.run(simulation.run())
    stats = ledger.stats
    assert stats.events_lost > 0
    assert stats.events_resent == stats.events_lost
    assert simulation.lost_payloads == []
    stored = {decode(record.data).event_id for record in sink.records}
    assert ledger.acknowledged_ids == stored
