"""POST -> ingest API (uvicorn) -> Kinesis or SQS (moto server) -> `salesflow speed` -> lake."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import httpx
import pytest

from contract.lake import LakeLocation
from contract.lake_io import LakeFiles
from devstack.local_servers import ingest_api, python_module, stop
from tests.integration.speed_layer.stack import (
    PROCESS_TIMEOUT,
    create_resources,
    eventually,
    lake_event_ids,
    s3_lake_uri,
    settings_env,
)

API_KEY = "speed-layer-test-key"


@pytest.mark.parametrize("sink", ["kinesis", "sqs"])
@pytest.mark.parametrize("lake_kind", ["local", "s3"])
def test_every_acknowledged_event_lands_exactly_once(
    moto_settings, make_event, tmp_path, pycache, sink, lake_kind
):
    create_resources(moto_settings, shards=2)
    lake_uri = str(tmp_path / "lake") if lake_kind == "local" else s3_lake_uri(moto_settings)
    env = settings_env(moto_settings, lake_uri, pycache)
    acknowledged: dict[str, str] = {}
    with (
        ingest_api(env, sink, tmp_path / "api.log", api_key=API_KEY) as api,
        python_module(
            ["salesflow", "speed", "--source", sink], env, tmp_path / "speed.log"
        ) as speed,
        httpx.Client(base_url=api.base_url, headers=api.headers, timeout=10) as client,
    ):
        for _ in range(8):
            response = client.post("/v1/sales", json=make_event())
            assert response.status_code == 202, response.text
            acknowledged[response.json()["event_id"]] = response.json()["ingested_at"]
        batch = [make_event() for _ in range(12)] + [make_event(currency="reais")]
        response = client.post("/v1/sales/batch", json={"events": batch})
        assert response.status_code == 207, response.text
        assert response.json()["accepted"] == 12
        acknowledged.update((e["event_id"], response.json()["ingested_at"]) for e in batch[:12])

        eventually(
            lambda: set(lake_event_ids(moto_settings, lake_uri)) == set(acknowledged),
            what="every acknowledged event in the lake",
            timeout=PROCESS_TIMEOUT,
        )
        assert stop(speed) == 0

    assert Counter(lake_event_ids(moto_settings, lake_uri)) == Counter(set(acknowledged))
    lake = LakeFiles.open(lake_uri, moto_settings)
    rows = [
        row
        for path in lake.list_files("bronze/sales_events")
        for row in lake.read_parquet(path).to_pylist()
    ]
    assert {row["event_id"]: row["ingested_at"] for row in rows} == {
        event_id: datetime.fromisoformat(at) for event_id, at in acknowledged.items()
    }
    assert LakeLocation.parse(lake_uri).scheme == ("s3" if lake_kind == "s3" else "file")
