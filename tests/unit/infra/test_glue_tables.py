"""The Glue tables Terraform creates are derived from the contract, never typed by hand."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from contract import gold
from contract.bronze import BRONZE_SCHEMA
from devstack.glue_tables import TABLES_FILE, hive_type, render


def test_the_committed_tables_file_matches_the_contract() -> None:
    assert TABLES_FILE.read_text() == render(), (
        "contract schemas changed: run `python -m devstack.glue_tables` and commit "
        "infra/terraform/modules/catalog/tables.json"
    )


@pytest.mark.parametrize(
    ("arrow", "glue"),
    [
        (pa.decimal128(18, 2), "decimal(18,2)"),
        (pa.timestamp("us", tz="UTC"), "timestamp"),
        (pa.date32(), "date"),
        (pa.int32(), "int"),
        (pa.int64(), "bigint"),
        (
            pa.list_(pa.struct([("sku", pa.string()), ("n", pa.int32())])),
            "array<struct<sku:string,n:int>>",
        ),
    ],
)
def test_arrow_types_map_to_exact_glue_types(arrow: pa.DataType, glue: str) -> None:
    assert hive_type(arrow) == glue


def test_an_unmapped_type_is_refused_with_what_to_do() -> None:
    with pytest.raises(TypeError, match=r"extend devstack\.glue_tables"):
        hive_type(pa.float16())


def test_bronze_and_gold_columns_and_partitions() -> None:
    tables = json.loads(render())["tables"]
    bronze = tables["bronze_sales_events"]
    assert [c["name"] for c in bronze["columns"]] == BRONZE_SCHEMA.names
    assert [p["name"] for p in bronze["partition_keys"]] == ["ingest_date", "ingest_hour"]
    wide = tables[gold.SALES_WIDE]
    assert {"name": "net_amount", "type": "decimal(18,2)"} in wide["columns"]
    assert gold.SALES_WIDE_PARTITION_COLUMN not in [c["name"] for c in wide["columns"]]
    assert wide["partition_keys"] == [{"name": "sale_date", "type": "date"}]
    assert wide["published_by_batch"] is True
    assert set(gold.MART_DIMENSIONS) <= set(tables)
