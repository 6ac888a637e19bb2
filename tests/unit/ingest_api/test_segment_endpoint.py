"""`/v1/batch` and `/v1/track` through the app: auth, encodings, limits, answers the SDKs parse."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contract import wire
from contract.settings import Settings, hash_api_key
from ingest_api.app import create_app
from ingest_api.sinks import MemorySink
from ingest_api.sinks.base import Record
from ingest_api.sinks.coalescing import CoalescingSink, RecordFailure
from tests.unit.ingest_api.fakes import FakeStream
from tests.unit.ingest_api.segment_messages import (
    SOURCE,
    WRITE_KEY,
    basic_auth,
    segment_message,
)

AUTH = basic_auth(WRITE_KEY)


@pytest.fixture
def segment_settings() -> Settings:
    return Settings(sink="memory", api_keys=f"{SOURCE}:{hash_api_key(WRITE_KEY)}")


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def client(segment_settings: Settings, sink: MemorySink) -> Iterator[TestClient]:
    with TestClient(create_app(segment_settings, sink)) as test:
        yield test


def _stored(sink: MemorySink) -> list[Any]:
    return [wire.decode(record.data) for record in sink.records]


def _post(client: TestClient, body: Any, headers: dict[str, str] | None = None) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/v1/batch", content=raw, headers={**AUTH, **(headers or {})})


def test_a_batch_of_orders_is_answered_exactly_200_and_lands_as_contract_events(client, sink):
    sale, refund = segment_message(), segment_message("order_refunded")
    response = _post(client, {"batch": [sale, refund], "sentAt": sale["timestamp"]})
    assert response.status_code == 200
    assert response.json() == {"success": True, "accepted": 2, "ignored": 0}
    stored = _stored(sink)
    assert [(e.event_id, e.event_type.value, e.source) for e in stored] == [
        (sale["messageId"], "sale", SOURCE),
        (refund["messageId"], "return", SOURCE),
    ]
    assert [e.net_amount * e.sign for e in stored] == [Decimal("22.50"), Decimal("-3.00")]


def test_gzip_and_plain_bodies_are_the_same_request(client, sink):
    message = segment_message()
    body = json.dumps({"batch": [message]}).encode()
    assert _post(client, body).status_code == 200
    assert _post(client, gzip.compress(body), {"Content-Encoding": "gzip"}).status_code == 200
    first, again = _stored(sink)
    assert first.event_id == again.event_id == message["messageId"]
    assert first.items == again.items


def test_the_write_key_may_come_in_the_body_when_there_is_no_basic_auth(client, sink):
    response = client.post("/v1/batch", json={"batch": [segment_message()], "writeKey": WRITE_KEY})
    assert response.status_code == 200
    assert _stored(sink)[0].source == SOURCE


@pytest.mark.parametrize(
    ("headers", "body_key", "says"),
    [
        ({}, None, "send your write key"),
        (basic_auth("wrong"), None, "not a known salesflow API key"),
        (basic_auth("wrong"), WRITE_KEY, "not a known salesflow API key"),
        ({}, "wrong", "not a known salesflow API key"),
        ({"Authorization": "Bearer " + WRITE_KEY}, None, "send the write key as the user name"),
        ({"Authorization": "Basic not*base64"}, None, "not base64"),
        ({"X-API-Key": WRITE_KEY}, None, "send your write key"),
    ],
)
def test_a_missing_or_unknown_write_key_gets_401_in_the_sdks_error_shape(
    client, sink, headers, body_key, says
):
    body: dict[str, Any] = {"batch": [segment_message()]}
    if body_key:
        body["writeKey"] = body_key
    response = client.post("/v1/batch", json=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert says in response.json()["message"]
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert sink.records == []


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"this is not json", {}, 400, "malformed_json"),
        (b'{"batch": [', {}, 400, "malformed_json"),
        (b"[]", {}, 400, "invalid_batch"),
        (b'{"events": []}', {}, 400, "invalid_batch"),
        (b'{"batch": []}', {}, 400, "invalid_batch"),
        (b'{"batch": [1]}', {"Content-Encoding": "gzip"}, 400, "malformed_gzip"),
        (
            gzip.compress(b'{"batch": [1]}', mtime=0)[:-6],
            {"Content-Encoding": "gzip"},
            400,
            "malformed_gzip",
        ),
        (b'{"batch": [1]}', {"Content-Encoding": "br"}, 415, "unsupported_content_encoding"),
    ],
    ids=[
        "text",
        "truncated-json",
        "array",
        "no-batch",
        "empty-batch",
        "not-gzip",
        "truncated-gzip",
        "brotli",
    ],
)
def test_bodies_that_are_not_a_batch_are_refused_with_a_specific_reason(
    client, sink, body, headers, status, code
):
    response = _post(client, body, headers)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert sink.records == []


def test_a_batch_over_500_kb_gets_413_plain_or_as_a_small_gzip_that_inflates_too_far(client, sink):
    message = segment_message(note="x" * 20_000)
    body = json.dumps({"batch": [message] * 26}).encode()
    assert len(body) > 500 * 1024
    plain = _post(client, body)
    compressed = gzip.compress(body)
    assert len(compressed) < 10 * 1024
    inflated = _post(client, compressed, {"Content-Encoding": "gzip"})
    for response in (plain, inflated):
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"
        assert "500 KB" in response.json()["message"]
    assert sink.records == []


def test_a_batch_just_under_the_limit_is_accepted(client, sink):
    messages = [segment_message(note="x" * 26_000) for _ in range(19)]
    body = json.dumps({"batch": messages}).encode()
    assert 480 * 1024 < len(body) <= 500 * 1024
    assert _post(client, gzip.compress(body), {"Content-Encoding": "gzip"}).status_code == 200
    assert len(sink.records) == 19


def test_a_message_over_32_kb_gets_413_and_the_rest_of_the_batch_is_stored(client, sink):
    big = segment_message(note="x" * 33_000)
    small = segment_message()
    response = _post(client, {"batch": [small, big]})
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "message_too_large"
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [1]
    assert "at most 32 KB per message" in body["message"]
    assert [e.event_id for e in _stored(sink)] == [small["messageId"]]


def test_invalid_orders_get_400_naming_each_field_while_valid_ones_are_stored(client, sink):
    good = segment_message()
    no_products = segment_message(products=[])
    negative = segment_message(
        products=[{"sku": "A", "price": -1}], discount=None, revenue=None, subtotal=None, total=None
    )
    response = _post(client, {"batch": [no_products, good, negative]})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_messages"
    assert body["accepted"] == 1
    assert body["message"].startswith("2 of 3 messages rejected and not stored (1 others are")
    assert (
        f"message 0 (messageId {no_products['messageId']}): properties.products: an Order "
        "Completed needs at least one product" in body["message"]
    )
    assert "properties.products[0].price: money must be >= 0" in body["message"]
    assert [(r["index"], r["messageId"]) for r in body["rejected"]] == [
        (0, no_products["messageId"]),
        (2, negative["messageId"]),
    ]
    assert [e.event_id for e in _stored(sink)] == [good["messageId"]]


def test_other_messages_are_acknowledged_and_counted_but_not_stored(client, sink):
    batch = [
        {"type": "identify", "userId": "u1", "traits": {"plan": "pro"}},
        {"type": "page", "name": "Home"},
        {"type": "track", "event": "Product Viewed", "properties": {"sku": "A"}},
        {"type": "track", "event": "Product Viewed", "properties": {"sku": "B"}},
        segment_message(),
    ]
    response = _post(client, {"batch": batch})
    assert response.status_code == 200
    assert response.json() == {"success": True, "accepted": 1, "ignored": 4}
    assert len(sink.records) == 1
    metrics = client.get("/metrics").text
    for line in (
        'salesflow_ingest_segment_messages_total{outcome="ignored",type="track"} 2.0',
        'salesflow_ingest_segment_messages_total{outcome="ignored",type="identify"} 1.0',
        'salesflow_ingest_segment_messages_total{outcome="ignored",type="page"} 1.0',
        'salesflow_ingest_segment_messages_total{outcome="sale",type="track"} 1.0',
    ):
        assert line in metrics


def test_an_unknown_message_type_is_refused(client, sink):
    response = _post(client, {"batch": [{"type": "purchase"}, "not a message"]})
    assert response.status_code == 400
    errors = [r["errors"][0]["message"] for r in response.json()["rejected"]]
    assert errors[0].startswith("`type` must be one of alias, group, identify")
    assert errors[1] == "a message must be a JSON object"


def test_v1_track_takes_one_message_without_its_type(client, sink):
    message = segment_message()
    del message["type"]
    response = client.post("/v1/track", json=message, headers=AUTH)
    assert response.status_code == 200
    assert _stored(sink)[0].event_id == message["messageId"]
    identify = client.post("/v1/track", json={"type": "identify"}, headers=AUTH)
    assert identify.status_code == 400
    assert "track messages only" in identify.json()["message"]


def test_the_store_property_name_is_a_setting(sink):
    settings = Settings(
        sink="memory",
        api_keys=f"{SOURCE}:{hash_api_key(WRITE_KEY)}",
        segment_store_id_property="loja",
    )
    with TestClient(create_app(settings, sink)) as client:
        response = _post(client, {"batch": [segment_message(loja="SP-01", store_id="no")]})
    assert response.status_code == 200
    assert _stored(sink)[0].store_id == "SP-01"


def test_an_unacknowledged_order_gets_503_with_retry_after_and_resending_is_idempotent(
    segment_settings,
):
    unlucky, lucky = segment_message(), segment_message()
    outage = {"on": True}

    def fail(record: Record, attempts: int) -> RecordFailure | None:
        if outage["on"] and json.loads(record.data)["event_id"] == unlucky["messageId"]:
            return RecordFailure(code="ProvisionedThroughputExceededException", retryable=True)
        return None

    stream = FakeStream(fail=fail)
    sink = CoalescingSink(stream, name="fake", linger_seconds=0.001, budget_seconds=0.2)
    with TestClient(create_app(segment_settings, sink)) as client:
        refused = _post(client, {"batch": [lucky, unlucky]})
        outage["on"] = False
        resent = _post(client, {"batch": [lucky, unlucky]})
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == str(segment_settings.retry_after_seconds)
    assert refused.json()["code"] == "sink_unavailable"
    assert refused.json()["accepted"] == 1
    assert resent.status_code == 200
    written = [json.loads(record.data)["event_id"] for record in stream.written]
    assert sorted(written) == sorted([lucky["messageId"]] * 2 + [unlucky["messageId"]])
