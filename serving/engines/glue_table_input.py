"""Glue table definitions from the parsed Hive DDL: one description of each table, two uses.

Terraform may create the tables first; the serving layer then only creates what is missing and
re-points the published tables (gold and marts) at each new run, which is one atomic
`UpdateTable` per table.
"""

from __future__ import annotations

from typing import Any

from serving.table_definition import Column, TableDefinition

_PARQUET: dict[str, Any] = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    },
}
_PARQUET_MANIFEST: dict[str, Any] = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": _PARQUET["SerdeInfo"],
}
_CSV: dict[str, Any] = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde"},
}


def glue_type(column: Column) -> str:
    """The Hive type string Glue stores, e.g. `array<struct<sku:string,quantity:int>>`."""
    return column.data_type.sql("hive").lower().replace(": ", ":").replace(", ", ",")


def table_input(table: TableDefinition) -> dict[str, Any]:
    storage = {"csv": _CSV, "parquet_manifest": _PARQUET_MANIFEST}.get(table.storage, _PARQUET)
    serde = storage["SerdeInfo"] | (
        {"Parameters": table.serde_properties} if table.serde_properties else {}
    )
    return {
        "Name": table.name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "EXTERNAL": "TRUE",
            "classification": "csv" if table.storage == "csv" else "parquet",
            **table.properties,
        },
        "PartitionKeys": [{"Name": c.name, "Type": glue_type(c)} for c in table.partition_columns],
        "StorageDescriptor": {
            "Columns": [{"Name": c.name, "Type": glue_type(c)} for c in table.columns],
            "Location": f"{table.location}/",
            "InputFormat": storage["InputFormat"],
            "OutputFormat": storage["OutputFormat"],
            "SerdeInfo": serde,
        },
    }
