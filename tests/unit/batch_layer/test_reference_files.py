"""`salesflow reference load`: a shop's own files validated whole, versioned, rolled back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from batch_layer.errors import ReferenceFileError
from batch_layer.reference.files import read_reference_file
from batch_layer.reference.versions import read_manifest
from contract.lake import reference_effective_file
from contract.lake_io import LakeFiles
from contract.reference import VALID_FROM_MIN, VALID_TO_MAX, reference_table
from contract.settings import Settings
from salesflow.cli import main

PRODUCTS = reference_table("products")

HARDWARE_STORE_CSV = (
    "\ufeffsku;name;category;subcategory;brand;unit_cost;list_price\n"
    "PAR-6MM-100;Parafuso 6mm (100 un);Fixação;Parafusos;Ciser;12,40;24,90\n"
    "TIN-ACR-18L;Tinta acrílica branca 18L;Tintas;;Suvinil;1.180,00;1.599,00\n"
    "FUR-BOS-650;Furadeira de impacto 650W;Ferramentas;Elétricas;Bosch;289,90;449,90\n"
)


def _lake(tmp_path: Path) -> tuple[str, LakeFiles]:
    uri = str(tmp_path / "lake")
    return uri, LakeFiles.open(uri, Settings(lake_uri=uri))


def _effective(lake: LakeFiles, table: str = "products") -> list[dict[str, object]]:
    rows: list[dict[str, object]] = lake.read_parquet(reference_effective_file(table)).to_pylist()
    return rows


def test_a_semicolon_csv_with_bom_and_decimal_commas_loads_as_version_one(tmp_path, capsys):
    source = tmp_path / "produtos.csv"
    source.write_text(HARDWARE_STORE_CSV, encoding="utf-8")
    uri, lake = _lake(tmp_path)

    code = main(
        ["reference", "load", "products", str(source), "--lake", uri, "--decimal-separator", ","]
    )

    assert code == 0
    assert "3 products loaded as version 1" in capsys.readouterr().out
    rows = {row["sku"]: row for row in _effective(lake)}
    assert rows["TIN-ACR-18L"]["unit_cost"] == Decimal("1180.00")
    assert rows["TIN-ACR-18L"]["subcategory"] is None
    assert rows["PAR-6MM-100"]["category"] == "Fixação"
    assert {(r["valid_from"], r["valid_to"], r["is_current"]) for r in rows.values()} == {
        (VALID_FROM_MIN, VALID_TO_MAX, True)
    }


def test_a_bad_file_is_refused_whole_with_every_line_and_column_named(tmp_path, capsys):
    source = tmp_path / "products.csv"
    source.write_text(
        "sku,name,category,unit_cost,colour\n"
        "OK-1,Fine,Tools,10.00,red\n"
        "BAD 2,,Tools,-3,blue\n"
        "OK-1,Again,Tools,1.00,green\n"
        "OK-4,Short row\n",
        encoding="utf-8",
    )
    uri, _ = _lake(tmp_path)

    code = main(["reference", "load", "products", str(source), "--lake", uri])

    err = capsys.readouterr().err
    assert code == 1
    assert "line 2, column colour: not a column of this table" in err
    assert "line 3, column sku: String should match pattern" in err
    assert "line 3, column name: a value is required" in err
    assert "line 3, column unit_cost: money must be >= 0" in err
    assert "line 4, column sku: 'OK-1' is already on line 2" in err
    assert "line 5: has 2 cells, the header has 5 (','-separated)" in err
    assert not (tmp_path / "lake").exists()


def test_a_missing_required_column_is_named_once(tmp_path):
    source = tmp_path / "p.csv"
    source.write_text("sku,name\nA-1,One\nA-2,Two\n", encoding="utf-8")
    with pytest.raises(ReferenceFileError) as refused:
        read_reference_file(source, PRODUCTS)
    assert refused.value.problems == ["line 2, column category: required column missing"]


def test_a_decimal_comma_without_the_option_says_which_option_to_pass(tmp_path):
    source = tmp_path / "p.csv"
    source.write_text("sku;name;category;unit_cost\nA-1;One;Tools;1.234,56\n", encoding="utf-8")
    with pytest.raises(ReferenceFileError, match="pass --decimal-separator ,"):
        read_reference_file(source, PRODUCTS)


def test_json_lines_and_parquet_load_like_csv(tmp_path):
    rows = [
        {"store_id": "POA-CENTRO", "name": "Centro", "channel": "pos", "currency": "BRL"},
        {"store_id": "WEB", "name": "Loja online", "channel": "ecommerce", "currency": "BRL"},
    ]
    jsonl = tmp_path / "stores.jsonl"
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    parquet = tmp_path / "stores.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    stores = reference_table("stores")

    from_json = read_reference_file(jsonl, stores)
    from_parquet = read_reference_file(parquet, stores)

    assert from_json.equals(from_parquet)
    assert from_json.column("channel").to_pylist() == ["pos", "ecommerce"]


def test_a_broken_json_line_is_named(tmp_path):
    source = tmp_path / "customers.jsonl"
    source.write_text('{"customer_id": "C-1"}\n{"customer_id": \n', encoding="utf-8")
    with pytest.raises(ReferenceFileError, match="line 2: not a JSON object"):
        read_reference_file(source, reference_table("customers"))


def test_an_unknown_extension_is_refused_with_the_supported_ones(tmp_path):
    source = tmp_path / "products.xlsx"
    source.write_bytes(b"PK")
    with pytest.raises(ReferenceFileError, match=r"use \.csv, \.parquet or \.jsonl"):
        read_reference_file(source, PRODUCTS)


def test_schema_prints_the_columns_and_an_example_row(capsys):
    assert main(["reference", "schema", "stores"]) == 0
    out = capsys.readouterr().out
    assert "store_id" in out
    assert "optional" in out
    assert "SP-PAULISTA,Paulista,pos,BRL" in out


def test_a_price_change_becomes_a_second_interval_and_past_rows_keep_their_cost(tmp_path):
    first = tmp_path / "v1.csv"
    first.write_text("sku,name,category,unit_cost\nA-1,One,Tools,10.00\nB-2,Two,Tools,5.00\n")
    second = tmp_path / "v2.csv"
    second.write_text("sku,name,category,unit_cost\nA-1,One,Hardware,12.00\n")
    uri, lake = _lake(tmp_path)
    main(
        [
            "reference",
            "load",
            "products",
            str(first),
            "--lake",
            uri,
            "--effective-from",
            "2026-01-01T00:00:00Z",
        ]
    )
    main(
        [
            "reference",
            "load",
            "products",
            str(second),
            "--lake",
            uri,
            "--effective-from",
            "2026-06-01T00:00:00Z",
        ]
    )

    rows = sorted(_effective(lake), key=lambda r: (r["sku"], r["valid_from"]))

    june = datetime(2026, 6, 1, tzinfo=UTC)
    assert [
        (r["sku"], r["category"], r["unit_cost"], r["valid_from"], r["valid_to"], r["is_current"])
        for r in rows
    ] == [
        ("A-1", "Tools", Decimal("10.00"), VALID_FROM_MIN, june, False),
        ("A-1", "Hardware", Decimal("12.00"), june, VALID_TO_MAX, True),
        ("B-2", "Tools", Decimal("5.00"), VALID_FROM_MIN, VALID_TO_MAX, True),
    ]


def test_loading_the_same_rows_twice_adds_no_version(tmp_path, capsys):
    source = tmp_path / "p.csv"
    source.write_text("sku,name,category\nA-1,One,Tools\n")
    uri, lake = _lake(tmp_path)
    args = [
        "reference",
        "load",
        "products",
        str(source),
        "--lake",
        uri,
        "--effective-from",
        "2026-01-01",
    ]
    assert main(args) == 0
    assert main(args) == 0
    assert "already loaded as products version 1" in capsys.readouterr().out
    assert [v.version for v in read_manifest(lake, PRODUCTS).versions] == [1]


def test_a_date_takes_effect_at_midnight_in_the_reporting_zone(tmp_path):
    source = tmp_path / "p.csv"
    source.write_text("sku,name,category\nA-1,One,Tools\n")
    uri, lake = _lake(tmp_path)
    main(
        [
            "reference",
            "load",
            "products",
            str(source),
            "--lake",
            uri,
            "--effective-from",
            "2026-03-01",
        ]
    )
    (version,) = read_manifest(lake, PRODUCTS).versions
    assert version.effective_from == datetime(2026, 3, 1, 3, tzinfo=UTC)


def test_rollback_sets_later_versions_aside_and_history_lists_them(tmp_path, capsys):
    uri, lake = _lake(tmp_path)
    for number, cost in enumerate(("10.00", "99.00"), start=1):
        source = tmp_path / f"v{number}.csv"
        source.write_text(f"sku,name,category,unit_cost\nA-1,One,Tools,{cost}\n")
        main(
            [
                "reference",
                "load",
                "products",
                str(source),
                "--lake",
                uri,
                "--effective-from",
                f"2026-0{number}-01",
            ]
        )

    assert main(["reference", "rollback", "products", "1", "--lake", uri]) == 0
    (row,) = _effective(lake)
    assert (row["version"], row["unit_cost"]) == (1, Decimal("10.00"))

    capsys.readouterr()
    assert main(["reference", "history", "products", "--lake", uri]) == 0
    history = capsys.readouterr().out.splitlines()
    assert history[1].split()[0] == "1"
    assert history[1].endswith("current")
    assert history[2].split()[0] == "2"
    assert history[2].endswith("rolled back")

    assert main(["reference", "rollback", "products", "2", "--lake", uri]) == 0
    current = [r for r in _effective(lake) if r["is_current"]]
    assert [(r["version"], r["unit_cost"]) for r in current] == [(2, Decimal("99.00"))]


def test_rollback_to_a_version_that_does_not_exist_lists_the_versions(tmp_path, capsys):
    uri, _ = _lake(tmp_path)
    assert main(["reference", "rollback", "stores", "3", "--lake", uri]) == 1
    assert "stores has no version 3 (versions: none)" in capsys.readouterr().err
