"""Mappings: how a real export's columns, codes, numbers and times become the contract's fields.

A mapping is a TOML file (`examples/mappings/` has two). It is validated here, at the edge, by a
pydantic model, and every refusal names the TOML key (`columns.unit_price`, `time_zone`), so the
person who wrote the file can fix it without reading code. The loader works from the plain
`ExportMapping` dataclass built from it.

`CONTRACT_FORMAT` is the mapping of the contract's own CSV format (`csv_format.CSV_COLUMNS`,
an `event_id` column, values already in the contract's notation): its values go to the contract
unchanged, so a contract-format file is held to exactly the rules an API request is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from batch_layer.csv_format import CSV_COLUMNS
from batch_layer.errors import MappingError
from batch_layer.mapping_files import MAPPING_NAME, MappingFile, Source, parse_mapping_file
from contract.event import Channel, CurrencyCode, EventType, Identifier, PaymentMethod
from contract.lake import CSV_MAPPINGS
from contract.lake_io import LakeFiles

ISO_TIMESTAMPS = "iso"
"""`timestamp_format` value for ISO 8601 / RFC 3339 times (`2026-11-27T14:03:11-03:00`)."""
DEFAULT_MAX_OPEN_EVENTS = 1_000


class _Columns(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Source | None = None
    event_type: Source
    occurred_at: Source
    channel: Source
    store_id: Source
    order_id: Source | None = None
    customer_id: Source | None = None
    currency: Source
    payment_method: Source
    sku: Source
    quantity: Source
    unit_price: Source
    discount: Source | None = None

    @field_validator(
        "event_id", "occurred_at", "order_id", "sku", "quantity", "unit_price", "discount"
    )
    @classmethod
    def _varies_per_row(cls, source: Source | None) -> Source | None:
        if source is not None and source.constant is not None:
            raise ValueError("must name a source column: this field differs from row to row")
        return source

    @field_validator("event_type")
    @classmethod
    def _event_type(cls, source: Source) -> Source:
        return _checked_constant(source, EventType)

    @field_validator("channel")
    @classmethod
    def _channel(cls, source: Source) -> Source:
        return _checked_constant(source, Channel)

    @field_validator("payment_method")
    @classmethod
    def _payment_method(cls, source: Source) -> Source:
        return _checked_constant(source, PaymentMethod)

    @field_validator("currency")
    @classmethod
    def _currency(cls, source: Source) -> Source:
        if source.constant is not None and not re.fullmatch(r"[A-Z]{3}", source.constant):
            raise ValueError(f"constant {source.constant!r} is not an ISO 4217 code like 'BRL'")
        return source

    @field_validator("store_id", "customer_id")
    @classmethod
    def _identifier(cls, source: Source | None) -> Source | None:
        constant = source.constant if source is not None else None
        if constant is not None and not re.fullmatch(r"[A-Za-z0-9_.:/-]{1,64}", constant):
            raise ValueError(f"constant {constant!r} must be 1-64 characters of A-Z a-z 0-9 _.:/-")
        return source


def _checked_constant(source: Source, allowed: type[EventType | Channel | PaymentMethod]) -> Source:
    values = [member.value for member in allowed]
    if source.constant is not None and source.constant not in values:
        raise ValueError(f"constant {source.constant!r} is not one of {', '.join(values)}")
    return source


class _Values(BaseModel):
    """Value maps: the export's codes to contract values, per field (`[values.event_type]`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: dict[str, EventType] | None = None
    channel: dict[str, Channel] | None = None
    payment_method: dict[str, PaymentMethod] | None = None
    store_id: dict[str, Identifier] | None = None
    customer_id: dict[str, Identifier] | None = None
    currency: dict[str, CurrencyCode] | None = None
    sku: dict[str, Identifier] | None = None


class _MappingFile(MappingFile):
    timestamp_format: Annotated[str, Field(min_length=1)] = ISO_TIMESTAMPS
    time_zone: str | None = None
    max_open_events: Annotated[int, Field(ge=1, le=1_000_000)] = DEFAULT_MAX_OPEN_EVENTS
    columns: _Columns
    values: _Values = _Values()

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, zone: str | None) -> str | None:
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise ValueError(
                    f"unknown IANA time zone {zone!r}, e.g. America/Sao_Paulo"
                ) from error
        return zone

    @field_validator("timestamp_format")
    @classmethod
    def _parsable_format(cls, pattern: str) -> str:
        if pattern == ISO_TIMESTAMPS:
            return pattern
        sample = datetime(2026, 11, 27, 14, 3, 11)
        try:
            datetime.strptime(sample.strftime(pattern), pattern)
        except ValueError as error:
            raise ValueError(
                f"{pattern!r} is not a strptime format that reads back what it writes "
                "(e.g. %d/%m/%Y %H:%M:%S), or 'iso'"
            ) from error
        return pattern

    @model_validator(mode="after")
    def _zone_for_naive_times(self) -> Self:
        naive = self.timestamp_format != ISO_TIMESTAMPS and "%z" not in self.timestamp_format
        if naive and self.time_zone is None:
            raise ValueError(
                f"time_zone: required, because timestamp_format {self.timestamp_format!r} has "
                "no %z (the times carry no offset); name their IANA zone, e.g. America/Sao_Paulo"
            )
        return self


@dataclass(frozen=True)
class FieldSource:
    """Where one contract field comes from: a source column (through an optional value map) or
    one constant for the whole file."""

    column: str | None
    constant: str | None = None
    values: Mapping[str, str] | None = None


@dataclass(frozen=True)
class ExportMapping:
    name: str
    sha256: str
    """Of the mapping file's bytes: a resumed load must use the mapping it started with."""
    source_system: str | None
    """Part of every derived event id; None for the contract format (ids come from the file)."""
    encoding: str
    delimiter: str
    decimal_separator: str
    thousands_separator: str
    timestamp_format: str | None
    """A strptime format or ISO_TIMESTAMPS; None passes times to the contract unchanged."""
    time_zone: ZoneInfo | None
    max_open_events: int
    fields: Mapping[str, FieldSource]
    """Contract field -> its source; unmapped optional fields are absent."""

    @property
    def contract_format(self) -> bool:
        return self.source_system is None

    def label(self, field: str) -> str:
        """How a reason names where a field's value came from: `column VL_UNIT` (or `column
        unit_price` when the names agree), or `constant channel`."""
        source = self.fields.get(field)
        if source is None or source.column is None:
            return f"constant {field}"
        if source.column == field:
            return f"column {field}"
        return f"column {source.column} ({field})"


CONTRACT_FORMAT = ExportMapping(
    name="contract",
    sha256="",
    source_system=None,
    encoding="utf-8",
    delimiter=",",
    decimal_separator=".",
    thousands_separator="",
    timestamp_format=None,
    time_zone=None,
    max_open_events=DEFAULT_MAX_OPEN_EVENTS,
    fields={name: FieldSource(column=name) for name in CSV_COLUMNS},
)


def parse_mapping(data: bytes, name: str) -> ExportMapping:
    """Validate a mapping file's bytes; raises MappingError naming the TOML key at fault."""
    model = parse_mapping_file(data, name, _MappingFile)
    values = model.values.model_dump(exclude_none=True)
    fields = {
        field: FieldSource(
            column=source.column,
            constant=source.constant,
            values={
                code: str(getattr(value, "value", value)) for code, value in values[field].items()
            }
            if field in values
            else None,
        )
        for field in _Columns.model_fields
        if (source := getattr(model.columns, field)) is not None
    }
    return ExportMapping(
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        source_system=model.source_system,
        encoding=model.encoding,
        delimiter=model.delimiter,
        decimal_separator=model.decimal_separator,
        thousands_separator=model.thousands_separator,
        timestamp_format=model.timestamp_format,
        time_zone=ZoneInfo(model.time_zone) if model.time_zone else None,
        max_open_events=model.max_open_events,
        fields=fields,
    )


def read_mapping(path: Path) -> ExportMapping:
    """A mapping file from disk, named after its file (`erp_pdv.toml` is mapping `erp_pdv`)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise MappingError(f"mapping {path}: cannot be read: {error}") from error
    return parse_mapping(data, path.stem)


def mapping_from_lake(lake: LakeFiles, name: str) -> ExportMapping:
    """The mapping stored in the lake as `config/mappings/<name>.toml`."""
    if not MAPPING_NAME.match(name):
        raise MappingError(f"{name!r} is not a mapping name (1-64 characters of A-Z a-z 0-9 _ . -)")
    data = lake.read_bytes(f"{CSV_MAPPINGS}/{name}.toml")
    if data is None:
        raise MappingError(
            f"no mapping {name!r} in the lake: write it to "
            f"{lake.uri_of(f'{CSV_MAPPINGS}/{name}.toml')}"
        )
    return parse_mapping(data, name)
