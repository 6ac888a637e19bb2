"""`POST /v1/sales`: what is accepted, what is stored, and every way an event is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contract import wire
from tests.unit.ingest_api.conftest import SOURCE


def test_a_valid_event_is_acknowledged_and_stored_with_ingested_at_and_source(
    client, memory_sink, event
):
    payload = event()
    before = datetime.now(UTC)
    response = client.post("/v1/sales", json=payload)
    assert response.status_code == 202
    body = response.json()
    assert body["event_id"] == payload["event_id"]
    (record,) = memory_sink.records
    stored = wire.decode(record.data)
    assert record.partition_key == payload["store_id"]
    assert stored.event_id == payload["event_id"]
    assert stored.source == SOURCE
    assert stored.ingested_at == datetime.fromisoformat(body["ingested_at"])
    assert before <= stored.ingested_at <= datetime.now(UTC)
    assert str(stored.total) == payload["total"]


def test_money_as_json_numbers_is_stored_as_exact_decimals(client, memory_sink, event):
    items = [{"sku": "MOUSE-LOGI-M170", "quantity": 3, "unit_price": 79.9, "discount": 0.7}]
    response = client.post("/v1/sales", json=event(items=items, total=239))
    assert response.status_code == 202
    stored = json.loads(memory_sink.records[0].data)
    assert stored["items"][0]["unit_price"] == "79.90"
    assert stored["items"][0]["discount"] == "0.70"
    assert stored["total"] == "239.00"


def _item(**overrides: Any) -> dict[str, Any]:
    return {"sku": "NB-DELL-I5-16", "quantity": 1, "unit_price": "10.00", **overrides}


def _in_future(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


BAD_EVENTS = {
    "wrong type: quantity as string": (
        {"items": [_item(quantity="1")], "total": None},
        "items[0].quantity",
    ),
    "wrong type: store_id as number": ({"store_id": 1}, "store_id"),
    "wrong type: price as boolean": (
        {"items": [_item(unit_price=True)], "total": None},
        "items[0].unit_price",
    ),
    "missing field": ({"order_id": None}, "order_id"),
    "unknown field": ({"coupon": "X"}, "coupon"),
    "unknown field in an item": ({"items": [_item(color="red")], "total": None}, "items[0].color"),
    "bad currency": ({"currency": "brl"}, "currency"),
    "more than 2 decimals": (
        {"items": [_item(unit_price="10.001")], "total": None},
        "items[0].unit_price",
    ),
    "more than 2 decimals as a number": (
        {"items": [_item(unit_price=10.001)], "total": None},
        "items[0].unit_price",
    ),
    "zero quantity": ({"items": [_item(quantity=0)], "total": None}, "items[0].quantity"),
    "negative quantity": ({"items": [_item(quantity=-2)], "total": None}, "items[0].quantity"),
    "negative price": (
        {"items": [_item(unit_price="-1.00")], "total": None},
        "items[0].unit_price",
    ),
    "discount above line value": (
        {"items": [_item(quantity=2, discount="20.01")], "total": None},
        "items[0]",
    ),
    "wrong total": ({"total": "1.00"}, ""),
    "future occurred_at": ({"occurred_at": "FUTURE"}, "occurred_at"),
    "occurred_at without offset": ({"occurred_at": "2026-11-21T10:00:00"}, "occurred_at"),
    "no items": ({"items": [], "total": None}, "items"),
    "bad event_type": ({"event_type": "refund"}, "event_type"),
    "short event_id": ({"event_id": "abc"}, "event_id"),
}


@pytest.mark.parametrize(("overrides", "path"), BAD_EVENTS.values(), ids=BAD_EVENTS.keys())
def test_contract_violations_get_422_with_the_field_path(
    client, memory_sink, event, overrides, path
):
    payload = event()
    for key, value in overrides.items():
        if value is None:
            payload.pop(key, None)
        elif value == "FUTURE":
            payload[key] = _in_future(6)
        else:
            payload[key] = value
    response = client.post("/v1/sales", json=payload)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_failed"
    assert path in [error["path"] for error in body["errors"]], body
    assert all(error["message"] for error in body["errors"])
    assert memory_sink.records == []


def test_an_event_up_to_five_minutes_ahead_is_accepted(client, event):
    assert client.post("/v1/sales", json=event(occurred_at=_in_future(4))).status_code == 202


def test_error_messages_say_what_is_wrong(client, event):
    items = [_item(quantity=2, discount="20.01")]
    response = client.post("/v1/sales", json=event(items=items, total=None, coupon="x"))
    messages = {error["path"]: error["message"] for error in response.json()["errors"]}
    assert "discount 20.01 exceeds the line value" in messages["items[0]"]
    assert "unknown field" in messages["coupon"]


@pytest.mark.parametrize("body", [b"{", b'{"event_id": }', b"", b"\xff\xfe{}", b"[1, 2"], ids=repr)
def test_malformed_json_gets_400(client, memory_sink, body):
    response = client.post("/v1/sales", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"
    assert memory_sink.records == []


def test_json_that_is_not_an_object_gets_422(client):
    response = client.post("/v1/sales", json=[1, 2])
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == ""
