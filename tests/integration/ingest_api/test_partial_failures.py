"""Partial failures against moto behind a fault-injecting client: only the failed records are
retried, nothing is duplicated or lost, and an exhausted budget answers 503 with nothing
acknowledged that was not written.

The Kinesis sinks here put one plain record per event (`aggregate=False, compress=False`), so the
fault rule reads each event and fails events one by one; aggregated records failing whole are
`test_aggregation.py`'s."""

from __future__ import annotations

from typing import Any

import httpx

from contract.aws import aws_client
from contract.settings import Settings
from ingest_api.app import create_app
from ingest_api.sinks import KinesisSink, SqsSink
from tests.integration.ingest_api.conftest import API_KEY
from tests.integration.ingest_api.fault_injection import FaultyKinesis, FaultySqs
from tests.integration.ingest_api.helpers import (
    create_queue,
    create_stream,
    drain_queue,
    read_stream,
)
from tests.processes import uvicorn_in_thread


def _post_batch(base_url: str, events: list[dict[str, Any]]) -> httpx.Response:
    return httpx.post(
        f"{base_url}/v1/sales/batch",
        json={"events": events},
        headers={"X-API-Key": API_KEY},
        timeout=30,
    )


def test_kinesis_retries_only_throttled_records_and_503s_what_never_got_through(
    api_settings: Settings, event
):
    kinesis = create_stream(api_settings)
    events = [event(store_id=f"S-{n % 5}") for n in range(40)]
    flaky = {e["event_id"] for e in events[::4]}
    doomed = events[9]["event_id"]

    def fail(event_id: str, times_sent: int) -> bool:
        return event_id == doomed or (event_id in flaky and times_sent < 2)

    client = FaultyKinesis(aws_client(api_settings, "kinesis"), fail)
    sink = KinesisSink(
        client,
        api_settings.stream_name,
        aggregate=False,
        compress=False,
        linger_seconds=0.005,
        budget_seconds=4.0,
    )
    with uvicorn_in_thread(create_app(api_settings, sink)) as base_url:
        response = _post_batch(base_url, events)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["unavailable"] == [{"index": 9, "event_id": doomed}]
    assert response.json()["accepted"] == 39

    stored = [stored.event_id for _, stored in read_stream(kinesis, api_settings.stream_name)]
    assert sorted(stored) == sorted(e["event_id"] for e in events if e["event_id"] != doomed)
    assert all(client.sent[e] == 3 for e in flaky)
    assert all(
        client.sent[e["event_id"]] == 1 for e in events if e["event_id"] not in flaky | {doomed}
    )
    assert client.sent[doomed] >= 2


def test_sqs_retries_only_failed_entries_and_nothing_is_lost_or_duplicated(
    api_settings: Settings, event
):
    real_sqs, queue_url = create_queue(api_settings)
    events = [event() for _ in range(25)]
    flaky = {e["event_id"] for e in events[1::3]}

    def fail(event_id: str, times_sent: int) -> bool:
        return event_id in flaky and times_sent == 0

    client = FaultySqs(aws_client(api_settings, "sqs"), fail)
    sink = SqsSink(client, api_settings.queue_name, linger_seconds=0.005, budget_seconds=6.0)
    with uvicorn_in_thread(create_app(api_settings, sink)) as base_url:
        response = _post_batch(base_url, events)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 25
    found = sorted(stored.event_id for stored in drain_queue(real_sqs, queue_url))
    assert found == sorted(e["event_id"] for e in events)
    assert all(client.sent[e] == 2 for e in flaky)
    assert sum(client.sent.values()) == 25 + len(flaky)


def test_a_single_event_past_the_budget_gets_503_and_is_not_in_the_stream(
    api_settings: Settings, event
):
    kinesis = create_stream(api_settings, shards=1)
    payload = event()
    client = FaultyKinesis(aws_client(api_settings, "kinesis"), lambda event_id, sent: True)
    sink = KinesisSink(
        client,
        api_settings.stream_name,
        aggregate=False,
        compress=False,
        linger_seconds=0.0,
        budget_seconds=0.5,
    )
    with uvicorn_in_thread(create_app(api_settings, sink)) as base_url:
        response = httpx.post(
            f"{base_url}/v1/sales", json=payload, headers={"X-API-Key": API_KEY}, timeout=30
        )
        retried = httpx.get(f"{base_url}/metrics").text
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert read_stream(kinesis, api_settings.stream_name) == []
    assert client.sent[payload["event_id"]] >= 2
    assert "salesflow_sink_retried_records_total" in retried
