"""The tills' books: what they rang up per store, business day and terminal, reported once the
day ends, reported again when a late sale changes it, never for a day the book does not own."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from contract.reconciliation import ReconciliationReport
from devstack.simulator.tills import TillBook
from tests.conftest import load_event

ZONE = ZoneInfo("America/Sao_Paulo")
OWNED_FROM = datetime(2026, 11, 21, 0, 0, tzinfo=ZONE)
DAY_ENDS = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def event(
    event_id: str, at: str, terminal: str | None = "PDV1", kind: str = "sale"
) -> dict[str, Any]:
    payload = copy.deepcopy(load_event(kind))
    payload.update(event_id=event_id, occurred_at=at, store_id="SP-PAULISTA-01")
    if terminal is not None:
        payload["terminal_id"] = terminal
    return payload


def test_a_day_is_reported_once_it_ends_and_again_after_a_late_sale() -> None:
    book = TillBook(ZONE, OWNED_FROM, keep_days=22)
    sale = event("EV-00000001", "2026-11-21T10:00:00-03:00")
    refund = event("EV-00000002", "2026-11-21T23:59:59-03:00", kind="return")
    other_till = event("EV-00000003", "2026-11-21T11:00:00-03:00", terminal="PDV2")
    for payload in (sale, refund, other_till, sale):  # the same event rung up twice counts once
        assert book.ring_up(payload)
    assert list(book.due(DAY_ENDS - timedelta(microseconds=1))) == []

    due = {report.key: report for report in book.due(DAY_ENDS)}
    assert set(due) == {
        ("SP-PAULISTA-01", date(2026, 11, 21), "PDV1"),
        ("SP-PAULISTA-01", date(2026, 11, 21), "PDV2"),
    }
    first = due[("SP-PAULISTA-01", date(2026, 11, 21), "PDV1")]
    report = ReconciliationReport.model_validate_json(json.dumps(first.body))  # the API takes it
    assert report.event_ids == ["EV-00000001", "EV-00000002"]
    assert first.body["totals"] == {
        "sale": {"count": 1, "net_amount": "4659.70"},
        "return": {"count": 1, "net_amount": "79.90"},
    }
    for item in due.values():
        book.reported(item)
    assert list(book.due(DAY_ENDS)) == []

    book.ring_up(event("EV-00000004", "2026-11-21T15:00:00-03:00"))  # a till back online
    (again,) = book.due(DAY_ENDS + timedelta(days=2))
    assert again.body["totals"]["sale"]["count"] == 2
    assert again.body["terminal_id"] == "PDV1"


def test_days_begun_before_the_book_are_not_its_own_and_a_web_shop_reports_the_store() -> None:
    book = TillBook(ZONE, OWNED_FROM + timedelta(minutes=1), keep_days=22)
    assert not book.ring_up(event("EV-00000001", "2026-11-21T10:00:00-03:00"))
    assert book.ring_up(event("EV-00000002", "2026-11-22T10:00:00-03:00", terminal=None))
    (due,) = book.due(DAY_ENDS + timedelta(days=1))
    assert "terminal_id" not in due.body
    assert due.key == ("SP-PAULISTA-01", date(2026, 11, 22), None)


def test_reported_days_older_than_the_book_keeps_are_forgotten() -> None:
    book = TillBook(ZONE, OWNED_FROM, keep_days=2)
    book.ring_up(event("EV-00000001", "2026-11-21T10:00:00-03:00"))
    (due,) = book.due(DAY_ENDS)
    book.forget_before(DAY_ENDS + timedelta(days=5))  # not reported yet: kept
    assert list(book.due(DAY_ENDS)) == [due]
    book.reported(due)
    book.forget_before(DAY_ENDS + timedelta(days=5))
    assert book.ring_up(event("EV-00000001", "2026-11-21T10:00:00-03:00"))
    assert len(list(book.due(DAY_ENDS))) == 1
