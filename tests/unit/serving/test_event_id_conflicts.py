"""No source can suppress another's sale by sending its event id first (ADR 0021): in the
real-time view, whether its winner is gold's or a copy since T, and whether the local engine
merges the new file or rebuilds the side, a copy from another source with other content is a
sale of its own, `<event_id>~<source>`, counted in the quality counts; a copy with the same
content, or from the winner's own source, stays a duplicate."""

from __future__ import annotations

import copy as copying
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from contract.event import IngestedSaleEvent
from contract.settings import Settings
from serving.engines.duckdb_engine import DuckDBEngine
from serving.queries import reference_status_sql
from tests.conftest import load_event
from tests.unit.serving.sample_lake import (
    Copy,
    expected_lines,
    ingested,
    sale_totals,
    write_bronze,
    write_csv_upload,
    write_gold,
    write_inputs,
)

TZ = "America/Sao_Paulo"
CUTOFF = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
SOLD = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
EVENT_ID = "SP01-000123"
"""A guessable id, as tills make them."""


def sale(source: str, at: datetime, *, unit_price: str = "79.90") -> IngestedSaleEvent:
    payload = copying.deepcopy(load_event("sale"))
    payload.update(event_id=EVENT_ID, occurred_at=SOLD.isoformat(), total=None)
    payload["items"] = [{"sku": "MOUSE-LOGI-M170", "quantity": 2, "unit_price": unit_price}]
    return ingested(payload, at, source=source)


@pytest.fixture
def engine_for() -> Iterator[Callable[[Path], DuckDBEngine]]:
    engines: list[DuckDBEngine] = []

    def start(lake: Path) -> DuckDBEngine:
        engines.append(DuckDBEngine(Settings(lake_uri=str(lake), reporting_tz=TZ)))
        return engines[-1]

    yield start
    for engine in engines:
        engine.close()


def counted(engine: DuckDBEngine) -> dict[str, tuple[str, Decimal]]:
    engine.refresh()
    rows = engine.query(
        "SELECT event_id, min(source) AS source, sum(net_amount) AS net FROM sales_merged "
        "GROUP BY event_id"
    ).rows
    return {row["event_id"]: (row["source"], row["net"]) for row in rows}


def expected(copies: list[Copy]) -> dict[str, tuple[str, Decimal]]:
    return sale_totals(expected_lines(copies, TZ))


def realtime_conflicts(engine: DuckDBEngine) -> int:
    return int(engine.query(reference_status_sql()).rows[0]["event_id_conflicts"])


LATER = CUTOFF + timedelta(minutes=5)


@pytest.mark.parametrize("through_csv", [False, True])
def test_another_keys_copy_with_other_content_is_its_own_sale(
    tmp_path: Path, engine_for: Callable[[Path], DuckDBEngine], through_csv: bool
) -> None:
    lake = tmp_path / "lake"
    first = Copy(sale("leaked-key", LATER))
    victim = Copy(
        sale("store-b-till", LATER + timedelta(minutes=1), unit_price="99.00"), through_csv
    )
    write_inputs(lake, [first, victim])

    engine = engine_for(lake)
    totals = counted(engine)

    assert realtime_conflicts(engine) == 1
    assert totals == expected([first, victim])
    assert totals == {
        EVENT_ID: ("leaked-key", Decimal("159.80")),
        f"{EVENT_ID}~store-b-till": ("store-b-till", Decimal("198.00")),
    }


def test_the_same_content_from_another_source_and_any_resend_of_the_winners_are_duplicates(
    tmp_path: Path, engine_for: Callable[[Path], DuckDBEngine]
) -> None:
    lake = tmp_path / "lake"
    copies = [
        Copy(sale("pos", LATER)),
        Copy(sale("legacy-erp", LATER + timedelta(minutes=1)), via_csv=True),
        Copy(sale("pos", LATER + timedelta(minutes=2), unit_price="10.00")),
    ]
    write_inputs(lake, copies)

    engine = engine_for(lake)

    assert counted(engine) == {EVENT_ID: ("pos", Decimal("159.80"))}
    assert realtime_conflicts(engine) == 0


def test_a_copy_since_t_is_judged_against_the_winner_gold_holds(
    tmp_path: Path, engine_for: Callable[[Path], DuckDBEngine]
) -> None:
    """Gold holds the id (from the leaked key) and the victim's conflicting sale, both before
    T; after T the victim resends its sale (a duplicate of its own), a third till sends other
    content (a sale of its own), and the leaked key resends (a duplicate)."""
    lake = tmp_path / "lake"
    before = [
        Copy(sale("leaked-key", CUTOFF - timedelta(minutes=30))),
        Copy(sale("store-b-till", CUTOFF - timedelta(minutes=20), unit_price="99.00")),
    ]
    after = [
        Copy(sale("store-b-till", LATER, unit_price="99.00")),
        Copy(sale("store-c-till", LATER + timedelta(minutes=1), unit_price="5.00"), via_csv=True),
        Copy(sale("leaked-key", LATER + timedelta(minutes=2))),
    ]
    write_inputs(lake, [*before, *after])
    write_gold(lake, expected_lines(before, TZ), CUTOFF, "run-1")

    engine = engine_for(lake)

    assert counted(engine) == expected([*before, *after])
    assert set(counted(engine)) == {
        EVENT_ID,
        f"{EVENT_ID}~store-b-till",
        f"{EVENT_ID}~store-c-till",
    }
    assert realtime_conflicts(engine) == 1, "gold's conflict is the batch's to count"


def test_merging_a_new_file_and_rebuilding_for_an_earlier_one_agree_with_the_oracle(
    tmp_path: Path, engine_for: Callable[[Path], DuckDBEngine]
) -> None:
    lake = tmp_path / "lake"
    winner = Copy(sale("pos", LATER + timedelta(minutes=10)))
    write_inputs(lake, [winner])
    engine = engine_for(lake)
    assert counted(engine) == expected([winner])

    conflicting = Copy(sale("web", LATER + timedelta(minutes=11), unit_price="1.00"))
    write_bronze(lake, [conflicting.event])
    assert counted(engine) == expected([winner, conflicting])

    resent = Copy(sale("web", LATER + timedelta(minutes=12), unit_price="2.00"))
    write_bronze(lake, [resent.event])
    assert counted(engine) == expected([winner, conflicting, resent])

    earlier = Copy(sale("kiosk", LATER, unit_price="3.00"))
    write_csv_upload(lake, [earlier.event])
    copies = [winner, conflicting, resent, Copy(earlier.event, via_csv=True)]
    assert counted(engine) == expected(copies)
    assert counted(engine)[EVENT_ID][0] == "kiosk", "the earlier copy now wins the id"
    assert counted(engine) == counted(engine_for(lake))
