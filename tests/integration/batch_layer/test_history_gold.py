"""Real exports through their mappings, then the real nightly job: gold equals a computation
made straight from the sample files, with every sale counted once."""

from __future__ import annotations

import csv
import io
import tomllib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pyspark.sql import SparkSession

from batch_layer.csv_lambda import handler
from batch_layer.csv_loader import load_csv
from batch_layer.csv_mapping import read_mapping
from batch_layer.csv_sources import InMemoryExport, LocalExport
from batch_layer.job import run_batch
from contract.aws import aws_client
from contract.gold import SALES_WIDE
from contract.settings import Settings
from devstack.catalog import build_catalog, write_reference
from tests.integration.batch_layer.gold_reader import read_table

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
ERP_EXPORT = EXAMPLES / "exports" / "erp_pdv_vendas_2026-11.csv"
WEB_EXPORT = EXAMPLES / "exports" / "webshop_orders_2026-11.csv"
UPLOADED_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")

Totals = dict[tuple[date, str], dict[str, Any]]


def _brazilian(amount: str) -> Decimal:
    return Decimal(amount.replace(".", "").replace(",", "."))


def _add(
    totals: Totals, key: tuple[date, str], order: str, sign: int, quantity: int, net: Decimal
) -> None:
    bucket = totals.setdefault(
        key, {"net": Decimal("0.00"), "units": 0, "orders": set(), "returns": set()}
    )
    bucket["net"] += sign * net
    bucket["units"] += sign * quantity
    bucket["orders" if sign > 0 else "returns"].add(order)


def expected_from_the_files() -> Totals:
    """Per (local sale date, store): net revenue, net units, orders and returns, read from the
    sample files with nothing but csv, Decimal and the mappings' own code tables."""
    totals: Totals = {}
    erp_mapping = tomllib.loads((EXAMPLES / "mappings" / "erp_pdv.toml").read_text())
    stores = erp_mapping["values"]["store_id"]
    erp = csv.DictReader(io.StringIO(ERP_EXPORT.read_bytes().decode("latin-1")), delimiter=";")
    for row in erp:
        day, month, year = row["DATA_HORA"][:10].split("/")
        sign = -1 if row["TIPO_MOV"] == "D" else 1
        quantity = int(_brazilian(row["QTDE"]))
        net = quantity * _brazilian(row["VL_UNITARIO"]) - _brazilian(row["VL_DESCONTO"])
        key = (date(int(year), int(month), int(day)), stores[row["COD_LOJA"]])
        _add(totals, key, row["CHAVE_NFCE"] + row["TIPO_MOV"], sign, quantity, net)
    for row in csv.DictReader(io.StringIO(WEB_EXPORT.read_text())):
        sign = -1 if row["type"] == "refund" else 1
        quantity = int(row["quantity"])
        net = quantity * Decimal(row["unit_price"]) - Decimal(row["line_discount"])
        local_day = datetime.fromisoformat(row["created_at"]).astimezone(SAO_PAULO).date()
        _add(totals, (local_day, "WEB-01"), row["order_number"] + row["type"], sign, quantity, net)
    return {
        key: {**bucket, "orders": len(bucket["orders"]), "returns": len(bucket["returns"])}
        for key, bucket in totals.items()
    }


def test_exports_loaded_twice_overlapping_and_handed_off_count_once_in_gold(
    spark: SparkSession, moto_settings: Settings, tmp_path: Path
):
    lake = tmp_path / "lake"
    settings = moto_settings.model_copy(update={"csv_lambda_max_bytes": 1024})
    write_reference(str(lake), build_catalog(), settings=settings)
    erp = read_mapping(EXAMPLES / "mappings" / "erp_pdv.toml")

    load_csv(LocalExport(ERP_EXPORT), settings=settings, mapping=erp, uploaded_at=UPLOADED_AT)
    again = load_csv(LocalExport(ERP_EXPORT), settings=settings, mapping=erp)
    assert again.already_loaded
    header, *lines = ERP_EXPORT.read_bytes().decode("latin-1").splitlines(keepends=True)
    overlapping = "".join([header, *reversed(lines)]).encode("latin-1")
    overlap = load_csv(
        InMemoryExport("vendas_reexportadas.csv", overlapping),
        settings=settings,
        mapping=erp,
        uploaded_at=UPLOADED_AT + timedelta(days=1),
    )
    assert overlap.accepted == 20

    (lake / "config" / "mappings").mkdir(parents=True)
    (lake / "config" / "mappings" / "webshop.toml").write_bytes(
        (EXAMPLES / "mappings" / "webshop_orders.toml").read_bytes()
    )
    s3 = aws_client(settings, "s3")
    s3.create_bucket(Bucket=settings.lake_bucket)
    key = "landing/csv/webshop/orders-2026-11.csv"
    s3.put_object(Bucket=settings.lake_bucket, Key=key, Body=WEB_EXPORT.read_bytes())
    event = {
        "Records": [{"s3": {"bucket": {"name": settings.lake_bucket}, "object": {"key": key}}}]
    }
    assert len(handler(event, None, settings)["pending"]) == 1

    cutoff = datetime.now(UTC) + timedelta(minutes=10)
    publication = run_batch(str(lake), cutoff, settings=settings, spark=spark)

    assert not list((lake / "bronze" / "csv_pending").glob("*.json")), "the run loaded it first"
    assert publication.input_counts["csv_lines"] == 20 + 20 + 12
    assert publication.duplicates == 20, "the overlapping export's copies lose to the first load"
    wide = read_table(lake, publication, SALES_WIDE).to_pylist()
    assert len(wide) == publication.output_counts[SALES_WIDE] == 32
    actual: Totals = {}
    for row in wide:
        _add(
            actual,
            (row["sale_date"], row["store_id"]),
            row["event_id"],
            -1 if row["event_type"] == "return" else 1,
            abs(row["net_units"]),
            abs(row["net_amount"]),
        )
    flattened = {
        key: {**bucket, "orders": len(bucket["orders"]), "returns": len(bucket["returns"])}
        for key, bucket in actual.items()
    }
    assert flattened == expected_from_the_files()
    assert {row["source"] for row in wide} == {
        "csv:erp-lojas-pdv/erp_pdv_vendas_2026-11.csv",
        "csv:webshop/orders-2026-11.csv",
    }
