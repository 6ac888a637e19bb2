"""Reading a published run back with pyarrow, as a reader outside Spark would: `sales_wide`
through its manifests (the files each day's manifest lists, wherever they are), the others from
their folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from contract.gold import SALES_WIDE_PARTITION_COLUMN, SALES_WIDE_SCHEMA
from contract.lake import MANIFEST_FILE, manifest_lines
from contract.publication import Publication


def read_table(lake: Path, publication: Publication, table: str) -> pa.Table:
    folder = lake / publication.tables[table]
    if table == "sales_wide":
        listed = [
            line
            for manifest in sorted(folder.glob(f"*/{MANIFEST_FILE}"))
            for line in manifest_lines(manifest.read_text(), str(manifest.parent))
        ]
        if not listed:
            return SALES_WIDE_SCHEMA.empty_table()
        partitioning = ds.partitioning(
            pa.schema([SALES_WIDE_SCHEMA.field(SALES_WIDE_PARTITION_COLUMN)]), flavor="hive"
        )
        dataset = ds.dataset(listed, format="parquet", partitioning=partitioning)
        return dataset.to_table().select(SALES_WIDE_SCHEMA.names)
    return ds.dataset(folder, format="parquet").to_table()


def sorted_rows(table: pa.Table, keys: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.sort_by([(key, "ascending") for key in keys]).to_pylist()
    return rows
