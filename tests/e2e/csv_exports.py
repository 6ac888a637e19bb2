"""Legacy CSV exports for the end-to-end tests: files in the contract's CSV format, written with
the loader tests' own row builder, and their figures computed from the generated lines alone
(no code of the loader or the serving layer), in the query API's terms."""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from tests.e2e.ledger_checks import METRICS, Figures
from tests.unit.batch_layer.csv_samples import csv_text, row

REPORTING_ZONE = timezone(timedelta(hours=-3))
"""The stack's reporting zone, America/Sao_Paulo, which keeps -03:00 all year: a line's
`occurred_at` written at -03:00 falls on the day it names."""
STORES = ("SP-PAULISTA-01", "SP-MORUMBI-01", "SP-CAMPINAS-01", "SP-ABC-01")
SKUS = ("NB-DELL-I3-8", "NB-DELL-I5-8", "NB-DELL-I5-16", "NB-DELL-I7-16")

Line = dict[str, str]


@dataclass(frozen=True)
class Export:
    written: Path
    """Where the file was written, outside the landing folder."""
    lines: list[Line]
    sha256: str
    """The loader's name for the file's load (its staging folder and its load record)."""

    @property
    def name(self) -> str:
        return self.written.name

    @property
    def events(self) -> int:
        return len({line["event_id"] for line in self.lines})


def write_export(folder: Path, name: str, line_count: int, rng: random.Random) -> Export:
    """A file of `line_count` lines: sales and some returns of one or two lines each, on the
    three days before today in stores of the demo catalog."""
    lines = export_lines(name, line_count, rng)
    data = csv_text(*(row(**line) for line in lines)).encode()
    path = folder / f"{name}.csv"
    path.write_bytes(data)
    return Export(path, lines, hashlib.sha256(data).hexdigest())


def export_lines(tag: str, count: int, rng: random.Random) -> list[Line]:
    today = datetime.now(REPORTING_ZONE).date()
    lines: list[Line] = []
    while len(lines) < count:
        day = today - timedelta(days=rng.randint(1, 3))
        event = {
            "event_id": f"EV-CSV-{tag}-{len(lines):07d}",
            "event_type": "return" if rng.random() < 0.1 else "sale",
            "occurred_at": f"{day}T{rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}:00-03:00",
            "store_id": rng.choice(STORES),
            "order_id": f"ERP-{tag}-{len(lines)}",
        }
        for sku in rng.sample(SKUS, min(rng.choice((1, 1, 2)), count - len(lines))):
            price = Decimal(rng.randint(1_000, 700_000)) / 100
            lines.append(
                {
                    **event,
                    "sku": sku,
                    "quantity": str(rng.randint(1, 3)),
                    "unit_price": str(price),
                    "discount": str(rng.choice((Decimal(0), Decimal("5.00"), Decimal("9.99")))),
                }
            )
    return lines


def export_figures(exports: list[Export]) -> Figures:
    """Per (day, store): money signed (a return negative), units the signed quantities, orders
    and returns the distinct event ids, as `contract.gold.METRIC_DEFINITIONS` has them."""
    figures: Figures = defaultdict(lambda: dict.fromkeys(METRICS, 0))
    counted: set[str] = set()
    for line in (line for export in exports for line in export.lines):
        metrics = figures[(line["occurred_at"][:10], line["store_id"])]
        sign = -1 if line["event_type"] == "return" else 1
        gross = Decimal(line["unit_price"]) * int(line["quantity"])
        discount = Decimal(line["discount"])
        for name, value in (
            ("gross_revenue", gross),
            ("discount", discount),
            ("net_revenue", gross - discount),
            ("units", int(line["quantity"])),
        ):
            metrics[name] = metrics[name] + sign * value
        if line["event_id"] not in counted:
            counted.add(line["event_id"])
            name = "returns" if line["event_type"] == "return" else "orders"
            metrics[name] = metrics[name] + 1
    return dict(figures)
