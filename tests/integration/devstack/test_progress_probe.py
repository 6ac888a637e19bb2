"""The progress probe reads the real ingest API's Prometheus counter over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from contract.settings import ApiKey, Settings, hash_api_key
from devstack.progress import ProgressProbe
from ingest_api.app import create_app
from ingest_api.sinks.memory import MemorySink
from tests.processes import uvicorn_in_thread


def test_acknowledged_is_the_ingest_apis_accepted_counter(tmp_path, make_event):
    settings = Settings(
        sink="memory", api_keys=[ApiKey(source="pos", sha256=hash_api_key("k"))], state_dir=tmp_path
    )
    with uvicorn_in_thread(create_app(settings, sink=MemorySink())) as url:
        probe = ProgressProbe(
            ledger_path=None,
            lake_uri=str(tmp_path / "lake"),
            settings=settings,
            ingest_url=url,
            serve_url=None,
        )
        assert probe.read().acknowledged == 0
        now = datetime.now(UTC).isoformat()
        events = [make_event(occurred_at=now) for _ in range(3)]
        response = httpx.post(
            f"{url}/v1/sales/batch", json={"events": events}, headers={"X-API-Key": "k"}
        )
        assert response.status_code == 202
        assert probe.read().acknowledged == 3
