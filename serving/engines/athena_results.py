"""Athena result pages to typed Python values, driven by the result set's column metadata.

Athena returns every value as a string (`VarCharValue`, absent for NULL) plus each column's
type; this is the one place that turns those strings back into the types DuckDB returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo


def _timestamp_with_zone(text: str) -> datetime:
    """`2026-11-21 10:00:00.000 UTC` or `... America/Sao_Paulo`: a zone name after the time."""
    moment, _, zone = text.rpartition(" ")
    return datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo(zone))


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "tinyint": int,
    "smallint": int,
    "integer": int,
    "int": int,
    "bigint": int,
    "decimal": Decimal,
    "double": float,
    "float": float,
    "real": float,
    "boolean": lambda text: text.lower() == "true",
    "date": date.fromisoformat,
    "timestamp": datetime.fromisoformat,
    "timestamp with time zone": _timestamp_with_zone,
}


def converter(athena_type: str) -> Callable[[str], Any]:
    """Strings for varchar, char, json and the nested types Athena renders as text."""
    base = athena_type.lower().split("(", 1)[0].strip()
    return _CONVERTERS.get(base, str)


def typed_rows(
    column_info: list[dict[str, Any]], pages: Iterable[list[dict[str, Any]]], *, has_header: bool
) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """Column names and typed rows; Athena repeats the column labels as the first row of the
    first page of a SELECT's results, which `has_header` drops."""
    names = tuple(column["Name"] for column in column_info)
    converters = [converter(column["Type"]) for column in column_info]
    rows: list[dict[str, Any]] = []
    skip = has_header
    for page in pages:
        for row in page:
            values = [cell.get("VarCharValue") for cell in row["Data"]]
            if skip:
                skip = False
                if tuple(values) == names:
                    continue
            rows.append(
                {
                    name: None if value is None else convert(value)
                    for name, convert, value in zip(names, converters, values, strict=True)
                }
            )
    return names, rows
