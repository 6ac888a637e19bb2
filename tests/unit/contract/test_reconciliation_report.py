"""The end-of-day report's contract and its store: strict fields, one version in force per scope,
identical resends stored once, later reports replacing earlier ones with the history kept."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from contract.business_day import business_date, business_day_end, latest_possible_business_date
from contract.event import RECEIVED_AT_CONTEXT_KEY, EventType
from contract.lake_io import LakeFiles
from contract.reconciliation import ReconciliationReport, ReportKey, ReportStore
from contract.settings import Settings, hash_api_key, parse_api_keys

RECEIVED = datetime(2026, 11, 22, 3, 15, tzinfo=UTC)


def report(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "store_id": "SP-PAULISTA-01",
        "business_date": "2026-11-21",
        "terminal_id": "PDV/3",
        "totals": {
            "sale": {"count": 2, "net_amount": "150.40"},
            "return": {"count": 1, "net_amount": "20.00"},
        },
        "event_ids": ["EV-SALE-0001", "EV-SALE-0002", "EV-RETURN-01"],
    }
    body.update(overrides)
    return body


def parse(body: dict[str, Any]) -> ReconciliationReport:
    return ReconciliationReport.model_validate_json(
        json.dumps(body), context={RECEIVED_AT_CONTEXT_KEY: RECEIVED}
    )


def problems(body: dict[str, Any]) -> dict[tuple[Any, ...], str]:
    with pytest.raises(ValidationError) as caught:
        parse(body)
    return {tuple(d["loc"]): d["msg"] for d in caught.value.errors(include_url=False)}


def test_a_valid_report_reads_as_sent_with_every_event_type() -> None:
    parsed = parse(report(totals={"sale": {"count": 3, "net_amount": 170.4}}))
    assert parsed.total(EventType.SALE).net_amount == Decimal("170.40")
    assert parsed.total(EventType.RETURN).count == 0
    assert list(parsed.totals) == [EventType.SALE, EventType.RETURN]
    assert parsed.key == ReportKey("SP-PAULISTA-01", date(2026, 11, 21), "PDV/3")


@pytest.mark.parametrize(
    ("overrides", "location", "fragment"),
    [
        ({"store_id": "SP 01"}, ("store_id",), "pattern"),
        ({"business_date": "21/11/2026"}, ("business_date",), "date"),
        ({"business_date": "2026-11-24"}, ("business_date",), "has not begun anywhere yet"),
        ({"totals": {}}, ("totals",), "at least 1"),
        (
            {"totals": {"sales": {"count": 1, "net_amount": "1.00"}}},
            ("totals", "sales", "[key]"),
            "'sale'",
        ),
        (
            {"totals": {"sale": {"count": -1, "net_amount": "1.00"}}},
            ("totals", "sale", "count"),
            "greater than or equal to 0",
        ),
        (
            {"totals": {"sale": {"count": 1, "net_amount": "1.001"}}},
            ("totals", "sale", "net_amount"),
            "2 decimal",
        ),
        (
            {"totals": {"sale": {"count": 0, "net_amount": "5.00"}}},
            ("totals", "sale"),
            "count is 0",
        ),
        ({"event_ids": ["EV-SALE-0001", "EV-SALE-0001", "EV-RETURN-01"]}, ("event_ids",), "twice"),
        ({"event_ids": ["EV-SALE-0001"]}, ("event_ids",), "lists 1 event ids but totals count 3"),
        ({"event_ids": ["bad id!!!", "EV-SALE-0002", "EV-RETURN-01"]}, ("event_ids", 0), "pattern"),
        ({"cashier": "ana"}, ("cashier",), "Extra inputs"),
        ({"store_id": None}, ("store_id",), "string"),
    ],
)
def test_a_bad_report_is_refused_naming_the_field(
    overrides: dict[str, Any], location: tuple[Any, ...], fragment: str
) -> None:
    found = problems(report(**overrides))
    assert location in found, found
    assert fragment in found[location]


def test_the_latest_business_date_is_today_somewhere_on_earth() -> None:
    assert latest_possible_business_date(RECEIVED) == date(2026, 11, 22)
    late_evening = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
    assert latest_possible_business_date(late_evening) == date(2026, 11, 23)
    parse(report(business_date="2026-11-22"))


def test_the_business_date_is_the_reporting_zone_date_and_ends_at_its_midnight() -> None:
    zone = Settings(reporting_tz="America/Sao_Paulo").reporting_zone
    assert business_date(datetime(2026, 11, 22, 2, 59, tzinfo=UTC), zone) == date(2026, 11, 21)
    assert business_date(datetime(2026, 11, 22, 3, 0, tzinfo=UTC), zone) == date(2026, 11, 22)
    assert business_day_end(date(2026, 11, 21), zone) == datetime(2026, 11, 22, 3, tzinfo=UTC)


def test_reports_saying_the_same_thing_have_the_same_digest() -> None:
    first = parse(report())
    reordered = parse(
        report(
            totals={
                "return": {"count": 1, "net_amount": 20},
                "sale": {"count": 2, "net_amount": "150.40"},
            },
            event_ids=["EV-RETURN-01", "EV-SALE-0002", "EV-SALE-0001"],
        )
    )
    assert first.digest == reordered.digest
    assert (
        parse(report(totals={"sale": {"count": 3, "net_amount": "1.00"}}, event_ids=None)).digest
        == parse(
            report(
                totals={
                    "sale": {"count": 3, "net_amount": "1.00"},
                    "return": {"count": 0, "net_amount": "0"},
                },
                event_ids=None,
            )
        ).digest
    )
    assert first.digest != parse(report(terminal_id="PDV/4")).digest


@pytest.fixture
def store(tmp_path: Path) -> ReportStore:
    lake = tmp_path / "lake"
    return ReportStore(LakeFiles.open(str(lake), Settings(lake_uri=str(lake))))


def test_a_resent_report_is_stored_once_and_a_corrected_one_replaces_it_with_history(
    store: ReportStore, tmp_path: Path
) -> None:
    first = store.save(parse(report()), received_at=RECEIVED, source="pos-sp")
    assert (first.created, first.replaced, first.versions) == (True, False, 1)
    again = store.save(parse(report()), received_at=RECEIVED + timedelta(minutes=5), source="x")
    assert (again.created, again.versions) == (False, 1)
    assert again.in_force.received_at == RECEIVED

    corrected_body = report(
        totals={
            "sale": {"count": 3, "net_amount": "180.40"},
            "return": {"count": 1, "net_amount": "20.00"},
        },
        event_ids=["EV-SALE-0001", "EV-SALE-0002", "EV-SALE-0003", "EV-RETURN-01"],
    )
    later = RECEIVED + timedelta(hours=1)
    corrected = store.save(parse(corrected_body), received_at=later, source="pos-sp")
    assert (corrected.created, corrected.replaced, corrected.versions) == (True, True, 2)

    history = store.history(parse(report()).key)
    assert [h.received_at for h in history] == [RECEIVED, later]
    assert [h.report.total(EventType.SALE).count for h in history] == [2, 3]
    assert history[0].source == "pos-sp"

    # A fresh store over the same lake (another process) sees the same report in force.
    fresh = ReportStore(LakeFiles.open(str(tmp_path / "lake"), Settings()))
    (in_force,) = fresh.in_force([date(2026, 11, 21)])
    assert in_force.versions == 2
    assert in_force.stored.report == parse(corrected_body)
    # the terminal id's slash is encoded, never a folder of its own
    assert "/terminal_id=PDV%2F3/" in in_force.stored.path


def test_reports_in_force_are_listed_per_scope_day_and_store(store: ReportStore) -> None:
    whole_store = report(terminal_id=None)
    other_store = report(store_id="RJ-CENTRO-01", terminal_id=None)
    next_day = report(business_date="2026-11-22")
    for body in (report(), whole_store, other_store, next_day):
        store.save(parse(body), received_at=RECEIVED, source="pos")
    day = date(2026, 11, 21)
    keys = [item.stored.report.key for item in store.in_force([day])]
    assert keys == [
        ReportKey("RJ-CENTRO-01", day, None),
        ReportKey("SP-PAULISTA-01", day, None),
        ReportKey("SP-PAULISTA-01", day, "PDV/3"),
    ]
    only_rj = store.in_force([day, date(2026, 11, 22)], store_id="RJ-CENTRO-01")
    assert [item.stored.report.store_id for item in only_rj] == ["RJ-CENTRO-01"]
    assert len(store.in_force([day, date(2026, 11, 22)], store_id="SP-PAULISTA-01")) == 3
    assert store.in_force([date(2026, 11, 20)]) == []


def test_api_keys_may_be_bound_to_stores() -> None:
    digest = hash_api_key("k")
    unbound, bound = parse_api_keys(f"hq:{digest}, pos-sp:{digest}:SP-01|SP/02 ")
    assert unbound.stores is None
    assert unbound.allows("anything")
    assert bound.stores == frozenset({"SP-01", "SP/02"})
    assert bound.allows("SP/02")
    assert not bound.allows("RJ-01")
    with pytest.raises(ValueError, match="not a store id"):
        parse_api_keys(f"pos:{digest}:SP 01")
    with pytest.raises(ValueError, match="name:sha256hex"):
        parse_api_keys("pos:abc")
