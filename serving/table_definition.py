"""A table's DDL, parsed once with sqlglot into what every engine needs to know about it.

The Hive DDL files are the single description of each table: Glue gets its columns, partition
keys, storage and projection properties from here, and DuckDB maps the same columns onto the
local Parquet or CSV files. Nothing about a table is typed a second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import sqlglot
from sqlglot import exp

from serving.sql_files import ATHENA_DIALECT

Storage = Literal["parquet", "parquet_manifest", "csv"]
"""`parquet_manifest`: Parquet files listed by a `manifest` text file in each partition folder
(Hive's symlink input format), so a state can name files that other runs wrote (ADR 0018)."""
SYMLINK_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


@dataclass(frozen=True)
class Column:
    name: str
    data_type: exp.DataType


@dataclass(frozen=True)
class TableDefinition:
    name: str
    columns: tuple[Column, ...]
    partition_columns: tuple[Column, ...]
    location: str
    storage: Storage
    properties: dict[str, str]
    """TBLPROPERTIES: partition projection, header lines to skip."""
    serde_properties: dict[str, str]

    @classmethod
    def parse(cls, statement: str) -> TableDefinition:
        create = sqlglot.parse_one(statement, read=ATHENA_DIALECT)
        if not isinstance(create, exp.Create) or not isinstance(create.this, exp.Schema):
            raise ValueError(f"expected CREATE EXTERNAL TABLE name (columns ...), got: {statement}")
        table = create.this.this
        properties = create.args["properties"].expressions if create.args.get("properties") else []
        partition_columns: tuple[Column, ...] = ()
        location = ""
        storage: Storage = "parquet"
        table_properties: dict[str, str] = {}
        serde_properties: dict[str, str] = {}
        for prop in properties:
            if isinstance(prop, exp.PartitionedByProperty):
                partition_columns = _columns(prop.this.expressions)
            elif isinstance(prop, exp.LocationProperty):
                location = prop.this.name
            elif isinstance(prop, exp.RowFormatSerdeProperty) and prop.this.name != PARQUET_SERDE:
                storage = "csv"
                serde_properties = {
                    p.this.name: p.args["value"].name
                    for p in prop.args["serde_properties"].expressions
                }
            elif isinstance(prop, exp.FileFormatProperty) and _is_symlink(prop):
                storage = "parquet_manifest"
            elif type(prop) is exp.Property:
                table_properties[prop.this.name] = prop.args["value"].name
        if not location:
            raise ValueError(f"table {table.name} has no LOCATION")
        return cls(
            name=table.name,
            columns=_columns(create.this.expressions),
            partition_columns=partition_columns,
            location=location.rstrip("/"),
            storage=storage,
            properties=table_properties,
            serde_properties=serde_properties,
        )

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + self.partition_columns


def _columns(definitions: list[exp.Expression]) -> tuple[Column, ...]:
    columns = []
    for definition in definitions:
        if not isinstance(definition, exp.ColumnDef) or not isinstance(
            definition.args.get("kind"), exp.DataType
        ):
            raise ValueError(f"expected `name type`, got {definition.sql(ATHENA_DIALECT)}")
        columns.append(Column(definition.name, definition.args["kind"]))
    return tuple(columns)


def _is_symlink(prop: exp.FileFormatProperty) -> bool:
    formats = prop.this
    return (
        isinstance(formats, exp.InputOutputFormat)
        and formats.args["input_format"].name == SYMLINK_INPUT_FORMAT
    )
