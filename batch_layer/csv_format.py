"""The contract's CSV upload format, and the validation of one event's rows against the contract.

Rows are grouped into events (by `event_id`, given or derived) and each group is validated as one
`SaleEvent` by the contract itself, so a CSV line is held to exactly the rules an API request is
(discount within the line value, lines per event, time not in the future of the upload, ...).
When an event is invalid every one of its rows is rejected with the reason: loading half an
order would misstate it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError

from contract.content_digest import CONTENT_DIGEST, content_digest
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
UPLOAD_COLUMNS = (*CSV_COLUMNS, "ingested_at", "source", CONTENT_DIGEST)
"""Columns of an accepted file in `bronze/csv_uploads/`: the contract's CSV columns plus the
loader's stamp and the event's content digest (on each of its lines). The batch job and the
serving layer's real-time view read exactly these; files loaded before the digest existed lack
its column and read it as NULL."""

_SOURCE_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/-]")
_DIGITS = re.compile(r"^[0-9]+$")


@dataclass(slots=True)
class MappedRow:
    """One row of an export, with its values in the contract's fields and notation."""

    file_line: int
    """1-based line of the file the row ends on (the header is line 1), as an editor shows it."""
    fields: list[str]
    """The row as read, kept for the quarantine."""
    values: dict[str, str]
    """Contract field -> value (`CSV_COLUMNS`; an optional field absent from the export is '')."""
    event_id: str | None
    """The event the row belongs to; None when the row cannot be placed (it is rejected alone)."""
    problems: list[tuple[str, str]]
    """Why values could not be read: (where, e.g. `column VL_UNIT`, or '' for the whole row;
    reason). Empty when every value could be."""


def row_problems(row: MappedRow) -> str:
    """`file line 7, column DATA: reason; file line 7, column VL_UNIT: reason`."""
    return "; ".join(
        f"file line {row.file_line}, {where}: {reason}"
        if where
        else f"file line {row.file_line}: {reason}"
        for where, reason in row.problems
    )


def source_name(file_name: str) -> str:
    """`csv:<file name>`, made a valid contract identifier (at most 64 characters)."""
    return f"csv:{_SOURCE_UNSAFE.sub('_', file_name)}"[:64]


def validate_event(
    rows: Sequence[MappedRow], received_at: datetime, label: Callable[[str], str]
) -> SaleEvent | str:
    """The rows of one event as a validated `SaleEvent`, or the reason they are all rejected.

    `label(field)` names where a field came from (`column VL_UNIT (unit_price)`), so a reason
    points at the file's own column."""
    unreadable = "; ".join(row_problems(row) for row in rows if row.problems)
    if unreadable:
        return f"event {rows[0].event_id!r} {_lines(rows)} cannot be read: {unreadable}"
    first = rows[0].values
    disagreeing = sorted(
        {name for row in rows[1:] for name in EVENT_COLUMNS if row.values[name] != first[name]}
    )
    if disagreeing:
        named = ", ".join(label(name).removeprefix("column ") for name in disagreeing)
        return (
            f"rows of event {first['event_id']!r} (file lines "
            f"{', '.join(str(row.file_line) for row in rows)}) disagree on {named}; "
            "every row of an event must repeat its event columns"
        )
    payload: dict[str, Any] = {name: first[name] for name in EVENT_COLUMNS}
    if not payload["customer_id"]:
        payload["customer_id"] = None
    payload["items"] = [_line_payload(row.values) for row in rows]
    try:
        return SaleEvent.model_validate_json(
            orjson.dumps(payload), context={RECEIVED_AT_CONTEXT_KEY: received_at}
        )
    except ValidationError as error:
        return _describe(error, rows, label)


def upload_rows(event: SaleEvent, stamp: Sequence[str]) -> list[list[str]]:
    """The event's lines as rows of `UPLOAD_COLUMNS` (money with two places, discount 0.00 when
    empty), in the order of its rows in the file; `stamp` is (`ingested_at`, `source`)."""
    digest = str(content_digest(event))
    head = [
        event.event_id,
        event.event_type.value,
        event.occurred_at.isoformat(),
        event.channel.value,
        event.store_id,
        event.order_id,
        event.customer_id or "",
        event.currency,
        event.payment_method.value,
    ]
    return [
        [
            *head,
            item.sku,
            str(item.quantity),
            format_money(item.unit_price),
            format_money(item.discount),
            *stamp,
            digest,
        ]
        for item in event.items
    ]


def _lines(rows: Sequence[MappedRow]) -> str:
    return f"(file lines {', '.join(str(row.file_line) for row in rows)})"


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


def _describe(
    error: ValidationError, rows: Sequence[MappedRow], label: Callable[[str], str]
) -> str:
    problems = []
    for detail in error.errors(include_url=False):
        location = list(detail["loc"])
        if len(location) >= 2 and location[0] == "items" and isinstance(location[1], int):
            where = f"file line {rows[location[1]].file_line}"
            field = ".".join(str(part) for part in location[2:])
            problems.append(
                f"{where}, {label(field)}: {detail['msg']}"
                if field
                else f"{where}: {detail['msg']}"
            )
        elif location:
            field = ".".join(str(part) for part in location)
            problems.append(f"file line {rows[0].file_line}, {label(field)}: {detail['msg']}")
        else:
            problems.append(f"{_lines(rows)}: {detail['msg']}")
    return f"event {rows[0].event_id!r} breaks the contract: " + "; ".join(problems)
