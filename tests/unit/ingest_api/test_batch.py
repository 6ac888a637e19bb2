"""`POST /v1/sales/batch`: each event is validated on its own; 202, 207, 422 and 413."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from contract import wire


def _post(client: TestClient, events: list[Any]) -> Response:
    response: Response = client.post("/v1/sales/batch", json={"events": events})
    return response


def test_all_valid_events_get_202_and_are_all_stored_in_order(client, memory_sink, event):
    events = [event() for _ in range(5)]
    response = _post(client, events)
    assert response.status_code == 202
    assert response.json()["accepted"] == 5
    assert response.json()["rejected"] == []
    assert [wire.decode(r.data).event_id for r in memory_sink.records] == [
        e["event_id"] for e in events
    ]


def test_some_invalid_events_get_207_and_only_the_valid_ones_are_stored(client, memory_sink, event):
    good = [event(), event()]
    bad_currency = event(currency="reais")
    not_an_object = "just a string"
    response = _post(client, [good[0], bad_currency, not_an_object, good[1]])
    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 2
    rejected = {entry["index"]: entry for entry in body["rejected"]}
    assert set(rejected) == {1, 2}
    assert rejected[1]["event_id"] == bad_currency["event_id"]
    assert rejected[1]["errors"][0]["path"] == "currency"
    assert rejected[2]["event_id"] is None
    stored = [wire.decode(r.data).event_id for r in memory_sink.records]
    assert stored == [good[0]["event_id"], good[1]["event_id"]]


def test_no_valid_event_gets_422_with_every_events_errors(client, memory_sink, event):
    response = _post(client, [event(currency="x"), event(items=[], total=None)])
    assert response.status_code == 422
    body = response.json()
    assert [(r["index"], r["errors"][0]["path"]) for r in body["rejected"]] == [
        (0, "currency"),
        (1, "items"),
    ]
    assert memory_sink.records == []


def test_more_than_500_events_get_413_and_nothing_is_stored(client, memory_sink, event):
    response = _post(client, [event()] * 501)
    assert response.status_code == 413
    assert "at most 500 events" in response.json()["message"]
    assert memory_sink.records == []


def test_exactly_500_events_are_accepted(client, memory_sink, event):
    assert _post(client, [event() for _ in range(500)]).status_code == 202
    assert len(memory_sink.records) == 500


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"events": []}, "events"),
        ({}, "events"),
        ({"events": {"a": 1}}, "events"),
        ({"events": [], "extra": 1}, "extra"),
        ([], ""),
    ],
    ids=["empty", "missing", "not a list", "unknown field", "not an object"],
)
def test_a_broken_envelope_gets_422_with_the_path(client, body, path):
    response = client.post("/v1/sales/batch", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == path


def test_malformed_batch_json_gets_400(client):
    response = client.post(
        "/v1/sales/batch", content=b'{"events": [', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"


def test_numbers_survive_the_envelope_parse_exactly(client, memory_sink, event):
    items = [{"sku": "A-1", "quantity": 1, "unit_price": 0.1, "discount": 0.05}]
    assert _post(client, [event(items=items, total=0.05)]).status_code == 202
    stored = json.loads(memory_sink.records[0].data)
    assert (stored["items"][0]["unit_price"], stored["total"]) == ("0.10", "0.05")
