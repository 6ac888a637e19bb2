"""End-of-day reports against the merged view on DuckDB, before and after a batch run.

The oracle is plain Python over what each test sent: the till's own book (every event it rang
up, lost on the way or not) gives the reports, and the events actually delivered give what
salesflow must count, per store, business day (the reporting zone's date) and terminal. No code
is shared with the comparison: amounts are summed from the payloads' strings with Decimal, and
missing or extra ids are set differences.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from batch_layer.reference.versions import load_version
from contract.business_day import BusinessDay
from contract.lake_io import LakeFiles
from contract.reconciliation import ReconciliationReport, ReportStore
from contract.reference import VALID_FROM_MIN, reference_table
from contract.settings import Settings
from serving.app import create_app
from serving.engines.base import QueryError
from serving.engines.duckdb_engine import DuckDBEngine
from serving.queries import REALTIME_LINES
from serving.reconciliation.checker import ReconciliationMetrics, check
from serving.reconciliation.compare import Status
from serving.reconciliation.models import Reconciliations, StoreDayResult
from serving.reconciliation.service import PUBLICATIONS_WAITED, ReconciliationService
from tests.unit.serving.sample_lake import (
    STORES,
    Copy,
    expected_lines,
    ingested,
    write_bronze,
    write_gold,
    write_reference,
)

TZ = "America/Sao_Paulo"
ZONE = ZoneInfo(TZ)
DAY = date(2026, 11, 21)
STORE = "SP-PAULISTA-01"
CLOSED = datetime(2026, 11, 22, 3, 30, tzinfo=UTC)
"""Just after the day ended in Sao Paulo: the tills' reports and first deliveries are in."""
CUTOFF = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
"""T of the batch run each test may make."""
LATE = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
"""After T: resends and late events land in the real-time view."""
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
"""Past the day's end plus the 6 hours of grace: unmatched store-days are overdue."""

Payload = dict[str, Any]


def net(payload: Payload) -> Decimal:
    """A till's net amount for an event: sum of quantity * unit price - discount."""
    return sum(
        (
            Decimal(str(item["unit_price"])) * item["quantity"]
            - Decimal(str(item.get("discount", "0")))
            for item in payload["items"]
        ),
        Decimal("0.00"),
    )


class World:
    """A lake, the events delivered to it, the batch runs made, and the reports sent."""

    def __init__(self, root: Path, make_event: Callable[..., Payload]) -> None:
        self.root = root
        self.settings = Settings(lake_uri=str(root), reporting_tz=TZ, serving_cache_seconds=0)
        self._make_event = make_event
        self.copies: list[Copy] = []
        self._sequence = 0
        self._runs = 0
        write_reference(root)
        self.reports = ReportStore(LakeFiles.open(str(root), self.settings))

    def sale(
        self, *, terminal: str | None, store: str = STORE, kind: str = "sale", hour: int = 10
    ) -> Payload:
        """An event of DAY at `hour` local time, with its own amount."""
        self._sequence += 1
        occurred = datetime(2026, 11, 21, hour, self._sequence % 60, tzinfo=ZONE)
        price = f"{100 + self._sequence}.{self._sequence % 100:02d}"
        payload = self._make_event(
            kind,
            event_id=f"EV-{kind.upper()}-{self._sequence:06d}",
            occurred_at=occurred.isoformat(),
            store_id=store,
            channel="pos",
            currency="BRL",
            items=[{"sku": "MOUSE-LOGI-M170", "quantity": 1, "unit_price": price}],
        )
        payload.pop("total", None)
        if terminal is not None:
            payload["terminal_id"] = terminal
        return payload

    def deliver(self, payloads: Iterable[Payload], at: datetime) -> None:
        copies = [Copy(ingested(payload, at)) for payload in payloads]
        self.copies += copies
        write_bronze(self.root, [copy.event for copy in copies])

    def run_batch(self, cutoff: datetime = CUTOFF) -> None:
        """Gold as the nightly job builds it (the oracle's lines of events ingested before T)."""
        self._runs += 1
        before = [copy for copy in self.copies if copy.event.ingested_at < cutoff]
        write_gold(self.root, expected_lines(before, TZ), cutoff, f"run-{self._runs}")

    def send_report(
        self,
        book: list[Payload],
        *,
        terminal: str | None,
        store: str = STORE,
        with_ids: bool = True,
        at: datetime = CLOSED,
    ) -> None:
        """The till's report of what it rang up (its book), as JSON, like the API receives."""
        totals: dict[str, Any] = {}
        for kind in ("sale", "return"):
            events = [p for p in book if p["event_type"] == kind]
            if events:
                amount = sum((net(p) for p in events), Decimal("0.00"))
                totals[kind] = {"count": len(events), "net_amount": f"{amount:.2f}"}
        body: dict[str, Any] = {
            "store_id": store,
            "business_date": DAY.isoformat(),
            "totals": totals or {"sale": {"count": 0, "net_amount": "0.00"}},
        }
        if terminal is not None:
            body["terminal_id"] = terminal
        if with_ids:
            body["event_ids"] = [p["event_id"] for p in book]
        report = ReconciliationReport.model_validate_json(json.dumps(body))
        self.reports.save(report, received_at=at, source="pos")


@pytest.fixture
def world(tmp_path: Path, make_event: Callable[..., Payload]) -> World:
    return World(tmp_path / "lake", make_event)


def ticking(start: datetime) -> Callable[[], datetime]:
    """A clock a second further on at each reading, so recorded changes keep their order."""
    ticks = itertools.count()
    return lambda: start + timedelta(seconds=next(ticks))


@pytest.fixture
def service(world: World) -> Iterator[ReconciliationService]:
    engine = DuckDBEngine(world.settings)
    yield ReconciliationService(world.settings, engine, clock=ticking(NOW))
    engine.close()


def day_of(service: ReconciliationService, store: str = STORE) -> StoreDayResult:
    result = service.reconciliations(DAY, DAY, store)
    (row,) = result.rows
    return row


def money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def test_a_day_that_matches_before_and_after_the_batch_run(
    world: World, service: ReconciliationService
) -> None:
    till_1 = [world.sale(terminal="PDV1") for _ in range(3)] + [
        world.sale(terminal="PDV1", kind="return")
    ]
    till_2 = [world.sale(terminal="PDV2") for _ in range(2)]
    world.deliver(till_1 + till_2, CLOSED - timedelta(hours=2))
    world.send_report(till_1, terminal="PDV1")
    world.send_report(till_2, terminal="PDV2", with_ids=False)

    before = day_of(service)
    world.run_batch()
    after = day_of(service)

    for row in (before, after):
        assert row.status is Status.MATCHED
        assert row.overdue is False
        assert (row.missing_events, row.extra_events, row.net_gap) == (0, 0, "0.00")
        assert row.unreported_terminals == []
        sales = [p for p in till_1 + till_2 if p["event_type"] == "sale"]
        assert row.counted["sale"].count == len(sales)
        assert row.counted["sale"].net_amount == money(sum((net(p) for p in sales), Decimal(0)))
        assert row.counted["return"].net_amount == money(net(till_1[-1]))
        first, second = row.reports
        assert first.terminal_id == "PDV1"
        assert first.missing_event_ids == []
        assert first.extra_event_ids == []
        assert second.missing_event_ids is None
    assert before.model_dump() == after.model_dump()


def test_events_lost_on_the_way_are_found_by_id_and_amount_then_matched_after_the_resend(
    world: World, service: ReconciliationService
) -> None:
    book = [world.sale(terminal="PDV1") for _ in range(6)] + [
        world.sale(terminal="PDV1", kind="return")
    ]
    lost = [book[1], book[4], book[6]]
    delivered = [p for p in book if p not in lost]
    world.deliver(delivered, CLOSED - timedelta(hours=1))
    world.send_report(book, terminal="PDV1")
    world.run_batch()

    row = day_of(service)
    assert row.status is Status.GAP
    assert row.overdue is True
    assert row.missing_event_ids == sorted(p["event_id"] for p in lost)
    (report,) = row.reports
    lost_sales = [p for p in lost if p["event_type"] == "sale"]
    assert report.totals["sale"].missing.count == len(lost_sales)
    assert report.totals["sale"].missing.net_amount == money(sum(map(net, lost_sales), Decimal(0)))
    assert report.totals["return"].missing.count == 1
    assert report.totals["return"].missing.net_amount == money(net(lost[2]))
    assert report.totals["sale"].extra.count == 0
    assert report.net_gap == money(sum(map(net, lost_sales), Decimal(0)) - net(lost[2]))
    assert row.missing_events == 3

    world.deliver(lost, LATE)  # the till resends them after T: the real-time view holds them
    resent = day_of(service)
    assert resent.status is Status.MATCHED
    assert resent.missing_event_ids == []
    world.run_batch(LATE + timedelta(minutes=5))  # and the next run puts them in gold
    assert day_of(service).model_dump() == resent.model_dump()


def test_a_report_arriving_before_the_late_events_it_counts(
    world: World, service: ReconciliationService
) -> None:
    on_time = [world.sale(terminal="PDV3") for _ in range(2)]
    offline = [world.sale(terminal="PDV3", hour=21) for _ in range(2)]
    world.deliver(on_time, CLOSED - timedelta(hours=3))
    world.send_report(on_time + offline, terminal="PDV3")
    world.run_batch()

    waiting = day_of(service)
    assert waiting.status is Status.GAP
    assert waiting.missing_event_ids == sorted(p["event_id"] for p in offline)

    world.deliver(offline, LATE)
    arrived = day_of(service)
    assert arrived.status is Status.MATCHED
    key = ReconciliationReport.model_validate(
        {
            "store_id": STORE,
            "business_date": DAY,
            "terminal_id": "PDV3",
            "totals": {"sale": {"count": 0, "net_amount": "0"}},
        },
        strict=False,
    ).key
    statuses = [step.result.status for step in service.results.history(key)]
    assert statuses == [Status.GAP, Status.MATCHED]
    # computing again records nothing new
    day_of(service)
    assert len(service.results.history(key)) == 2


def test_a_corrected_report_replaces_the_first_and_both_are_kept(
    world: World, service: ReconciliationService
) -> None:
    book = [world.sale(terminal=None, store="WEB-01") for _ in range(4)]
    world.deliver(book, CLOSED - timedelta(hours=1))
    world.send_report(book[:3], terminal=None, store="WEB-01", with_ids=False)
    world.run_batch()

    first = day_of(service, "WEB-01")
    assert first.status is Status.GAP
    (report,) = first.reports
    assert report.version == 1
    assert report.missing_event_ids is None
    assert report.totals["sale"].extra.count == 1
    assert report.totals["sale"].extra.net_amount == money(net(book[3]))
    assert report.totals["sale"].missing.count == 0
    assert report.net_gap == money(-net(book[3]))

    world.send_report(
        book, terminal=None, store="WEB-01", with_ids=False, at=CLOSED + timedelta(hours=1)
    )
    corrected = day_of(service, "WEB-01")
    assert corrected.status is Status.MATCHED
    assert corrected.reports[0].version == 2
    detail = service.detail("WEB-01", DAY)
    assert detail is not None
    (scope,) = detail.scopes
    assert [v.totals["sale"].count for v in scope.versions] == [3, 4]
    assert [step.result.status for step in scope.results] == [Status.GAP, Status.MATCHED]


def test_unreported_store_days_and_terminals(world: World, service: ReconciliationService) -> None:
    reported = [world.sale(terminal="PDV1")]
    silent = [world.sale(terminal="PDV2"), world.sale(terminal=None)]
    other_store = [world.sale(terminal="PDV1", store="RJ-CENTRO-01")]
    world.deliver(reported + silent + other_store, CLOSED - timedelta(hours=1))
    world.send_report(reported, terminal="PDV1")

    result = service.reconciliations(DAY, DAY, None)
    rows = {row.store_id: row for row in result.rows}
    assert rows[STORE].status is Status.NOT_REPORTED
    assert rows[STORE].unreported_terminals == ["(none)", "PDV2"]
    assert rows[STORE].reports[0].status is Status.MATCHED
    assert rows["RJ-CENTRO-01"].status is Status.NOT_REPORTED
    assert rows["RJ-CENTRO-01"].reports == []
    assert result.statuses == {"matched": 0, "gap": 0, "not_reported": 2}
    assert result.overdue == 2

    world.send_report(reported + silent, terminal=None)  # a whole-store report covers them all
    assert day_of(service).status is Status.MATCHED


def test_a_report_of_a_day_without_sales_is_a_gap_and_a_store_day_is_not_overdue_in_grace(
    world: World, make_event: Callable[..., Payload]
) -> None:
    book = [world.sale(terminal="PDV9")]
    world.send_report(book, terminal="PDV9")
    engine = DuckDBEngine(world.settings)
    try:
        in_grace = ReconciliationService(
            world.settings, engine, clock=ticking(CLOSED + timedelta(hours=5))
        )
        row = day_of(in_grace)
        assert row.status is Status.GAP
        assert row.overdue is False
        assert row.missing_event_ids == [book[0]["event_id"]]
        assert row.counted["sale"].count == 0
    finally:
        engine.close()


def test_the_periodic_check_sets_the_overdue_gauges(
    world: World, service: ReconciliationService
) -> None:
    world.deliver([world.sale(terminal="PDV1")], CLOSED - timedelta(hours=1))
    registry = CollectorRegistry()
    result = check(service, ReconciliationMetrics(registry))
    assert isinstance(result, Reconciliations)
    assert (
        registry.get_sample_value(
            "salesflow_reconciliation_overdue_store_days", {"status": "not_reported"}
        )
        == 1
    )
    assert (
        registry.get_sample_value("salesflow_reconciliation_store_days", {"status": "matched"}) == 0
    )
    assert (
        registry.get_sample_value("salesflow_reconciliation_checks_total", {"outcome": "ok"}) == 1
    )


def test_the_query_api_serves_reconciliations(world: World) -> None:
    book = [world.sale(terminal="PDV1") for _ in range(2)]
    world.deliver(book[:1], CLOSED - timedelta(hours=1))
    world.send_report(book, terminal="PDV1")
    settings = world.settings.model_copy(update={"reconciliation_check_seconds": 0})
    engine = DuckDBEngine(settings)
    try:
        with TestClient(create_app(settings, engine)) as client:
            one_day = client.get("/v1/reconciliations", params={"date": DAY.isoformat()})
            assert one_day.status_code == 200, one_day.text
            (row,) = one_day.json()["rows"]
            assert (row["status"], row["missing_event_ids"]) == ("gap", [book[1]["event_id"]])
            assert one_day.json()["boundary"] == "1970-01-01T00:00:00+00:00"
            ranged = client.get(
                "/v1/reconciliations",
                params={"from": "2026-11-20", "to": "2026-11-22", "store_id": STORE},
            )
            assert ranged.json()["rows"] == one_day.json()["rows"]
            other = client.get(
                "/v1/reconciliations", params={"date": "2026-11-21", "store_id": "RJ-CENTRO-01"}
            )
            assert other.json()["rows"] == []
            detail = client.get(
                "/v1/reconciliations/store-day", params={"store_id": STORE, "date": "2026-11-21"}
            )
            assert detail.status_code == 200
            assert detail.json()["scopes"][0]["versions"][0]["listed_event_ids"] == 2
            missing = client.get(
                "/v1/reconciliations/store-day", params={"store_id": STORE, "date": "2026-11-19"}
            )
            assert missing.status_code == 404
            for params, field in (
                ({"from": "2026-11-22", "to": "2026-11-21"}, "to"),
                ({"from": "2026-11-21"}, "to"),
                ({"date": "2026-11-21", "from": "2026-11-20"}, "date"),
                ({"from": "2026-01-01", "to": "2026-12-01"}, "to"),
                ({"date": "21/11/2026"}, "date"),
                ({"date": "2026-11-21", "store_id": "SP 01"}, "store_id"),
            ):
                refused = client.get("/v1/reconciliations", params=params)
                assert refused.status_code == 422, params
                assert refused.json()["detail"][0]["loc"] == ["query", field]
            assert client.get("/metrics").status_code == 200
    finally:
        engine.close()


@pytest.mark.parametrize("business_day", list(BusinessDay))
def test_a_store_day_is_overdue_after_the_end_of_the_stores_own_business_day(
    world: World, business_day: BusinessDay
) -> None:
    stores = reference_table("stores")
    manaus = STORES[1].model_copy(update={"time_zone": "America/Manaus"})
    files = LakeFiles.open(str(world.root), world.settings)
    load_version(
        files, stores, stores.arrow([manaus]), effective_from=VALID_FROM_MIN, file_name="zones"
    )
    for store in (STORE, manaus.store_id):
        world.send_report([world.sale(terminal=None, store=store)], terminal=None, store=store)
    settings = Settings(
        lake_uri=str(world.root),
        reporting_tz=TZ,
        business_day=business_day,
        serving_cache_seconds=0,
    )
    grace = timedelta(hours=settings.reconciliation_grace_hours)
    # Sao Paulo's 21 November ended at 03:00 UTC, Manaus's an hour later.
    now = datetime(2026, 11, 22, 3, tzinfo=UTC) + grace + timedelta(minutes=30)
    engine = DuckDBEngine(settings)
    try:
        service = ReconciliationService(settings, engine, clock=ticking(now))
        overdue = {
            row.store_id: row.overdue for row in service.reconciliations(DAY, DAY, None).rows
        }
    finally:
        engine.close()
    assert overdue == {STORE: True, manaus.store_id: business_day is BusinessDay.REPORTING}


def test_gold_counts_are_read_once_per_published_run_and_the_real_time_lines_every_time(
    world: World, service: ReconciliationService
) -> None:
    book = [world.sale(terminal="PDV1") for _ in range(6)]
    world.deliver(book[:3], CLOSED - timedelta(hours=1))
    world.send_report(book, terminal="PDV1")
    world.run_batch()

    assert day_of(service).missing_events == 3
    read_per_run = service.counts.gold_queries
    assert read_per_run == 2  # the groups and the listed events
    world.deliver(book[3:5], LATE)
    assert day_of(service).missing_event_ids == [book[5]["event_id"]]
    assert service.counts.gold_queries == read_per_run

    world.deliver(book[5:], LATE + timedelta(minutes=1))
    world.run_batch(LATE + timedelta(minutes=5))
    matched = day_of(service)
    assert matched.status is Status.MATCHED
    assert matched.counted["sale"].count == len(book)
    assert matched.counted["sale"].net_amount == money(sum(map(net, book), Decimal(0)))
    assert service.counts.gold_queries == 2 * read_per_run


class PublishingMidway:
    """The DuckDB engine, with a batch run published and served (as another serving task does
    with Athena's shared views) just before each of the first `times` queries over the
    real-time lines."""

    def __init__(self, engine: DuckDBEngine, publish: Callable[[], None], times: int = 1) -> None:
        self.engine = engine
        self._publish = publish
        self._times = times

    def refresh(self) -> Any:
        return self.engine.refresh()

    def query(self, sql: str) -> Any:
        if self._times > 0 and REALTIME_LINES in sql:
            self._times -= 1
            self._publish()
            self.engine.refresh()
        return self.engine.query(sql)

    @property
    def version(self) -> int:
        return self.engine.version

    def close(self) -> None:
        self.engine.close()


def test_a_run_published_between_the_gold_and_real_time_counts_is_asked_again(
    world: World,
) -> None:
    book = [world.sale(terminal="PDV1") for _ in range(4)]
    world.deliver(book[:2], CLOSED - timedelta(hours=1))
    world.deliver(book[2:], LATE)
    world.send_report(book, terminal="PDV1")
    world.run_batch()
    engine = PublishingMidway(
        DuckDBEngine(world.settings), lambda: world.run_batch(LATE + timedelta(minutes=5))
    )
    try:
        row = day_of(ReconciliationService(world.settings, engine, clock=ticking(NOW)))
    finally:
        engine.close()
    assert row.status is Status.MATCHED
    assert row.counted["sale"].count == len(book)
    assert row.counted["sale"].net_amount == money(sum(map(net, book), Decimal(0)))


def test_counts_read_while_runs_keep_being_published_are_refused_with_a_retry(
    world: World,
) -> None:
    world.deliver([world.sale(terminal="PDV1")], LATE)
    cutoffs = (LATE + timedelta(minutes=minutes) for minutes in itertools.count(5))
    engine = PublishingMidway(
        DuckDBEngine(world.settings),
        lambda: world.run_batch(next(cutoffs)),
        times=PUBLICATIONS_WAITED,
    )
    try:
        service = ReconciliationService(world.settings, engine, clock=ticking(NOW))
        with pytest.raises(QueryError, match="ask again"):
            service.reconciliations(DAY, DAY, STORE)
        assert day_of(service).counted["sale"].count == 1
    finally:
        engine.close()
