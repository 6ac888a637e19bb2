"""CSV text builders for the loader tests, and a helper that loads text into a temporary lake."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from batch_layer.csv_format import CSV_COLUMNS
from batch_layer.csv_loader import PART_ROWS, LoadResult, load_csv
from batch_layer.csv_mapping import CONTRACT_FORMAT, ExportMapping
from batch_layer.csv_sources import InMemoryExport
from contract.settings import Settings

HEADER = ",".join(CSV_COLUMNS)
UPLOADED_AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def row(event_id: str = "EV-0000001", **values: str) -> str:
    defaults = {
        "event_id": event_id,
        "event_type": "sale",
        "occurred_at": "2026-11-21T13:45:12-03:00",
        "channel": "pos",
        "store_id": "SP-PAULISTA-01",
        "order_id": "PDV7-000123",
        "customer_id": "C-000042",
        "currency": "BRL",
        "payment_method": "pix",
        "sku": "NB-DELL-I5-16",
        "quantity": "1",
        "unit_price": "4599.90",
        "discount": "100",
    }
    return ",".join((defaults | values)[name] for name in CSV_COLUMNS)


def csv_text(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


@dataclass(frozen=True)
class Loaded:
    result: LoadResult
    accepted: list[dict[str, str]]
    """The rows of the upload parts, in order."""
    rejected: list[dict[str, str]]
    """The rows of the quarantine parts, in order."""
    record: dict[str, object]


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(), newline="")))


def load_text(
    lake: Path,
    text: str | bytes,
    *,
    name: str = "test.csv",
    mapping: ExportMapping = CONTRACT_FORMAT,
    uploaded_at: datetime = UPLOADED_AT,
    part_rows: int = PART_ROWS,
) -> Loaded:
    """Load `text` with the real loader into the local lake `lake` and read back what it wrote."""
    settings = Settings(lake_uri=str(lake), state_dir=lake.parent / "state")
    data = text.encode() if isinstance(text, str) else text
    result = load_csv(
        InMemoryExport(name, data),
        settings=settings,
        mapping=mapping,
        uploaded_at=uploaded_at,
        part_rows=part_rows,
    )
    record = json.loads((lake / result.record_path).read_text())
    return Loaded(
        result,
        [row for part in record["upload_parts"] for row in read_csv(lake / part)],
        [row for part in record["quarantine_parts"] for row in read_csv(lake / part)],
        record,
    )
