"""Z reports exported as CSV: one row per store (or till) and business day, into the lake's
reconciliation reports (`contract.reconciliation.ReportStore`), exactly as the API stores them.

A file is read as the history loader reads exports (`csv_reading`, `csv_rows` number rules, the
mapping conventions of `csv_mapping`): either in the contract's own Z-report format (no mapping:
`ZREPORT_COLUMNS`, ISO dates, decimal points, event ids separated by spaces), or through a TOML
mapping (`examples/mappings/erp_reducao_z.toml`) naming each field's column or constant, the
encoding, delimiter, number separators, the date format, and value maps for store and terminal
codes. Each row becomes one `ReconciliationReport`, validated by the contract itself with the
upload time as the moment received, so a row obeys exactly the API's rules.

A Z export is small and is either right or not: a file with any bad row is refused whole and
nothing of it is stored, with every problem as `file line N, column C (field): reason`. Loading
a file again stores nothing new (each report equals the one in force); a corrected export
replaces the reports it changes, keeping the earlier versions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from batch_layer.csv_format import source_name
from batch_layer.csv_reading import read_export
from batch_layer.csv_rows import _Numbers
from batch_layer.errors import CsvFileError, MappingError, ZReportFileError
from batch_layer.mapping_files import MappingFile, Source, parse_mapping_file
from contract.event import RECEIVED_AT_CONTEXT_KEY, EventType, Identifier
from contract.reconciliation import ReconciliationReport, ReportStore

logger = logging.getLogger(__name__)

ISO_DATES = "iso"
COUNT_FIELDS = {kind: f"{kind.value}_count" for kind in EventType}
AMOUNT_FIELDS = {kind: f"{kind.value}_net_amount" for kind in EventType}
ZREPORT_COLUMNS = (
    "store_id",
    "business_date",
    "terminal_id",
    *(name for kind in EventType for name in (COUNT_FIELDS[kind], AMOUNT_FIELDS[kind])),
    "event_ids",
)
"""The contract's own Z-report CSV; only `REQUIRED_CONTRACT_COLUMNS` must be there, and
`terminal_id`, the returns and `event_ids` may be empty."""
REQUIRED_CONTRACT_COLUMNS = ("store_id", "business_date", "sale_count", "sale_net_amount")


class _ZColumns(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    store_id: Source
    business_date: Source
    terminal_id: Source | None = None
    sale_count: Source
    sale_net_amount: Source
    return_count: Source | None = None
    return_net_amount: Source | None = None
    event_ids: Source | None = None

    @field_validator(
        "business_date",
        "sale_count",
        "sale_net_amount",
        "return_count",
        "return_net_amount",
        "event_ids",
    )
    @classmethod
    def _varies_per_row(cls, source: Source | None) -> Source | None:
        if source is not None and source.constant is not None:
            raise ValueError("must name a source column: this field differs from row to row")
        return source


class _ZValues(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    store_id: dict[str, Identifier] | None = None
    terminal_id: dict[str, Identifier] | None = None


class _ZMappingFile(MappingFile):
    date_format: Annotated[str, Field(min_length=1)] = ISO_DATES
    event_id_separator: Annotated[str, Field(min_length=1, max_length=1)] = " "
    columns: _ZColumns
    values: _ZValues = _ZValues()

    @field_validator("date_format")
    @classmethod
    def _parsable(cls, pattern: str) -> str:
        if pattern == ISO_DATES:
            return pattern
        sample = date(2026, 11, 21)
        try:
            if datetime.strptime(sample.strftime(pattern), pattern).date() != sample:
                raise ValueError(pattern)
        except ValueError as error:
            raise ValueError(
                f"{pattern!r} is not a strptime date format that reads back what it writes "
                "(e.g. %d/%m/%Y), or 'iso'"
            ) from error
        return pattern


@dataclass(frozen=True)
class ZMapping:
    """How to read one kind of Z export; `source_system` None is the contract's own format."""

    name: str
    source_system: str | None
    encoding: str
    delimiter: str
    decimal_separator: str
    thousands_separator: str
    date_format: str
    event_id_separator: str
    columns: Mapping[str, Source]
    values: Mapping[str, Mapping[str, str]]

    def label(self, field: str) -> str:
        source = self.columns.get(field)
        if source is None or source.column is None:
            return f"constant {field}"
        return f"column {source.column}" + ("" if source.column == field else f" ({field})")


CONTRACT_ZREPORT_FORMAT = ZMapping(
    name="contract",
    source_system=None,
    encoding="utf-8",
    delimiter=",",
    decimal_separator=".",
    thousands_separator="",
    date_format=ISO_DATES,
    event_id_separator=" ",
    columns={name: Source(column=name) for name in ZREPORT_COLUMNS},
    values={},
)


def read_zmapping(path: Path) -> ZMapping:
    """A Z-report mapping file; MappingError names the TOML key at fault."""
    name = path.stem
    try:
        data = path.read_bytes()
    except OSError as error:
        raise MappingError(f"mapping {path}: cannot be read: {error}") from error
    model = parse_mapping_file(data, name, _ZMappingFile)
    return ZMapping(
        name=name,
        source_system=model.source_system,
        encoding=model.encoding,
        delimiter=model.delimiter,
        decimal_separator=model.decimal_separator,
        thousands_separator=model.thousands_separator,
        date_format=model.date_format,
        event_id_separator=model.event_id_separator,
        columns={
            field: source
            for field in _ZColumns.model_fields
            if (source := getattr(model.columns, field)) is not None
        },
        values=model.values.model_dump(exclude_none=True),
    )


@dataclass(frozen=True)
class ZLoadResult:
    reports: int
    stored: int
    """First versions of their scope."""
    replaced: int
    unchanged: int


def load_zreports(
    path: Path, mapping: ZMapping, store: ReportStore, *, received_at: datetime
) -> ZLoadResult:
    """Validate every row of `path`, then store each report; ZReportFileError (nothing stored)
    naming each bad row's file line and column, CsvFileError for a file that cannot be read."""
    with path.open("rb") as handle:
        export = read_export(handle, encoding=mapping.encoding, delimiter=mapping.delimiter)
        reader = _RowReader(mapping, export.header, received_at)
        reports: list[ReconciliationReport] = []
        problems: list[str] = []
        first_line: dict[object, int] = {}
        for row in export.rows:
            report = reader.read(row.file_line, row.fields, problems)
            if report is None:
                continue
            earlier = first_line.setdefault(report.key, row.file_line)
            if earlier != row.file_line:
                problems.append(
                    f"file line {row.file_line}: repeats the report of file line {earlier} "
                    f"(store {report.store_id}, {report.business_date}, terminal "
                    f"{report.terminal_id or 'none: whole store'})"
                )
                continue
            reports.append(report)
    if problems:
        raise ZReportFileError(path.name, problems)
    source = source_name(
        path.name if mapping.source_system is None else f"{mapping.source_system}/{path.name}"
    )
    outcomes = [store.save(r, received_at=received_at, source=source) for r in reports]
    result = ZLoadResult(
        reports=len(outcomes),
        stored=sum(o.created and not o.replaced for o in outcomes),
        replaced=sum(o.replaced for o in outcomes),
        unchanged=sum(not o.created for o in outcomes),
    )
    logger.info(
        "z reports loaded", extra={"file": path.name, "mapping": mapping.name, **vars(result)}
    )
    return result


class _RowReader:
    def __init__(self, mapping: ZMapping, header: list[str], received_at: datetime) -> None:
        self._mapping = mapping
        index = _column_index(mapping, header)
        self._columns = {
            field: (source, index.get(source.column) if source.column else None)
            for field, source in mapping.columns.items()
            if source.column is None or source.column in index
        }
        """Each field the file provides, with its column's position (None for a constant)."""
        self._width = len(header)
        self._numbers = _Numbers(mapping.decimal_separator, mapping.thousands_separator)
        self._context = {RECEIVED_AT_CONTEXT_KEY: received_at}

    def read(
        self, file_line: int, fields: list[str], problems: list[str]
    ) -> ReconciliationReport | None:
        """The row's report, or None after adding its problems to `problems`."""
        if len(fields) != self._width:
            problems.append(
                f"file line {file_line}: the row has {len(fields)} fields, the header {self._width}"
            )
            return None
        raw = {
            field: source.constant or "" if position is None else fields[position].strip()
            for field, (source, position) in self._columns.items()
        }
        found: list[tuple[str, str]] = []
        data: dict[str, Any] = {**self._identifiers(raw, found), "totals": self._totals(raw, found)}
        try:
            data["business_date"] = self._date(raw["business_date"])
        except ValueError as error:
            found.append(("business_date", str(error)))
        if raw.get("event_ids"):
            separator = self._mapping.event_id_separator
            data["event_ids"] = [i for i in raw["event_ids"].split(separator) if i]
        report = None
        if not found:
            try:
                report = ReconciliationReport.model_validate(data, context=self._context)
            except ValidationError as error:
                found += [
                    (_field_of(d["loc"]), str(d["msg"]).removeprefix("Value error, "))
                    for d in error.errors(include_url=False)
                ]
        problems += [
            f"file line {file_line}, {self._mapping.label(field)}: {reason}"
            for field, reason in found
        ]
        return report

    def _identifiers(self, raw: dict[str, str], found: list[tuple[str, str]]) -> dict[str, str]:
        """Store and terminal, through their value maps; an empty terminal is the whole store."""
        data = {}
        for field in ("store_id", "terminal_id"):
            value = raw.get(field, "")
            table = self._mapping.values.get(field)
            if table is not None and value:
                if value not in table:
                    listed = ", ".join(sorted(table)[:20])
                    found.append((field, f"{value!r} is not listed in [values.{field}] ({listed})"))
                    continue
                value = table[value]
            if value or field == "store_id":
                data[field] = value
        return data

    def _totals(
        self, raw: dict[str, str], found: list[tuple[str, str]]
    ) -> dict[EventType, dict[str, Any]]:
        """Per event type with a count or an amount in the row: both, read as numbers."""
        totals: dict[EventType, dict[str, Any]] = {}
        for kind in EventType:
            count_field, amount_field = COUNT_FIELDS[kind], AMOUNT_FIELDS[kind]
            count, amount = raw.get(count_field, ""), raw.get(amount_field, "")
            if not count and not amount:
                continue
            total: dict[str, Any] = {}
            try:
                total["count"] = int(self._numbers.whole(count or "0"))
            except ValueError as error:
                found.append((count_field, str(error)))
            try:
                total["net_amount"] = self._numbers.money(amount or "0")
            except ValueError as error:
                found.append((amount_field, str(error)))
            totals[kind] = total
        return totals

    def _date(self, value: str) -> date:
        pattern = self._mapping.date_format
        try:
            if pattern == ISO_DATES:
                return date.fromisoformat(value)
            return datetime.strptime(value, pattern).date()
        except ValueError:
            expected = "an ISO date like 2026-11-21" if pattern == ISO_DATES else pattern
            raise ValueError(f"{value!r} is not a date like {expected}") from None


def _field_of(location: tuple[int | str, ...]) -> str:
    """The mapping field a contract error location came from: `("totals", "sale", "count")` is
    `sale_count`; `("totals", "sale")` (a rule over both) is named by its amount."""
    if location[:1] == ("totals",):
        if len(location) == 1:
            return COUNT_FIELDS[EventType.SALE]
        kind = EventType(str(location[1]))
        return COUNT_FIELDS[kind] if location[2:] == ("count",) else AMOUNT_FIELDS[kind]
    return str(location[0])


def _column_index(mapping: ZMapping, header: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        index.setdefault(name, position)
    if mapping.source_system is None:
        missing = [name for name in REQUIRED_CONTRACT_COLUMNS if name not in index]
        unexpected = [name for name in header if name not in ZREPORT_COLUMNS]
        if missing or unexpected or len(index) != len(header):
            raise CsvFileError(
                f"header must name columns of {','.join(ZREPORT_COLUMNS)}, each once "
                f"({', '.join(REQUIRED_CONTRACT_COLUMNS)} required); missing: "
                f"{missing or 'none'}, unexpected or repeated: {unexpected or 'repeated'} "
                "(another layout needs a mapping: salesflow reconcile load FILE --mapping "
                "MAPPING.toml)"
            )
        return index
    for field, source in mapping.columns.items():
        if source.column is not None and source.column not in index:
            raise CsvFileError(
                f"the header has no column {source.column!r} (columns.{field} of mapping "
                f"{mapping.name}); its columns are: {', '.join(header[:40])}"
            )
    return index
