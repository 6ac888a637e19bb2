"""Z reports exported as CSV: through a mapping or in the contract's own format, refused whole
with each bad row's file line and column, idempotent, a corrected export replacing reports; and
the example ERP closing against the example ERP sales export, through both loaders and the
merged view, checked against a computation straight from the two sample files."""

from __future__ import annotations

import csv
import io
import json
import logging
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from batch_layer.csv_loader import load_csv
from batch_layer.csv_mapping import read_mapping
from batch_layer.csv_sources import LocalExport
from batch_layer.errors import MappingError, ZReportFileError
from batch_layer.reconciliation_csv import (
    CONTRACT_ZREPORT_FORMAT,
    load_zreports,
    read_zmapping,
)
from contract.lake_io import LakeFiles
from contract.reconciliation import ReportStore
from contract.settings import Settings
from salesflow.cli import main
from serving.engines.duckdb_engine import DuckDBEngine
from serving.reconciliation.compare import Status
from serving.reconciliation.service import ReconciliationService

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
Z_EXPORT = EXAMPLES / "exports" / "erp_reducao_z_2026-11.csv"
Z_MAPPING = EXAMPLES / "mappings" / "erp_reducao_z.toml"
SALES_EXPORT = EXAMPLES / "exports" / "erp_pdv_vendas_2026-11.csv"
SALES_MAPPING = EXAMPLES / "mappings" / "erp_pdv.toml"
LOADED_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HEADER = ",".join(
    [
        "store_id,business_date,terminal_id",
        "sale_count,sale_net_amount,return_count,return_net_amount,event_ids",
    ]
)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """The command configures JSON logging on stderr; give later tests their handlers back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


def store_of(lake: Path) -> ReportStore:
    return ReportStore(LakeFiles.open(str(lake), Settings(lake_uri=str(lake))))


def stored_versions(lake: Path) -> list[dict[str, Any]]:
    """Every version file in the lake, read with json alone."""
    return [
        json.loads(path.read_text())
        for path in sorted((lake / "reconciliation" / "reports").rglob("*.json"))
    ]


def brazilian(amount: str) -> Decimal:
    return Decimal(amount.replace(".", "").replace(",", "."))


def z_rows_from_the_file() -> dict[tuple[str, date], dict[str, tuple[int, Decimal]]]:
    """The example closing read with csv, Decimal and the mapping's own store table."""
    stores = tomllib.loads(Z_MAPPING.read_text())["values"]["store_id"]
    rows = csv.DictReader(io.StringIO(Z_EXPORT.read_bytes().decode("latin-1")), delimiter=";")
    return {
        (stores[r["COD_LOJA"]], datetime.strptime(r["DATA_MOVIMENTO"], "%d/%m/%Y").date()): {
            "sale": (int(r["QTD_CUPONS"]), brazilian(r["VL_VENDA_LIQUIDA"])),
            "return": (int(r["QTD_DEVOLUCOES"]), brazilian(r["VL_DEVOLUCOES"])),
        }
        for r in rows
    }


def sales_from_the_file() -> dict[tuple[str, date], dict[str, tuple[int, Decimal]]]:
    """What the tills sold per store and day, read straight from the sales export (its times are
    Sao Paulo wall times, the reporting zone: the date is the business date)."""
    stores = tomllib.loads(SALES_MAPPING.read_text())["values"]["store_id"]
    found: dict[tuple[str, date], dict[str, dict[str, Decimal]]] = {}
    rows = csv.DictReader(io.StringIO(SALES_EXPORT.read_bytes().decode("latin-1")), delimiter=";")
    for r in rows:
        day = datetime.strptime(r["DATA_HORA"][:10], "%d/%m/%Y").date()
        kind = "return" if r["TIPO_MOV"] == "D" else "sale"
        events = found.setdefault((stores[r["COD_LOJA"]], day), {"sale": {}, "return": {}})[kind]
        net = int(brazilian(r["QTDE"])) * brazilian(r["VL_UNITARIO"]) - brazilian(r["VL_DESCONTO"])
        events[r["CHAVE_NFCE"]] = events.get(r["CHAVE_NFCE"], Decimal("0.00")) + net
    return {
        key: {kind: (len(e), sum(e.values(), Decimal("0.00"))) for kind, e in kinds.items()}
        for key, kinds in found.items()
    }


def reconcile(lake: Path) -> dict[tuple[str, str], Any]:
    settings = Settings(lake_uri=str(lake), reporting_tz="America/Sao_Paulo")
    engine = DuckDBEngine(settings)
    try:
        service = ReconciliationService(settings, engine, clock=lambda: LOADED_AT)
        result = service.reconciliations(date(2026, 11, 1), date(2026, 11, 30), None)
    finally:
        engine.close()
    return {(row.store_id, row.business_date): row for row in result.rows}


def test_the_example_closing_matches_the_example_sales_through_both_loaders(
    lake: Path,
) -> None:
    result = load_zreports(
        Z_EXPORT, read_zmapping(Z_MAPPING), store_of(lake), received_at=LOADED_AT
    )
    expected = z_rows_from_the_file()
    assert (result.reports, result.stored, result.unchanged) == (len(expected), len(expected), 0)
    stored = {
        (v["report"]["store_id"], date.fromisoformat(v["report"]["business_date"])): {
            kind: (t["count"], Decimal(t["net_amount"]))
            for kind, t in v["report"]["totals"].items()
        }
        for v in stored_versions(lake)
    }
    assert stored == expected
    assert {v["source"] for v in stored_versions(lake)} == {
        "csv:erp-lojas-pdv/erp_reducao_z_2026-11.csv"
    }

    settings = Settings(lake_uri=str(lake))
    load_csv(
        LocalExport(SALES_EXPORT),
        settings=settings,
        mapping=read_mapping(SALES_MAPPING),
        uploaded_at=LOADED_AT,
    )
    assert sales_from_the_file() == expected  # the sample files agree with each other ...
    rows = reconcile(lake)
    assert set(rows) == {(store, day.isoformat()) for store, day in expected}
    for (store, day), row in rows.items():  # ... and salesflow agrees with both
        assert row.status is Status.MATCHED, (store, day, row)
        wanted = expected[(store, date.fromisoformat(day))]
        assert {k: (f.count, Decimal(f.net_amount)) for k, f in row.counted.items()} == wanted


def test_a_corrected_export_replaces_the_reports_it_changes_and_shows_the_gap(
    lake: Path, tmp_path: Path
) -> None:
    mapping = read_zmapping(Z_MAPPING)
    load_zreports(Z_EXPORT, mapping, store_of(lake), received_at=LOADED_AT)
    load_csv(
        LocalExport(SALES_EXPORT),
        settings=Settings(lake_uri=str(lake)),
        mapping=read_mapping(SALES_MAPPING),
        uploaded_at=LOADED_AT,
    )
    text = Z_EXPORT.read_bytes().decode("latin-1")
    corrected = tmp_path / "erp_reducao_z_2026-11_corrected.csv"
    corrected.write_bytes(
        text.replace(
            "01;005;RIO DE JANEIRO - BARRA;21/11/2026;1;839,80;",
            "01;005;RIO DE JANEIRO - BARRA;21/11/2026;2;1.039,70;",
        ).encode("latin-1")
    )
    result = load_zreports(
        corrected, mapping, store_of(lake), received_at=LOADED_AT.replace(hour=10)
    )
    assert (result.reports, result.replaced, result.unchanged) == (12, 1, 11)
    assert len(stored_versions(lake)) == 13

    row = reconcile(lake)[("RJ-BARRA-01", "2026-11-21")]
    assert row.status is Status.GAP
    (report,) = row.reports
    assert report.version == 2
    assert report.missing_event_ids is None
    missing = report.totals["sale"].missing
    assert (missing.count, missing.net_amount) == (1, "199.90")
    assert row.net_gap == "199.90"


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "z.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_a_contract_format_file_is_stored_with_terminals_and_event_ids(
    lake: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "SP-PAULISTA-01,2026-11-21,PDV1,2,150.40,1,20.00,EV-00000001 EV-00000002 EV-00000003",
        "SP-PAULISTA-01,2026-11-21,,5,1000.00,,,",
    )
    result = load_zreports(path, CONTRACT_ZREPORT_FORMAT, store_of(lake), received_at=LOADED_AT)
    assert (result.reports, result.stored) == (2, 2)
    by_scope = {v["report"].get("terminal_id"): v["report"] for v in stored_versions(lake)}
    assert by_scope["PDV1"]["event_ids"] == ["EV-00000001", "EV-00000002", "EV-00000003"]
    assert by_scope["PDV1"]["totals"]["return"] == {"count": 1, "net_amount": "20.00"}
    assert by_scope[None]["totals"]["return"] == {"count": 0, "net_amount": "0.00"}
    assert by_scope[None]["event_ids"] is None


def test_a_file_with_bad_rows_is_refused_whole_naming_each_line_and_column(
    lake: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "SP-PAULISTA-01,2026-11-20,PDV1,1,10.00,,,",
        "SP-PAULISTA-01,21/11/2026,PDV1,1,10.00,,,",
        "SP-PAULISTA-01,2026-11-21,PDV1,-1,10.00,,,",
        "SP-PAULISTA-01,2026-11-21,PDV2,1,10.001,,,",
        "SP PAULISTA,2026-11-21,PDV3,1,10.00,,,",
        "SP-PAULISTA-01,2026-11-21,PDV4,0,5.00,,,",
        "SP-PAULISTA-01,2026-11-21,PDV5,2,10.00,,,EV-00000001",
        "SP-PAULISTA-01,2026-11-20,PDV1,1,10.00,,,",
        "SP-PAULISTA-01,2026-11-21,PDV6,1",
        "SP-PAULISTA-01,2030-01-01,PDV7,1,10.00,,,",
    )
    with pytest.raises(ZReportFileError) as refused:
        load_zreports(path, CONTRACT_ZREPORT_FORMAT, store_of(lake), received_at=LOADED_AT)
    problems = refused.value.problems
    expected = [
        ("file line 3, column business_date:", "is not a date like an ISO date"),
        ("file line 4, column sale_count:", "greater than or equal to 0"),
        ("file line 5, column sale_net_amount:", "at most 2 decimal places"),
        ("file line 6, column store_id:", "pattern"),
        ("file line 7, column sale_net_amount:", "count is 0"),
        ("file line 8, column event_ids:", "lists 1 event ids but totals count 2"),
        ("file line 9:", "repeats the report of file line 2"),
        ("file line 10:", "the row has 4 fields, the header 8"),
        ("file line 11, column business_date:", "has not begun anywhere yet"),
    ]
    assert len(problems) == len(expected), problems
    for problem, (where, why) in zip(problems, expected, strict=True):
        assert problem.startswith(where), problem
        assert why in problem, problem
    assert not (lake / "reconciliation").exists()


def test_a_mapped_file_names_the_export_s_own_columns(lake: Path, tmp_path: Path) -> None:
    text = Z_EXPORT.read_bytes().decode("latin-1")
    bad = tmp_path / "z.csv"
    bad.write_bytes(
        text.replace(
            ";001;SAO PAULO - PAULISTA;20/11/2026;2;4.707,60;", ";099;NOVA;20/11/2026;2;4707,6x;"
        ).encode("latin-1")
    )
    with pytest.raises(ZReportFileError) as refused:
        load_zreports(bad, read_zmapping(Z_MAPPING), store_of(lake), received_at=LOADED_AT)
    assert refused.value.problems == [
        "file line 2, column COD_LOJA (store_id): '099' is not listed in [values.store_id] "
        "(001, 002, 003, 004, 005, 006, 007, 008, 009, 010, 011, 012, 013, 014, 015, 016)",
        "file line 2, column VL_VENDA_LIQUIDA (sale_net_amount): '4707,6x' is not a number like "
        "1.234,56",
    ]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('source_system = "x"\n[columns]\nstore_id = "A"\n', "columns.business_date: required"),
        (
            'source_system = "x"\n[columns]\nstore_id = "A"\n'
            'business_date = { constant = "2026-11-21" }\n'
            'sale_count = "C"\nsale_net_amount = "N"\n',
            "columns.business_date: must name a source column",
        ),
        (
            'source_system = "x"\n[columns]\nstore_id = { constant = "S1" }\nbusiness_date = "D"\n'
            'sale_count = "C"\nsale_net_amount = "N"\n[values.store_id]\n"1" = "S1"\n',
            "values.store_id: a value map needs columns.store_id to name a column",
        ),
        (
            'source_system = "x"\ndate_format = "%Q"\n[columns]\nstore_id = "A"\n'
            'business_date = "D"\nsale_count = "C"\nsale_net_amount = "N"\n',
            "date_format:",
        ),
        (
            'source_system = "x"\n[columns]\nstore_id = "A"\nbusiness_date = "D"\nsku = "S"\n'
            'sale_count = "C"\nsale_net_amount = "N"\n',
            "columns.sku: not a mapping key",
        ),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_toml_key(
    tmp_path: Path, toml: str, message: str
) -> None:
    path = tmp_path / "zmap.toml"
    path.write_text(toml)
    with pytest.raises(MappingError, match=message.replace("[", r"\[").replace("(", r"\(")):
        read_zmapping(path)


def test_the_reconcile_load_command(
    lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = [
        "reconcile",
        "load",
        str(Z_EXPORT),
        "--mapping",
        str(Z_MAPPING),
        "--lake",
        str(lake),
    ]
    assert main(arguments) == 0
    assert (
        "12 reports: 12 new, 0 replacing an earlier version, 0 unchanged" in capsys.readouterr().out
    )
    assert main(arguments) == 0
    assert (
        "12 reports: 0 new, 0 replacing an earlier version, 12 unchanged" in capsys.readouterr().out
    )
    bad = write(tmp_path, "SP-PAULISTA-01,2026-11-21,PDV1,x,1.00,,,")
    assert main(["reconcile", "load", str(bad), "--lake", str(lake)]) == 1
    assert "file line 2, column sale_count" in capsys.readouterr().err
    broken = tmp_path / "broken.toml"
    broken.write_text('source_system = "x"\n')
    assert main(["reconcile", "load", str(bad), "--mapping", str(broken), "--lake", str(lake)]) == 2
    assert len(stored_versions(lake)) == 12
