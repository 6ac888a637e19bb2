"""The effective table of a reference kind: its versions as a type-2 slowly changing dimension.

A load holds the rows it changes or adds; keys it does not mention keep their attributes (a file
of three new products does not end the other products' validity). For every key, its rows from
the active versions are ordered by `effective_from` (then by version, so a later load with the
same date wins) and each is valid until the next one's `effective_from`. The first row of a key is
valid from `VALID_FROM_MIN`, so sales from before the catalog was loaded find their attributes;
the last is valid until `VALID_TO_MAX` and is the key's current row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from contract.arrow_schema import TIMESTAMP_TYPE
from contract.reference import VALID_FROM_MIN, VALID_TO_MAX, ReferenceTable


@dataclass(frozen=True)
class ActiveVersion:
    version: int
    effective_from: datetime
    rows: pa.Table
    """The version's rows in `ReferenceTable.schema()`."""


def effective_table(table: ReferenceTable, versions: list[ActiveVersion]) -> pa.Table:
    """Every key's validity intervals over `versions`, in `table.effective_schema()`."""
    schema = table.effective_schema()
    if not versions:
        return schema.empty_table()
    stamped = pa.concat_tables(
        [
            version.rows.append_column(
                "version", pa.array([version.version] * version.rows.num_rows, pa.int32())
            ).append_column(
                "effective_from",
                pa.array([version.effective_from] * version.rows.num_rows, TIMESTAMP_TYPE),
            )
            for version in versions
        ]
    )
    ordered = stamped.sort_by(
        [(table.key, "ascending"), ("effective_from", "ascending"), ("version", "ascending")]
    )
    keys = ordered[table.key].combine_chunks()
    starts = ordered["effective_from"].combine_chunks()
    superseded = _same_as_next(keys, starts)
    kept = ordered.filter(pc.invert(superseded))
    keys = kept[table.key].combine_chunks()
    starts = kept["effective_from"].combine_chunks()
    first_of_key = _differs_from_previous(keys)
    last_of_key = _differs_from_next(keys)
    valid_from = pc.if_else(first_of_key, pa.scalar(VALID_FROM_MIN, TIMESTAMP_TYPE), starts)
    next_start = pa.concat_arrays([starts[1:], pa.array([VALID_TO_MAX], TIMESTAMP_TYPE)])
    valid_to = pc.if_else(last_of_key, pa.scalar(VALID_TO_MAX, TIMESTAMP_TYPE), next_start)
    columns = {
        **{name: kept[name] for name in table.schema().names},
        "version": kept["version"],
        "valid_from": valid_from,
        "valid_to": valid_to,
        "is_current": last_of_key,
    }
    return pa.table(columns, schema=schema)


def _same_as_next(keys: pa.Array, starts: pa.Array) -> pa.Array:
    """Rows followed by a row of the same key and instant: a later version replaced them."""
    if len(keys) < 2:
        return pa.array([False] * len(keys))
    same = pc.and_(
        pc.equal(keys[:-1], keys[1:]),
        pc.equal(starts[:-1], starts[1:]),
    )
    return pa.concat_arrays([same, pa.array([False])])


def _differs_from_previous(keys: pa.Array) -> pa.Array:
    if len(keys) < 2:
        return pa.array([True] * len(keys))
    return pa.concat_arrays([pa.array([True]), pc.not_equal(keys[1:], keys[:-1])])


def _differs_from_next(keys: pa.Array) -> pa.Array:
    if len(keys) < 2:
        return pa.array([True] * len(keys))
    return pa.concat_arrays([pc.not_equal(keys[:-1], keys[1:]), pa.array([True])])
