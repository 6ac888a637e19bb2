"""`salesflow up` end to end: the merged numbers on the public API equal the simulator's ledger.

Starts the whole stack as a subprocess on free ports with its own state folder, simulates, runs
the batch job (Spark local), simulates again, and compares the query API's per-day and
per-store figures with what the simulator says was acknowledged, before and after the batch
boundary moved. Then it stops the stack and checks that no process of it is left.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from contract.settings import Settings
from devstack.local_servers import FAKE_CREDENTIALS, free_port
from tests.e2e.ledger_checks import (
    simulate,
    wait_for_new_run_without_gap,
    wait_until_api_equals_ledgers,
)
from tests.e2e.stack import MARKER, processes_with, running_up, salesflow

pytestmark = pytest.mark.timeout(1200)


@pytest.mark.spark
def test_up_merged_numbers_equal_the_simulator_ledger_across_a_batch_run(tmp_path):
    first, second = tmp_path / "ledger-1.json", tmp_path / "ledger-2.json"
    with running_up(tmp_path) as stack:
        simulate(stack.env, stack.ingest_url, stack.key, seed=1, ledger=first)
        before = wait_until_api_equals_ledgers(stack.serve_url, [first])

        # Everything acknowledged has landed (the API equals the ledger), so T = now leaves no
        # event out of both views; the default lag would keep this phase out of gold.
        batch = subprocess.run(
            salesflow("batch", "run", "--cutoff", "now"),
            env=stack.env,
            capture_output=True,
            timeout=900,
            check=False,
        )
        assert batch.returncode == 0, batch.stderr.decode()[-3000:]
        after = wait_for_new_run_without_gap(stack.serve_url, [first], before["run_id"])
        assert after["boundary"] != before["boundary"]

        simulate(stack.env, stack.ingest_url, stack.key, seed=2, ledger=second)
        wait_until_api_equals_ledgers(stack.serve_url, [first, second])


@pytest.mark.spark
def test_up_runs_the_nightly_batch_when_due_and_shows_when_the_next_is(tmp_path):
    """The nightly run as scheduled by `up` itself, due at the next minute (the default 02:30 is
    the same code with another time: tests/unit/devstack/test_up_settings.py)."""
    zone = Settings().reporting_zone
    # At least 30 s away: `up` schedules the first HH:MM strictly after its own start, so a time
    # that passes while a loaded machine starts it would be tomorrow's.
    due = (datetime.now(zone) + timedelta(seconds=90)).strftime("%H:%M")
    ledger = tmp_path / "ledger.json"
    with running_up(tmp_path, "--nightly-at", due) as stack:
        assert f"nightly batch    {due} {zone.key} daily" in stack.output.read_text()
        simulate(stack.env, stack.ingest_url, stack.key, seed=5, ledger=ledger)
        wait_until_api_equals_ledgers(stack.serve_url, [ledger])
        answer = wait_for_new_run_without_gap(stack.serve_url, [ledger], None, timeout=400)
        assert answer["run_id"] is not None
        output = stack.output.read_text()
        assert "nightly batch started with cutoff T = " in output
        assert f"next batch {due} (in 23h" in output, "after the run, the next is a day later"


def test_up_with_sqs_keeps_the_lake_and_the_key_across_a_restart(tmp_path):
    first, second = tmp_path / "ledger-1.json", tmp_path / "ledger-2.json"
    with running_up(tmp_path, "--sink", "sqs") as stack:
        simulate(stack.env, stack.ingest_url, stack.key, seed=3, ledger=first)
        wait_until_api_equals_ledgers(stack.serve_url, [first])
        key = stack.key

    with running_up(tmp_path, "--sink", "sqs") as stack:
        assert stack.key == key
        wait_until_api_equals_ledgers(stack.serve_url, [first], timeout=30)
        simulate(stack.env, stack.ingest_url, stack.key, seed=4, ledger=second)
        wait_until_api_equals_ledgers(stack.serve_url, [first, second])


def _start_up(tmp_path: Path, marker: str, moto_port: int) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "up.out"
    with log.open("wb") as output:
        up = subprocess.Popen(
            salesflow(
                "up",
                "--no-simulator",
                "--state-dir",
                str(tmp_path / "state"),
                "--moto-port",
                str(moto_port),
                "--ingest-port",
                str(free_port()),
                "--serve-port",
                str(free_port()),
            ),
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **FAKE_CREDENTIALS, MARKER: marker},
            start_new_session=True,
        )
    return up, log


def test_a_taken_port_is_refused_with_the_option_to_move_it(tmp_path):
    marker = uuid.uuid4().hex
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        up, log = _start_up(tmp_path, marker, moto_port=holder.getsockname()[1])
        assert up.wait(timeout=120) == 1
    assert "--moto-port" in log.read_text()
    assert processes_with(marker) == []


def test_ctrl_c_during_start_up_stops_everything(tmp_path):
    marker = uuid.uuid4().hex
    up, log = _start_up(tmp_path, marker, moto_port=free_port())
    deadline = time.monotonic() + 120
    while "AWS emulator on" not in log.read_text():
        assert up.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    up.send_signal(signal.SIGINT)
    assert up.wait(timeout=120) == 0, log.read_text()
    assert "salesflow stopped" in log.read_text()
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(marker) == []
