"""A small generated lake with every awkward case the batch job must handle, and the expected
gold computed independently in plain Python from the same raw inputs.

Cases: exact redeliveries in bronze, re-sent events under another source, other content sent
under another source for an id already used (a sale of its own), an event sent through
CSV before the API (CSV wins), late events weeks old, returns, sales near local midnight, events
ingested after the cutoff, a line failing each quality rule (and one failing two), bad CSV rows
the loader quarantines, a CSV uploaded after the cutoff and a compaction manifest in bronze.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq

from batch_layer.csv_format import CSV_COLUMNS, source_name
from batch_layer.csv_loader import load_csv
from batch_layer.csv_sources import InMemoryExport
from contract.bronze import bronze_table
from contract.event import IngestedSaleEvent, SaleEvent
from contract.lake import bronze_partition
from contract.quality import MAX_LINE_NET_AMOUNT
from contract.settings import Settings
from devstack.catalog import Catalog, build_catalog, write_reference
from devstack.simulator.shopping import list_price
from tests.unit.serving.sample_lake import sold

CUTOFF = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
SEED = 20261120
PAYMENTS = ("credit_card", "debit_card", "pix", "cash", "boleto", "voucher", "other")


@dataclass
class Scenario:
    lake: Path
    catalog: Catalog
    cutoff: datetime
    inputs: list[tuple[IngestedSaleEvent, str]] = field(default_factory=list)
    """Every event that reached bronze or a CSV upload, with its origin (`bronze` or `csv`)."""
    csv_rejected_rows: int = 0


@dataclass(frozen=True)
class Expected:
    by_day_store: dict[tuple[date, str], dict[str, Decimal | int]]
    quality_counts: dict[str, int]
    duplicate_lines: int
    lines_in: int
    passed_lines: int


def build_scenario(lake: Path, settings: Settings) -> Scenario:
    rng = random.Random(SEED)
    catalog = build_catalog(SEED, customer_count=40)
    write_reference(str(lake), catalog, settings=settings)
    scenario = Scenario(lake=lake, catalog=catalog, cutoff=CUTOFF)
    bronze: list[IngestedSaleEvent] = []

    for number in range(260):
        ingested_at = CUTOFF - timedelta(days=9) + timedelta(seconds=rng.randint(0, 10 * 86400))
        late = number % 13 == 0
        delay = (
            timedelta(days=rng.randint(14, 35)) if late else timedelta(seconds=rng.randint(1, 90))
        )
        event = _event(rng, catalog, f"EV-{number:05d}", ingested_at - delay, ingested_at, "pos")
        bronze.append(event)
        if number % 17 == 0:
            bronze.append(event)
        if number % 19 == 0:
            resent = event.model_copy(
                update={"ingested_at": ingested_at + timedelta(minutes=7), "source": "web"}
            )
            bronze.append(resent)
        if number % 23 == 0:
            line = event.items[0].model_copy(update={"quantity": event.items[0].quantity + 1})
            other_till = event.model_copy(
                update={
                    "ingested_at": ingested_at + timedelta(minutes=9),
                    "source": "till-2",
                    "items": [line],
                    "total": None,
                }
            )
            bronze.append(other_till)

    oddities = [
        _event(rng, catalog, "EV-BADSKU01", None, None, "pos", sku="NO-SUCH-SKU"),
        _event(rng, catalog, "EV-BADSTORE1", None, None, "pos", store_id="XX-NOWHERE-01"),
        _event(
            rng, catalog, "EV-BADBOTH01", None, None, "pos", store_id="XX-NOWHERE-02", sku="NOPE"
        ),
        _event(rng, catalog, "EV-USD00001", None, None, "pos", currency="USD"),
        _event(rng, catalog, "EV-HUGE0001", None, None, "pos", quantity=200, price="4999.90"),
        _event(
            rng,
            catalog,
            "EV-MIDNIGHT1",
            datetime(2026, 11, 20, 2, 30, tzinfo=UTC),
            datetime(2026, 11, 20, 2, 31, tzinfo=UTC),
            "pos",
        ),
    ]
    bronze.extend(oddities)
    for number in range(12):
        after = CUTOFF + timedelta(minutes=rng.randint(0, 600))
        bronze.append(_event(rng, catalog, f"EV-AFTER{number:03d}", after, after, "pos"))

    csv_first = _event(rng, catalog, "EV-CSVFIRST1", None, CUTOFF - timedelta(days=2), "pos")
    bronze.append(
        csv_first.model_copy(update={"ingested_at": CUTOFF - timedelta(days=1), "source": "pos"})
    )
    _write_bronze(lake, bronze)
    scenario.inputs.extend((event, "bronze") for event in bronze if event.ingested_at < CUTOFF)

    uploaded_at = CUTOFF - timedelta(days=2)
    csv_events = [csv_first] + [
        _event(
            rng,
            catalog,
            f"CSV-{number:04d}",
            uploaded_at - timedelta(days=rng.randint(0, 30)),
            uploaded_at,
            "pos",
        )
        for number in range(25)
    ]
    text = _csv_text(csv_events) + _bad_csv_rows()
    result = load_csv(
        InMemoryExport("export_2026-11.csv", text.encode()),
        settings=settings,
        lake_uri=str(lake),
        uploaded_at=uploaded_at,
    )
    scenario.csv_rejected_rows = result.rejected
    source = source_name("export_2026-11.csv")
    scenario.inputs.extend(
        (event.model_copy(update={"ingested_at": uploaded_at, "source": source}), "csv")
        for event in csv_events
    )
    late_upload = CUTOFF + timedelta(hours=1)
    late_events = [
        _event(rng, catalog, f"CSVLATE-{n:03d}", CUTOFF, late_upload, "pos") for n in range(3)
    ]
    load_csv(
        InMemoryExport("after_cutoff.csv", _csv_text(late_events).encode()),
        settings=settings,
        lake_uri=str(lake),
        uploaded_at=late_upload,
    )
    return scenario


def _event(
    rng: random.Random,
    catalog: Catalog,
    event_id: str,
    occurred_at: datetime | None,
    ingested_at: datetime | None,
    source: str,
    *,
    sku: str | None = None,
    store_id: str | None = None,
    currency: str = "BRL",
    quantity: int | None = None,
    price: str | None = None,
) -> IngestedSaleEvent:
    ingested = ingested_at or CUTOFF - timedelta(hours=rng.randint(1, 48))
    occurred = occurred_at or ingested - timedelta(seconds=30)
    store = rng.choice(catalog.stores)
    items = []
    for position in range(rng.randint(1, 4)):
        product = rng.choice(catalog.products)
        line_quantity = quantity or rng.randint(1, 3)
        unit_price = Decimal(price) if price else list_price(product)
        discount = (
            unit_price * line_quantity * Decimal(rng.choice(("0", "0", "0.05", "0.1")))
        ).quantize(Decimal("0.01"))
        items.append(
            {
                "sku": sku if (sku and position == 0) else product.sku,
                "quantity": line_quantity,
                "unit_price": str(unit_price),
                "discount": str(discount),
            }
        )
    payload = {
        "event_id": event_id,
        "event_type": "return" if rng.random() < 0.12 else "sale",
        "occurred_at": occurred.astimezone(ZoneInfo("America/Sao_Paulo")).isoformat(),
        "channel": store.channel.value,
        "store_id": store_id or store.store_id,
        "order_id": f"ORD-{event_id}",
        "customer_id": rng.choice(
            [None, *(c.customer_id for c in catalog.customers[:30]), "C-UNKNOWN"]
        ),
        "currency": currency,
        "payment_method": rng.choice(PAYMENTS),
        "items": items,
    }
    event = SaleEvent.model_validate_json(json.dumps(payload))
    return IngestedSaleEvent.accept(event, ingested_at=ingested, source=source)


def _write_bronze(lake: Path, events: list[IngestedSaleEvent]) -> None:
    by_partition: dict[str, list[IngestedSaleEvent]] = defaultdict(list)
    for event in events:
        by_partition[bronze_partition(event.ingested_at)].append(event)
    for partition, members in sorted(by_partition.items()):
        folder = lake / partition
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(0, len(members), 3):
            pq.write_table(
                bronze_table(members[index : index + 3]), folder / f"part-{index}.parquet"
            )
        (folder / "manifest.json").write_text('{"compacted": false}\n')


def _csv_text(events: list[IngestedSaleEvent]) -> str:
    lines = [",".join(CSV_COLUMNS)]
    for event in events:
        for item in event.items:
            values = [
                event.event_id,
                event.event_type.value,
                event.occurred_at.isoformat(),
                event.channel.value,
                event.store_id,
                event.order_id,
                event.customer_id or "",
                event.currency,
                event.payment_method.value,
                item.sku,
                str(item.quantity),
                str(item.unit_price),
                str(item.discount),
            ]
            lines.append(",".join(values))
    return "\n".join(lines) + "\n"


def _bad_csv_rows() -> str:
    """Three rows that break the contract: a discount above the line value, a non-integer
    quantity, and an event whose two rows disagree on the store."""
    return (
        "CSV-BAD-0001,sale,2026-11-15T10:00:00-03:00,pos,SP-PAULISTA-01,O-1,,BRL,pix,NB-DELL-I3-8,1,100.00,150.00\n"
        "CSV-BAD-0002,sale,2026-11-15T10:00:00-03:00,pos,SP-PAULISTA-01,O-2,,BRL,pix,NB-DELL-I3-8,1.5,100.00,0\n"
        "CSV-BAD-0003,sale,2026-11-15T10:00:00-03:00,pos,SP-PAULISTA-01,O-3,,BRL,pix,NB-DELL-I3-8,1,100.00,0\n"
        "CSV-BAD-0003,sale,2026-11-15T10:00:00-03:00,pos,RJ-BARRA-01,O-3,,BRL,pix,NB-DELL-I3-8,1,100.00,0\n"
    )


def expected_gold(scenario: Scenario, reporting_tz: str = "America/Sao_Paulo") -> Expected:
    """The gold numbers, computed without Spark: dedupe (another source's copy with other content
    is a sale of its own, ADR 0021), rules in contract order, signed sums."""
    zone = ZoneInfo(reporting_tz)
    products = {p.sku: p for p in scenario.catalog.products}
    stores = {s.store_id: s for s in scenario.catalog.stores}
    copies_of: dict[str, list[tuple[IngestedSaleEvent, str]]] = defaultdict(list)
    for event, origin in scenario.inputs:
        copies_of[event.event_id].append((event, origin))
    lines_in = sum(len(event.items) for event, _ in scenario.inputs)
    winners: dict[str, tuple[IngestedSaleEvent, str]] = {}
    duplicate_lines = conflicts = 0
    for event_id, copies in copies_of.items():
        first, *later = sorted(copies, key=lambda c: (c[0].ingested_at, c[0].source, c[1] == "csv"))
        winners[event_id] = first
        for event, origin in later:
            own_sale = f"{event_id}~{event.source}"
            if (
                event.source != first[0].source
                and sold(event) != sold(first[0])
                and own_sale not in winners
            ):
                winners[own_sale] = (event, origin)
                conflicts += 1
            else:
                duplicate_lines += len(event.items)
    quality_counts = {
        "unknown_sku": 0,
        "unknown_store": 0,
        "event_id_conflicts": conflicts,
        "currency_mismatch": 0,
        "line_net_out_of_range": 0,
    }
    totals: dict[tuple[date, str], dict[str, Decimal | int]] = {}
    orders: dict[tuple[date, str], set[str]] = defaultdict(set)
    returns: dict[tuple[date, str], set[str]] = defaultdict(set)
    passed = 0
    for sale_id, (event, _) in winners.items():
        for item in event.items:
            store = stores.get(event.store_id)
            product = products.get(item.sku)
            if store is not None and event.currency != store.currency:
                quality_counts["currency_mismatch"] += 1
            elif item.net_amount > MAX_LINE_NET_AMOUNT:
                quality_counts["line_net_out_of_range"] += 1
            else:
                passed += 1
                quality_counts["unknown_sku"] += product is None
                quality_counts["unknown_store"] += store is None
                key = (event.occurred_at.astimezone(zone).date(), event.store_id)
                bucket = totals.setdefault(
                    key,
                    {
                        "net_revenue": Decimal("0.00"),
                        "gross_revenue": Decimal("0.00"),
                        "discount": Decimal("0.00"),
                        "units": 0,
                        "cost": Decimal("0.00"),
                    },
                )
                bucket["net_revenue"] += event.sign * item.net_amount
                bucket["gross_revenue"] += event.sign * item.gross_amount
                bucket["discount"] += event.sign * item.discount
                bucket["units"] += event.sign * item.quantity
                if product is not None and product.unit_cost is not None:
                    bucket["cost"] += event.sign * item.quantity * product.unit_cost
                (returns if event.sign < 0 else orders)[key].add(sale_id)
    for key, bucket in totals.items():
        bucket["orders"] = len(orders[key])
        bucket["returns"] = len(returns[key])
    return Expected(totals, quality_counts, duplicate_lines, lines_in, passed)
