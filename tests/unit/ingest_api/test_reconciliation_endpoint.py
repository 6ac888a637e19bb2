"""`POST /v1/reconciliations` through the app, and API keys bound to stores on every route.

The oracle for what is stored is the lake folder itself, read here with `json` and `pathlib`:
one file per version, in the scope's folder, holding the report as sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contract.settings import Settings, hash_api_key
from ingest_api.app import create_app
from ingest_api.sinks import MemorySink
from tests.unit.ingest_api.segment_messages import basic_auth, segment_message

HQ_KEY, TILL_KEY = "hq-key-0001", "till-key-sp-0001"
PATH = "/v1/reconciliations"
YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def client(lake: Path, sink: MemorySink) -> Iterator[TestClient]:
    keys = f"hq:{hash_api_key(HQ_KEY)},pos-sp:{hash_api_key(TILL_KEY)}:SP-PAULISTA-01|SP-MORUMBI-01"
    settings = Settings(sink="memory", api_keys=keys, lake_uri=str(lake))
    with TestClient(create_app(settings, sink), headers={"X-API-Key": HQ_KEY}) as test:
        yield test


def z_report(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "store_id": "SP-PAULISTA-01",
        "business_date": YESTERDAY,
        "terminal_id": "PDV3",
        "totals": {
            "sale": {"count": 2, "net_amount": "4739.60"},
            "return": {"count": 1, "net_amount": "79.90"},
        },
        "event_ids": ["EV-0000000001", "EV-0000000002", "EV-0000000003"],
    }
    body.update(overrides)
    return body


def versions(
    lake: Path, store: str = "SP-PAULISTA-01", scope: str = "terminal_id=PDV3"
) -> list[Any]:
    folder = lake / f"reconciliation/reports/business_date={YESTERDAY}/store_id={store}/{scope}"
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def test_a_report_is_stored_in_the_lake_and_never_reaches_the_sale_stream(
    client: TestClient, lake: Path, sink: MemorySink
) -> None:
    response = client.post(PATH, json=z_report())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == 1
    assert body["replaced"] is False
    assert (body["store_id"], body["business_date"], body["terminal_id"]) == (
        "SP-PAULISTA-01",
        YESTERDAY,
        "PDV3",
    )
    (stored,) = versions(lake)
    assert stored["report"]["totals"] == z_report()["totals"]
    assert stored["report"]["event_ids"] == sorted(z_report()["event_ids"])
    assert stored["source"] == "hq"
    assert datetime.fromisoformat(stored["received_at"]) == datetime.fromisoformat(
        body["received_at"]
    )
    assert sink.records == []


def test_an_identical_resend_changes_nothing_and_a_correction_replaces_it_with_history(
    client: TestClient, lake: Path
) -> None:
    first = client.post(PATH, json=z_report()).json()
    again = client.post(PATH, json=z_report())
    assert again.status_code == 200
    assert again.json() == first
    assert len(versions(lake)) == 1

    corrected = z_report(
        totals={
            "sale": {"count": 3, "net_amount": "4819.50"},
            "return": {"count": 1, "net_amount": "79.90"},
        },
        event_ids=["EV-0000000001", "EV-0000000002", "EV-0000000003", "EV-0000000004"],
    )
    response = client.post(PATH, json=corrected)
    assert response.status_code == 201
    assert response.json()["version"] == 2
    assert response.json()["replaced"] is True
    history = versions(lake)
    assert [v["report"]["totals"]["sale"]["count"] for v in history] == [2, 3]

    whole_store = client.post(PATH, json=z_report(terminal_id=None, event_ids=None))
    assert whole_store.status_code == 201
    assert whole_store.json()["version"] == 1
    assert len(versions(lake, scope="all_terminals")) == 1


def test_a_report_the_lake_cannot_store_gets_503_and_a_resend_stores_it(
    client: TestClient, lake: Path
) -> None:
    """Storage failing (here a file where the reports folder must be; a full disk or S3 errors
    alike) is the server's trouble: 503 with Retry-After, never a 500 or a report half kept."""
    blocked = lake / "reconciliation"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("not a folder")

    refused = client.post(PATH, json=z_report())

    assert refused.status_code == 503, refused.text
    assert refused.json()["error"] == "report_store_unavailable"
    assert int(refused.headers["Retry-After"]) >= 1
    blocked.unlink()
    assert versions(lake) == []
    stored = client.post(PATH, json=z_report())
    assert stored.status_code == 201, stored.text
    assert len(versions(lake)) == 1


@pytest.mark.parametrize(
    ("overrides", "path", "error_type"),
    [
        ({"store_id": ""}, "store_id", "string_too_short"),
        ({"business_date": "2026-13-01"}, "business_date", "date_parsing"),
        ({"business_date": "2999-01-01"}, "business_date", "value_error"),
        ({"totals": {"refund": {"count": 1, "net_amount": "1.00"}}}, "totals.refund.[key]", "enum"),
        (
            {"totals": {"sale": {"count": 1, "net_amount": "-5.00"}}},
            "totals.sale.net_amount",
            "value_error",
        ),
        (
            {"totals": {"sale": {"count": "2", "net_amount": "1.00"}}},
            "totals.sale.count",
            "int_type",
        ),
        ({"event_ids": ["EV-0000000001"]}, "event_ids", "value_error"),
        ({"register": "3"}, "register", "extra_forbidden"),
    ],
)
def test_a_bad_report_is_refused_with_the_field_and_nothing_is_stored(
    client: TestClient, lake: Path, overrides: dict[str, Any], path: str, error_type: str
) -> None:
    response = client.post(PATH, json=z_report(**overrides))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_failed"
    found = {(e["path"], e["type"]) for e in body["errors"]}
    assert (path, error_type) in found, body["errors"]
    assert not (lake / "reconciliation").exists()


def test_the_usual_refusals_apply(client: TestClient, lake: Path) -> None:
    assert client.post(PATH, json=z_report(), headers={"X-API-Key": "nope"}).status_code == 401
    assert (
        client.post(PATH, content=b"{", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    assert (
        client.post(PATH, content=b"a=1", headers={"Content-Type": "text/plain"}).status_code == 415
    )
    unknown = client.post(PATH, json=z_report(cashier="x")).json()["errors"][0]
    assert unknown["message"].startswith("unknown field: a reconciliation report")
    assert not (lake / "reconciliation").exists()


def test_a_key_bound_to_stores_reports_for_those_stores_only(
    client: TestClient, lake: Path
) -> None:
    till = {"X-API-Key": TILL_KEY}
    foreign = client.post(PATH, json=z_report(store_id="RJ-CENTRO-01"), headers=till)
    assert foreign.status_code == 403
    (error,) = foreign.json()["errors"]
    assert (error["path"], error["type"]) == ("store_id", "store_not_allowed")
    assert not (lake / "reconciliation").exists()
    own = client.post(PATH, json=z_report(store_id="SP-MORUMBI-01"), headers=till)
    assert own.status_code == 201
    assert versions(lake, store="SP-MORUMBI-01")[0]["source"] == "pos-sp"


def test_a_key_bound_to_stores_sends_events_for_those_stores_only(
    client: TestClient, sink: MemorySink, make_event: Any
) -> None:
    till = {"X-API-Key": TILL_KEY}
    now = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    own = make_event(occurred_at=now)
    foreign = make_event(occurred_at=now, store_id="RJ-CENTRO-01")

    refused = client.post("/v1/sales", json=foreign, headers=till)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["path"] == "store_id"
    assert client.post("/v1/sales", json=own, headers=till).status_code == 202

    batch = client.post("/v1/sales/batch", json={"events": [foreign, own]}, headers=till)
    assert batch.status_code == 207
    (rejected,) = batch.json()["rejected"]
    assert (rejected["index"], rejected["event_id"]) == (0, foreign["event_id"])
    assert rejected["errors"][0]["type"] == "store_not_allowed"
    only_foreign = client.post("/v1/sales/batch", json={"events": [foreign]}, headers=till)
    assert only_foreign.status_code == 422
    assert len(sink.records) == 2
    # an unbound key sends for any store
    assert client.post("/v1/sales", json=foreign).status_code == 202


def test_a_segment_write_key_bound_to_stores_sends_orders_for_those_stores_only(
    client: TestClient, sink: MemorySink
) -> None:
    auth = basic_auth(TILL_KEY)
    foreign = segment_message(store_id="RJ-CENTRO-01")
    own = segment_message(store_id="SP-PAULISTA-01")
    response = client.post("/v1/batch", json={"batch": [foreign, own]}, headers=auth)
    assert response.status_code == 400
    body = response.json()
    assert "RJ-CENTRO-01" in body["message"]
    assert len(sink.records) == 1
