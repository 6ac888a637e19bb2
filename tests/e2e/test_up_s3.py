"""`salesflow up --lake s3://BUCKET/lake`: the whole platform on the emulator's S3, as on AWS.

One `up` start: the bucket is created on the emulator, the poller lands events in it, the CSV
watcher loads a dropped export into it, the DuckDB engine serves it through the lake's S3
filesystem and `salesflow batch run` (Spark local, `s3://` through S3A) publishes gold into it,
a full run and, after more events, an incremental one. The query API's figures equal the
simulator's ledger before each run and while it moves the boundary; the export's day shows its
sale from the real-time view and then from gold. Nothing of the lake is written to the state
folder.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from batch_layer.s3a import S3AUnavailableError, classpath
from contract.aws import aws_client
from contract.lake import CSV_LOADS, PUBLISHED_POINTER
from contract.settings import Settings
from tests.e2e.ledger_checks import (
    simulate,
    wait_for_new_run_without_gap,
    wait_until_api_equals_ledgers,
)
from tests.e2e.stack import get_json, running_up, salesflow
from tests.unit.batch_layer.csv_samples import csv_text, row

pytestmark = pytest.mark.timeout(1200)

EXPORT_DAY = "2026-01-15"
EXPORT_NET = Decimal("4499.90")
"""The dropped export's one line: 1 x 4599.90 less 100.00, on a day no simulated sale falls on."""


@pytest.mark.spark
def test_up_on_an_s3_lake_serves_the_ledger_across_a_batch_run(tmp_path: Path):
    try:
        classpath()
    except S3AUnavailableError as missing:
        pytest.skip(str(missing))
    bucket = f"salesflow-e2e-{uuid.uuid4().hex[:8]}"
    first, second = tmp_path / "ledger-1.json", tmp_path / "ledger-2.json"
    with running_up(tmp_path, "--lake", f"s3://{bucket}/lake") as stack:
        simulate(stack.env, stack.ingest_url, stack.key, seed=1, ledger=first)
        before = wait_until_api_equals_ledgers(stack.serve_url, [first])
        export = csv_text(row("EV-S3-EXPORT-1", occurred_at=f"{EXPORT_DAY}T13:45:12-03:00"))
        (stack.state / "landing" / "export.csv").write_text(export)
        _wait_for_export_day(stack.serve_url)

        full = _batch_run(stack.env)
        assert full["kind"] == "full"
        after = wait_for_new_run_without_gap(stack.serve_url, [first], before["run_id"])
        assert after["run_id"] == full["run_id"]
        assert _export_day_net(stack.serve_url) == EXPORT_NET

        simulate(stack.env, stack.ingest_url, stack.key, seed=2, ledger=second)
        wait_until_api_equals_ledgers(stack.serve_url, [first, second])
        incremental = _batch_run(stack.env)
        assert incremental["kind"] == "incremental"
        assert incremental["silver_runs"] == [full["run_id"], incremental["run_id"]]
        wait_for_new_run_without_gap(stack.serve_url, [first, second], full["run_id"])
        assert _export_day_net(stack.serve_url) == EXPORT_NET

        keys = _lake_keys(stack.env["SALESFLOW_AWS_ENDPOINT_URL"], bucket)
        assert f"lake/{PUBLISHED_POINTER}" in keys
        assert any(key.startswith(f"lake/{CSV_LOADS}/") for key in keys)
        assert any(key.startswith("lake/bronze/sales_events/ingest_date=") for key in keys)
        assert not (stack.state / "lake").exists()


def _batch_run(env: dict[str, str]) -> dict[str, Any]:
    """`salesflow batch run --cutoff now`, its report. Everything acknowledged has landed (the API
    equals the ledger), so T = now leaves no event out of both views."""
    batch = subprocess.run(
        salesflow("batch", "run", "--cutoff", "now"),
        env=env,
        capture_output=True,
        timeout=900,
        check=False,
    )
    assert batch.returncode == 0, batch.stderr.decode()[-3000:]
    report: dict[str, Any] = json.loads(batch.stdout)
    return report


def _export_day_net(serve_url: str) -> Decimal:
    answer = get_json(
        f"{serve_url}/v1/metrics/sales?from={EXPORT_DAY}&to=2026-01-16&granularity=day"
    )
    return sum((Decimal(r["net_revenue"]) for r in answer["rows"]), Decimal("0.00"))


def _wait_for_export_day(serve_url: str, timeout: float = 120) -> None:
    """Until the export's sale shows on its day: the watcher loaded it into the S3 lake."""
    deadline = time.monotonic() + timeout
    while _export_day_net(serve_url) != EXPORT_NET:
        assert time.monotonic() < deadline, "the dropped export never showed on its day"
        time.sleep(1)


def _lake_keys(endpoint: str, bucket: str) -> list[str]:
    s3 = aws_client(Settings(aws_endpoint_url=endpoint), "s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]
