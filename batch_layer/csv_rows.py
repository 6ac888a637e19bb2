"""One export row -> the contract's fields in the contract's notation, and the event it belongs to.

Numbers lose their thousands separators and get a decimal point (`1.234,56` -> `1234.56`); times
are read with the mapping's format, and naive ones placed in its time zone; codes go through the
value maps. A value that cannot be read becomes a problem naming the file's column, and the
contract itself judges everything else when the row's event is validated.

Exports have no event ids, so one is derived, deterministically: `uuid5(NAMESPACE, ...)` of the
mapping's `source_system`, the order id, the event type and the instant it occurred (in UTC). The
same sale therefore gets the same id from any file it is exported in (an overlapping export, the
same file renamed), and the batch job counts it once. The file name is deliberately not part of
the id. Without an order id column every row is an order of its own: its id hashes all its
values plus its ordinal among identical rows seen so far (two identical sales in the same second
stay two), which needs identical rows to lie within `max_open_events` rows of each other; rows
further apart get the same id and the loader's scattered-event check stops the load.
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from batch_layer.csv_format import CSV_COLUMNS, MappedRow
from batch_layer.csv_mapping import ISO_TIMESTAMPS, ExportMapping
from batch_layer.csv_reading import SourceRow
from batch_layer.errors import CsvHeaderError

NAMESPACE = uuid.UUID("7f6c0c52-2b1e-5a8e-9d4e-5a1e5f10c0de")
"""Namespace of derived event ids. Never change it: the ids of loaded history depend on it."""
_NAMESPACE_BYTES = NAMESPACE.bytes

_ID_FIELDS = frozenset(("order_id", "event_type", "occurred_at"))
_REMEMBERED_VALUES = 1 << 16
"""Distinct raw values remembered per converted column: codes, prices, discounts and quantities
repeat throughout an export, and a remembered one costs no Python call."""
_MONEY_FIELDS = ("unit_price", "discount")
_NOT_ROW_CONTENT = ("event_id", "order_id", "occurred_at")
"""Left out of an order-less row's content: the ids are derived, the time enters as UTC."""
_SHOWN_COLUMNS = 40


class RowConverter:
    """Converts the rows of one export, whose header is `header`, as `mapping` says."""

    def __init__(self, mapping: ExportMapping, header: list[str]) -> None:
        self._mapping = mapping
        self._width = len(header)
        self._system = mapping.source_system or ""
        index = _column_index(mapping, header)
        numbers = _Numbers(mapping.decimal_separator, mapping.thousands_separator)
        self._times = _Times(mapping.timestamp_format, mapping.time_zone)
        self._readers: list[tuple[str, str, int, Callable[[str], str]]] = []
        self._constants: dict[str, str] = dict.fromkeys(CSV_COLUMNS, "")
        for field in CSV_COLUMNS:
            source = mapping.fields.get(field)
            if source is None:
                continue
            if source.column is None:
                self._constants[field] = source.constant or ""
                continue
            read: Callable[[str], str]
            if mapping.contract_format:
                read = _unchanged
            elif source.values is not None:
                read = _remembered(_ValueMap(field, source.values))
            elif field in _MONEY_FIELDS:
                read = _remembered(numbers.money)
            elif field == "quantity":
                read = _remembered(numbers.whole)
            elif field == "occurred_at":
                read = self._times.read
            else:
                read = str.strip
            self._readers.append((field, f"column {source.column}", index[source.column], read))
        self._derive = (
            None
            if "event_id" in mapping.fields
            else "order"
            if "order_id" in mapping.fields
            else "row"
        )
        self._twins: OrderedDict[str, int] = OrderedDict()
        self._last_key = ""
        self._last_id = ""

    def convert(self, row: SourceRow) -> MappedRow:
        fields = row.fields
        if len(fields) != self._width:
            problem = f"row has {len(fields)} fields, the header has {self._width}"
            return MappedRow(row.file_line, fields, dict(self._constants), None, [("", problem)])
        values = dict(self._constants)
        problems: list[tuple[str, str]] = []
        failed: list[str] = []
        for field, column, position, read in self._readers:
            try:
                values[field] = read(fields[position])
            except ValueError as error:
                problems.append((column, str(error)))
                failed.append(field)
        if self._derive is None:
            event_id: str | None = values["event_id"]
        elif self._derive == "order":
            placed = not failed or _ID_FIELDS.isdisjoint(failed)
            event_id = self._order_event_id(values) if placed else None
        else:
            event_id = None if failed else self._row_event_id(values)
            values["order_id"] = event_id or ""
        if event_id is not None:
            values["event_id"] = event_id
        return MappedRow(row.file_line, fields, values, event_id, problems)

    def _order_event_id(self, values: dict[str, str]) -> str:
        key = "\x1f".join(
            (self._system, "order", values["order_id"], values["event_type"], self._times.utc)
        )
        if key != self._last_key:
            self._last_key, self._last_id = key, uuid5(key)
        return self._last_id

    def _row_event_id(self, values: dict[str, str]) -> str:
        content = "\x1f".join(
            [self._system, "row", self._times.utc]
            + [values[name] for name in CSV_COLUMNS if name not in _NOT_ROW_CONTENT]
        )
        ordinal = self._twins.pop(content, 0) + 1
        self._twins[content] = ordinal
        if len(self._twins) > self._mapping.max_open_events:
            self._twins.popitem(last=False)
        return uuid5(f"{content}\x1f{ordinal}")


def uuid5(name: str) -> str:
    """`str(uuid.uuid5(NAMESPACE, name))`, without building a UUID object (once per event)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode()).digest()[:16])  # noqa: S324
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _column_index(mapping: ExportMapping, header: list[str]) -> dict[str, int]:
    if mapping.contract_format:
        _check_contract_header(header)
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        index.setdefault(name, position)
    for field, source in mapping.fields.items():
        column = source.column
        if column is None:
            continue
        shown = ", ".join(header[:_SHOWN_COLUMNS]) + (
            ", ..." if len(header) > _SHOWN_COLUMNS else ""
        )
        if column not in index:
            raise CsvHeaderError(
                f"the header has no column {column!r} (columns.{field} of mapping "
                f"{mapping.name}); its columns are: {shown}"
            )
        if header.count(column) > 1:
            raise CsvHeaderError(
                f"the header has column {column!r} (columns.{field} of mapping {mapping.name}) "
                "more than once"
            )
    return index


def _check_contract_header(header: list[str]) -> None:
    missing = [name for name in CSV_COLUMNS if name not in header]
    unexpected = [name for name in header if name not in CSV_COLUMNS]
    if missing or unexpected or len(set(header)) != len(header):
        repeated = sorted({name for name in header if header.count(name) > 1})
        raise CsvHeaderError(
            f"header must name each of {','.join(CSV_COLUMNS)} once (any order); "
            f"missing: {missing or 'none'}, unexpected or repeated: "
            f"{unexpected or repeated or 'none'} (a file in another layout needs a mapping: "
            "salesflow load-csv FILE --mapping MAPPING.toml)"
        )


def _remembered(read: Callable[[str], str]) -> Callable[[str], str]:
    return functools.lru_cache(maxsize=_REMEMBERED_VALUES)(read)


def _unchanged(value: str) -> str:
    return value


class _ValueMap:
    def __init__(self, field: str, table: Mapping[str, str]) -> None:
        self._field = field
        self._table = dict(table)

    def __call__(self, raw: str) -> str:
        value = raw.strip()
        if not value and self._field == "customer_id":
            return ""
        try:
            return self._table[value]
        except KeyError:
            listed = ", ".join(sorted(self._table)[:20])
            raise ValueError(
                f"{value!r} is not listed in [values.{self._field}] ({listed})"
            ) from None


class _Numbers:
    """Numbers written with the mapping's separators, rewritten as plain decimals."""

    def __init__(self, decimal: str, thousands: str) -> None:
        self._decimal = decimal
        self._thousands = thousands
        point = re.escape(decimal)
        if thousands:
            group = re.escape(thousands)
            pattern = rf"-?(?:\d{{1,3}}(?:{group}\d{{3}})+|\d+)(?:{point}\d+)?"
        else:
            pattern = rf"-?\d+(?:{point}\d+)?"
        self._match = re.compile(pattern).fullmatch
        self._example = f"1{thousands}234{decimal}56"

    def money(self, raw: str) -> str:
        """`1.234,56` -> `1234.56`; extra zero decimals (`4729,900`) are dropped, nothing else
        is rounded: the contract refuses a third significant decimal."""
        value = raw.strip()
        if not value:
            return ""
        if self._match(value) is None:
            raise ValueError(f"{value!r} is not a number like {self._example}")
        if self._thousands:
            value = value.replace(self._thousands, "")
        if self._decimal != ".":
            value = value.replace(self._decimal, ".")
        whole, _, fraction = value.partition(".")
        if len(fraction) > 2 and not fraction[2:].strip("0"):
            return f"{whole}.{fraction[:2]}"
        return value

    def whole(self, raw: str) -> str:
        """A quantity: `3`, or `3,000` as some ERPs write it (three units, not three thousand
        when the decimal separator is a comma)."""
        value = self.money(raw)
        whole, _, fraction = value.partition(".")
        if fraction.strip("0"):
            raise ValueError(f"{raw.strip()!r} is not a whole number of units")
        return whole


class _Times:
    """Times in the mapping's format; naive ones are wall-clock times of its zone.

    `utc` holds the instant of the last time read (the part of derived ids that must not
    depend on how an export wrote the offset). Rows of one order repeat their time, so the last
    value is remembered."""

    def __init__(self, pattern: str | None, zone: ZoneInfo | None) -> None:
        self._pattern = pattern
        self._zone = zone
        self._numeric = _numeric_reader(pattern) if pattern and pattern != ISO_TIMESTAMPS else None
        self._last_raw: str | None = None
        self._last_iso = ""
        self.utc = ""

    def read(self, raw: str) -> str:
        value = raw.strip()
        if value == self._last_raw:
            return self._last_iso
        moment = self._parse(value)
        self._last_raw, self._last_iso = value, moment.isoformat()
        self.utc = moment.astimezone(UTC).isoformat()
        return self._last_iso

    def _parse(self, value: str) -> datetime:
        if not value:
            raise ValueError("is empty")
        try:
            if self._numeric is not None:
                moment = self._numeric(value)
            elif self._pattern == ISO_TIMESTAMPS:
                moment = datetime.fromisoformat(value)
            else:
                moment = datetime.strptime(value, self._pattern or "")
        except ValueError:
            expected = "an ISO 8601 time" if self._pattern == ISO_TIMESTAMPS else self._pattern
            raise ValueError(f"{value!r} is not a time like {expected}") from None
        if moment.tzinfo is not None:
            return moment
        if self._zone is None:
            raise ValueError(f"{value!r} has no UTC offset, and the mapping names no time_zone")
        return _in_zone(moment, self._zone)


_NUMERIC_DIRECTIVES = {"Y": r"\d{4}", "m": r"\d{1,2}", "d": r"\d{1,2}", "H": r"\d{1,2}"}
_NUMERIC_DIRECTIVES |= {"M": r"\d{1,2}", "S": r"\d{1,2}", "f": r"\d{1,6}"}
_DATETIME_ARGUMENTS = "YmdHMSf"
"""The numeric directives in the order of datetime()'s arguments."""


def _numeric_reader(pattern: str) -> Callable[[str], datetime] | None:
    """What `datetime.strptime(value, pattern)` returns, by one regular expression, for a format
    of numeric directives (%Y %m %d %H %M %S %f) and literals: most exports' formats, read in
    half of strptime's time. None for any other format, which strptime then reads."""
    directives: list[str] = []
    parts: list[str] = []
    position = 0
    while position < len(pattern):
        character = pattern[position]
        if character != "%":
            parts.append(r"\s+" if character.isspace() else re.escape(character))
            position += 1
            continue
        directive = pattern[position + 1 : position + 2]
        if directive == "%":
            parts.append("%")
        elif directive in _NUMERIC_DIRECTIVES and directive not in directives:
            directives.append(directive)
            parts.append(f"({_NUMERIC_DIRECTIVES[directive]})")
        else:
            return None
        position += 2
    if not set("Ymd") <= set(directives):
        return None
    match = re.compile("".join(parts)).fullmatch
    slots = [_DATETIME_ARGUMENTS.index(directive) for directive in directives]
    micro_slot = _DATETIME_ARGUMENTS.index("f")

    def read(value: str) -> datetime:
        found = match(value)
        if found is None:
            raise ValueError(value)
        arguments = [0] * len(_DATETIME_ARGUMENTS)
        for slot, text in zip(slots, found.groups(), strict=True):
            arguments[slot] = int(text.ljust(6, "0") if slot == micro_slot else text)
        year, month, day, hour, minute, second, microsecond = arguments
        return datetime(year, month, day, hour, minute, second, microsecond)

    return read


def _in_zone(naive: datetime, zone: ZoneInfo) -> datetime:
    """`naive` as a wall-clock time of `zone`. A time the clocks skipped (spring forward) is an
    error; a time they showed twice (fall back) is read as its first occurrence."""
    moment = naive.replace(tzinfo=zone)
    in_transition = moment.utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset()
    if in_transition and moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValueError(
            f"{naive.isoformat(sep=' ')} never happened in {zone.key}: the clocks were put "
            "forward over it"
        )
    return moment
