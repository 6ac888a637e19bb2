"""The gold marts' table DDL, written from the contract instead of by hand.

A mart is `sales_wide` grouped by `sale_date` and its dimensions, with every metric
(`contract.gold.MART_DIMENSIONS`, `contract.gold.mart_schema`). Its columns therefore follow from
the contract, and so does its DDL here: adding a mart or a metric needs no SQL file, and the four
marts cannot drift apart. The other tables, which differ in kind, stay files in `sql/tables/`.
"""

from __future__ import annotations

import pyarrow as pa

from contract.gold import mart_schema

_HIVE_TYPES = {pa.date32(): "date", pa.string(): "string", pa.int64(): "bigint"}


def mart_table_sql(mart: str) -> str:
    """`CREATE EXTERNAL TABLE` of `mart` over its folder in the published run (placeholder
    `{{<mart>_location}}`, filled like every serving SQL file's)."""
    columns = ",\n".join(f"  {field.name} {_hive_type(field.type)}" for field in mart_schema(mart))
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {mart} (\n{columns}\n)\n"
        f"STORED AS PARQUET\nLOCATION '{{{{{mart}_location}}}}'\n"
    )


def _hive_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if arrow_type not in _HIVE_TYPES:
        raise KeyError(f"no Hive type for a mart column of Arrow type {arrow_type}; add it here")
    return _HIVE_TYPES[arrow_type]
