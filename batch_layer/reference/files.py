"""Reading a shop's reference file (CSV, Parquet or JSON Lines) into validated rows, or refusing it.

Every row is validated by the contract's model (`contract.reference`), the same the batch and
serving layers rely on. A file is accepted whole or refused whole: every problem is collected as
`line N, column C: reason` (Parquet has rows, not lines: `row N`) so one pass over the errors
fixes the file, and nothing is written for a refused file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ValidationError

from batch_layer.errors import BatchLayerError, ReferenceFileError
from contract.reference import ReferenceTable

CSV_SUFFIXES = (".csv", ".txt")
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet", ".pq")
MAX_LISTED_PROBLEMS = 200
"""A file with more problems lists the first ones and how many more: enough to see the pattern."""

_MONEY_COLUMNS = ("unit_cost", "list_price")
_DECIMAL_COMMA = re.compile(r"^[0-9]{1,3}(\.[0-9]{3})*,[0-9]{1,2}$")


@dataclass(frozen=True)
class SourceRow:
    where: str
    """`line N` (CSV, JSON Lines; the CSV header is line 1) or `row N` (Parquet)."""
    values: dict[str, Any]
    problem: str | None = None
    """Why the row could not even be split into columns (a CSV row with too few cells)."""


def read_reference_file(
    path: Path, table: ReferenceTable, *, decimal_separator: str = "."
) -> pa.Table:
    """The file's rows as an Arrow table in `table.schema()`; raises ReferenceFileError."""
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        rows = _parquet_rows(path)
    elif suffix in JSON_LINES_SUFFIXES:
        rows = _json_lines_rows(path)
    elif suffix in CSV_SUFFIXES:
        rows = _csv_rows(path)
    else:
        raise ReferenceFileError(
            path.name,
            [f"unknown file type {suffix or '(none)'!r}: use .csv, .parquet or .jsonl"],
        )
    return validate_rows(path.name, rows, table, decimal_separator=decimal_separator)


def validate_rows(
    file_name: str,
    rows: Iterator[SourceRow],
    table: ReferenceTable,
    *,
    decimal_separator: str = ".",
) -> pa.Table:
    """Validate rows against the table's model: unknown and missing columns, bad values and
    repeated keys are all reported together."""
    fields = table.model.model_fields
    required = [name for name, info in fields.items() if info.is_required()]
    problems: list[str] = []
    valid: list[BaseModel] = []
    first_seen: dict[str, str] = {}
    checked_columns: set[frozenset[str]] = set()
    try:
        for row in rows:
            if row.problem is not None:
                problems.append(f"{row.where}: {row.problem}")
                continue
            columns = frozenset(row.values)
            if columns not in checked_columns:
                problems += _column_problems(row, fields, required)
                checked_columns.add(columns)
            values = {
                name: _normalised(name, value, decimal_separator)
                for name, value in row.values.items()
                if name in fields and value is not None and value != ""
            }
            try:
                model = table.model.model_validate(values)
            except ValidationError as error:
                problems += _value_problems(row, error)
                continue
            key = str(getattr(model, table.key))
            if key in first_seen:
                problems.append(
                    f"{row.where}, column {table.key}: {key!r} is already on {first_seen[key]}; "
                    "each key appears once per file"
                )
                continue
            first_seen[key] = row.where
            valid.append(model)
    except _UnreadableError as error:
        problems.append(str(error))
    if not problems and not valid:
        problems.append(f"the file has no {table.name} rows")
    if problems:
        shown = problems[:MAX_LISTED_PROBLEMS]
        if len(problems) > MAX_LISTED_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_LISTED_PROBLEMS} more problems")
        raise ReferenceFileError(file_name, shown)
    return table.arrow(valid)


class _UnreadableError(BatchLayerError):
    """The file cannot be read past this point (bad encoding, broken JSON framing)."""


def _column_problems(row: SourceRow, fields: dict[str, Any], required: list[str]) -> list[str]:
    problems = [
        f"{row.where}, column {name}: not a column of this table (its columns: {', '.join(fields)})"
        for name in row.values
        if name not in fields
    ]
    problems += [
        f"{row.where}, column {name}: required column missing"
        for name in required
        if name not in row.values
    ]
    return problems


def _value_problems(row: SourceRow, error: ValidationError) -> list[str]:
    """One problem per bad value; a missing column was already reported once, on its header."""
    problems = []
    for detail in error.errors(include_url=False):
        column = _column(detail["loc"])
        if detail["type"] != "missing":
            reason = detail["msg"].removeprefix("Value error, ")
            if _DECIMAL_COMMA.match(str(row.values.get(column, ""))):
                reason += "; it looks like a decimal comma: pass --decimal-separator ,"
            problems.append(f"{row.where}, column {column}: {reason}")
        elif column in row.values:
            problems.append(f"{row.where}, column {column}: a value is required")
    return problems


def _normalised(column: str, value: Any, decimal_separator: str) -> Any:
    """Money written with a decimal comma (`1.234,56`) becomes `1234.56` when the file says so."""
    if decimal_separator == "," and column in _MONEY_COLUMNS and isinstance(value, str):
        return value.replace(".", "").replace(",", ".")
    return value


def _column(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(row)"


def _csv_rows(path: Path) -> Iterator[SourceRow]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise _UnreadableError(
            f"line {line}: not UTF-8 text; save the file as UTF-8 (with or without BOM)"
        ) from error
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return
    names = [name.strip() for name in header]
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            problem = (
                f"has {len(cells)} cells, the header has {len(names)} ({delimiter!r}-separated)"
            )
            yield SourceRow(f"line {reader.line_num}", {}, problem)
            continue
        yield SourceRow(f"line {reader.line_num}", dict(zip(names, cells, strict=True)))


def _json_lines_rows(path: Path) -> Iterator[SourceRow]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise _UnreadableError(f"line {number}: not a JSON object: {error}") from error
            if not isinstance(value, dict):
                raise _UnreadableError(f"line {number}: not a JSON object")
            yield SourceRow(f"line {number}", value)


def _parquet_rows(path: Path) -> Iterator[SourceRow]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise _UnreadableError(f"row 1: not a readable Parquet file: {error}") from error
    number = 0
    for batch in parquet.iter_batches():
        for values in batch.to_pylist():
            number += 1
            yield SourceRow(f"row {number}", values)
