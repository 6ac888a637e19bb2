"""503 with Retry-After when the stream does not acknowledge within the budget; 2xx only after."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from contract.settings import Settings
from ingest_api.app import create_app
from ingest_api.sinks.base import Record
from ingest_api.sinks.coalescing import CoalescingSink, RecordFailure
from tests.unit.ingest_api.conftest import API_KEY
from tests.unit.ingest_api.fakes import FailureRule, FakeStream

THROTTLED = RecordFailure(code="ProvisionedThroughputExceededException", retryable=True)


def _client(settings: Settings, stream: FakeStream) -> TestClient:
    sink = CoalescingSink(stream, name="fake", linger_seconds=0.001, budget_seconds=1.0)
    return TestClient(create_app(settings, sink), headers={"X-API-Key": API_KEY})


def _failing(event_ids: set[str]) -> FailureRule:
    def fail(record: Record, attempts: int) -> RecordFailure | None:
        return THROTTLED if json.loads(record.data)["event_id"] in event_ids else None

    return fail


def test_a_single_event_the_stream_never_takes_gets_503_with_retry_after(settings, event):
    payload = event()
    stream = FakeStream(fail=_failing({payload["event_id"]}))
    with _client(settings, stream) as client:
        response = client.post("/v1/sales", json=payload)
        metrics = client.get("/metrics").text
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(settings.retry_after_seconds)
    assert response.json()["error"] == "sink_unavailable"
    assert stream.written == []
    assert len(stream.calls) >= 2
    assert 'salesflow_ingest_events_rejected_total{reason="unavailable"} 1.0' in metrics
    assert "salesflow_sink_retried_records_total" in metrics


def test_a_batch_partly_unacknowledged_gets_503_naming_exactly_what_to_resend(settings, event):
    events = [event() for _ in range(6)]
    unlucky = {events[1]["event_id"], events[4]["event_id"]}
    invalid = event(currency="x")
    stream = FakeStream(fail=_failing(unlucky))
    with _client(settings, stream) as client:
        response = client.post("/v1/sales/batch", json={"events": [*events, invalid]})
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    body = response.json()
    assert body["unavailable"] == [
        {"index": 1, "event_id": events[1]["event_id"]},
        {"index": 4, "event_id": events[4]["event_id"]},
    ]
    assert body["accepted"] == 4
    assert [r["index"] for r in body["rejected"]] == [6]
    written = sorted(json.loads(r.data)["event_id"] for r in stream.written)
    assert written == sorted(e["event_id"] for i, e in enumerate(events) if i not in (1, 4))


def test_a_transient_throttle_is_absorbed_and_answered_202(settings, event):
    payload = event()

    def fail_first_attempt(record, attempts):
        return THROTTLED if attempts == 0 else None

    stream = FakeStream(fail=fail_first_attempt)
    with _client(settings, stream) as client:
        response = client.post("/v1/sales", json=payload)
    assert response.status_code == 202
    assert [json.loads(r.data)["event_id"] for r in stream.written] == [payload["event_id"]]


def test_readyz_is_503_when_the_stream_cannot_be_reached(settings):
    class Unreachable(FakeStream):
        def probe(self) -> str:
            raise ConnectionError

    with _client(settings, Unreachable()) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "ConnectionError" in response.json()["detail"]
