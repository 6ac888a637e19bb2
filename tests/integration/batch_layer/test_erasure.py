"""`salesflow forget customer` on the local stack's lake after a real run, checked by an
independent scan of every file for the customer's id; then the next run rebuilds gold from the
erased inputs with the same sales, and the id does not come back."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from batch_layer.job import run_batch
from contract.gold import SALES_WIDE
from contract.lake import ERASURE_AUDIT
from contract.settings import Settings
from salesflow.cli import main
from tests.integration.batch_layer.conftest import PublishedLake
from tests.integration.batch_layer.gold_reader import read_table
from tests.integration.batch_layer.lake_scan import local_files_naming

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


def customer_in_bronze_and_csv(published_lake: PublishedLake) -> str:
    origins: dict[str, set[str]] = {}
    for event, origin in published_lake.scenario.inputs:
        if event.customer_id and event.customer_id != "C-UNKNOWN":
            origins.setdefault(event.customer_id, set()).add(origin)
    both = sorted(c for c, seen in origins.items() if seen == {"bronze", "csv"})
    assert both, "the scenario has a customer in both bronze and a CSV upload"
    return both[0]


def net_by_day_and_store(table: pa.Table) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in table.select(["sale_date", "store_id", "net_amount"]).to_pylist():
        totals[(str(row["sale_date"]), row["store_id"])] += Decimal(row["net_amount"])
    return dict(totals)


def test_a_forgotten_customer_is_in_no_file_and_the_next_run_keeps_every_sale(
    published_lake: PublishedLake,
    spark: SparkSession,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(published_lake.settings.lake_uri, lake)
    state = tmp_path / "state"
    customer = customer_in_bronze_and_csv(published_lake)
    speed_quarantine = lake / "bronze/_quarantine/quarantined_date=2026-11-19/shard-1-2.jsonl"
    speed_quarantine.parent.mkdir(parents=True)
    payload = json.dumps({"event_id": "EV-Q", "customer_id": customer, "items": "not a list"})
    speed_quarantine.write_text(
        json.dumps({"reason": "items: not a list", "payload": payload}) + "\n"
    )
    loaded_export = state / "landing" / "loaded" / "clientes-nov.csv"
    loaded_export.parent.mkdir(parents=True)
    loaded_export.write_text(f"cliente,nome\n{customer},Maria da Silva\n")
    before = local_files_naming(lake, customer)
    areas = {"/".join(path.split("/")[:2]) for path in before}
    assert {
        "bronze/sales_events",
        "bronze/csv_uploads",
        "gold/runs",
        "reference/customers",
    } <= areas

    monkeypatch.setenv("SALESFLOW_STATE_DIR", str(state))
    monkeypatch.setenv("SALESFLOW_LAKE_URI", str(lake))
    assert main(["forget", "customer", customer, "--dry-run"]) == 0
    planned = capsys.readouterr().out
    assert local_files_naming(lake, customer) == before
    assert main(["forget", "customer", customer]) == 0
    done = capsys.readouterr().out
    assert customer not in planned + done

    assert local_files_naming(lake, customer) == []
    assert local_files_naming(state, customer) == []
    (audit_file,) = (lake / ERASURE_AUDIT).iterdir()
    audit = json.loads(audit_file.read_text())
    kept_copies = list(lake.glob("gold/runs/*/_reference/customers.parquet"))
    assert kept_copies, "the published run keeps a copy of the customers table"
    for copy in kept_copies:
        assert audit["pseudonym"] not in pq.read_table(copy)["customer_id"].to_pylist()
    assert audit["request_id"] in done
    assert audit["reference_rows_removed"] >= 1
    assert audit["changed_files"]["bronze/sales_events"] >= 1
    assert audit["deleted_files"]["state/landing"] == 1
    pseudonym = audit["pseudonym"]

    baseline = read_table(
        Path(published_lake.settings.lake_uri), published_lake.publication, SALES_WIDE
    )
    erased = read_table(lake, published_lake.publication, SALES_WIDE)
    assert net_by_day_and_store(erased) == net_by_day_and_store(baseline)
    baseline_rows = pc.sum(pc.equal(baseline["customer_id"], customer)).as_py()
    assert pc.sum(pc.equal(erased["customer_id"], pseudonym)).as_py() == baseline_rows
    assert (
        erased.filter(pc.equal(erased["customer_id"], pseudonym))["customer_city"].null_count
        == baseline_rows
    )

    settings = Settings(state_dir=state, lake_uri=str(lake))
    rerun = run_batch(str(lake), published_lake.publication.cutoff, settings=settings, spark=spark)
    assert local_files_naming(lake, customer) == []
    rebuilt = read_table(lake, rerun, SALES_WIDE)
    assert net_by_day_and_store(rebuilt) == net_by_day_and_store(baseline)
    assert rerun.output_counts == published_lake.publication.output_counts
    assert pc.sum(pc.equal(rebuilt["customer_id"], pseudonym)).as_py() == baseline_rows
