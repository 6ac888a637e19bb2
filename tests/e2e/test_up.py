"""`salesflow up` end to end: the merged numbers on the public API equal the simulator's ledger.

Starts the whole stack as a subprocess on free ports with its own state folder, simulates, runs
the batch job (Spark local), simulates again, and compares the query API's per-day and
per-store figures with what the simulator says was acknowledged, before and after the batch
boundary moved. Then it stops the stack and checks that no process of it is left.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.moto_server import FAKE_CREDENTIALS
from tests.processes import free_port, wait_for_http

pytestmark = pytest.mark.timeout(1200)

MARKER = "SALESFLOW_E2E_STACK"
METRICS = ("net_revenue", "gross_revenue", "discount", "units", "orders", "returns")
MONEY = ("net_revenue", "gross_revenue", "discount")

Figures = dict[tuple[str, str], dict[str, Decimal | int]]


def _salesflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "salesflow", *args]


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


def _wait_for_banner(up: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while "Ctrl-C stops everything." not in log.read_text():
        if up.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"salesflow up printed no banner:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def _stack_env(state: Path, marker: str) -> dict[str, str]:
    """The test's environment plus what `<state>/env` exports: how a user reaches the stack."""
    env = {**os.environ, **FAKE_CREDENTIALS, MARKER: marker}
    for line in (state / "env").read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        (env[name],) = shlex.split(value)
    return env


def _simulate(env: dict[str, str], ingest_url: str, key: str, seed: int, ledger: Path) -> None:
    result = subprocess.run(
        _salesflow(
            "simulate",
            "--duration",
            "6",
            "--rate",
            "30",
            "--flat",
            "--seed",
            str(seed),
            "--api-url",
            ingest_url,
            f"--api-key={key}",
            "--ledger",
            str(ledger),
        ),
        env=env,
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]


def _ledger_figures(ledgers: list[Path]) -> Figures:
    """Per (day, store) sums over all ledgers (their event ids are disjoint by run tag)."""
    figures: Figures = defaultdict(lambda: dict.fromkeys(METRICS, 0))
    for path in ledgers:
        written = json.loads(path.read_text())
        assert written["unconfirmed_event_ids"] == []
        assert written["rejected"] == {}
        for day, stores in written["by_day_and"]["store_id"].items():
            for store, metrics in stores.items():
                row = figures[(day, store)]
                for name in METRICS:
                    value = Decimal(metrics[name]) if name in MONEY else int(metrics[name])
                    row[name] = row[name] + value
    return dict(figures)


def _api_figures(serve_url: str, days: list[str]) -> tuple[Figures, dict[str, Any]]:
    start = min(days)
    end = (date.fromisoformat(max(days)) + timedelta(days=1)).isoformat()
    answer = _get(
        f"{serve_url}/v1/metrics/sales?from={start}&to={end}&granularity=day&group_by=store_id"
    )
    figures: Figures = {
        (row["bucket"][:10], row["store_id"]): {
            name: Decimal(row[name]) if name in MONEY else int(row[name]) for name in METRICS
        }
        for row in answer["rows"]
    }
    return figures, answer


def _wait_until_api_equals_ledgers(
    serve_url: str, ledgers: list[Path], timeout: float = 180
) -> dict[str, Any]:
    expected = _ledger_figures(ledgers)
    days = sorted({day for day, _ in expected})
    deadline = time.monotonic() + timeout
    while True:
        actual, answer = _api_figures(serve_url, days)
        if actual == expected:
            return answer
        if time.monotonic() > deadline:
            differing = {
                key: (actual.get(key), expected.get(key))
                for key in sorted(set(actual) | set(expected))
                if actual.get(key) != expected.get(key)
            }
            pytest.fail(f"API and ledger still differ after {timeout}s: {differing}")
        time.sleep(1)


def _wait_for_new_run_without_gap(
    serve_url: str, ledgers: list[Path], previous_run: str | None, timeout: float = 180
) -> dict[str, Any]:
    """Poll until the API serves a new batch run; every answer meanwhile (stale or fresh, before
    or after the boundary moved) must equal the ledger: no gap, no double count."""
    expected = _ledger_figures(ledgers)
    days = sorted({day for day, _ in expected})
    deadline = time.monotonic() + timeout
    while True:
        actual, answer = _api_figures(serve_url, days)
        assert actual == expected, f"run {answer['run_id']}: {actual} != {expected}"
        if answer["run_id"] not in (None, previous_run):
            return answer
        assert time.monotonic() < deadline, f"no new batch run served within {timeout}s"
        time.sleep(0.5)


def _processes_with(marker: str) -> list[int]:
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@dataclass(frozen=True)
class Stack:
    state: Path
    ingest_url: str
    serve_url: str
    key: str
    env: dict[str, str]


@contextmanager
def _running_up(tmp_path: Path, *options: str) -> Iterator[Stack]:
    """`salesflow up --no-simulator` on free ports; on exit SIGTERM it and check nothing is left."""
    state = tmp_path / "state"
    marker = uuid.uuid4().hex
    moto_port, ingest_port, serve_port = free_port(), free_port(), free_port()
    ingest_url = f"http://127.0.0.1:{ingest_port}"
    serve_url = f"http://127.0.0.1:{serve_port}"
    log = tmp_path / f"up-{marker}.out"
    with log.open("wb") as output:
        up = subprocess.Popen(
            _salesflow(
                "up",
                "--no-simulator",
                "--state-dir",
                str(state),
                "--moto-port",
                str(moto_port),
                "--ingest-port",
                str(ingest_port),
                "--serve-port",
                str(serve_port),
                *options,
            ),
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **FAKE_CREDENTIALS, MARKER: marker},
            start_new_session=True,
        )
    try:
        wait_for_http(f"{ingest_url}/readyz", up, timeout=240, log=log, interval=0.5)
        assert "not started" not in log.read_text(), log.read_text()
        wait_for_http(f"{serve_url}/healthz", up, timeout=240, log=log, interval=0.5)
        _wait_for_banner(up, log)
        key_file = state / "api-key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        key = key_file.read_text().strip()
        assert key in log.read_text()
        yield Stack(state, ingest_url, serve_url, key, _stack_env(state, marker))
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
            for pid in _processes_with(marker):
                os.kill(pid, signal.SIGKILL)
            pytest.fail(f"salesflow up did not stop within 180s:\n{log.read_text()[-3000:]}")
    assert up.returncode == 0, log.read_text()[-3000:]
    assert "salesflow stopped" in log.read_text()
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(marker) == []


@pytest.mark.spark
def test_up_merged_numbers_equal_the_simulator_ledger_across_a_batch_run(tmp_path):
    first, second = tmp_path / "ledger-1.json", tmp_path / "ledger-2.json"
    with _running_up(tmp_path) as stack:
        _simulate(stack.env, stack.ingest_url, stack.key, seed=1, ledger=first)
        before = _wait_until_api_equals_ledgers(stack.serve_url, [first])

        # Everything acknowledged has landed (the API equals the ledger), so T = now leaves no
        # event out of both views; the default lag would keep this phase out of gold.
        batch = subprocess.run(
            _salesflow("batch", "run", "--cutoff", "now"),
            env=stack.env,
            capture_output=True,
            timeout=900,
            check=False,
        )
        assert batch.returncode == 0, batch.stderr.decode()[-3000:]
        after = _wait_for_new_run_without_gap(stack.serve_url, [first], before["run_id"])
        assert after["boundary"] != before["boundary"]

        _simulate(stack.env, stack.ingest_url, stack.key, seed=2, ledger=second)
        _wait_until_api_equals_ledgers(stack.serve_url, [first, second])


def test_up_with_sqs_keeps_the_lake_and_the_key_across_a_restart(tmp_path):
    first, second = tmp_path / "ledger-1.json", tmp_path / "ledger-2.json"
    with _running_up(tmp_path, "--sink", "sqs") as stack:
        _simulate(stack.env, stack.ingest_url, stack.key, seed=3, ledger=first)
        _wait_until_api_equals_ledgers(stack.serve_url, [first])
        key = stack.key

    with _running_up(tmp_path, "--sink", "sqs") as stack:
        assert stack.key == key
        _wait_until_api_equals_ledgers(stack.serve_url, [first], timeout=30)
        _simulate(stack.env, stack.ingest_url, stack.key, seed=4, ledger=second)
        _wait_until_api_equals_ledgers(stack.serve_url, [first, second])


def _start_up(tmp_path: Path, marker: str, moto_port: int) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "up.out"
    with log.open("wb") as output:
        up = subprocess.Popen(
            _salesflow(
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
    assert _processes_with(marker) == []


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
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(marker) == []
