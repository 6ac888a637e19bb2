"""The bronze table: `IngestedSaleEvent`s as Parquet rows in the schema derived from the model,
each with the digest of its business content (`contract.content_digest`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from contract.arrow_schema import arrow_schema
from contract.content_digest import CONTENT_DIGEST, content_digest
from contract.event import IngestedSaleEvent
from contract.pydantic_fast import field_values

_EVENT_SCHEMA = arrow_schema(IngestedSaleEvent)
BRONZE_SCHEMA = _EVENT_SCHEMA.append(pa.field(CONTENT_DIGEST, pa.int64()))
"""The model's fields, then `content_digest`: nullable, since files landed before it existed
lack it and read it as NULL."""


def bronze_table(events: Iterable[IngestedSaleEvent]) -> pa.Table:
    """The same table as `Table.from_pylist` of the events' `model_dump()`s, without the dicts:
    the speed layer builds one for every batch it lands (docs/speed_layer.md, Benchmarks)."""
    builder = BronzeTableBuilder()
    for event in events:
        builder.append(event)
    return builder.table()


class BronzeTableBuilder:
    """A bronze table built column by column, one event at a time.

    `append` copies the event's validated values into one list per column (Arrow converts aware
    datetimes to UTC itself), so a caller need not keep the models of a whole batch alive, about
    ten objects an event for the garbage collector to scan again and again until the table is
    built.
    """

    def __init__(self) -> None:
        self._columns = _StructColumns(_EVENT_SCHEMA)
        self._digests: list[int] = []

    def append(self, event: IngestedSaleEvent) -> None:
        self._columns.append(event)
        self._digests.append(content_digest(event))

    def table(self) -> pa.Table:
        arrays = [*self._columns.arrays(), pa.array(self._digests, pa.int64())]
        return pa.Table.from_arrays(arrays, schema=BRONZE_SCHEMA)


def conformed(table: pa.Table) -> pa.Table:
    """A bronze file's rows in `BRONZE_SCHEMA`; a column the file predates reads as NULL."""
    columns = [
        table[field.name].cast(field.type)
        if field.name in table.column_names
        else pa.nulls(table.num_rows, field.type)
        for field in BRONZE_SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=BRONZE_SCHEMA)


class _StructColumns:
    """The columns of one level of the schema: the event's own fields, or those of its items."""

    def __init__(self, fields: Iterable[pa.Field]) -> None:
        self._scalars: list[tuple[str, list[Any]]] = []
        self._lists: list[tuple[str, list[int], _StructColumns]] = []
        self._arrays: list[Callable[[], pa.Array]] = []
        """One per field, in schema order: makes the field's Arrow array from what was appended."""
        for field in fields:
            if pa.types.is_list(field.type):
                offsets, members = [0], _StructColumns(field.type.value_type)
                self._lists.append((field.name, offsets, members))
                self._arrays.append(partial(_list_array, field.type, offsets, members))
            else:
                values: list[Any] = []
                self._scalars.append((field.name, values))
                self._arrays.append(partial(pa.array, values, type=field.type))

    def append(self, model: BaseModel) -> None:
        values = field_values(model)
        for name, column in self._scalars:
            column.append(values[name])
        for name, offsets, members in self._lists:
            items = values[name]
            offsets.append(offsets[-1] + len(items))
            for item in items:
                members.append(item)

    def arrays(self) -> list[pa.Array]:
        return [make() for make in self._arrays]


def _list_array(list_type: pa.ListType, offsets: list[int], members: _StructColumns) -> pa.Array:
    struct = list_type.value_type
    values = pa.StructArray.from_arrays(members.arrays(), fields=list(struct))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, type=list_type)
