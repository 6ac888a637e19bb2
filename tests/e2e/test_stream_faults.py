"""The fault campaign's stream faults: `salesflow up` behind a fault-injecting proxy.

Every AWS call of the stack goes through `fault_proxy` to the moto server. While a resending
client (the simulator) sends, the stream throttles a share of each PutRecords call's records,
answers whole calls 500 and holds some calls past the ingest API's publish budget (so records
acknowledged to nobody are written and then sent again). Once the faults stop, the merged API
must equal the ledger of acknowledged events to the cent: nothing lost, nothing counted twice.
The crash faults (SIGKILL of each component) are in test_up.py and the layers' own tests.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from contract.settings import Settings
from devstack.local_servers import moto_server
from devstack.resources import bootstrap_resources
from tests.e2e.fault_proxy import fault_proxy
from tests.e2e.stack import running_up
from tests.e2e.test_up import (
    _api_figures,
    _ledger_figures,
    _simulate,
    _wait_until_api_equals_ledgers,
)


@pytest.mark.spark
def test_stream_throttling_errors_and_slow_calls_lose_and_double_count_nothing(tmp_path, capsys):
    ledger = tmp_path / "ledger.json"
    with moto_server() as emulator, fault_proxy(emulator) as (proxy, faults):
        prefix = f"f{uuid.uuid4().hex[:8]}"
        env = {"SALESFLOW_AWS_ENDPOINT_URL": proxy, "SALESFLOW_NAME_PREFIX": prefix}
        _bootstrap(proxy, prefix, tmp_path / "state" / "lake")
        faults.record_failure_fraction = 0.3
        faults.call_error_fraction = 0.1
        faults.slow_fraction = 0.1
        faults.slow_seconds = Settings().publish_budget_seconds + 1
        with running_up(tmp_path, "--no-emulator", env=env) as stack:
            _simulate(stack.env, stack.ingest_url, stack.key, seed=31, ledger=ledger)
            faults.clear()
            _wait_until_api_equals_ledgers(stack.serve_url, [ledger])
            expected = _ledger_figures([ledger])
            actual, _ = _api_figures(stack.serve_url, sorted({day for day, _ in expected}))
    assert actual == expected
    for fault in (
        "records failed as throttled",
        "PutRecords answered 500",
        "PutRecords held past the publish budget",
    ):
        assert faults.injected[fault] > 0, f"{fault}: never injected ({dict(faults.injected)})"
    orders = sum(int(row["orders"]) for row in expected.values())
    net = sum((Decimal(row["net_revenue"]) for row in actual.values()), Decimal(0))
    with capsys.disabled():
        print(
            f"\nstream faults {dict(faults.injected)}: {orders} orders acknowledged and counted "
            f"once each (net {net}): 0 lost, 0 double counted"
        )


def _bootstrap(proxy: str, prefix: str, lake: Path) -> None:
    """The stream, queues and tables `up --no-emulator` expects to exist, as Terraform would."""
    settings = Settings(aws_endpoint_url=proxy, name_prefix=prefix)
    bootstrap_resources(settings, lake_uri=str(lake))
