"""Legacy CSV exports: one row per sale line, validated against the sale event contract.

Rows are grouped by `event_id` into a `SaleEvent` and validated by the contract itself, so a CSV
line is held to exactly the rules an API request is (discount within the line value, total
lines per event, time not in the future of the upload, ...). When an event is invalid every one
of its rows is rejected with the reason: loading half an order would misstate it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from contract.event import RECEIVED_AT_CONTEXT_KEY, SaleEvent
from contract.money import format_money

EVENT_COLUMNS = (
    "event_id",
    "event_type",
    "occurred_at",
    "channel",
    "store_id",
    "order_id",
    "customer_id",
    "currency",
    "payment_method",
)
"""Columns that describe the event: every row of one event must repeat the same values."""
LINE_COLUMNS = ("sku", "quantity", "unit_price", "discount")
CSV_COLUMNS = EVENT_COLUMNS + LINE_COLUMNS
UPLOAD_COLUMNS = (*CSV_COLUMNS, "ingested_at", "source")
"""Columns of an accepted file in `bronze/csv_uploads/`: the CSV's own plus the loader's stamp."""
QUARANTINE_COLUMNS = ("file_line", "reason", *UPLOAD_COLUMNS)

_SOURCE_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/-]")
_DIGITS = re.compile(r"^[0-9]+$")


class CsvHeaderError(ValueError):
    """The file's header is not the expected one: no row of it can be read."""


@dataclass(frozen=True)
class CsvRow:
    file_line: int
    """1-based line of the file the row ends on (the header is line 1), as an editor shows it."""
    values: dict[str, str]


@dataclass(frozen=True)
class RejectedRow:
    row: CsvRow
    reason: str


@dataclass(frozen=True)
class CsvValidation:
    accepted: list[dict[str, str]]
    """Accepted rows in UPLOAD_COLUMNS, values normalised (money with two places)."""
    rejected: list[RejectedRow]


def source_name(file_name: str) -> str:
    """`csv:<file name>`, made a valid contract identifier (at most 64 characters)."""
    return f"csv:{_SOURCE_UNSAFE.sub('_', file_name)}"[:64]


def validate_csv(text: str, *, source: str, uploaded_at: datetime) -> CsvValidation:
    """Validate every row of a CSV export; raises CsvHeaderError when the header is wrong."""
    rows, rejected = _read_rows(text)
    groups: dict[str, list[CsvRow]] = {}
    for row in rows:
        groups.setdefault(row.values["event_id"], []).append(row)
    accepted: list[dict[str, str]] = []
    stamp = {"ingested_at": uploaded_at.astimezone(UTC).isoformat(), "source": source}
    for group in groups.values():
        event, reason = _validate_event(group, uploaded_at)
        if event is None:
            rejected.extend(RejectedRow(row, reason) for row in group)
            continue
        accepted.extend(_normalised_row(event, index) | stamp for index in range(len(group)))
    rejected.sort(key=lambda item: item.row.file_line)
    return CsvValidation(accepted=accepted, rejected=rejected)


def _read_rows(text: str) -> tuple[list[CsvRow], list[RejectedRow]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise CsvHeaderError("the file is empty; expected a header row: " + ",".join(CSV_COLUMNS))
    header = [name.strip() for name in header]
    missing = [name for name in CSV_COLUMNS if name not in header]
    unexpected = [name for name in header if name not in CSV_COLUMNS]
    if missing or unexpected or len(set(header)) != len(header):
        raise CsvHeaderError(
            f"header must name each of {','.join(CSV_COLUMNS)} once (any order); "
            f"missing: {missing or 'none'}, unexpected or repeated: "
            f"{unexpected or sorted({n for n in header if header.count(n) > 1}) or 'none'}"
        )
    rows: list[CsvRow] = []
    rejected: list[RejectedRow] = []
    for fields in reader:
        file_line = reader.line_num
        if not any(field.strip() for field in fields):
            continue
        values = dict(zip(header, fields, strict=False))
        row = CsvRow(file_line, {name: values.get(name, "") for name in CSV_COLUMNS})
        if len(fields) != len(header):
            reason = f"row has {len(fields)} fields, the header has {len(header)}"
            rejected.append(RejectedRow(row, reason))
        else:
            rows.append(row)
    return rows, rejected


def _validate_event(group: Sequence[CsvRow], uploaded_at: datetime) -> tuple[SaleEvent | None, str]:
    first = group[0].values
    disagreeing = sorted(
        {name for row in group[1:] for name in EVENT_COLUMNS if row.values[name] != first[name]}
    )
    if disagreeing:
        lines = ", ".join(str(row.file_line) for row in group)
        return None, (
            f"rows of event {first['event_id']!r} (file lines {lines}) disagree on "
            f"{', '.join(disagreeing)}; every row of an event must repeat its event columns"
        )
    payload: dict[str, Any] = {name: first[name] for name in EVENT_COLUMNS}
    if not payload["customer_id"]:
        payload["customer_id"] = None
    payload["items"] = [_line_payload(row.values) for row in group]
    try:
        event = SaleEvent.model_validate_json(
            json.dumps(payload), context={RECEIVED_AT_CONTEXT_KEY: uploaded_at}
        )
    except ValidationError as error:
        return None, _describe(error, group)
    return event, ""


def _line_payload(values: dict[str, str]) -> dict[str, Any]:
    quantity = values["quantity"].strip()
    line: dict[str, Any] = {
        "sku": values["sku"],
        "quantity": int(quantity) if _DIGITS.match(quantity) else quantity,
        "unit_price": values["unit_price"].strip(),
    }
    if values["discount"].strip():
        line["discount"] = values["discount"].strip()
    return line


def _describe(error: ValidationError, group: Sequence[CsvRow]) -> str:
    problems = []
    for detail in error.errors(include_url=False):
        location = list(detail["loc"])
        if len(location) >= 2 and location[0] == "items" and isinstance(location[1], int):
            where = f"file line {group[location[1]].file_line}"
            field = ".".join(str(part) for part in location[2:]) or "line"
            problems.append(f"{where} {field}: {detail['msg']}")
        else:
            problems.append(f"{'.'.join(str(p) for p in location) or 'event'}: {detail['msg']}")
    return f"event {group[0].values['event_id']!r} breaks the contract: " + "; ".join(problems)


def _normalised_row(event: SaleEvent, index: int) -> dict[str, str]:
    item = event.items[index]
    return {
        "event_id": event.event_id,
        "event_type": event.event_type.value,
        "occurred_at": event.occurred_at.isoformat(),
        "channel": event.channel.value,
        "store_id": event.store_id,
        "order_id": event.order_id,
        "customer_id": event.customer_id or "",
        "currency": event.currency,
        "payment_method": event.payment_method.value,
        "sku": item.sku,
        "quantity": str(item.quantity),
        "unit_price": format_money(item.unit_price),
        "discount": format_money(item.discount),
    }


def render_csv(columns: Sequence[str], rows: Sequence[dict[str, str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def quarantine_rows(
    rejected: Sequence[RejectedRow], *, source: str, uploaded_at: datetime
) -> list[dict[str, str]]:
    ingested_at = uploaded_at.astimezone(UTC).isoformat()
    return [
        {"file_line": str(item.row.file_line), "reason": item.reason}
        | item.row.values
        | {"ingested_at": ingested_at, "source": source}
        for item in rejected
    ]
