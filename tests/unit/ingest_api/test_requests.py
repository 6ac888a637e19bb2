"""Everything a request is checked for before its events: key, content type, size, request id."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from contract.settings import Settings, hash_api_key
from contract.structured_logging import JsonFormatter
from ingest_api.app import create_app
from ingest_api.sinks import MemorySink
from tests.unit.ingest_api.conftest import API_KEY

ENDPOINTS = ["/v1/sales", "/v1/sales/batch"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("key", [None, "", "wrong-key", API_KEY.upper()])
def test_missing_or_unknown_key_gets_401_before_anything_else(client, memory_sink, path, key):
    headers = {"X-API-Key": key} if key is not None else {}
    with TestClient(client.app, headers=headers) as anonymous:
        response = anonymous.post(path, content=b"not even json")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert "X-API-Key" in response.json()["message"]
    assert memory_sink.records == []


def test_each_key_stamps_its_own_source(memory_sink, event):
    settings = Settings(
        sink="memory", api_keys=f"shop-a:{hash_api_key('ka')},shop-b:{hash_api_key('kb')}"
    )
    with TestClient(create_app(settings, memory_sink)) as client:
        for key in ("kb", "ka"):
            response = client.post("/v1/sales", json=event(), headers={"X-API-Key": key})
            assert response.status_code == 202
    assert [json.loads(r.data)["source"] for r in memory_sink.records] == ["shop-b", "shop-a"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_non_json_content_type_gets_415(client, path, content_type, event):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(path, content=json.dumps(event()).encode(), headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["message"]


def test_json_with_charset_utf8_is_accepted(client, event):
    response = client.post(
        "/v1/sales",
        content=json.dumps(event()).encode(),
        headers={"Content-Type": "Application/JSON; charset=UTF-8"},
    )
    assert response.status_code == 202


@pytest.mark.parametrize("path", ENDPOINTS)
def test_body_over_the_limit_gets_413_by_content_length(client, memory_sink, path, settings):
    body = b'{"events": [' + b" " * settings.max_body_bytes + b"]}"
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert memory_sink.records == []


def test_streamed_body_over_the_limit_gets_413_without_content_length(client, memory_sink):
    def chunks() -> Iterator[bytes]:
        yield b'{"events": ['
        for _ in range(6):
            yield b" " * (1024 * 1024)
        yield b"]}"

    response = client.post(
        "/v1/sales/batch", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


def test_request_id_is_echoed_or_made_up(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    made_up = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert made_up.headers["X-Request-ID"] != "bad id\twith spaces"
    assert len(made_up.headers["X-Request-ID"]) == 32


def test_health_and_readiness_and_metrics(client, event):
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json()["status"] == "ready"
    client.post("/v1/sales", json=event())
    client.post("/v1/sales", json=event(currency="x"))
    client.post("/v1/sales", json=event(), headers={"X-API-Key": "nope"})
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'salesflow_ingest_events_accepted_total{source="pos-sp"} 1.0' in text
    assert 'salesflow_ingest_events_rejected_total{reason="invalid"} 1.0' in text
    assert 'salesflow_ingest_requests_refused_total{reason="unauthorized"} 1.0' in text
    assert "salesflow_ingest_publish_seconds_count 1.0" in text


def test_two_apps_keep_separate_state(settings, event):
    sinks = [MemorySink(), MemorySink()]
    apps = [create_app(settings, sink) for sink in sinks]
    with TestClient(apps[0], headers={"X-API-Key": API_KEY}) as first:
        first.post("/v1/sales", json=event())
    with TestClient(apps[1]) as second:
        assert "salesflow_ingest_events_accepted_total{" not in second.get("/metrics").text
    assert (len(sinks[0].records), len(sinks[1].records)) == (1, 0)


def test_event_routes_carry_request_ids_and_other_methods_get_405(client, event):
    accepted = client.post("/v1/sales", json=event(), headers={"X-Request-ID": "req-7"})
    refused = client.post("/v1/sales", json={}, headers={"X-Request-ID": "req-8"})
    assert (accepted.status_code, accepted.headers["X-Request-ID"]) == (202, "req-7")
    assert (refused.status_code, refused.headers["X-Request-ID"]) == (422, "req-8")
    assert client.get("/v1/sales").status_code == 405
    assert client.put("/v1/sales/batch", json={}).status_code == 405


def test_logs_are_json_with_the_request_id_and_no_payload(client, event, caplog):
    caplog.handler.setFormatter(JsonFormatter())
    payload = event(customer_id="C-SECRET-99", currency="brl")
    with caplog.at_level(logging.INFO, logger="ingest_api"):
        client.post("/v1/sales", json=payload, headers={"X-Request-ID": "trace-42"})
    lines = [json.loads(line) for line in caplog.text.splitlines()]
    refused = next(line for line in lines if line["msg"] == "request refused")
    assert refused["request_id"] == "trace-42"
    assert (refused["status"], refused["reason"]) == (422, "validation_failed")
    assert refused["sampled"] is True, "a refusal line must obey SALESFLOW_LOG_SAMPLE_RATE"
    assert "C-SECRET-99" not in caplog.text
    assert payload["order_id"] not in caplog.text
