"""The fault campaign: `salesflow up` under a resending client, one fault after another.

Every AWS call of the stack goes through `fault_proxy` to the moto server. First, while the
client (the simulator) sends, the stream throttles a share of each PutRecords call's records,
answers whole calls 500 and holds some calls past the ingest API's publish budget (so records
acknowledged to nobody are written and then sent again). Then, while it sends again, the ingest
API, the speed consumer and the serving process are killed (SIGKILL), one after another, and
`up` restarts each; a poison record (no event at all) waits on the stream for the consumer. After
each phase the merged API must equal the ledger of acknowledged events to the cent: nothing
lost, nothing counted twice. A batch run killed half way is in
tests/integration/batch_layer/test_processes.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from contract.aws import aws_client
from contract.lake import QUARANTINE
from contract.settings import Settings
from devstack.local_servers import moto_server
from devstack.resources import bootstrap_resources
from tests.e2e.fault_proxy import fault_proxy
from tests.e2e.ledger_checks import (
    api_figures,
    ledger_figures,
    simulate,
    wait_until_api_equals_ledgers,
)
from tests.e2e.stack import MARKER, Stack, processes_with, running_up, salesflow

KILLED = {"api": "ingest-api", "speed": "speed", "serve": "serving"}
"""`salesflow <command>` -> its component in `up`: killed in turn, two seconds apart."""


@pytest.mark.spark
def test_stream_faults_and_killed_components_lose_and_double_count_nothing(tmp_path, capsys):
    ledger, during_kills = tmp_path / "ledger.json", tmp_path / "ledger-kills.json"
    with moto_server() as emulator, fault_proxy(emulator) as (proxy, faults):
        prefix = f"f{uuid.uuid4().hex[:8]}"
        env = {"SALESFLOW_AWS_ENDPOINT_URL": proxy, "SALESFLOW_NAME_PREFIX": prefix}
        _bootstrap(proxy, prefix, tmp_path / "state" / "lake")
        faults.record_failure_fraction = 0.3
        faults.call_error_fraction = 0.1
        faults.slow_fraction = 0.1
        faults.slow_seconds = Settings().publish_budget_seconds + 1
        with running_up(tmp_path, "--no-emulator", env=env) as stack:
            simulate(stack.env, stack.ingest_url, stack.key, seed=31, ledger=ledger)
            faults.clear()
            wait_until_api_equals_ledgers(stack.serve_url, [ledger])
            expected = ledger_figures([ledger])
            actual, _ = api_figures(stack.serve_url, sorted({day for day, _ in expected}))
            assert actual == expected
            poison = _put_poison_record(emulator, prefix)
            _simulate_while_killing(stack, during_kills)
            wait_until_api_equals_ledgers(stack.serve_url, [ledger, during_kills], timeout=300)
            output = stack.output.read_text()
            quarantined = [
                path.read_text() for path in (stack.state / "lake" / QUARANTINE).rglob("*.jsonl")
            ]
    assert any(poison in text for text in quarantined), "the poison record is kept for replay"
    for component in KILLED.values():
        assert f"{component} exited with code -9 (restarted)" in output, output[-3000:]
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
            f"once each (net {net}): 0 lost, 0 double counted; then "
            f"{', '.join(KILLED.values())} killed in turn, the merged API still equal"
        )


def _put_poison_record(emulator: str, prefix: str) -> str:
    """A record no contract version reads, put on the stream behind the API's back: the
    consumer must quarantine it and go on, not stop the shard."""
    poison = f"not an event {uuid.uuid4().hex}"
    settings = Settings(aws_endpoint_url=emulator, name_prefix=prefix)
    aws_client(settings, "kinesis").put_record(
        StreamName=settings.stream_name, Data=poison.encode(), PartitionKey="poison"
    )
    return poison


def _simulate_while_killing(stack: Stack, ledger: Path) -> None:
    """The simulator for 10 s, patient enough to ride out a restart; SIGKILL each component."""
    simulator = subprocess.Popen(
        salesflow(
            "simulate",
            "--duration",
            "10",
            "--rate",
            "30",
            "--flat",
            "--seed",
            "32",
            "--api-url",
            stack.ingest_url,
            f"--api-key={stack.key}",
            "--ledger",
            str(ledger),
            "--max-attempts",
            "40",
        ),
        env=stack.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for command in KILLED:
        time.sleep(2)
        os.kill(_component(stack, command), signal.SIGKILL)
    _, errors = simulator.communicate(timeout=600)
    assert simulator.returncode == 0, errors.decode()[-3000:]


def _component(stack: Stack, command: str) -> int:
    """The pid of `salesflow <command>` among the stack's processes."""
    for pid in processes_with(stack.env[MARKER]):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[1:4] == [b"-m", b"salesflow", command.encode()]:
            return pid
    raise AssertionError(f"no `salesflow {command}` process in the stack")


def _bootstrap(proxy: str, prefix: str, lake: Path) -> None:
    """The stream, queues and tables `up --no-emulator` expects to exist, as Terraform would."""
    settings = Settings(aws_endpoint_url=proxy, name_prefix=prefix)
    bootstrap_resources(settings, lake_uri=str(lake))
