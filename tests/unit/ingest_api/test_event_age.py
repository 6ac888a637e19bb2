"""`occurred_at` older than SALESFLOW_MAX_EVENT_AGE_DAYS is refused with 422 and its field path,
on single events, batches and the Segment routes; the CSV history loader takes any age."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contract.settings import Settings, hash_api_key
from ingest_api.app import create_app
from ingest_api.sinks import MemorySink
from tests.unit.batch_layer.csv_samples import UPLOADED_AT, csv_text, load_text, row
from tests.unit.ingest_api.conftest import API_KEY, SOURCE
from tests.unit.ingest_api.segment_messages import WRITE_KEY, basic_auth, segment_message


def _days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


@pytest.fixture
def thirty_days(memory_sink: MemorySink) -> Iterator[TestClient]:
    settings = Settings(
        sink="memory",
        api_keys=f"{SOURCE}:{hash_api_key(API_KEY)},web:{hash_api_key(WRITE_KEY)}",
        max_event_age_days=30,
    )
    with TestClient(create_app(settings, memory_sink), headers={"X-API-Key": API_KEY}) as test:
        yield test


def test_the_default_limit_is_400_days(
    client: TestClient, memory_sink: MemorySink, event: Callable[..., Any]
) -> None:
    assert Settings().max_event_age_days == 400
    assert client.post("/v1/sales", json=event(occurred_at=_days_ago(399))).status_code == 202
    refused = client.post("/v1/sales", json=event(occurred_at=_days_ago(401)))
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["path"] == "occurred_at"
    assert error["type"] == "occurred_at_too_old"
    assert "more than 400 days before" in error["message"]
    assert "salesflow load-csv" in error["message"]
    assert len(memory_sink.records) == 1


def test_a_single_event_older_than_the_setting_is_refused(
    thirty_days: TestClient, memory_sink: MemorySink, event: Callable[..., Any]
) -> None:
    old = event(occurred_at=(datetime.now(UTC) - timedelta(days=31)).astimezone().isoformat())
    refused = thirty_days.post("/v1/sales", json=old)
    assert refused.status_code == 422
    assert refused.json()["error"] == "validation_failed"
    assert [e["path"] for e in refused.json()["errors"]] == ["occurred_at"]
    assert thirty_days.post("/v1/sales", json=event(occurred_at=_days_ago(29))).status_code == 202
    assert len(memory_sink.records) == 1


def test_an_old_event_of_a_batch_is_refused_alone(
    thirty_days: TestClient, memory_sink: MemorySink, event: Callable[..., Any]
) -> None:
    old = event(occurred_at=_days_ago(45))
    response = thirty_days.post(
        "/v1/sales/batch", json={"events": [event(), old, event(occurred_at=_days_ago(29))]}
    )
    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 2
    (rejected,) = body["rejected"]
    assert (rejected["index"], rejected["event_id"]) == (1, old["event_id"])
    assert [(e["path"], e["type"]) for e in rejected["errors"]] == [
        ("occurred_at", "occurred_at_too_old")
    ]
    only_old = thirty_days.post(
        "/v1/sales/batch", json={"events": [event(occurred_at=_days_ago(31))]}
    )
    assert only_old.status_code == 422
    assert len(memory_sink.records) == 2


def test_an_old_segment_order_is_refused_at_its_timestamp(
    thirty_days: TestClient, memory_sink: MemorySink
) -> None:
    old = segment_message()
    old["timestamp"] = _days_ago(40)
    headers = {**basic_auth(WRITE_KEY), "Content-Type": "application/json"}
    body = {"batch": [segment_message(), old]}
    response = thirty_days.post("/v1/batch", content=json.dumps(body), headers=headers)
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "invalid_messages"
    assert answer["accepted"] == 1
    (rejected,) = answer["rejected"]
    assert rejected["messageId"] == old["messageId"]
    assert [(e["path"], e["type"]) for e in rejected["errors"]] == [
        ("timestamp", "occurred_at_too_old")
    ]
    assert len(memory_sink.records) == 1


def test_the_csv_history_loader_takes_sales_of_any_age(tmp_path: Path) -> None:
    """History does not pass through the API: a ten-year-old export loads."""
    ten_years_before = (UPLOADED_AT - timedelta(days=3650)).isoformat()
    loaded = load_text(tmp_path / "lake", csv_text(row(occurred_at=ten_years_before)))
    assert (loaded.result.accepted, loaded.result.rejected) == (1, 0)
